// Why a pod could not be scheduled, in Kubernetes' words (framework.FitError, Diagnosis):
// "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {...}. preemption: ...".
import type { Status } from "./framework/status.ts";

export interface Diagnosis {
  /** Per rejected node: the first plugin's rejection. */
  nodeStatuses: Map<string, Status>;
  /** Plugins that rejected the pod somewhere (the queue wakes it on their events). */
  unschedulablePlugins: Set<string>;
  /** Set when a PreFilter plugin rejected the pod as a whole. */
  preFilterMsg?: string;
  postFilterMsg?: string;
}

export const newDiagnosis = (): Diagnosis => ({ nodeStatuses: new Map(), unschedulablePlugins: new Set() });

export class FitError extends Error {
  readonly numAllNodes: number;
  readonly diagnosis: Diagnosis;

  constructor(numAllNodes: number, diagnosis: Diagnosis) {
    super("");
    this.name = "FitError";
    this.numAllNodes = numAllNodes;
    this.diagnosis = diagnosis;
    this.message = fitErrorMessage(this);
  }

  refreshMessage(): void {
    this.message = fitErrorMessage(this);
  }
}

/** The reason histogram, sorted as strings ("1 Insufficient cpu", "2 node(s) ..."), as Kubernetes prints it. */
export function reasonHistogram(statuses: Iterable<Status>): string[] {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const out = [...counts].map(([reason, n]) => `${n} ${reason}`);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function fitErrorMessage(e: FitError): string {
  const d = e.diagnosis;
  let msg = `0/${e.numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const hist = reasonHistogram(d.nodeStatuses.values());
    if (hist.length > 0) msg += ` ${hist.join(", ")}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}`;
  return msg;
}

export const NO_NODES_AVAILABLE = "no nodes available to schedule pods";
