// The generic metadata rules every kind follows on create and update (kube's rest.BeforeCreate /
// BeforeUpdate): uid, generateName, timestamps, generation, immutable fields, spec/status split.
import { randomUUID } from "node:crypto";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../apimachinery/object.ts";
import { errors, fieldErrors } from "../../apimachinery/status.ts";
import type { Resource } from "./types.ts";

const NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** Five random characters from Kubernetes' alphabet (no vowels, no confusable digits). */
export function randomSuffix(length = 5): string {
  let s = "";
  for (let i = 0; i < length; i++) s += NAME_SUFFIX_ALPHABET[Math.floor(Math.random() * NAME_SUFFIX_ALPHABET.length)];
  return s;
}

export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Checks the object's apiVersion/kind and namespace against the request and fills them in. */
export function checkTypeAndNamespace(resource: Resource, obj: KubeObject, namespace: string): void {
  if (obj.kind !== undefined && obj.kind !== resource.kind) {
    throw errors.badRequest(`the kind of the provided object (${obj.kind}) does not match the resource ${resource.plural} (kind ${resource.kind})`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== resource.apiVersion) {
    throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${resource.apiVersion})`);
  }
  obj.apiVersion = resource.apiVersion;
  obj.kind = resource.kind;
  obj.metadata ??= {};
  if (resource.namespaced) {
    if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
      throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    obj.metadata.namespace = namespace || obj.metadata.namespace;
  } else {
    delete obj.metadata.namespace;
  }
}

/** Generic create rules: name from generateName, fresh uid/timestamps, no resourceVersion. */
export function prepareMetaForCreate(resource: Resource, obj: KubeObject, now: Date): void {
  const meta = obj.metadata!;
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
  meta.uid = randomUUID();
  meta.creationTimestamp = timestamp(now);
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete (meta as { selfLink?: string }).selfLink;
  if (resource.generation) meta.generation = 1;
  else delete meta.generation;
  if (resource.status && !resource.keepStatusOnCreate) delete obj.status;
}

/** Everything but metadata and status: a change here bumps generation. */
export function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

/**
 * Generic update rules: identity fields stay as stored, the spec/status split, generation.
 * `subresource` "status" keeps everything but status; "" keeps status (when the kind has one);
 * any other subresource (binding…) is a server-internal write that keeps what it was given.
 */
export function prepareMetaForUpdate(resource: Resource, obj: KubeObject, old: KubeObject, subresource: string): KubeObject {
  let next: KubeObject;
  if (subresource === "status") {
    next = { ...structuredClone(old), status: obj.status };
    const meta = obj.metadata ?? {};
    // Status writers may still change annotations and (for controllers) finalizers-free metadata.
    if (meta.annotations !== undefined) next.metadata!.annotations = meta.annotations;
  } else if (subresource !== "") {
    next = obj;
  } else {
    next = obj;
    if (resource.status) {
      if (old.status === undefined) delete next.status;
      else next.status = structuredClone(old.status);
    }
  }
  const meta = next.metadata!;
  const oldMeta = old.metadata!;
  meta.name = oldMeta.name;
  if (resource.namespaced) meta.namespace = oldMeta.namespace;
  meta.uid = oldMeta.uid;
  meta.creationTimestamp = oldMeta.creationTimestamp;
  if (oldMeta.deletionTimestamp) {
    meta.deletionTimestamp = oldMeta.deletionTimestamp;
    meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  } else {
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
  }
  if (meta.generateName === undefined && oldMeta.generateName !== undefined) meta.generateName = oldMeta.generateName;
  if (resource.generation) {
    meta.generation = (oldMeta.generation ?? 1) + (subresource !== "status" && specOf(next) !== specOf(old) ? 1 : 0);
  }
  return next;
}

/** Update-time checks shared by every kind. */
export function validateMetaUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const added = (obj.metadata?.finalizers ?? []).filter((f) => !(old.metadata?.finalizers ?? []).includes(f));
  if (old.metadata?.deletionTimestamp && added.length > 0) {
    causes.push(fieldErrors.forbidden("metadata.finalizers", `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
  }
  return causes;
}
