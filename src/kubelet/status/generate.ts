// The API status of a pod from what the runtime reports (kubelet_pods.go generateAPIPodStatus and
// convertToAPIContainerStatuses): container statuses with waiting reasons, phase, conditions,
// IPs and QoS class. Pure: the caller supplies the previous status, reasons and probe results.
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from "kubernetes-types/core/v1.js";
import type { PodRuntimeStatus } from "../container/pod-status.ts";
import { containerIDString, podSandboxChanged, shouldContainerBeRestarted } from "../container/pod-status.ts";
import type { ContainerStatus as RuntimeContainer } from "../runtime/types.ts";
import { KUBELET_CONDITIONS, containersReadyCondition, podInitializedCondition, podReadyCondition, readyToStartContainersCondition } from "./conditions.ts";
import { getPhase, getPodQOS, isTerminalPhase } from "./phase.ts";

/** Why a container is waiting, from the last attempt to start it (the kubelet's reason cache). */
export interface WaitingReason {
  reason: string;
  message: string;
}

export interface GenerateOptions {
  /** Prefix of containerIDs (`<runtime>://<id>`). */
  runtimeName: string;
  /** The status the kubelet last computed (or pod.status the first time). */
  oldStatus: PodStatus;
  /** The pod's containers are stopped for good (generates Succeeded/Failed when all exited). */
  podIsTerminal: boolean;
  reasons?: ReadonlyMap<string, WaitingReason>;
  hostIPs: readonly string[];
  /** Forces phase Failed with this reason and message (activeDeadlineSeconds, eviction). */
  evict?: { reason: string; message: string };
  /** Sets `ready` and `started` from probe results; without it: started = ready = running. */
  probes?: { updatePodStatus(pod: Pod, status: PodStatus): void };
}

/** RFC 3339 with whole seconds, as metav1.Time serialises. */
export const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/** The status the kubelet reports for `pod` given the runtime's view `rs`. */
export function generateAPIPodStatus(pod: Pod, rs: PodRuntimeStatus, o: GenerateOptions): PodStatus {
  const spec = pod.spec ?? { containers: [] };
  const apiStatus = pod.status ?? {};
  const hasInit = (spec.initContainers ?? []).length > 0;
  const s: PodStatus = { qosClass: getPodQOS(pod) };
  if (rs.ips.length) {
    s.podIP = rs.ips[0];
    s.podIPs = rs.ips.map((ip) => ({ ip }));
  } else if (o.oldStatus.podIP) {
    // A stopped sandbox keeps reporting the IP it had (completed pods still show theirs).
    s.podIP = o.oldStatus.podIP;
    s.podIPs = o.oldStatus.podIPs ?? [{ ip: o.oldStatus.podIP }];
  }
  s.containerStatuses = convertStatuses(pod, rs, o, o.oldStatus.containerStatuses ?? [], spec.containers ?? [], hasInit, false);
  if (hasInit) s.initContainerStatuses = convertStatuses(pod, rs, o, o.oldStatus.initContainerStatuses ?? [], spec.initContainers ?? [], hasInit, true);
  s.phase = getPhase(pod, [...s.containerStatuses, ...(s.initContainerStatuses ?? [])], o.podIsTerminal);
  if (!isTerminalPhase(s.phase)) {
    if (isTerminalPhase(o.oldStatus.phase)) s.phase = o.oldStatus.phase;
    else if (isTerminalPhase(apiStatus.phase)) s.phase = apiStatus.phase;
  }
  if (s.phase === o.oldStatus.phase) {
    const reason = o.oldStatus.reason || apiStatus.reason;
    const message = o.oldStatus.message || apiStatus.message;
    if (reason) s.reason = reason;
    if (message) s.message = message;
  }
  if (o.evict) {
    s.phase = "Failed";
    s.reason = o.evict.reason;
    s.message = o.evict.message;
  }
  if (isTerminalPhase(apiStatus.phase) && s.phase !== apiStatus.phase) s.phase = apiStatus.phase;
  if (o.probes) o.probes.updatePodStatus(pod, s);
  else applyDefaultReadiness(s);

  const conditions: PodCondition[] = (apiStatus.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type));
  const disruption = o.oldStatus.conditions?.find((c) => c.type === "DisruptionTarget");
  if (disruption) {
    const i = conditions.findIndex((c) => c.type === "DisruptionTarget");
    if (i >= 0) conditions[i] = disruption;
    else conditions.push(disruption);
  }
  const all = [...(s.initContainerStatuses ?? []), ...s.containerStatuses];
  conditions.push(readyToStartContainersCondition(!podSandboxChanged(pod, rs).changed));
  const phase = s.phase ?? "Pending";
  conditions.push(podInitializedCondition(spec, all, phase));
  conditions.push(podReadyCondition(spec, conditions, all, phase));
  conditions.push(containersReadyCondition(spec, all, phase));
  conditions.push({ type: "PodScheduled", status: "True" });
  s.conditions = conditions;

  if (o.hostIPs.length) {
    s.hostIP = o.hostIPs[0];
    s.hostIPs = o.hostIPs.slice(0, 2).map((ip) => ({ ip }));
    if (spec.hostNetwork && !s.podIP) {
      s.podIP = o.hostIPs[0];
      s.podIPs = [{ ip: o.hostIPs[0]! }];
    }
  }
  if (o.oldStatus.startTime) s.startTime = o.oldStatus.startTime;
  return s;
}

