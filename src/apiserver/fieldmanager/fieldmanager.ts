// Field management (k8s.io/apimachinery managedfields): server-side apply of a configuration with
// ownership, conflicts and removal of fields a manager stopped applying; and the Update entries
// every other write records for the fields it changed.
import type { ManagedFieldsEntry, StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../apimachinery/object.ts";
import { isPlainObject } from "../../apimachinery/object.ts";
import { errors, StatusError } from "../../apimachinery/status.ts";
import { FieldSet } from "./set.ts";
import { goJSON, pathString } from "./path.ts";
import type { Path } from "./path.ts";
import { emptyValue, rootType } from "./schema.ts";
import type { TypeRef } from "./schema.ts";
import { compare, deepEqual, ensureNamedFieldsAreMembers, merge, removeItems, setProp, toFieldSet, validateTyped } from "./typed.ts";
import type { Comparison } from "./typed.ts";
import { capUpdateManagers, decodeManagedFields, encodeManagedFields, isResetManagedFields, managerIdentifier, printManager } from "./managed.ts";
import type { Managed, ManagerEntry } from "./managed.ts";

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

const metaField = (f: string): Path => [{ field: "metadata" }, { field: f }];
/** Fields nobody owns (stripMetaManager). */
const STRIPPED = FieldSet.of(
  [{ field: "apiVersion" }], [{ field: "kind" }], [{ field: "metadata" }],
  ...["name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion"].map(metaField),
);

function time(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

type Json = Record<string, unknown>;

/** A copy of the object's top level without metadata.managedFields (key order kept). */
function withoutManagedFields(obj: KubeObject): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === "metadata" && isPlainObject(v)) {
      const meta: Json = {};
      for (const [mk, mv] of Object.entries(v)) if (mk !== "managedFields") setProp(meta, mk, mv);
      setProp(out, k, meta);
    } else setProp(out, k, v);
  }
  return out;
}

function cloneManaged(m: Managed): Managed {
  return new Map([...m].map(([id, e]) => [id, { ...e }]));
}

interface Writer {
  manager: string;
  apiVersion: string;
  subresource: string;
  time: string;
}

/**
 * Updater.Update: other managers lose the fields this write changed or removed; the writer's
 * Update entry gains the fields it changed (and its time is bumped when it gained any).
 */
function recordUpdate(managed: Managed, lhs: unknown, rhs: unknown, type: TypeRef, w: Writer): void {
  const c = compare(lhs, rhs, type);
  const changed = c.modified.union(c.added);
  for (const [id, e] of managed) {
    const set = e.set.difference(changed).difference(c.removed);
    if (set.isEmpty()) managed.delete(id);
    else managed.set(id, { ...e, set });
  }
  const owned = changed.difference(STRIPPED);
  if (owned.isEmpty()) return;
  const id = managerIdentifier({ manager: w.manager, operation: "Update", apiVersion: w.apiVersion, subresource: w.subresource });
  const prev = managed.get(id);
  managed.set(id, { manager: w.manager, operation: "Update", apiVersion: w.apiVersion, subresource: w.subresource, set: prev ? owned.union(prev.set) : owned, time: w.time });
}

/** The managed fields a write starts from: the request's when valid (or an explicit reset), else the live object's. */
function decodeLiveOrNew(live: KubeObject | null, obj: KubeObject, ignoreRequest: boolean): Managed {
  const liveManaged = (): Managed => {
    try {
      return decodeManagedFields(live?.metadata?.managedFields);
    } catch {
      return new Map();
    }
  };
  if (ignoreRequest) return liveManaged();
  const requested: unknown = obj.metadata?.managedFields;
  if (isResetManagedFields(requested)) return new Map();
  try {
    const managed = decodeManagedFields(requested);
    if (managed.size > 0) return managed;
  } catch {
    // Invalid managedFields from a client are replaced by the live ones, as Kubernetes does.
  }
  return liveManaged();
}

