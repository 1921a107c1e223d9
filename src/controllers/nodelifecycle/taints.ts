// Taint and toleration helpers the node lifecycle and taint eviction controllers share
// (k8s.io/api core/v1 well_known_taints, pkg/util/taints, v1helper.GetMatchingTolerations).
import type { Node, NodeCondition, Taint, Toleration } from "kubernetes-types/core/v1.js";

export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";
export const TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
export const TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure";
export const TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure";
export const TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure";
export const TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable";

export const UNREACHABLE_NO_EXECUTE: Taint = Object.freeze({ key: TAINT_UNREACHABLE, effect: "NoExecute" });
export const NOT_READY_NO_EXECUTE: Taint = Object.freeze({ key: TAINT_NOT_READY, effect: "NoExecute" });

/** Which condition status puts which NoSchedule taint on a node (nodeConditionToTaintKeyStatusMap). */
export const CONDITION_TAINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: TAINT_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_PID_PRESSURE },
};

const CONDITION_TAINT_KEYS = new Set(Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)));

/** v1.Toleration.ToleratesTaint: effect (empty = all), key (empty = all), then Exists, or Equal on the value. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === "Exists") return true;
  if (t.operator === undefined || t.operator === "" || t.operator === "Equal") return (t.value ?? "") === (taint.value ?? "");
  return false;
}

/** Same key and effect (Taint.MatchTaint). */
export const sameTaint = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;

export const taintExists = (taints: readonly Taint[] | undefined, t: Taint): boolean => (taints ?? []).some((x) => sameTaint(x, t));

/**
 * For each taint the first toleration that tolerates it (GetMatchingTolerations); `allTolerated`
 * is false when some taint has none.
 */
export function matchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined): { allTolerated: boolean; used: { taint: Taint; toleration: Toleration }[] } {
  const used: { taint: Taint; toleration: Toleration }[] = [];
  for (const taint of taints) {
    const toleration = (tolerations ?? []).find((t) => toleratesTaint(t, taint));
    if (!toleration) return { allTolerated: false, used: [] };
    used.push({ taint, toleration });
  }
  return { allTolerated: true, used };
}

export const noExecuteTaints = (node: Node | undefined): Taint[] => (node?.spec?.taints ?? []).filter((t) => t.effect === "NoExecute");

export function condition(node: Node | undefined, type: string): NodeCondition | undefined {
  return node?.status?.conditions?.find((c) => c.type === type);
}

/**
 * The NoSchedule taints a node's conditions and spec.unschedulable call for, and the ones it has
 * that this controller manages (doNoScheduleTaintingPass): returns what to add and what to remove.
 */
export function conditionTaintDiff(node: Node): { add: Taint[]; remove: Taint[] } {
  const want: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) want.push({ key, effect: "NoSchedule" });
  }
  if (node.spec?.unschedulable) want.push({ key: TAINT_UNSCHEDULABLE, effect: "NoSchedule" });
  const have = (node.spec?.taints ?? []).filter((t) => t.effect === "NoSchedule" && (t.key === TAINT_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key)));
  return { add: want.filter((t) => !taintExists(have, t)), remove: have.filter((t) => !taintExists(want, t)) };
}

/**
 * The node's taints with `remove` (by key and effect) dropped and the `add` ones it lacks appended
 * with timeAdded (SwapNodeControllerTaint); a taint already there keeps its timeAdded.
 */
export function swapTaints(taints: readonly Taint[] | undefined, add: readonly Taint[], remove: readonly Taint[], now: string): Taint[] {
  const kept = (taints ?? []).filter((t) => !taintExists(remove, t));
  const fresh = add.filter((t) => !taintExists(kept, t));
  return [...kept, ...fresh.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect, timeAdded: now }))];
}
