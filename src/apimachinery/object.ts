// The generic Kubernetes object as the API server handles it: typed metadata, everything else
// opaque JSON; plus the few helpers every component needs (keys, resource versions).
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";

/** kubernetes-types marks server-set fields read-only; the server is the one that sets them. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type Metadata = Mutable<ObjectMeta>;

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: Metadata;
  [field: string]: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number; selfLink?: string };
  items: T[];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key work queues and caches use. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ""}` : (obj.metadata?.name ?? "");
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Splits "apps/v1" into group and version ("v1" is the core group). */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
