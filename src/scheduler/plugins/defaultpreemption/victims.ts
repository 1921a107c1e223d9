// Choosing the pods to preempt on one node (DefaultPreemption.SelectVictimsOnNode): remove every
// lower-priority pod, check the preemptor fits, then give back as many as possible — those whose
// eviction would break a PodDisruptionBudget first, highest priority first.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import { isEverything, labelSelectorAsSelector, matchesLabels, nothing } from "../../../apimachinery/labels.ts";
import type { Selector } from "../../../apimachinery/labels.ts";
import type { CycleState } from "../../framework/cycle-state.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import type { PodInfo } from "../../framework/pod-info.ts";
import { SUCCESS, errorStatus, isSuccess, unresolvable } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import type { Handle } from "../../framework/types.ts";

export const ERR_NO_VICTIMS = "No preemption victims found for incoming pod";

/** corev1helpers.PodPriority: spec.priority, 0 when unset. */
export const podPriority = (pod: Pod): number => pod.spec?.priority ?? 0;

/** util.GetPodStartTime: status.startTime, or now for pods that have not started. */
export function podStartTime(pod: Pod, now: number): number {
  const t = pod.status?.startTime ? Date.parse(pod.status.startTime) : NaN;
  return Number.isNaN(t) ? now : t;
}

/** util.MoreImportantPod: higher priority first, then the one that started earlier. */
export function moreImportantFirst(now: number): (a: Pod, b: Pod) => number {
  return (a, b) => podPriority(b) - podPriority(a) || podStartTime(a, now) - podStartTime(b, now);
}

/** The pods preemption would evict on one node, most important first, and how many break a PDB. */
export interface Victims {
  pods: Pod[];
  numPDBViolations: number;
}

function pdbSelector(pdb: PodDisruptionBudget): Selector {
  try {
    return labelSelectorAsSelector(pdb.spec?.selector);
  } catch {
    return nothing;
  }
}

/**
 * Splits pods (kept in order) into those whose eviction would exceed a matching PDB's
 * disruptionsAllowed, counting down each budget as pods are taken, and the others. Pods the PDB
 * already lists in status.disruptedPods do not count; a PDB with an empty selector matches nothing.
 */
export function splitByPDBViolation<T extends { pod: Pod }>(items: readonly T[], pdbs: readonly PodDisruptionBudget[]): { violating: T[]; nonViolating: T[] } {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const selectors = pdbs.map(pdbSelector);
  const violating: T[] = [];
  const nonViolating: T[] = [];
  for (const item of items) {
    const pod = item.pod;
    const labels = pod.metadata?.labels ?? {};
    let violated = false;
    if (Object.keys(labels).length > 0) {
      pdbs.forEach((pdb, i) => {
        if ((pdb.metadata?.namespace ?? "") !== (pod.metadata?.namespace ?? "")) return;
        const sel = selectors[i];
        if (sel === nothing || isEverything(sel) || !matchesLabels(sel, labels)) return;
        if (Object.hasOwn(pdb.status?.disruptedPods ?? {}, pod.metadata?.name ?? "")) return;
        allowed[i]--;
        if (allowed[i] < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(item);
  }
  return { violating, nonViolating };
}

/**
 * RunFilterPluginsWithNominatedPods: the filters pass with the nominated pods of equal or higher
 * priority added to the node (and, when any were added, also without them — a nominated pod may
 * never arrive, and affinity to it must not be counted on).
 */
export function filterWithNominatedPods(handle: Handle, state: CycleState, pod: Pod, node: NodeInfo): Status {
  const priority = podPriority(pod);
  const nominated = handle.nominatedPodsForNode(node.name).filter((p) => podPriority(p.pod) >= priority && p.pod.metadata?.uid !== pod.metadata?.uid);
  if (nominated.length === 0) return handle.runFilterPlugins(state, pod, node);
  const withState = state.clone();
  const withNode = node.clone();
  for (const p of nominated) {
    withNode.addPod(p);
    const s = handle.runPreFilterAddPod(withState, pod, p, withNode);
    if (!isSuccess(s)) return s.code === "Error" ? s : errorStatus(s.reasons.join(", "));
  }
  const status = handle.runFilterPlugins(withState, pod, withNode);
  if (!isSuccess(status)) return status;
  return handle.runFilterPlugins(state, pod, node);
}

/**
 * The victims on `node` (a clone the caller owns, changed in place) with `state` (a clone too):
 * UnschedulableAndUnresolvable when the node has no lower-priority pod, the filters' rejection
 * when the pod does not fit even without them, else Success with the smallest set found.
 */
export function selectVictimsOnNode(
  handle: Handle, state: CycleState, pod: Pod, node: NodeInfo, pdbs: readonly PodDisruptionBudget[], now: number,
): { victims?: Victims; status: Status } {
  const remove = (p: PodInfo): Status => {
    node.removePod(p.pod);
    return handle.runPreFilterRemovePod(state, pod, p, node);
  };
  const add = (p: PodInfo): Status => {
    node.addPod(p);
    return handle.runPreFilterAddPod(state, pod, p, node);
  };
  const priority = podPriority(pod);
  const potential = node.pods.filter((p) => podPriority(p.pod) < priority);
  for (const p of potential) {
    const s = remove(p);
    if (!isSuccess(s)) return { status: asError(s) };
  }
  if (potential.length === 0) return { status: unresolvable(ERR_NO_VICTIMS) };
  const fits = filterWithNominatedPods(handle, state, pod, node);
  if (!isSuccess(fits)) return { status: fits };

  const order = moreImportantFirst(now);
  potential.sort((a, b) => order(a.pod, b.pod));
  const { violating, nonViolating } = splitByPDBViolation(potential, pdbs);
  const victims: Pod[] = [];
  let numPDBViolations = 0;
  // Gives a pod back; it stays a victim when the preemptor no longer fits with it.
  const reprieve = (p: PodInfo): Status | boolean => {
    const added = add(p);
    if (!isSuccess(added)) return asError(added);
    if (isSuccess(filterWithNominatedPods(handle, state, pod, node))) return true;
    const removed = remove(p);
    if (!isSuccess(removed)) return asError(removed);
    victims.push(p.pod);
    return false;
  };
  for (const p of violating) {
    const r = reprieve(p);
    if (typeof r !== "boolean") return { status: r };
    if (!r) numPDBViolations++;
  }
  for (const p of nonViolating) {
    const r = reprieve(p);
    if (typeof r !== "boolean") return { status: r };
  }
  if (violating.length > 0 && nonViolating.length > 0) victims.sort(order);
  return { victims: { pods: victims, numPDBViolations }, status: SUCCESS };
}

const asError = (s: Status): Status => (s.code === "Error" ? s : errorStatus(s.reasons.join(", ")));
