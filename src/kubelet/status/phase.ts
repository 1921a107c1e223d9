// The pod phase from its container statuses (kubelet_pods.go getPhase), and the QoS class
// (qos.GetPodQOS). Pure functions.
import type { ContainerStatus, Pod, PodSpec } from "kubernetes-types/core/v1.js";
import { parseQuantity } from "../../apimachinery/quantity.ts";

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";

export const isTerminalPhase = (phase: string | undefined): boolean => phase === "Succeeded" || phase === "Failed";

const find = (statuses: readonly ContainerStatus[], name: string) => statuses.find((s) => s.name === name);

/**
 * Kubernetes' phase rules: Failed if an init container failed and restartPolicy is Never;
 * Pending while init containers are pending or any container waits without having run;
 * Running while one runs and all are known; when all have stopped: Succeeded/Failed if the pod is
 * terminal (or the policy will not restart them), Running if they will be restarted.
 */
export function getPhase(pod: Pod, statuses: readonly ContainerStatus[], podIsTerminal: boolean): PodPhase {
  const spec = pod.spec ?? ({} as PodSpec);
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of spec.initContainers ?? []) {
    const s = find(statuses, c.name);
    if (!s) {
      pendingInit++;
      continue;
    }
    if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }
  let unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const c of spec.containers ?? []) {
    const s = find(statuses, c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const policy = spec.restartPolicy ?? "Always";
  if (failedInit > 0 && policy === "Never") return "Failed";
  if (pendingInit > 0 && !anyRegularContainerStarted(spec, statuses)) return "Pending";
  if (waiting > 0) return "Pending";
  if (running > 0 && unknown === 0) return "Running";
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? "Succeeded" : "Failed";
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

/** Some regular container is running or terminated (HasAnyRegularContainerStarted). */
export function anyRegularContainerStarted(spec: PodSpec, statuses: readonly ContainerStatus[]): boolean {
  return (spec.containers ?? []).some((c) => {
    const s = find(statuses, c.name);
    return !!s && (!!s.state?.running || !!s.state?.terminated);
  });
}

export type QOSClass = "Guaranteed" | "Burstable" | "BestEffort";

/**
 * The pod's QoS class (an existing status.qosClass is kept): BestEffort without any cpu/memory
 * request or limit; Guaranteed when every container limits both cpu and memory and the summed
 * requests equal the summed limits; Burstable otherwise. Zero quantities do not count.
 */
export function getPodQOS(pod: Pod): QOSClass {
  const existing = pod.status?.qosClass;
  if (existing === "Guaranteed" || existing === "Burstable" || existing === "BestEffort") return existing;
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const add = (m: Map<string, bigint>, name: string, v: string | number): boolean => {
    if (name !== "cpu" && name !== "memory") return false;
    let nanos: bigint;
    try {
      nanos = parseQuantity(v).nanos;
    } catch {
      return false;
    }
    if (nanos <= 0n) return false;
    m.set(name, (m.get(name) ?? 0n) + nanos);
    return true;
  };
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const [name, q] of Object.entries(c.resources?.requests ?? {})) add(requests, name, q);
    const found = new Set<string>();
    for (const [name, q] of Object.entries(c.resources?.limits ?? {})) if (add(limits, name, q)) found.add(name);
    if (!found.has("cpu") || !found.has("memory")) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) for (const [name, req] of requests) if (limits.get(name) !== req) guaranteed = false;
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}
