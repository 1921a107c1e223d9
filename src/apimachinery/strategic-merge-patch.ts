// Strategic merge patch application, following k8s.io/apimachinery/pkg/util/strategicpatch
// (mergeMap / mergeSlice with MergeParallelList and IgnoreUnmatchedNulls, as the API server uses it).
import { errors, StatusError } from "./status.ts";
import { isPlainObject } from "./object.ts";
import type { PatchMeta } from "./patch-meta.ts";
import { goFormat, goType } from "./go-format.ts";

type JsonMap = Record<string, unknown>;

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER = "$setElementOrder";

const bad = (message: string) => errors.badRequest(message);
/** The errors Kubernetes answers with 422 (NewGenericServerResponse(422) keeps only the reason). */
const unprocessable = (message: string) => new StatusError(422, "Invalid", message);

const errBadArgType = (expected: "list" | "map", actual: unknown) =>
  bad(`expected a ${expected === "list" ? "[]interface {}" : "map[string]interface {}"}, but received a ${goType(actual)}`);
const errNoMergeKey = (m: JsonMap, key: string) => bad(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const errBadPatchType = (t: unknown, m: JsonMap) => bad(`unknown patch type: ${goFormat(t)} in map: ${goFormat(m)}`);

// ---- cleaning values that are copied from the patch into the result ----

/** Directive keys, and "__proto__" (a JSON key that would re-parent the object if assigned). */
const isDirectiveKey = (k: string) =>
  k === "__proto__" || k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(`${SET_ELEMENT_ORDER}/`) || k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`);

/**
 * What Kubernetes stores for patch content taken as is: maps carrying `$patch` are dropped,
 * directive keys and null map values removed (its typed decoding drops them; we store JSON).
 * Returns undefined when the value itself is a directive map and must not be kept.
 */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean).filter((x) => x !== undefined);
  if (!isPlainObject(v)) return v;
  if (Object.hasOwn(v, DIRECTIVE)) return undefined;
  for (const [k, x] of Object.entries(v)) {
    const c = x === null || isDirectiveKey(k) ? undefined : clean(x);
    if (c === undefined) delete v[k];
    else v[k] = c;
  }
  return v;
}

function setCleaned(target: JsonMap, key: string, value: unknown): void {
  const c = clean(value);
  if (c === undefined) delete target[key];
  else target[key] = c;
}

type Kind = "null" | "map" | "list" | "string" | "number" | "boolean";
const kindOf = (v: unknown): Kind => (v === null ? "null" : Array.isArray(v) ? "list" : isPlainObject(v) ? "map" : (typeof v as Kind));

/** The one element kind of the lists; Kubernetes refuses lists of lists and mixed lists. */
function elementKind(...lists: unknown[][]): Kind | undefined {
  let kind: Kind | undefined;
  for (const v of lists.flat()) {
    const k = kindOf(v);
    if (kind === undefined) {
      if (k === "list") throw unprocessable("lists of lists are not supported");
      kind = k;
    } else if (k !== kind) {
      throw bad(`list element types are not identical: ${goFormat(lists)}`);
    }
  }
  return kind;
}

function splitStrategy(strategy: string | undefined): string {
  const parts = strategy ? strategy.split(",") : [];
  if (parts.length <= 1) return parts[0] === "retainKeys" ? "" : (parts[0] ?? "");
  if (parts.length === 2 && parts[0] === "retainKeys") return parts[1]!;
  if (parts.length === 2 && parts[1] === "retainKeys") return parts[0]!;
  throw bad(`unexpected patch strategy: ${goFormat(parts)}`);
}

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf("/");
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw bad(prefix === SET_ELEMENT_ORDER ? "invalid patch format of setElementOrder list" : "invalid patch format of primitive list");
  }
  return key.slice(slash + 1);
}

// ---- element order ($setElementOrder and the order of merged lists) ----

/** Lists searched by merge key must hold only maps (Kubernetes' findMapInSliceBasedOnKeyValue). */
function assertMaps(list: unknown[]): void {
  list.forEach((x, i) => {
    if (!isPlainObject(x)) throw bad(`value for key ${i} is not a map`);
  });
}

/** What identifies a list item: its merge-key value for maps, the value itself otherwise. */
const identity = (x: unknown, mergeKey: string, kind: Kind | undefined): unknown =>
  kind === "map" ? (isPlainObject(x) ? x[mergeKey] : undefined) : x;

/** First position of each item identity in a list, so ordering stays linear on huge lists. */
function positions(list: unknown[], mergeKey: string, kind: Kind | undefined): Map<unknown, number> {
  const at = new Map<unknown, number>();
  list.forEach((x, i) => {
    const id = identity(x, mergeKey, kind);
    if (!at.has(id)) at.set(id, i);
  });
  return at;
}

/** Splits `merged` into items present in `by` (by merge key, or by value) and the rest. */
function partition(merged: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  if (mergeKey) assertMaps(by);
  const present = new Set(by.map((x) => (mergeKey ? (x as JsonMap)[mergeKey] : x)));
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of merged) {
    if (mergeKey) {
      if (!isPlainObject(v)) throw errBadArgType("map", v);
      if (!Object.hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    }
    (present.has(mergeKey ? (v as JsonMap)[mergeKey] : v) ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}

/** Stable sort by position in `order`; with maps, `$patch: delete` items go last (as Kubernetes). */
function sortByOrder(items: unknown[], order: unknown[], mergeKey: string, kind: Kind | undefined): unknown[] {
  let toSort = items;
  let toDelete: unknown[] = [];
  if (kind === "map") {
    for (const item of [...items, ...order]) {
      if (!isPlainObject(item)) throw errBadArgType("map", item);
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
    toSort = items.filter((x) => (x as JsonMap)[DIRECTIVE] !== "delete");
    toDelete = items.filter((x) => (x as JsonMap)[DIRECTIVE] === "delete");
  }
  const at = positions(order, mergeKey, kind);
  const sorted = [...toSort].sort((a, b) => {
    const ia = at.get(identity(a, mergeKey, kind));
    const ib = at.get(identity(b, mergeKey, kind));
    return ia !== undefined && ib !== undefined ? ia - ib : 0;
  });
  return [...sorted, ...toDelete];
}

/**
 * Patch items in patch order, server-only items in live order, interleaved so each server-only
 * item lands before the first patch item that follows it in the live list.
 */
function normalizeOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string, kind: Kind | undefined): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const at = positions(serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = at.get(identity(left[i], mergeKey, kind));
      const ri = at.get(identity(right[j], mergeKey, kind));
      if (li !== undefined && ri !== undefined && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** The order in the patch list must agree with its $setElementOrder list. */
function validateSetOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? patchList.filter((x) => !(isPlainObject(x) && x[DIRECTIVE] === "delete")) : patchList;
  let p = 0;
  let s = 0;
  while (p < items.length && s < order.length) {
    const item = items[p];
    if (isPlainObject(item) && Object.hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    let equal: boolean;
    if (!mergeKey) equal = item === order[s];
    else {
      const o = order[s];
      if (!isPlainObject(item)) throw errBadArgType("map", item);
      if (!isPlainObject(o)) throw errBadArgType("map", o);
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      if (!Object.hasOwn(o, mergeKey)) throw errNoMergeKey(o, mergeKey);
      equal = item[mergeKey] === o[mergeKey];
    }
    if (equal) p++;
    s++;
  }
  if (p < items.length && s >= order.length) {
    throw bad(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`);
  }
}

