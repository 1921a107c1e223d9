// The pod conditions the kubelet owns (pkg/kubelet/status/generate.go): PodReadyToStartContainers,
// Initialized, ContainersReady, Ready (with readiness gates), PodScheduled. Pure functions.
import type { ContainerStatus, PodCondition, PodSpec } from "kubernetes-types/core/v1.js";
import { anyRegularContainerStarted } from "./phase.ts";

/** Conditions the kubelet writes; others (DisruptionTarget, readiness gates…) are kept as found. */
export const KUBELET_CONDITIONS: ReadonlySet<string> = new Set(["PodScheduled", "Ready", "Initialized", "ContainersReady", "PodReadyToStartContainers"]);

/** Go's %s of a []string: `[a b]`. */
const goList = (xs: string[]) => `[${xs.join(" ")}]`;
const find = (statuses: readonly ContainerStatus[], name: string) => statuses.find((s) => s.name === name);

function terminalContainersReady(phase: string): PodCondition {
  return { type: "ContainersReady", status: "False", reason: phase === "Failed" ? "PodFailed" : "PodCompleted" };
}

export function containersReadyCondition(spec: PodSpec, statuses: readonly ContainerStatus[] | undefined, phase: string): PodCondition {
  if (!statuses) return { type: "ContainersReady", status: "False", reason: "UnknownContainerStatuses" };
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of spec.containers ?? []) {
    const s = find(statuses, c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === "Succeeded" && unknown.length === 0) return terminalContainersReady(phase);
  if (phase === "Failed") return terminalContainersReady(phase);
  const msgs: string[] = [];
  if (unknown.length) msgs.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length) msgs.push(`containers with unready status: ${goList(unready)}`);
  if (msgs.length) return { type: "ContainersReady", status: "False", reason: "ContainersNotReady", message: msgs.join(", ") };
  return { type: "ContainersReady", status: "True" };
}

/** Ready: as ContainersReady, and then every readiness gate's condition must be True. */
export function podReadyCondition(spec: PodSpec, conditions: readonly PodCondition[], statuses: readonly ContainerStatus[] | undefined, phase: string): PodCondition {
  const cr = containersReadyCondition(spec, statuses, phase);
  if (cr.status !== "True") return { type: "Ready", status: cr.status, ...(cr.reason ? { reason: cr.reason } : {}), ...(cr.message ? { message: cr.message } : {}) };
  const msgs: string[] = [];
  for (const gate of spec.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) msgs.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== "True") msgs.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (msgs.length) return { type: "Ready", status: "False", reason: "ReadinessGatesNotReady", message: msgs.join(", ") };
  return { type: "Ready", status: "True" };
}

/** Initialized: every init container completed (ready), or some regular container has started. */
export function podInitializedCondition(spec: PodSpec, statuses: readonly ContainerStatus[] | undefined, phase: string): PodCondition {
  const inits = spec.initContainers ?? [];
  if (!statuses && inits.length > 0) return { type: "Initialized", status: "False", reason: "UnknownContainerStatuses" };
  const all = statuses ?? [];
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const s = find(all, c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) incomplete.push(c.name);
  }
  if (phase === "Succeeded" && unknown.length === 0) return { type: "Initialized", status: "True", reason: "PodCompleted" };
  if (anyRegularContainerStarted(spec, all)) return { type: "Initialized", status: "True" };
  const msgs: string[] = [];
  if (unknown.length) msgs.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length) msgs.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (msgs.length) return { type: "Initialized", status: "False", reason: "ContainersNotInitialized", message: msgs.join(", ") };
  return { type: "Initialized", status: "True" };
}

/** True when the pod has a ready sandbox (with networking), i.e. no new sandbox is needed. */
export function readyToStartContainersCondition(sandboxReady: boolean): PodCondition {
  return { type: "PodReadyToStartContainers", status: sandboxReady ? "True" : "False" };
}
