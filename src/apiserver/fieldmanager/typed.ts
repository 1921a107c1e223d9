// Schema-aware operations on JSON objects, after structured-merge-diff's typed package: the field
// set a value sets, the comparison of two values, the merge of an applied configuration into a
// live object, and the removal of a set of fields.
import { isPlainObject } from "../../apimachinery/object.ts";
import { goFormat } from "../../apimachinery/go-format.ts";
import { FieldSet } from "./set.ts";
import { keyElement, pathString, serializePathElement } from "./path.ts";
import type { PathElement } from "./path.ts";
import { fieldType } from "./schema.ts";
import type { Atom, ListType, TypeRef } from "./schema.ts";

type Part = "scalar" | "list" | "map";

/** The part of `atom` that handles `v` (an int-or-string value picks its own shape). */
function pick(atom: Atom, v: unknown): Atom {
  if ((typeof v === "string" || typeof v === "number" || typeof v === "boolean") && atom.scalar) return { scalar: atom.scalar };
  if (Array.isArray(v) && atom.list) return { list: atom.list };
  if (isPlainObject(v) && atom.map) return { map: atom.map };
  return atom;
}

function part(atom: Atom): Part | null {
  return atom.scalar ? "scalar" : atom.list ? "list" : atom.map ? "map" : null;
}

function samePart(a: Atom, b: Atom): boolean {
  return a.scalar === b.scalar && a.list === b.list && a.map === b.map;
}

const own = (obj: Record<string, unknown> | null, k: string): unknown => (obj && Object.hasOwn(obj, k) ? obj[k] : undefined);