/** Applies every `$setElementOrder/<field>` in the patch together with that field's list. */
function applySetElementOrder(original: JsonMap, patch: JsonMap, meta: PatchMeta): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw errBadArgType("list", order);
    const field = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = Object.hasOwn(original, field) && original[field] !== null;
    const foundPatch = Object.hasOwn(patch, field);
    const originalList = foundOriginal ? original[field] : [];
    const patchList = foundPatch ? patch[field] : [];
    if (!Array.isArray(originalList)) throw errBadArgType("list", originalList);
    if (!Array.isArray(patchList)) throw errBadArgType("list", patchList);
    const fm = meta.field(field);
    const strategy = splitStrategy(fm.strategy);
    const mergeKey = fm.mergeKey ?? "";
    validateSetOrder(patchList, order, mergeKey);
    const alias = new AliasedOrder(originalList);
    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal && foundPatch) merged = clean(patchList) as unknown[];
    else if (foundOriginal && foundPatch) merged = mergeListField(originalList, patchList, fm.meta, strategy, mergeKey, false, field, alias);
    else continue;
    const kind = elementKind(originalList, patchList);
    if (kind !== undefined) {
      const [inOrder, serverOnly] = partition(merged, order, mergeKey);
      merged = normalizeOrder(inOrder, serverOnly, order, alias.window, mergeKey, kind);
    }
    original[field] = merged;
    delete patch[field];
  }
}

/** `$retainKeys: [...]` clears every key of the original not listed; the patch may only set listed keys. */
function applyRetainKeys(original: JsonMap, patch: JsonMap): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const keep = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(keep)) throw bad("invalid patch format of retainKeys");
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.includes(k)) throw bad("invalid patch format of retainKeys");
  }
  for (const k of Object.keys(original)) if (!keep.includes(k)) delete original[k];
}

// ---- merging ----

