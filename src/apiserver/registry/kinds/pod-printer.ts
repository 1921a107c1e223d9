// The `kubectl get pods` row as printers.go computes it: READY n/m, the STATUS reason (init
// progress, waiting/terminated reasons, Completed, Terminating), RESTARTS with "(5m ago)", wide cells.
import type { ContainerStatus, PodSpec } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../../apimachinery/object.ts";
import type { TableColumn } from "../types.ts";
import { AGE_COLUMN, ageCell, since } from "./printers.ts";
import { arr } from "./pod-defaults.ts";

interface PodCondition { type?: string; status?: string; reason?: string }
interface PodStatusView {
  phase?: string;
  reason?: string;
  conditions?: PodCondition[];
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  podIP?: string;
  podIPs?: { ip?: string }[];
  nominatedNodeName?: string;
}

export const podColumns: TableColumn[] = [
  { name: "Ready", type: "string", description: "The aggregate readiness state of this pod for accepting traffic." },
  { name: "Status", type: "string", description: "The aggregate status of the containers in this pod." },
  { name: "Restarts", type: "string", description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted." },
  AGE_COLUMN,
  { name: "IP", type: "string", priority: 1, description: "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated." },
  { name: "Node", type: "string", priority: 1, description: "NodeName indicates in which node this pod is scheduled." },
  { name: "Nominated Node", type: "string", priority: 1, description: "nominatedNodeName is set only when this pod preempts other pods on the node." },
  { name: "Readiness Gates", type: "string", priority: 1, description: "If specified, all readiness gates will be evaluated for pod readiness." },
];

const conditionTrue = (s: PodStatusView, type: string) => arr(s.conditions).some((c) => c.type === type && c.status === "True");

/** The later of two RFC 3339 times (either may be missing). */
const later = (a: string | undefined, b: string | undefined): string | undefined => {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
};

/** READY, STATUS and RESTARTS of a pod, exactly as printPod derives them. */
export function podSummary(obj: KubeObject, now: Date): { ready: string; reason: string; restarts: string } {
  const spec = (obj.spec ?? {}) as PodSpec;
  const status = (obj.status ?? {}) as PodStatusView;
  let restarts = 0;
  let sidecarRestarts = 0;
  let total = arr(spec.containers).length;
  let ready = 0;
  let lastRestart: string | undefined;
  let lastSidecarRestart: string | undefined;
  let reason = status.reason || status.phase || "";
  if (arr(status.conditions).some((c) => c.type === "PodScheduled" && c.reason === "SchedulingGated")) reason = "SchedulingGated";

  const sidecars = new Set(arr(spec.initContainers).filter((c) => (c as { restartPolicy?: string }).restartPolicy === "Always").map((c) => c.name));
  total += sidecars.size;
  const initCount = arr(spec.initContainers).length;
  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    restarts += c.restartCount ?? 0;
    const finished = c.lastState?.terminated?.finishedAt;
    if (c.lastState?.terminated) lastRestart = later(lastRestart, finished);
    const sidecar = sidecars.has(c.name);
    if (sidecar) {
      sidecarRestarts += c.restartCount ?? 0;
      if (c.lastState?.terminated) lastSidecarRestart = later(lastSidecarRestart, finished);
    }
    const term = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (sidecar && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (waiting && waiting.reason && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, "Initialized")) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts += c.restartCount ?? 0;
      if (c.lastState?.terminated) lastRestart = later(lastRestart, c.lastState.terminated.finishedAt);
      const waiting = c.state?.waiting;
      const term = c.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed" && hasRunning) reason = conditionTrue(status, "Ready") ? "Running" : "NotReady";
  }

  const terminal = status.phase === "Succeeded" || status.phase === "Failed";
  if (obj.metadata?.deletionTimestamp && status.reason === "NodeLost") reason = "Unknown";
  else if (obj.metadata?.deletionTimestamp && !terminal) reason = "Terminating";

  const restartsCell = restarts !== 0 && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, reason, restarts: restartsCell };
}

/** The cells after NAME: READY STATUS RESTARTS AGE IP NODE NOMINATED-NODE READINESS-GATES. */
export function podCells(obj: KubeObject, now: Date): unknown[] {
  const spec = (obj.spec ?? {}) as PodSpec;
  const status = (obj.status ?? {}) as PodStatusView;
  const { ready, reason, restarts } = podSummary(obj, now);
  const ip = status.podIPs?.[0]?.ip || status.podIP || "<none>";
  const gates = arr(spec.readinessGates);
  let readiness = "<none>";
  if (gates.length > 0) {
    const trueCount = gates.filter((g) => arr(status.conditions).find((c) => c.type === g.conditionType)?.status === "True").length;
    readiness = `${trueCount}/${gates.length}`;
  }
  return [ready, reason, restarts, ageCell(obj, now), ip, spec.nodeName || "<none>", status.nominatedNodeName || "<none>", readiness];
}
