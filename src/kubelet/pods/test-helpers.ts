// Test helpers for the kubelet's pod code: an in-memory stand-in for the API client (pods with
// resourceVersions and conflicts, ConfigMaps, Secrets), an event sink that records, a pod builder.
import type { ConfigMap, Container, ObjectReference, Pod, Secret } from "kubernetes-types/core/v1.js";
import { errors } from "../../apimachinery/status.ts";
import type { Client, DeleteOptions, ResourceDescriptor } from "../../client/index.ts";
import type { EventSink, EventType } from "../container/index.ts";

export interface RecordedEvent {
  type: EventType;
  reason: string;
  message: string;
  fieldPath?: string;
  name?: string;
}

export class RecordingEvents implements EventSink {
  readonly events: RecordedEvent[] = [];
  event(obj: ObjectReference, type: EventType, reason: string, message: string): void {
    this.events.push({ type, reason, message, fieldPath: obj.fieldPath, name: obj.name });
  }
  /** "Reason: message" lines, for compact assertions. */
  lines(filter?: (e: RecordedEvent) => boolean): string[] {
    return this.events.filter(filter ?? (() => true)).map((e) => `${e.reason}: ${e.message}`);
  }
  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
  clear(): void {
    this.events.length = 0;
  }
}

/** Just enough of the API for the StatusManager and env sources: pods (get, PUT status, delete), ConfigMaps, Secrets. */
export class FakeApi {
  readonly pods = new Map<string, Pod>();
  readonly configMaps = new Map<string, ConfigMap>();
  readonly secrets = new Map<string, Secret>();
  readonly calls: string[] = [];
  readonly deletes: { name: string; opts: DeleteOptions }[] = [];
  /** The next N status writes fail with 409 Conflict. */
  conflicts = 0;
  private rv = 1;

  readonly client = {
    get: async (r: ResourceDescriptor, name: string, o: { namespace?: string } = {}) => {
      this.calls.push(`GET ${r.resource} ${o.namespace}/${name}`);
      const map = r.resource === "pods" ? this.pods : r.resource === "configmaps" ? this.configMaps : this.secrets;
      const obj = map.get(`${o.namespace}/${name}`);
      if (!obj) throw errors.notFound({ resource: r.resource }, name);
      return structuredClone(obj);
    },
    updateStatus: async (_r: ResourceDescriptor, obj: Pod) => {
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      this.calls.push(`PUT pods/status ${key}`);
      const cur = this.pods.get(key);
      if (!cur) throw errors.notFound({ resource: "pods" }, obj.metadata?.name ?? "");
      if (this.conflicts > 0 || cur.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        if (this.conflicts > 0) this.conflicts--;
        throw errors.conflict({ resource: "pods" }, obj.metadata?.name ?? "", "the object has been modified; please apply your changes to the latest version and try again");
      }
      const next: Pod = { ...structuredClone(cur), metadata: { ...cur.metadata, resourceVersion: String(++this.rv) }, status: structuredClone(obj.status) };
      this.pods.set(key, next);
      return structuredClone(next);
    },
    delete: async (r: ResourceDescriptor, name: string, o: DeleteOptions = {}) => {
      const key = `${o.namespace}/${name}`;
      this.calls.push(`DELETE ${r.resource} ${key}`);
      this.deletes.push({ name, opts: o });
      const cur = this.pods.get(key);
      if (!cur) throw errors.notFound({ resource: r.resource }, name);
      if (o.preconditions?.uid && o.preconditions.uid !== cur.metadata?.uid) throw errors.conflict({ resource: "pods" }, name, "Precondition failed");
      this.pods.delete(key);
      return cur;
    },
  } as unknown as Client;

  /** Stores the pod (a copy) with a fresh resourceVersion; returns the stored copy. */
  putPod(pod: Pod): Pod {
    const p: Pod = { ...structuredClone(pod), metadata: { ...pod.metadata, resourceVersion: String(++this.rv) } };
    this.pods.set(`${p.metadata?.namespace}/${p.metadata?.name}`, p);
    return structuredClone(p);
  }

  pod(namespace: string, name: string): Pod | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }
}

let uidSeq = 0;

/** A pod bound to node-1 with the given containers (defaults filled as the API server would). */
export function makePod(name: string, containers: Container[], spec: Partial<NonNullable<Pod["spec"]>> = {}, namespace = "default"): Pod {
  return {
    apiVersion: "v1", kind: "Pod",
    metadata: { name, namespace, uid: `uid-${name}-${++uidSeq}`, resourceVersion: "1" },
    spec: { nodeName: "node-1", restartPolicy: "Always", terminationGracePeriodSeconds: 30, serviceAccountName: "default", enableServiceLinks: true, containers, ...spec },
    status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "True", lastTransitionTime: "2024-01-01T00:00:00Z" }] },
  };
}