/** Merges `patch` into `original` (both owned by the caller and mutated); returns the result. */
export function mergeMap(original: JsonMap, patch: JsonMap, meta: PatchMeta): JsonMap {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === "replace") {
      delete patch[DIRECTIVE];
      return clean(patch) as JsonMap;
    }
    if (directive === "delete") return {};
    throw errBadPatchType(directive, patch);
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, meta);
  for (const [rawKey, patchV] of Object.entries(patch)) {
    if (rawKey === "__proto__") continue;
    let key = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete original[key];
      continue;
    }
    const present = Object.hasOwn(original, key);
    if (!present || kindOf(original[key]) !== kindOf(patchV)) {
      if (!isDeleteList) setCleaned(original, key, patchV);
      continue;
    }
    const current = original[key];
    if (isPlainObject(current) && isPlainObject(patchV)) {
      const fm = meta.field(key);
      original[key] = splitStrategy(fm.strategy) === "replace" ? clean(patchV) : mergeMap(current, patchV, fm.meta);
    } else if (Array.isArray(current) && Array.isArray(patchV)) {
      const fm = meta.field(key);
      original[key] = mergeListField(current, patchV, fm.meta, splitStrategy(fm.strategy), fm.mergeKey ?? "", isDeleteList, key);
    } else {
      setCleaned(original, key, patchV);
    }
  }
  return original;
}

function mergeListField(original: unknown[], patch: unknown[], meta: PatchMeta, strategy: string, mergeKey: string, isDeleteList: boolean, name: string, alias = new AliasedOrder(original)): unknown[] {
  if (strategy === "merge" || isDeleteList) return mergeList(original, patch, meta, mergeKey, isDeleteList, name, alias);
  return clean(patch) as unknown[];
}

function mergeList(original: unknown[], patch: unknown[], meta: PatchMeta, mergeKey: string, isDeleteList: boolean, name: string, alias: AliasedOrder): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  let merged: unknown[];
  let base = original;
  let patchItems = patch;
  if (kind !== "map") {
    if (isDeleteList) {
      const drop = new Set(patch);
      return original.filter((v) => !drop.has(v));
    }
    merged = [...new Set([...original, ...patch])];
  } else {
    if (!mergeKey) throw bad(`cannot merge lists without merge key for ${name}`);
    [base, patchItems] = applyListDirectives(original, patch, mergeKey, alias);
    merged = [...base];
    const at = positions(merged, mergeKey, "map");
    for (const item of patchItems as JsonMap[]) {
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      const i = at.get(item[mergeKey]);
      if (i !== undefined) {
        merged[i] = mergeMap(merged[i] as JsonMap, item, meta);
      } else {
        // a new item: appended, then placed by normalizeOrder below
        at.set(item[mergeKey], merged.length);
        merged.push(clean(item));
        alias.append(merged[merged.length - 1]);
      }
    }
  }
  const [inPatch, serverOnly] = partition(merged, patchItems, mergeKey);
  return normalizeOrder(inPatch, serverOnly, patchItems, base, mergeKey, kind);
}

/**
 * The live list as Kubernetes' $setElementOrder handling ends up seeing it. Go deletes list items
 * and appends new ones in the live list's own backing array (the API server builds it with
 * cap == len), so the "live order" it sorts by shows deletions shifted out and the first appended
 * items in their place. Replaying that keeps our results identical to a real API server's.
 */
class AliasedOrder {
  readonly window: unknown[];
  private length: number;
  private detached = false;
  constructor(original: unknown[]) {
    this.window = [...original];
    this.length = original.length;
  }
  deleteAt(k: number): void {
    if (this.detached) return;
    for (let i = k; i < this.length - 1; i++) this.window[i] = this.window[i + 1];
    this.length--;
  }
  append(item: unknown): void {
    if (this.detached || this.length >= this.window.length) return;
    this.window[this.length++] = item;
  }
  /** After `$patch: replace` the list is a new array: later appends no longer alias. */
  detach(): void {
    this.detached = true;
  }
}

/** Handles `$patch: delete|replace|merge` items of a merging list; returns [original, remaining patch]. */
function applyListDirectives(original: unknown[], patch: unknown[], mergeKey: string, alias: AliasedOrder): [unknown[], unknown[]] {
  const plain: unknown[] = [];
  let replace = false;
  let base = [...original];
  for (const v of patch as JsonMap[]) {
    if (!Object.hasOwn(v, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    switch (v[DIRECTIVE]) {
      case "delete": {
        if (!Object.hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
        let removed = 0;
        base = base.filter((x, i) => {
          if (!isPlainObject(x)) throw bad(`value for key ${i} is not a map`);
          const match = Object.hasOwn(x, mergeKey) && x[mergeKey] === v[mergeKey];
          if (match) alias.deleteAt(i - removed++);
          return !match;
        });
        break;
      }
      case "replace":
        replace = true;
        break;
      case "merge":
        throw bad("merging lists cannot yet be specified in the patch");
      default:
        throw errBadPatchType(v[DIRECTIVE], v);
    }
  }
  if (replace) alias.detach();
  return replace ? [clean(plain) as unknown[], []] : [base, plain];
}
