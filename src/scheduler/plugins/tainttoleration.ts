// TaintToleration (plugins/tainttoleration): Filter rejects nodes with a NoSchedule/NoExecute taint
// the pod does not tolerate; Score prefers nodes with fewer untolerated PreferNoSchedule taints.
// The toleration helpers are shared (NodeUnschedulable, the node lifecycle controller).
import type { Pod, Taint, Toleration } from "kubernetes-types/core/v1.js";
import { StateReader } from "../framework/cycle-state.ts";
import type { CycleState, StateData } from "../framework/cycle-state.ts";
import type { NodeInfo } from "../framework/node-info.ts";
import { SUCCESS } from "../framework/status.ts";
import type { Status } from "../framework/status.ts";
import type { ClusterEvent, FilterPlugin, NodeScores, PluginFactory, PreScorePlugin, ScorePlugin } from "../framework/types.ts";
import { defaultNormalizeScore } from "./helpers/normalize.ts";

export const TAINT_TOLERATION = "TaintToleration";
const preScoreStateKey = "PreScore" + TAINT_TOLERATION;

/** v1.Toleration.ToleratesTaint: effect (empty = all), key (empty = all), then operator Exists, or Equal (default) on the value. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator) {
    case undefined:
    case "":
    case "Equal":
      return (t.value ?? "") === (taint.value ?? "");
    case "Exists":
      return true;
    default:
      return false;
  }
}

/** Whether any of the tolerations tolerates the taint. */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (!tolerations) return false;
  for (let i = 0; i < tolerations.length; i++) if (toleratesTaint(tolerations[i], taint)) return true;
  return false;
}

/** The first taint passing `filter` (all when absent) that no toleration tolerates (v1helper.FindMatchingUntoleratedTaint). */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  filter?: (t: Taint) => boolean,
): Taint | undefined {
  if (!taints) return undefined;
  for (let i = 0; i < taints.length; i++) {
    const t = taints[i];
    if (filter && !filter(t)) continue;
    if (!tolerationsTolerateTaint(tolerations, t)) return t;
  }
  return undefined;
}

/** Taints that keep pods off a node: NoSchedule and NoExecute (helper.DoNotScheduleTaintsFilterFunc). */
export const doNotScheduleTaint = (t: Taint): boolean => t.effect === "NoSchedule" || t.effect === "NoExecute";

/** Kubernetes' reason for an untolerated taint, e.g. `node(s) had untolerated taint {node.kubernetes.io/unreachable: }`. */
export const untoleratedTaintReason = (t: Taint): string => `node(s) had untolerated taint {${t.key}: ${t.value ?? ""}}`;

// Taint objects live as long as their Node object; caching the rejection per taint keeps Filter
// from building the same message for every pod that fails on the same tainted nodes.
const rejectionByTaint = new WeakMap<Taint, Status>();
function rejection(t: Taint): Status {
  let s = rejectionByTaint.get(t);
  if (!s) rejectionByTaint.set(t, (s = { code: "UnschedulableAndUnresolvable", reasons: [untoleratedTaintReason(t)], plugin: TAINT_TOLERATION }));
  return s;
}

class PreScoreState implements StateData {
  /** Immutable once written: clones share it. */
  clone(): StateData {
    return this;
  }
  /** The pod's tolerations that can tolerate PreferNoSchedule taints (that effect or any effect). */
  readonly tolerations: readonly Toleration[];
  constructor(tolerations: readonly Toleration[]) {
    this.tolerations = tolerations;
  }
}

/** Number of PreferNoSchedule taints none of the tolerations tolerates. */
function countIntolerablePreferNoSchedule(taints: readonly Taint[], tolerations: readonly Toleration[]): number {
  let n = 0;
  for (let i = 0; i < taints.length; i++) {
    const t = taints[i];
    if (t.effect === "PreferNoSchedule" && !tolerationsTolerateTaint(tolerations, t)) n++;
  }
  return n;
}

const events: readonly ClusterEvent[] = [{ resource: "Node", actions: ["Add", "Update"] }];

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = TAINT_TOLERATION;
  private readonly preScoreState = new StateReader<PreScoreState>(preScoreStateKey);

  eventsToRegister(): readonly ClusterEvent[] {
    return events;
  }

  filter(_state: CycleState, pod: Pod, node: NodeInfo): Status {
    const taints = node.taints;
    if (taints.length === 0) return SUCCESS;
    const t = findUntoleratedTaint(taints, pod.spec?.tolerations, doNotScheduleTaint);
    return t ? rejection(t) : SUCCESS;
  }

  preScore(state: CycleState, pod: Pod, _nodes: readonly NodeInfo[]): Status {
    const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === "PreferNoSchedule");
    state.write(preScoreStateKey, new PreScoreState(tolerations));
    return SUCCESS;
  }

  score(state: CycleState, _pod: Pod, node: NodeInfo): number {
    const s = this.preScoreState.read(state);
    if (!s) throw new Error(`reading "${preScoreStateKey}" from cycleState: not found`);
    const taints = node.taints;
    return taints.length === 0 ? 0 : countIntolerablePreferNoSchedule(taints, s.tolerations);
  }

  /** Fewer intolerable taints → higher score. */
  normalizeScore(_state: CycleState, _pod: Pod, _nodes: readonly NodeInfo[], scores: NodeScores): Status {
    return defaultNormalizeScore(scores, true);
  }
}

export const newTaintToleration: PluginFactory = () => new TaintToleration();
