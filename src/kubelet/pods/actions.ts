// What a sync must do to a pod (kuberuntime_manager.go computePodActions): recreate the sandbox,
// run the next init container, start or restart app containers per restartPolicy, kill those
// that failed liveness/startup probes or changed image. Pure: runtime state and probe results in.
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { containerIDString, isInitContainerFailed, latestContainer, podSandboxChanged, shouldContainerBeRestarted } from "../container/index.ts";
import type { PodRuntimeStatus } from "../container/index.ts";
import type { ContainerStatus } from "../runtime/types.ts";

export type KillReason = "unknown" | "livenessProbe" | "startupProbe" | "definitionChanged";

export interface ContainerToKill {
  status: ContainerStatus;
  container: Container;
  /** The Killing event's message; empty = "Stopping container <name>". */
  message: string;
  reason: KillReason;
}

export interface PodActions {
  /** Stop every container and the sandbox (before recreating it, or because nothing is left to run). */
  killPod: boolean;
  createSandbox: boolean;
  /** The current sandbox (when reused), or the one being replaced. */
  sandboxId?: string;
  /** Attempt number for a new sandbox. */
  attempt: number;
  nextInitContainer?: Container;
  /** Indexes into spec.containers. */
  containersToStart: number[];
  containersToKill: ContainerToKill[];
}

/** Probe results the decision needs (by `<runtime>://<id>`). */
export interface ProbeResults {
  liveness(containerID: string): string | undefined;
  startup(containerID: string): string | undefined;
}

const restartsOnFailure = (pod: Pod) => (pod.spec?.restartPolicy ?? "Always") !== "Never";

function succeeded(c: Container, rs: PodRuntimeStatus): boolean {
  const s = latestContainer(rs, c.name);
  return !!s && s.state === "exited" && s.exitCode === 0;
}

/**
 * The next init container to run (findNextInitContainerToRun): `done` when all completed (or an
 * app container already runs); otherwise the failed one (with its status) or the next in order.
 */
export function nextInitContainer(pod: Pod, rs: PodRuntimeStatus): { failed?: ContainerStatus; next?: Container; done: boolean } {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return { done: true };
  if ((pod.spec?.containers ?? []).some((c) => latestContainer(rs, c.name)?.state === "running")) return { done: true };
  for (let i = inits.length - 1; i >= 0; i--) {
    const s = latestContainer(rs, inits[i]!.name);
    if (s && isInitContainerFailed(s)) return { failed: s, next: inits[i], done: false };
  }
  for (let i = inits.length - 1; i >= 0; i--) {
    const s = latestContainer(rs, inits[i]!.name);
    if (!s) continue;
    if (s.state === "running") return { done: false };
    if (s.state === "exited") return i === inits.length - 1 ? { done: true } : { next: inits[i + 1], done: false };
  }
  return { next: inits[0], done: false };
}

export function computePodActions(pod: Pod, rs: PodRuntimeStatus, runtimeName: string, probes: ProbeResults): PodActions {
  const sb = podSandboxChanged(pod, rs);
  const containers = pod.spec?.containers ?? [];
  const actions: PodActions = { killPod: sb.changed, createSandbox: sb.changed, sandboxId: sb.sandboxId, attempt: sb.attempt, containersToStart: [], containersToKill: [] };

  if (sb.changed) {
    if (!restartsOnFailure(pod) && sb.attempt !== 0 && rs.containers.length > 0) {
      actions.createSandbox = false;
      return actions;
    }
    const toStart: number[] = [];
    containers.forEach((c, i) => {
      if (pod.spec?.restartPolicy === "OnFailure" && succeeded(c, rs)) return;
      toStart.push(i);
    });
    if (toStart.length === 0 && nextInitContainer(pod, rs).done) {
      actions.createSandbox = false;
      return actions;
    }
    if ((pod.spec?.initContainers ?? []).length > 0) {
      actions.nextInitContainer = pod.spec!.initContainers![0];
      return actions;
    }
    actions.containersToStart = toStart;
    return actions;
  }

  const init = nextInitContainer(pod, rs);
  if (!init.done) {
    if (init.next) {
      if (init.failed && !restartsOnFailure(pod)) actions.killPod = true;
      else {
        if (init.failed?.state === "unknown") {
          actions.containersToKill.push({ status: init.failed, container: init.next, message: `Init container is in "unknown" state, try killing it before restart`, reason: "unknown" });
        }
        actions.nextInitContainer = init.next;
      }
    }
    return actions;
  }

  let keep = 0;
  containers.forEach((c, i) => {
    const s = latestContainer(rs, c.name);
    if (!s || s.state !== "running") {
      if (shouldContainerBeRestarted(c, pod, rs)) {
        actions.containersToStart.push(i);
        if (s?.state === "unknown") {
          actions.containersToKill.push({ status: s, container: c, message: `Container is in "unknown" state, try killing it before restart`, reason: "unknown" });
        }
      }
      return;
    }
    const id = containerIDString(runtimeName, s.id);
    let restart = restartsOnFailure(pod);
    let message: string;
    let reason: KillReason;
    if (s.image !== c.image) {
      message = `Container ${c.name} definition changed`;
      reason = "definitionChanged";
      restart = true;
    } else if (probes.liveness(id) === "failure") {
      message = `Container ${c.name} failed liveness probe`;
      reason = "livenessProbe";
    } else if (probes.startup(id) === "failure") {
      message = `Container ${c.name} failed startup probe`;
      reason = "startupProbe";
    } else {
      keep++;
      return;
    }
    if (restart) {
      message = `${message}, will be restarted`;
      actions.containersToStart.push(i);
    }
    actions.containersToKill.push({ status: s, container: c, message, reason });
  });
  if (keep === 0 && actions.containersToStart.length === 0) actions.killPod = true;
  return actions;
}
