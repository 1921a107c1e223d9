// Finding and ranking preemption candidates (preemption.Evaluator's DryRunPreemption and
// pickOneNodeForPreemption) and the "0/N nodes are available" message when there is none.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import type { CycleState } from "../../framework/cycle-state.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { errorStatus } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import type { Handle } from "../../framework/types.ts";
import { podPriority, podStartTime, selectVictimsOnNode } from "./victims.ts";
import type { Victims } from "./victims.ts";

/** A node where preempting `victims` lets the pod fit. */
export interface Candidate {
  name: string;
  victims: Victims;
}

/** Status of the nodes preemption did not look at (their Filter status was not Unschedulable). */
export const ERR_PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling";

/** How many candidates to find among `numNodes`: the percentage, at least the absolute, at most all. */
export function numCandidates(numNodes: number, percentage: number, absolute: number): number {
  const n = Math.max(Math.floor((numNodes * percentage) / 100), absolute);
  return Math.min(n, numNodes);
}

export interface DryRunResult {
  /** Candidates that violate no PDB first, then the others, each group in the order found. */
  candidates: Candidate[];
  /** Why each examined node is not a candidate. */
  statuses: Map<string, Status>;
  /** Messages of the Error statuses among them. */
  errors: string[];
}

/**
 * Examines `nodes` from `offset` round-robin, each on a clone of the node and of the cycle
 * state, and stops once it has `wanted` candidates including at least one that violates no PDB.
 */
export function dryRunPreemption(
  handle: Handle, state: CycleState, pod: Pod, nodes: readonly NodeInfo[], pdbs: readonly PodDisruptionBudget[], offset: number, wanted: number,
): DryRunResult {
  const nonViolating: Candidate[] = [];
  const violating: Candidate[] = [];
  const statuses = new Map<string, Status>();
  const errors: string[] = [];
  const now = handle.clock.now();
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[(offset + i) % nodes.length].clone();
    let { victims, status } = selectVictimsOnNode(handle, state.clone(true), pod, node, pdbs, now);
    if (status.code === "Success" && victims && victims.pods.length > 0) {
      (victims.numPDBViolations === 0 ? nonViolating : violating).push({ name: node.name, victims });
      if (nonViolating.length > 0 && nonViolating.length + violating.length >= wanted) break;
      continue;
    }
    if (status.code === "Success") status = errorStatus(`expected at least one victim pod on node "${node.name}"`);
    if (status.code === "Error") errors.push(status.reasons.join(", "));
    statuses.set(node.name, status);
  }
  return { candidates: [...nonViolating, ...violating], statuses, errors };
}

/** util.GetEarliestPodStartTime: the earliest start among the highest-priority victims. */
function earliestStartOfHighest(pods: readonly Pod[], now: number): number {
  let max = -Infinity;
  let earliest = Infinity;
  for (const p of pods) {
    const prio = podPriority(p);
    const start = podStartTime(p, now);
    if (prio > max) {
      max = prio;
      earliest = start;
    } else if (prio === max && start < earliest) {
      earliest = start;
    }
  }
  return earliest;
}

const INT32_OFFSET = 2 ** 31;

/**
 * pickOneNodeForPreemption: the candidate with the fewest PDB violations, then the lowest
 * highest-victim priority, the smallest sum of priorities, the fewest victims, the latest start
 * of the highest-priority victims; remaining ties go to the first candidate in order.
 */
export function pickOneNodeForPreemption(candidates: readonly Candidate[], now: number): Candidate | undefined {
  if (candidates.length <= 1) return candidates[0];
  const scores: ((c: Candidate) => number)[] = [
    (c) => -c.victims.numPDBViolations,
    (c) => -podPriority(c.victims.pods[0]!),
    // Shifted to be positive, so that a few negative-priority victims do not beat fewer of them.
    (c) => -c.victims.pods.reduce((sum, p) => sum + podPriority(p) + INT32_OFFSET, 0),
    (c) => -c.victims.pods.length,
    (c) => (c.victims.pods.length > 0 ? earliestStartOfHighest(c.victims.pods, now) : -Infinity),
  ];
  let remaining = [...candidates];
  for (const score of scores) {
    let best = -Infinity;
    let selected: Candidate[] = [];
    for (const c of remaining) {
      const s = score(c);
      if (s > best) {
        best = s;
        selected = [];
      }
      if (s === best) selected.push(c);
    }
    if (selected.length === 1) return selected[0];
    remaining = selected;
  }
  return remaining[0];
}

/**
 * FitError's message: "0/N nodes are available: " then each reason with how many nodes gave it,
 * sorted; nodes without a status count under `absentReason`.
 */
export function fitErrorMessage(numAllNodes: number, statuses: ReadonlyMap<string, Status>, absentReason = ERR_PREEMPTION_NOT_HELPFUL): string {
  const counts = new Map<string, number>();
  for (const s of statuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  if (statuses.size < numAllNodes) counts.set(absentReason, (counts.get(absentReason) ?? 0) + numAllNodes - statuses.size);
  const parts = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
  const message = `0/${numAllNodes} nodes are available:`;
  return parts.length > 0 ? `${message} ${parts.join(", ")}.` : message;
}
