// Resource descriptors (group, version, plural, scope) that the client addresses, the REST path of
// each, the built-in ones the components use, and the object shape the client relies on.
import type { ListMeta, ObjectMeta } from "kubernetes-types/meta/v1.js";

/**
 * What the client needs of an object: satisfied by kubernetes-types (`Pod`, `Lease`…) and by
 * apimachinery's `KubeObject` alike.
 */
export interface ObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** A list response. */
export interface ObjectList<T extends ObjectLike = ObjectLike> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key of caches and work queues. */
export function keyOf(obj: ObjectLike): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ""}` : (obj.metadata?.name ?? "");
}

/** Splits a `namespace/name` key ("name" alone for cluster-scoped objects). */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Which resource a call is about. `kind` is informational (events, error messages). */
export interface ResourceDescriptor {
  /** "" for the core group. */
  group: string;
  version: string;
  /** Plural, lower-case: "pods", "leases". */
  resource: string;
  namespaced: boolean;
  kind?: string;
}

/**
 * The REST path of a resource, a collection or one object (and a subresource):
 * `/api/v1/namespaces/ns/pods/name/status`. `namespace` is ignored for cluster-scoped resources;
 * without one a namespaced collection means all namespaces.
 */
export function resourcePath(r: ResourceDescriptor, namespace?: string, name?: string, subresource?: string): string {
  const root = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  let path = r.namespaced && namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${r.resource}` : `${root}/${r.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

export function apiVersionFor(r: ResourceDescriptor): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

const d = (group: string, version: string, resource: string, kind: string, namespaced = true): ResourceDescriptor =>
  Object.freeze({ group, version, resource, kind, namespaced });

/** Built-in resources by plural name. */
export const resources = {
  namespaces: d("", "v1", "namespaces", "Namespace", false),
  nodes: d("", "v1", "nodes", "Node", false),
  configmaps: d("", "v1", "configmaps", "ConfigMap"),
  secrets: d("", "v1", "secrets", "Secret"),
  pods: d("", "v1", "pods", "Pod"),
  services: d("", "v1", "services", "Service"),
  endpoints: d("", "v1", "endpoints", "Endpoints"),
  events: d("", "v1", "events", "Event"),
  serviceaccounts: d("", "v1", "serviceaccounts", "ServiceAccount"),
  persistentvolumes: d("", "v1", "persistentvolumes", "PersistentVolume", false),
  persistentvolumeclaims: d("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim"),
  deployments: d("apps", "v1", "deployments", "Deployment"),
  replicasets: d("apps", "v1", "replicasets", "ReplicaSet"),
  statefulsets: d("apps", "v1", "statefulsets", "StatefulSet"),
  daemonsets: d("apps", "v1", "daemonsets", "DaemonSet"),
  leases: d("coordination.k8s.io", "v1", "leases", "Lease"),
  endpointslices: d("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
  horizontalpodautoscalers: d("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
  poddisruptionbudgets: d("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget"),
  priorityclasses: d("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false),
} as const satisfies Record<string, ResourceDescriptor>;