/** Sets a key even when it is "__proto__" (values come from clients). */
export function setProp(obj: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function goQuoted(list: readonly string[]): string {
  return `[${list.map((k) => JSON.stringify(k)).join(" ")}]`;
}

/** The path element of a list item, or an error message (as structured-merge-diff words it). */
export function itemElement(list: ListType, item: unknown): PathElement | string {
  if (list.keys.length > 0) {
    if (item === null) return "associative list with keys may not have a null element";
    if (!isPlainObject(item)) return "associative list with keys may not have non-map elements";
    const defaults = list.elem.resolve().map?.defaults;
    const fields: [string, unknown][] = [];
    for (const k of list.keys) {
      if (Object.hasOwn(item, k)) fields.push([k, item[k]]);
      else if (defaults?.get(k) !== undefined) fields.push([k, defaults.get(k)]);
    }
    if (fields.length === 0) return `associative list with keys has an element that omits all key fields ${goQuoted(list.keys)} (and doesn't have default values for any key fields)`;
    return keyElement(fields);
  }
  if (isPlainObject(item)) return "associative list without keys has an element that's a map type";
  if (Array.isArray(item)) return "not supported: associative list with lists as elements";
  if (item === null) return "associative list without keys has an element that's an explicit null";
  return { value: item };
}

interface IndexedList {
  pes: PathElement[];
  items: unknown[];
  /** By serialized element: the item, or null when the element occurs more than once. */
  observed: Map<string, unknown>;
  duplicates: Set<string>;
}

function indexList(list: ListType, items: readonly unknown[] | null): IndexedList {
  const out: IndexedList = { pes: [], items: [], observed: new Map(), duplicates: new Set() };
  for (const item of items ?? []) {
    const pe = itemElement(list, item);
    if (typeof pe === "string") continue;
    const k = serializePathElement(pe);
    if (out.observed.has(k)) {
      out.observed.set(k, null);
      out.duplicates.add(k);
    } else out.observed.set(k, item);
    out.pes.push(pe);
    out.items.push(item);
  }
  return out;
}

// --- validation of an applied configuration -------------------------------------------------

/** Why `value` cannot be an applied configuration of type `tr` (empty when it can), as `.path: problem`. */
export function validateTyped(value: unknown, tr: TypeRef): string[] {
  const errs: string[] = [];
  const walk = (v: unknown, t: TypeRef, path: PathElement[]) => {
    if (v === null || v === undefined) return;
    const atom = t.resolve();
    const a = pick(atom, v);
    const p = part(a);
    const at = pathString(path);
    if (p === "scalar") {
      if (typeof v === "object") errs.push(`${at}: expected ${a.scalar === "untyped" ? "scalar" : a.scalar}, got ${goFormat(v)}`);
      else if ((a.scalar === "string" && typeof v !== "string") || (a.scalar === "numeric" && typeof v !== "number") || (a.scalar === "boolean" && typeof v !== "boolean")) {
        errs.push(`${at}: expected ${a.scalar}, got &value.valueUnstructured{Value:${goFormat(v)}}`);
      }
    } else if (p === "list") {
      if (!Array.isArray(v)) return void errs.push(`${at}: expected list, got ${goFormat(v)}`);
      const list = a.list!;
      if (list.atomic) return;
      const seen = new Set<string>();
      for (const item of v) {
        const pe = itemElement(list, item);
        if (typeof pe === "string") {
          errs.push(`${at}: ${pe}`);
          continue;
        }
        const k = serializePathElement(pe);
        if (seen.has(k)) errs.push(`${at}: duplicate entries for key ${pathString([pe])}`);
        seen.add(k);
        walk(item, list.elem, [...path, pe]);
      }
    } else if (p === "map") {
      if (!isPlainObject(v)) return void errs.push(`${at}: expected map, got ${goFormat(v)}`);
      const map = a.map!;
      for (const [k, val] of Object.entries(v)) {
        const ft = map.fields.get(k) ?? map.elem;
        if (!ft) errs.push(`${pathString([...path, { field: k }])}: field not declared in schema`);
        else if (!map.atomic) walk(val, ft, [...path, { field: k }]);
      }
    }
  };
  walk(value, tr, []);
  return errs;
}

// --- field sets ---------------------------------------------------------------------------------

/** The fields `value` sets: leaves, atomic values, list items and map entries. */
export function toFieldSet(value: unknown, tr: TypeRef): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, t: TypeRef, path: PathElement[]) => {
    const a = pick(t.resolve(), v);
    switch (part(a)) {
      case "scalar":
        set.insert(path);
        return;
      case "list": {
        if (a.list!.atomic) return set.insert(path);
        if (!Array.isArray(v)) return;
        const idx = indexList(a.list!, v);
        for (const k of idx.duplicates) set.insert([...path, idx.pes[idx.pes.findIndex((pe) => serializePathElement(pe) === k)]]);
        idx.pes.forEach((pe, i) => {
          if (idx.duplicates.has(serializePathElement(pe))) return;
          walk(idx.items[i], a.list!.elem, [...path, pe]);
          set.insert([...path, pe]);
        });
        return;
      }
      case "map": {
        const map = a.map!;
        if (map.atomic) return set.insert(path);
        if (!isPlainObject(v)) return;
        for (const [k, val] of Object.entries(v)) {
          const child = [...path, { field: k }];
          walk(val, fieldType(map, k), child);
          if (val === null || (isPlainObject(val) && Object.keys(val).length === 0) || !map.fields.has(k)) set.insert(child);
        }
      }
    }
  };
  walk(value, tr, []);
  return set;
}

/** Adds the struct fields that have children as members too (for pruning whole fields). */
export function ensureNamedFieldsAreMembers(set: FieldSet, tr: TypeRef | null): FieldSet {
  const out = new FieldSet();
  const atom = tr?.resolve() ?? {};
  for (const m of set.memberElements()) out.insert([m]);
  for (const { pe, set: child } of set.childEntries()) {
    let childType: TypeRef | null = null;
    if ("field" in pe && atom.map) {
      if (atom.map.fields.has(pe.field)) out.insert([pe]);
      childType = fieldType(atom.map, pe.field);
    } else if ("key" in pe && atom.list) childType = atom.list.elem;
    const sub = ensureNamedFieldsAreMembers(child, childType);
    const target = out.descend(pe);
    for (const p of sub.paths()) target.insert(p);
  }
  return out;
}

// --- comparison ---------------------------------------------------------------------------------