export interface UpdateOptions {
  /** The request's field manager ("" becomes "unknown"). */
  manager: string;
  /** "status" for the status subresource, "" (default) for the main resource. */
  subresource?: string;
  now: Date;
}

/**
 * The managedFields of `obj` after a non-apply write (create when `live` is null, update, or
 * merge/JSON/strategic patch) by `opts.manager`: the fields the write changed become the
 * manager's Update entry and are taken from everyone else. Client-sent managedFields are
 * honoured when valid, an empty list resets them, and invalid ones are replaced by the live ones.
 * Returns undefined when nothing is tracked (an existing object without managedFields).
 * Call it on the object about to be stored, after defaulting, before kind-specific strategy.
 */
export function trackUpdate(live: KubeObject | null, obj: KubeObject, opts: UpdateOptions): ManagedFieldsEntry[] | undefined {
  try {
    return track(live, obj, opts);
  } catch {
    // As Kubernetes' UpdateNoErrors: a write is never refused for its bookkeeping (e.g. a value
    // nested too deeply to walk); the live managedFields are kept.
    const kept = live?.metadata?.managedFields;
    return Array.isArray(kept) && kept.length > 0 ? kept : undefined;
  }
}

function track(live: KubeObject | null, obj: KubeObject, opts: UpdateOptions): ManagedFieldsEntry[] | undefined {
  const apiVersion = obj.apiVersion ?? live?.apiVersion ?? "";
  const type = rootType(apiVersion, obj.kind ?? live?.kind ?? "");
  const subresource = opts.subresource ?? "";
  const managed = decodeLiveOrNew(live, obj, subresource !== "");
  if (managed.size === 0 && live) return undefined;
  const before = live ? withoutManagedFields(live) : emptyValue(type);
  recordUpdate(managed, before, withoutManagedFields(obj), type, { manager: opts.manager || "unknown", apiVersion, subresource, time: time(opts.now) });
  capUpdateManagers(managed);
  return encodeManagedFields(managed);
}

/**
 * Sets (or removes) metadata.managedFields, in place when present, else at the position it has in
 * `reference` (the stored object), so that an unchanged object serialises to the same bytes.
 */
export function setManagedFields(obj: KubeObject, entries: ManagedFieldsEntry[] | undefined, reference?: KubeObject | null): void {
  obj.metadata ??= {};
  const meta = obj.metadata as Json;
  if (!entries) {
    delete meta.managedFields;
    return;
  }
  const index = reference?.metadata ? Object.keys(reference.metadata).indexOf("managedFields") : -1;
  if (Object.hasOwn(meta, "managedFields") || index < 0) {
    meta.managedFields = entries;
    return;
  }
  const entriesBefore = Object.entries(meta);
  for (const k of Object.keys(meta)) delete meta[k];
  entriesBefore.splice(Math.min(index, entriesBefore.length), 0, ["managedFields", entries]);
  for (const [k, v] of entriesBefore) setProp(meta, k, v);
}

// --- apply --------------------------------------------------------------------------------------

export interface ApplyOptions {
  manager: string;
  force: boolean;
  /** The resource's apiVersion and kind; the configuration must have exactly these. */
  apiVersion: string;
  kind: string;
  /** "status" when applying to the status subresource. */
  subresource?: string;
  now: Date;
  /** Fields this endpoint resets (see `resetFieldsFor`): never owned, never conflicting. */
  resetFields?: FieldSet;
  /** "namespace/name", for error messages. */
  objectName?: string;
}

interface Conflict {
  id: string;
  path: Path;
}

class ConflictsError extends Error {
  readonly conflicts: Conflict[];
  constructor(conflicts: Conflict[]) {
    super("conflicts");
    this.conflicts = conflicts;
  }
}

function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === "string" ? apiVersion : "";
  const slash = av.indexOf("/");
  return `${slash < 0 ? "" : av.slice(0, slash)}/${av.slice(slash + 1)}, Kind=${typeof kind === "string" ? kind : ""}`;
}

