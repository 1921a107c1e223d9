// Server-side apply (PATCH application/apply-patch+yaml): the applied configuration is merged into
// the live object and the manager's ownership recorded in managedFields.
// Simplification for now: merge as a strategic merge patch, no conflict detection and no removal
// of fields the manager stopped applying (see the API server issue).
import type { KubeObject } from "../../apimachinery/object.ts";
import { errors } from "../../apimachinery/status.ts";
import { applyStrategicMergePatch } from "../../apimachinery/patch.ts";
import { patchMetaFor } from "./patch-meta.ts";
import type { Resource } from "../registry/types.ts";
import { timestamp } from "../registry/object-meta.ts";

export interface ApplyOptions {
  manager: string;
  force: boolean;
  resource: Resource;
  name: string;
  namespace: string;
}

/** The FieldsV1 set of an applied configuration: every leaf it sets, keyed as Kubernetes does (f:, k:). */
export function fieldSet(value: unknown, mergeKeyOf: (path: string[]) => string | undefined = () => undefined, path: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof value !== "object" || value === null) return out;
  if (Array.isArray(value)) {
    const key = mergeKeyOf(path);
    for (const item of value) {
      if (key && typeof item === "object" && item !== null && key in item) {
        out[`k:${JSON.stringify({ [key]: (item as Record<string, unknown>)[key] })}`] = { ".": {}, ...fieldSet(item, mergeKeyOf, [...path, "*"]) };
      } else if (typeof item !== "object") out[`v:${JSON.stringify(item)}`] = {};
    }
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    if (path.length === 0 && (k === "apiVersion" || k === "kind")) continue;
    if (path.length === 1 && path[0] === "metadata" && ["name", "namespace", "managedFields", "resourceVersion", "uid", "creationTimestamp"].includes(k)) continue;
    const child = fieldSet(v, mergeKeyOf, [...path, k]);
    out[`f:${k}`] = child;
  }
  return out;
}

export function serverSideApply(current: KubeObject | null, applied: KubeObject, opts: ApplyOptions): KubeObject {
  if (!applied.apiVersion || !applied.kind) throw errors.badRequest("apply requires apiVersion and kind in the applied configuration");
  if (applied.metadata?.name && applied.metadata.name !== opts.name) {
    throw errors.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${opts.name})`);
  }
  const config = structuredClone(applied);
  config.metadata ??= {};
  config.metadata.name = opts.name;
  if (opts.resource.namespaced) config.metadata.namespace = opts.namespace;
  delete config.metadata.managedFields;
  delete config.metadata.resourceVersion;
  const entry = {
    manager: opts.manager,
    operation: "Apply",
    apiVersion: opts.resource.apiVersion,
    time: timestamp(new Date()),
    fieldsType: "FieldsV1",
    fieldsV1: fieldSet(config, (path) => (path[path.length - 1] === "containers" ? "name" : undefined)),
  };
  if (!current) {
    config.metadata.managedFields = [entry];
    return config;
  }
  const merged = applyStrategicMergePatch(current, config as Record<string, unknown>, patchMetaFor(opts.resource.apiVersion, opts.resource.kind)) as KubeObject;
  const others = (current.metadata?.managedFields ?? []).filter((m) => !(m.manager === opts.manager && m.operation === "Apply"));
  merged.metadata!.managedFields = [...others, entry];
  return merged;
}
