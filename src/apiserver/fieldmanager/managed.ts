// metadata.managedFields as Kubernetes keeps it: one field set per manager identity (manager,
// operation, apiVersion for updates, subresource), decoded and validated from objects, encoded back
// sorted, with at most ten Update managers (older ones folded into "ancient-changes").
import type { ManagedFieldsEntry } from "kubernetes-types/meta/v1.js";
import { isPlainObject } from "../../apimachinery/object.ts";
import { FieldSet } from "./set.ts";
import { goString } from "./path.ts";

export type Operation = "Apply" | "Update";

export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource: string;
  set: FieldSet;
  time?: string;
}

/** Field sets by manager identity (see `managerIdentifier`). */
export type Managed = Map<string, ManagerEntry>;

export class ManagedFieldsError extends Error {}

export const MAX_UPDATE_MANAGERS = 10;
export const FIELD_MANAGER_MAX_LENGTH = 128;

/**
 * The identity of a manager as Kubernetes builds it: the JSON of the entry without time and
 * fields (and without apiVersion for Apply, so one applier owns its fields across versions).
 */
export function managerIdentifier(e: { manager: string; operation: Operation; apiVersion: string; subresource: string }): string {
  const parts: string[] = [];
  if (e.manager) parts.push(`"manager":${goString(e.manager)}`);
  parts.push(`"operation":${goString(e.operation)}`);
  if (e.operation !== "Apply" && e.apiVersion) parts.push(`"apiVersion":${goString(e.apiVersion)}`);
  if (e.subresource) parts.push(`"subresource":${goString(e.subresource)}`);
  return `{${parts.join(",")}}`;
}

/** How conflicts name a manager: `"kubectl"`, `"kube-controller-manager" using apps/v1`. */
export function printManager(id: string): string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(id) as Record<string, unknown>;
  } catch {
    return JSON.stringify(id);
  }
  let s = JSON.stringify(String(e.manager ?? ""));
  if (e.subresource) s += ` with subresource ${JSON.stringify(String(e.subresource))}`;
  if (e.operation === "Update") s += ` using ${String(e.apiVersion ?? "")}`;
  return s;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Decodes managedFields; throws ManagedFieldsError for anything Kubernetes would reject. */
export function decodeManagedFields(entries: unknown): Managed {
  const managed: Managed = new Map();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new ManagedFieldsError("managedFields must be a list");
  entries.forEach((raw, i) => {
    if (!isPlainObject(raw)) throw new ManagedFieldsError(`managed fields entry ${i} is not an object`);
    const { manager = "", operation, apiVersion, fieldsType, fieldsV1, subresource = "", time } = raw;
    if (operation !== "Apply" && operation !== "Update") throw new ManagedFieldsError("operation must be `Apply` or `Update`");
    if (typeof apiVersion !== "string" || apiVersion.length < 1) throw new ManagedFieldsError("apiVersion must not be empty");
    if (fieldsType === undefined || fieldsType === "") throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    if (fieldsType !== "FieldsV1") throw new ManagedFieldsError(`invalid fieldsType ${JSON.stringify(fieldsType)} in managed fields entry ${i}`);
    if (typeof manager !== "string" || manager.length > FIELD_MANAGER_MAX_LENGTH) throw new ManagedFieldsError(`invalid manager in managed fields entry ${i}`);
    if (typeof subresource !== "string") throw new ManagedFieldsError(`invalid subresource in managed fields entry ${i}`);
    if (time !== undefined && time !== null && (typeof time !== "string" || !RFC3339.test(time) || Number.isNaN(Date.parse(time)))) {
      throw new ManagedFieldsError(`invalid time in managed fields entry ${i}`);
    }
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(fieldsV1);
    } catch (err) {
      throw new ManagedFieldsError(`error decoding set: ${(err as Error).message}`);
    }
    const entry: ManagerEntry = { manager, operation, apiVersion, subresource, set, ...(typeof time === "string" ? { time } : {}) };
    managed.set(managerIdentifier(entry), entry);
  });
  return managed;
}

function seconds(time: string | undefined): number {
  return time ? Math.floor(Date.parse(time) / 1000) : 0;
}

/** The managedFields list (undefined when nothing is managed), sorted as Kubernetes sorts it. */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  const entries = [...managed.values()].filter((e) => !e.set.isEmpty());
  if (entries.length === 0) return undefined;
  entries.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const ps = seconds(p.time);
    const qs = seconds(q.time);
    if (ps !== qs) return ps - qs;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return p.subresource < q.subresource ? -1 : p.subresource > q.subresource ? 1 : 0;
  });
  return entries.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    ...(e.time ? { time: e.time } : {}),
    fieldsType: "FieldsV1",
    fieldsV1: e.set.toFieldsV1(),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
}

/** Folds the oldest Update managers into "ancient-changes" (per apiVersion) beyond the limit. */
export function capUpdateManagers(managed: Managed, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managed.entries()].filter(([, e]) => e.operation === "Update");
  if (updaters.length <= max) return;
  updaters.sort(([ia, a], [ib, b]) => seconds(a.time) - seconds(b.time) || (ia < ib ? -1 : ia > ib ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (const [id, e] of updaters) {
    if (length <= max) break;
    const bucket = managerIdentifier({ manager: "ancient-changes", operation: "Update", apiVersion: e.apiVersion, subresource: "" });
    const first = firstByVersion.get(e.apiVersion);
    if (first === undefined) {
      firstByVersion.set(e.apiVersion, id);
      continue;
    }
    if (!managed.has(bucket)) {
      const s = managed.get(first)!;
      managed.delete(first);
      managed.set(bucket, { ...s, manager: "ancient-changes", subresource: "" });
    }
    const b = managed.get(bucket)!;
    managed.set(bucket, { ...b, set: e.set.union(b.set), time: e.time });
    managed.delete(id);
    length--;
  }
}

/** An explicit request to clear managedFields: an empty list, or one empty entry. */
export function isResetManagedFields(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  if (entries.length !== 1 || !isPlainObject(entries[0])) return false;
  return Object.values(entries[0]).every((v) => v === undefined || v === null || v === "");
}