/** The 409 Kubernetes answers an apply with conflicts (reason Conflict, FieldManagerConflict causes). */
export function conflictError(conflicts: { id: string; path: Path }[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${printManager(c.id)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].id)}: ${pathString(conflicts[0].path)}`;
  else {
    const byManager = new Map<string, Path[]>();
    for (const c of conflicts) byManager.set(c.id, [...(byManager.get(c.id) ?? []), c.path]);
    const lines: string[] = [];
    for (const id of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${printManager(id)}:`);
      for (const p of byManager.get(id)!) lines.push(`- ${pathString(p)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
  }
  return new StatusError(409, "Conflict", message, { causes });
}

function filtered(c: Comparison, reset: FieldSet): Comparison {
  if (reset.isEmpty()) return c;
  return { added: c.added.recursiveDifference(reset), removed: c.removed.recursiveDifference(reset), modified: c.modified.recursiveDifference(reset) };
}

/** Removes what the applier applied last time and not now, unless someone else owns it (Updater.prune). */
function prune(merged: Json, managed: Managed, type: TypeRef, lastSet: FieldSet | undefined): Json {
  if (!lastSet || lastSet.isEmpty()) return merged;
  const ensure = (s: FieldSet) => ensureNamedFieldsAreMembers(s, type);
  const last = ensure(lastSet);
  let pruned = removeItems(merged, last, type);
  let owned = new FieldSet();
  for (const e of managed.values()) owned = owned.union(e.set);
  const mergedSet = ensure(toFieldSet(merged, type));
  pruned = removeItems(merged, mergedSet.difference(ensure(toFieldSet(pruned, type)).union(ensure(owned))), type);
  return removeItems(merged, mergedSet.difference(ensure(toFieldSet(pruned, type))).intersection(last), type) as Json;
}

interface ApplyResult {
  object: Json;
  managed: Managed;
}

/** Updater.Apply behind the skip-non-applied, strip-meta and timestamp layers. */
function applyOnce(liveObj: KubeObject | null, config: Json, managedIn: Managed, o: ApplyOptions, force: boolean, type: TypeRef): ApplyResult {
  const managed = cloneManaged(managedIn);
  const live = liveObj ? withoutManagedFields(liveObj) : {};
  const now = time(o.now);
  const subresource = o.subresource ?? "";
  if (managed.size === 0 && liveObj) {
    recordUpdate(managed, emptyValue(type), live, type, { manager: "before-first-apply", apiVersion: o.apiVersion, subresource, time: now });
  }
  const reset = o.resetFields ?? new FieldSet();
  const id = managerIdentifier({ manager: o.manager, operation: "Apply", apiVersion: o.apiVersion, subresource });
  const last = managed.get(id);
  const entry: ManagerEntry = { manager: o.manager, operation: "Apply", apiVersion: o.apiVersion, subresource, set: toFieldSet(config, type).recursiveDifference(reset), time: last?.time };
  managed.set(id, entry);
  const merged = prune((merge(live, config, type) ?? {}) as Json, managed, type, last?.set);

  const c = filtered(compare(live, merged, type), reset);
  const changed = c.modified.union(c.added);
  const conflicts: Conflict[] = [];
  for (const mid of [...managed.keys()].sort()) {
    if (mid === id) continue;
    for (const path of managed.get(mid)!.set.intersection(changed).paths()) conflicts.push({ id: mid, path });
  }
  if (!force && conflicts.length > 0) throw new ConflictsError(conflicts);
  for (const [mid, e] of managed) {
    if (mid === id) continue;
    const set = e.set.difference(changed).difference(c.removed);
    if (set.isEmpty()) managed.delete(mid);
    else managed.set(mid, { ...e, set });
  }
  const noop = deepEqual(live, merged);
  const mine = entry.set.difference(STRIPPED);
  if (mine.isEmpty()) managed.delete(id);
  // Kubernetes bumps the time only when the object changed; a new applier still gets one.
  else managed.set(id, { ...entry, set: mine, time: noop && entry.time ? entry.time : now });
  return { object: noop ? live : merged, managed };
}

/** Fields of last-applied-configuration whose live value is still the one kubectl applied. */
function allowedFromLastApplied(live: KubeObject | null, o: ApplyOptions, type: TypeRef): FieldSet | null {
  const text = live?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== "string" || !text) return null;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isPlainObject(last) || last.apiVersion !== o.apiVersion || validateTyped(last, type).length > 0) return null;
  const c = compare(last, withoutManagedFields(live!), type);
  return toFieldSet(last, type).difference(c.modified).difference(c.added).difference(c.removed);
}

/**
 * Server-side apply of `config` to `live` (null: the object does not exist yet). Returns the
 * object to store, with managedFields; throws a 409 Conflict StatusError listing every field whose
 * value the configuration changes while another manager owns it (unless `force`), or a 400 for a
 * configuration that does not fit the kind's schema. As Kubernetes does for kubectl's own manager
 * ("kubectl"), conflicts with fields still holding their last-applied-configuration value are
 * taken over, and that annotation, when present, is rewritten to the applied configuration.
 */
export function applyConfiguration(live: KubeObject | null, config: KubeObject, o: ApplyOptions): KubeObject {
  if (config.apiVersion !== o.apiVersion || config.kind !== o.kind) throw errors.badRequest(`invalid object type: ${gvkString(config.apiVersion, config.kind)}`);
  if (config.metadata?.managedFields !== undefined && config.metadata.managedFields !== null) throw errors.badRequest("metadata.managedFields must be nil");
  const type = rootType(o.apiVersion, o.kind);
  let errs: string[];
  try {
    errs = validateTyped(config, type);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    errs = ["the configuration is nested too deeply"];
  }
  if (errs.length > 0) {
    const detail = errs.length === 1 ? errs[0] : `errors:\n  ${errs.join("\n  ")}`;
    throw errors.badRequest(`failed to create typed patch object (${o.objectName ?? ""}; ${gvkString(o.apiVersion, o.kind)}): ${detail}`);
  }
  let managed: Managed;
  try {
    managed = decodeManagedFields(live?.metadata?.managedFields);
  } catch {
    managed = new Map();
  }
  const cfg = withoutManagedFields(config);
  let result: ApplyResult;
  try {
    result = applyOnce(live, cfg, managed, o, o.force, type);
  } catch (err) {
    if (!(err instanceof ConflictsError)) throw err;
    const allowed = o.manager === "kubectl" ? allowedFromLastApplied(live, o, type) : null;
    if (!allowed) throw conflictError(err.conflicts);
    const remaining = err.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length > 0) throw conflictError(remaining);
    result = applyOnce(live, cfg, managed, o, true, type);
  }
  const object = structuredClone(result.object) as KubeObject;
  setManagedFields(object, encodeManagedFields(result.managed), live);
  const annotations = object.metadata?.annotations;
  if (o.manager === "kubectl" && annotations?.[LAST_APPLIED_ANNOTATION]) {
    const applied = structuredClone(cfg);
    const meta = applied.metadata;
    if (isPlainObject(meta) && isPlainObject(meta.annotations)) delete meta.annotations[LAST_APPLIED_ANNOTATION];
    annotations[LAST_APPLIED_ANNOTATION] = `${goJSON(applied)}\n`;
  }
  return object;
}

/** The fields an endpoint resets: status on the main resource of a kind with a status subresource, everything else on /status. */
export function resetFieldsFor(apiVersion: string, kind: string, hasStatus: boolean, subresource: string): FieldSet {
  if (subresource === "status") {
    const fields = rootType(apiVersion, kind).resolve().map?.fields.keys() ?? [];
    return FieldSet.of(...[...fields].filter((f) => !["status", "metadata", "apiVersion", "kind"].includes(f)).map((f): Path => [{ field: f }]));
  }
  return hasStatus && subresource === "" ? FieldSet.of([{ field: "status" }]) : new FieldSet();
}