/** Readiness without a probe manager: running containers are started and ready; init containers are ready once they exited 0. */
export function applyDefaultReadiness(s: PodStatus): void {
  for (const c of s.containerStatuses ?? []) {
    c.started = !!c.state?.running;
    c.ready = !!c.state?.running;
  }
  for (const c of s.initContainerStatuses ?? []) {
    c.started = !!c.state?.running;
    c.ready = c.state?.terminated?.exitCode === 0;
  }
}

function runtimeState(c: RuntimeContainer, runtimeName: string): ContainerState {
  switch (c.state) {
    case "running":
      return { running: { startedAt: rfc3339(c.startedAt ?? c.createdAt) } };
    case "exited": {
      const t: NonNullable<ContainerState["terminated"]> = { exitCode: c.exitCode ?? 0, containerID: containerIDString(runtimeName, c.id) };
      if (c.reason) t.reason = c.reason;
      if (c.message) t.message = c.message;
      if (c.startedAt !== undefined) t.startedAt = rfc3339(c.startedAt);
      if (c.finishedAt !== undefined) t.finishedAt = rfc3339(c.finishedAt);
      return { terminated: t };
    }
    default:
      return { waiting: {} };
  }
}

function convertStatuses(pod: Pod, rs: PodRuntimeStatus, o: GenerateOptions, previous: readonly ContainerStatus[], containers: readonly Container[], hasInit: boolean, isInit: boolean): ContainerStatus[] {
  const old = new Map(previous.map((p) => [p.name, p]));
  const defaultReason = hasInit ? "PodInitializing" : "ContainerCreating";
  const statuses = new Map<string, ContainerStatus>();
  for (const c of containers) {
    const prior = old.get(c.name);
    let st: ContainerStatus = { name: c.name, state: { waiting: { reason: defaultReason } }, lastState: {}, ready: false, restartCount: 0, image: c.image ?? "", imageID: "" };
    if (prior?.state?.terminated) st = structuredClone(prior);
    else if (prior) {
      st.restartCount = prior.restartCount ?? 0;
      st.lastState = structuredClone(prior.lastState ?? {});
    }
    statuses.set(c.name, st);
  }
  // A container that was running but the runtime no longer has: it terminated (unknown how).
  for (const c of containers) {
    if (rs.containers.some((r) => r.name === c.name)) continue;
    const prior = old.get(c.name);
    if (!prior?.state?.running) continue;
    const st = statuses.get(c.name)!;
    if (st.state?.waiting?.reason !== defaultReason || st.lastState?.terminated) continue;
    st.lastState = { terminated: { reason: "ContainerStatusUnknown", message: "The container could not be located when the pod was deleted.  The container used to be Running", exitCode: 137 } };
    if (!pod.metadata?.deletionTimestamp) st.restartCount = (st.restartCount ?? 0) + 1;
  }
  const seen = new Map<string, number>();
  for (const r of rs.containers) {
    const st = statuses.get(r.name);
    if (!st) continue;
    const n = seen.get(r.name) ?? 0;
    if (n >= 2) continue;
    seen.set(r.name, n + 1);
    if (n === 1) {
      st.lastState = runtimeState(r, o.runtimeName);
      continue;
    }
    const prior = old.get(r.name);
    const next: ContainerStatus = {
      name: r.name, state: runtimeState(r, o.runtimeName), lastState: {}, ready: false, restartCount: r.attempt,
      image: r.image, imageID: r.imageRef, containerID: containerIDString(o.runtimeName, r.id),
    };
    if (r.state === "unknown" && prior?.state?.running) {
      next.state = { terminated: { reason: "ContainerStatusUnknown", message: "The container could not be located when the pod was terminated", exitCode: 137 } };
      next.restartCount = (prior.restartCount ?? 0) + 1;
    }
    statuses.set(r.name, next);
  }
  // Containers the next sync will (re)start wait, with the reason of the last failed start.
  for (const c of containers) {
    const latest = rs.containers.find((r) => r.name === c.name);
    if (isInit && latest?.state === "exited" && latest.exitCode === 0) continue;
    if (!shouldContainerBeRestarted(c, pod, rs)) continue;
    const reason = o.reasons?.get(c.name);
    if (!reason) continue;
    const st = statuses.get(c.name)!;
    if (st.state?.terminated) st.lastState = st.state;
    st.state = { waiting: { reason: reason.reason, ...(reason.message ? { message: reason.message } : {}) } };
  }
  const list = containers.map((c) => statuses.get(c.name)!);
  return isInit ? list : list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