export interface Comparison {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

/** What changed from `lhs` to `rhs` (undefined: absent). Added/removed maps and items are listed themselves too. */
export function compare(lhs: unknown, rhs: unknown, tr: TypeRef): Comparison {
  const c: Comparison = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };
  const cmp = (l: unknown, r: unknown, t: TypeRef, path: PathElement[]) => {
    const atom = t.resolve();
    const al = pick(atom, l);
    const ar = pick(atom, r);
    const st = { inLeaf: false };
    const leaf = (s: { inLeaf: boolean }) => {
      if (s.inLeaf) return;
      s.inLeaf = true;
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!deepEqual(l, r)) c.modified.insert(path);
    };
    const handle = (a: Atom, s: { inLeaf: boolean }) => {
      const p = part(a);
      if (p === "scalar") return leaf(s);
      if (p === "list") {
        const L = Array.isArray(l) ? l : null;
        const R = Array.isArray(r) ? r : null;
        if (a.list!.atomic || (!L?.length && !R?.length)) return leaf(s);
        return compareList(a.list!, L, R, path);
      }
      if (p === "map") {
        const L = isPlainObject(l) ? l : null;
        const R = isPlainObject(r) ? r : null;
        if (a.map!.atomic || (!(L && Object.keys(L).length) && !(R && Object.keys(R).length))) return leaf(s);
        const keys = new Set([...Object.keys(L ?? {}), ...Object.keys(R ?? {})]);
        for (const k of keys) cmp(own(L, k), own(R, k), fieldType(a.map!, k), [...path, { field: k }]);
      }
    };
    if (r === undefined) handle(al, st);
    else if (l === undefined || samePart(al, ar)) handle(ar, st);
    else {
      handle(al, { inLeaf: false });
      handle(ar, st);
    }
    if (!st.inLeaf) {
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
    }
  };
  const compareList = (list: ListType, L: unknown[] | null, R: unknown[] | null, path: PathElement[]) => {
    const groups = new Map<string, { pe: PathElement; l: unknown[]; r: unknown[] }>();
    const group = (pe: PathElement) => {
      const k = serializePathElement(pe);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { pe, l: [], r: [] }));
      return g;
    };
    for (const item of L ?? []) {
      const pe = itemElement(list, item);
      if (typeof pe !== "string") group(pe).l.push(item);
    }
    for (const item of R ?? []) {
      const pe = itemElement(list, item);
      if (typeof pe !== "string") group(pe).r.push(item);
    }
    for (const { pe, l, r } of groups.values()) {
      const at = [...path, pe];
      if (l.length <= 1 && r.length <= 1) cmp(l[0], r[0], list.elem, at);
      else if (l.length >= 2 && r.length >= 2) {
        if (!deepEqual(l, r)) c.modified.insert(at);
      } else if (l.length >= 2) {
        if (r.length) cmp(undefined, r[0], list.elem, at);
        c.removed.insert(at);
      } else {
        if (l.length) cmp(l[0], undefined, list.elem, at);
        c.added.insert(at);
      }
    }
  };
  cmp(lhs, rhs, tr, []);
  return c;
}

// --- merge --------------------------------------------------------------------------------------

/**
 * `config` merged into `live`: the configuration's values win, maps and associative lists merge
 * by key (keeping the live order, new items after their predecessors), atomic values are replaced.
 * A null in the configuration removes the field. `config` must have passed `validateTyped`.
 */
export function merge(live: unknown, config: unknown, tr: TypeRef): unknown {
  const mrg = (l: unknown, r: unknown, t: TypeRef): unknown => {
    const atom = t.resolve();
    const a = r === undefined ? pick(atom, l) : pick(atom, r);
    const leaf = () => (r !== undefined ? r : l);
    switch (part(a)) {
      case "list": {
        const L = Array.isArray(l) ? l : null;
        const R = Array.isArray(r) ? r : null;
        if (a.list!.atomic || (!L?.length && !R?.length)) return leaf();
        return mergeList(a.list!, L, R, mrg);
      }
      case "map": {
        const L = isPlainObject(l) ? l : null;
        const R = isPlainObject(r) ? r : null;
        if (a.map!.atomic || (!(L && Object.keys(L).length) && !(R && Object.keys(R).length))) return leaf();
        const out: Record<string, unknown> = {};
        for (const k of new Set([...Object.keys(L ?? {}), ...Object.keys(R ?? {})])) {
          const rv = own(R, k);
          if (rv === null) continue;
          const v = mrg(own(L, k), rv, fieldType(a.map!, k));
          if (v !== undefined) setProp(out, k, v);
        }
        return Object.keys(out).length ? out : undefined;
      }
      default:
        return leaf();
    }
  };
  return mrg(live, config, tr);
}

