// What the runtime knows about one pod (kubecontainer.PodStatus): its sandboxes and containers,
// newest first, and the helpers the sync and status code share (latest instance of a container,
// whether it should be restarted, whether the sandbox must be recreated).
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import type { ContainerStatus, PodSandboxStatus, Runtime } from "../runtime/types.ts";

export interface PodRuntimeStatus {
  uid: string;
  name: string;
  namespace: string;
  /** The pod's sandboxes, newest first. */
  sandboxes: PodSandboxStatus[];
  /** Containers of every sandbox of the pod, newest first. */
  containers: ContainerStatus[];
  /** IPs of the newest sandbox when it is ready (empty otherwise). */
  ips: string[];
}

const newestFirst = (a: { createdAt: number }, b: { createdAt: number }) => b.createdAt - a.createdAt;
const newestContainerFirst = (a: ContainerStatus, b: ContainerStatus) => b.createdAt - a.createdAt || b.attempt - a.attempt;

/** Reads the pod's sandboxes (by config.uid) and their containers from the runtime. */
export async function getPodRuntimeStatus(runtime: Runtime, pod: { uid: string; name: string; namespace: string }): Promise<PodRuntimeStatus> {
  const sandboxes = (await runtime.listPodSandboxes()).filter((s) => s.config.uid === pod.uid).sort(newestFirst);
  const containers: ContainerStatus[] = [];
  for (const sb of sandboxes) containers.push(...(await runtime.listContainers({ sandboxId: sb.id })));
  containers.sort(newestContainerFirst);
  const ips = sandboxes[0]?.state === "ready" ? [...sandboxes[0].ips] : [];
  return { ...pod, sandboxes, containers, ips };
}

/** An empty status (a pod the runtime has nothing of). */
export function emptyRuntimeStatus(pod: Pod): PodRuntimeStatus {
  return { uid: pod.metadata?.uid ?? "", name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "", sandboxes: [], containers: [], ips: [] };
}

/** The newest instance of the named container. */
export function latestContainer(rs: PodRuntimeStatus, name: string): ContainerStatus | undefined {
  return rs.containers.find((c) => c.name === name);
}

/** `<runtime>://<id>`, the containerID of container statuses. */
export const containerIDString = (runtimeName: string, id: string): string => `${runtimeName}://${id}`;

/** The runtime id from a `<runtime>://<id>` string. */
export const parseContainerID = (s: string): string => s.slice(s.indexOf("://") + 3);

/** `<name>_<namespace>(<uid>)`, how Kubernetes names a pod in messages (format.Pod). */
export function formatPod(pod: Pod): string {
  return `${pod.metadata?.name ?? ""}_${pod.metadata?.namespace ?? ""}(${pod.metadata?.uid ?? ""})`;
}

/**
 * Whether a container that is not running should be (re)started (ShouldContainerBeRestarted):
 * never once the pod is being deleted; always if it never ran or is unknown/created; else per
 * restartPolicy (Never: no; OnFailure: only after a non-zero exit).
 */
export function shouldContainerBeRestarted(container: Container, pod: Pod, rs: PodRuntimeStatus): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const s = latestContainer(rs, container.name);
  if (!s) return true;
  if (s.state === "running") return false;
  if (s.state === "unknown" || s.state === "created") return true;
  const policy = pod.spec?.restartPolicy ?? "Always";
  if (policy === "Never") return false;
  if (policy === "OnFailure" && s.exitCode === 0) return false;
  return true;
}

/**
 * Whether the pod needs a new sandbox (PodSandboxChanged): none yet, the newest is not ready,
 * more than one is ready, or it lacks an IP (pod network). `attempt` is the new sandbox's.
 */
export function podSandboxChanged(pod: Pod, rs: PodRuntimeStatus): { changed: boolean; attempt: number; sandboxId?: string } {
  const latest = rs.sandboxes[0];
  if (!latest) return { changed: true, attempt: 0 };
  const ready = rs.sandboxes.filter((s) => s.state === "ready").length;
  const next = { changed: true, attempt: latest.config.attempt + 1, sandboxId: latest.id };
  if (ready > 1 || latest.state !== "ready") return next;
  if (!pod.spec?.hostNetwork && latest.ips.length === 0) return next;
  return { changed: false, attempt: latest.config.attempt, sandboxId: latest.id };
}

/** Init container that failed: exited non-zero, OOM-killed or in an unknown state. */
export function isInitContainerFailed(s: ContainerStatus): boolean {
  if (s.reason === "OOMKilled") return true;
  if (s.state === "exited" && s.exitCode !== 0) return true;
  return s.state === "unknown";
}
