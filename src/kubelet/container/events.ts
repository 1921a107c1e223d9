// Event plumbing shared by the kubelet's parts: the sink they write to (EventRecorder satisfies
// it), and references to a pod or to one of its containers (fieldPath `spec.containers{web}`).
import type { ObjectReference, Pod } from "kubernetes-types/core/v1.js";

export type EventType = "Normal" | "Warning";

/** Where events go: `EventRecorder` from the client library, or a test double. */
export interface EventSink {
  event(obj: ObjectReference, type: EventType, reason: string, message: string): void;
}

/** A reference to the pod (involvedObject of pod-level events). */
export function podRef(pod: Pod): ObjectReference {
  const m = pod.metadata ?? {};
  const ref: ObjectReference = { kind: "Pod", apiVersion: "v1", name: m.name, namespace: m.namespace, uid: m.uid };
  if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
  return ref;
}

/** A reference to a container of the pod, as GenerateContainerRef makes it. */
export function containerRef(pod: Pod, containerName: string): ObjectReference {
  const isInit = (pod.spec?.initContainers ?? []).some((c) => c.name === containerName);
  const isEphemeral = !isInit && (pod.spec?.ephemeralContainers ?? []).some((c) => c.name === containerName);
  const list = isInit ? "initContainers" : isEphemeral ? "ephemeralContainers" : "containers";
  return { ...podRef(pod), fieldPath: `spec.${list}{${containerName}}` };
}