function mergeList(list: ListType, L: unknown[] | null, R: unknown[] | null, mrg: (l: unknown, r: unknown, t: TypeRef) => unknown): unknown[] | undefined {
  const lhs = indexList(list, L);
  const rhs = indexList(list, R);
  const key = serializePathElement;
  const sharedOrder = rhs.pes.filter((pe) => lhs.observed.has(key(pe)));
  let nextShared = sharedOrder.shift();
  const mergedRHS = new Set<string>();
  const out: unknown[] = [];
  const push = (v: unknown) => {
    if (v !== undefined) out.push(v);
  };
  const lLen = lhs.pes.length;
  const rLen = rhs.pes.length;
  for (let lI = 0, rI = 0, guard = 0; (lI < lLen || rI < rLen) && guard < 4 * (lLen + rLen) + 4; guard++) {
    if (lI < lLen && rI < rLen) {
      const pe = lhs.pes[lI];
      if (key(pe) === key(rhs.pes[rI])) {
        mergedRHS.add(key(pe));
        push(mrg(lhs.observed.get(key(pe)), rhs.observed.get(key(pe)), list.elem));
        lI++;
        rI++;
        nextShared = sharedOrder.shift();
        continue;
      }
      if (rhs.observed.has(key(pe)) && nextShared !== undefined && key(nextShared) !== key(pe)) {
        lI++;
        continue;
      }
    }
    if (lI < lLen) {
      const pe = lhs.pes[lI];
      if (!rhs.observed.has(key(pe))) {
        push(mrg(lhs.items[lI], undefined, list.elem));
        lI++;
        continue;
      } else if (mergedRHS.has(key(pe))) lI++;
    }
    if (rI < rLen) {
      const pe = rhs.pes[rI];
      mergedRHS.add(key(pe));
      push(mrg(lhs.observed.get(key(pe)), rhs.observed.get(key(pe)), list.elem));
      rI++;
      if (nextShared !== undefined && key(nextShared) === key(pe)) nextShared = sharedOrder.shift();
    }
  }
  return out.length ? out : undefined;
}

// --- removal ------------------------------------------------------------------------------------

/** `value` without the fields in `set` (a member removes its whole subtree); emptied maps and lists disappear. */
export function removeItems(value: unknown, set: FieldSet, tr: TypeRef): unknown {
  const rm = (v: unknown, toRemove: FieldSet, t: TypeRef): unknown => {
    const a = pick(t.resolve(), v);
    switch (part(a)) {
      case "list": {
        if (!Array.isArray(v) || v.length === 0 || a.list!.atomic) return undefined;
        const items: unknown[] = [];
        for (const item of v) {
          const pe = itemElement(a.list!, item);
          if (typeof pe === "string") {
            items.push(item);
            continue;
          }
          if (toRemove.has([pe])) continue;
          const sub = toRemove.withPrefix(pe);
          const kept = sub.isEmpty() ? item : rm(item, sub, a.list!.elem);
          if (kept !== undefined) items.push(kept);
        }
        return items.length ? items : undefined;
      }
      case "map": {
        if (!isPlainObject(v) || Object.keys(v).length === 0 || a.map!.atomic) return undefined;
        const out: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(v)) {
          const pe: PathElement = { field: k };
          if (toRemove.has([pe])) continue;
          const sub = toRemove.withPrefix(pe);
          const kept = sub.isEmpty() ? val : rm(val, sub, fieldType(a.map!, k));
          if (kept !== undefined) setProp(out, k, kept);
        }
        return Object.keys(out).length ? out : undefined;
      }
      default:
        return v;
    }
  };
  return rm(value, set, tr) ?? {};
}
