// Server-side apply (PATCH application/apply-patch+yaml): the applied configuration is merged into
// the live object with field ownership, conflicts and pruning (../fieldmanager) and the manager's
// Apply entry recorded in managedFields. Called inside the store's read-modify-write loop.
import type { KubeObject } from "../../apimachinery/object.ts";
import { isPlainObject } from "../../apimachinery/object.ts";
import { errors } from "../../apimachinery/status.ts";
import type { Resource } from "../registry/types.ts";
import { applyConfiguration, resetFieldsFor } from "../fieldmanager/index.ts";

export interface ApplyOptions {
  manager: string;
  force: boolean;
  resource: Resource;
  name: string;
  namespace: string;
  /** "status" when applying to the status subresource. */
  subresource?: string;
  now?: Date;
}

/**
 * The object to store after applying `applied` to `current` (null: create it). Throws 400 for a
 * configuration of another kind or with a mismatched name/namespace, 409 on field conflicts.
 */
export function serverSideApply(current: KubeObject | null, applied: KubeObject, opts: ApplyOptions): KubeObject {
  const r = opts.resource;
  const config = structuredClone(applied);
  if (config.metadata !== undefined && config.metadata !== null && !isPlainObject(config.metadata)) {
    throw errors.badRequest(`failed to create typed patch object: .metadata: expected map, got ${JSON.stringify(config.metadata)}`);
  }
  config.metadata ??= {};
  if (config.metadata.name !== undefined && config.metadata.name !== opts.name) {
    throw errors.badRequest(`the name of the object (${String(config.metadata.name)}) does not match the name on the URL (${opts.name})`);
  }
  config.metadata.name = opts.name;
  if (r.namespaced) {
    if (config.metadata.namespace !== undefined && config.metadata.namespace !== opts.namespace) {
      throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    config.metadata.namespace = opts.namespace;
  }
  const subresource = opts.subresource ?? "";
  return applyConfiguration(current, config, {
    manager: opts.manager,
    force: opts.force,
    apiVersion: r.apiVersion,
    kind: r.kind,
    subresource,
    now: opts.now ?? new Date(),
    resetFields: resetFieldsFor(r.apiVersion, r.kind, r.status === true, subresource),
    objectName: `${r.namespaced ? opts.namespace : ""}/${opts.name}`,
  });
}
