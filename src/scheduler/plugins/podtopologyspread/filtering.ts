// PodTopologySpread PreFilter/Filter (podtopologyspread/filtering.go) for DoNotSchedule
// constraints: PreFilter counts matching pods per topology value over eligible nodes and keeps the
// two smallest domains per constraint (the "critical paths"); Filter checks
// count(node's domain) + self-match - global minimum <= maxSkew with lookups only.
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import { matchesLabels } from "../../../apimachinery/labels.ts";
import type { CycleState, StateData } from "../../framework/cycle-state.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import type { PodInfo } from "../../framework/pod-info.ts";
import { internString } from "../../framework/intern.ts";
import { errorStatus, SKIP, SUCCESS, unresolvable, unschedulable } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import { countMatchingPods, labelValue, NodeInclusion, nodeHasAllKeys } from "./common.ts";
import type { SpreadConstraint } from "./common.ts";

export const PRE_FILTER_STATE_KEY = "PreFilterPodTopologySpread";

export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const MAX_INT32 = 2147483647;

/**
 * The two domains with the fewest matching pods: `minNum` is always the minimum; `secondNum` is
 * at least the minimum but not necessarily the second smallest (enough for preemption, which
 * changes one node at a time on its own copy).
 */
export class CriticalPaths {
  minValue = "";
  minNum = MAX_INT32;
  secondValue = "";
  secondNum = MAX_INT32;

  update(value: string, num: number): void {
    if (value === this.minValue || value === this.secondValue) {
      if (value === this.minValue) this.minNum = num;
      else this.secondNum = num;
      if (this.minNum > this.secondNum) this.swap();
    } else if (num < this.minNum) {
      this.secondValue = this.minValue;
      this.secondNum = this.minNum;
      this.minValue = value;
      this.minNum = num;
    } else if (num < this.secondNum) {
      this.secondValue = value;
      this.secondNum = num;
    }
  }

  private swap(): void {
    const v = this.minValue;
    const n = this.minNum;
    this.minValue = this.secondValue;
    this.minNum = this.secondNum;
    this.secondValue = v;
    this.secondNum = n;
  }

  clone(): CriticalPaths {
    const c = new CriticalPaths();
    c.minValue = this.minValue;
    c.minNum = this.minNum;
    c.secondValue = this.secondValue;
    c.secondNum = this.secondNum;
    return c;
  }
}

export class PreFilterState implements StateData {
  readonly constraints: readonly SpreadConstraint[];
  /** Per constraint: 1 when the incoming pod matches its selector (it would count itself). */
  readonly selfMatch: readonly number[];
  /** Per constraint: topology value → matching pods, for eligible domains only. */
  counts: Map<string, number>[];
  paths: CriticalPaths[];
  /** The incoming pod's node inclusion (for addPod/removePod); shared by copies. */
  readonly inclusion: NodeInclusion;

  constructor(
    constraints: readonly SpreadConstraint[], selfMatch: readonly number[], counts: Map<string, number>[], paths: CriticalPaths[], inclusion: NodeInclusion,
  ) {
    this.constraints = constraints;
    this.selfMatch = selfMatch;
    this.counts = counts;
    this.paths = paths;
    this.inclusion = inclusion;
  }

  clone(): PreFilterState {
    return new PreFilterState(this.constraints, this.selfMatch, this.counts.map((m) => new Map(m)), this.paths.map((p) => p.clone()), this.inclusion);
  }

  /** The global minimum for constraint i: 0 while fewer than minDomains domains are eligible. */
  minMatchNum(i: number): number {
    return this.counts[i]!.size < this.constraints[i]!.minDomains ? 0 : this.paths[i]!.minNum;
  }
}

/** Builds the state over `nodes`; the caller has checked that `constraints` is not empty. */
export function computePreFilterState(pod: Pod, constraints: readonly SpreadConstraint[], nodes: readonly NodeInfo[]): PreFilterState {
  const ns = internString(pod.metadata?.namespace ?? ""); // pods' namespaces are interned: compared by pointer
  const counts = constraints.map(() => new Map<string, number>());
  const inclusion = new NodeInclusion(pod, constraints);
  for (const n of nodes) {
    const node = n.node;
    if (!node) continue;
    const labels = n.labels;
    if (!nodeHasAllKeys(labels, constraints)) continue;
    inclusion.setNode(node);
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      if (!inclusion.includes(c)) continue;
      const value = labels![c.topologyKey]!;
      const m = counts[i]!;
      m.set(value, (m.get(value) ?? 0) + countMatchingPods(n.pods, c.selector, ns));
    }
  }
  const paths = counts.map((m) => {
    const p = new CriticalPaths();
    for (const [value, num] of m) p.update(value, num);
    return p;
  });
  const podLabels = pod.metadata?.labels;
  const selfMatch = constraints.map((c) => (matchesLabels(c.selector, podLabels) ? 1 : 0));
  return new PreFilterState(constraints, selfMatch, counts, paths, inclusion);
}

/** PreFilter with the pod's DoNotSchedule constraints; Skip when it has none. */
export function preFilter(state: CycleState, pod: Pod, constraints: readonly SpreadConstraint[], nodes: readonly NodeInfo[]): Status {
  if (constraints.length === 0) return SKIP;
  state.write(PRE_FILTER_STATE_KEY, computePreFilterState(pod, constraints, nodes));
  return SUCCESS;
}

export function readPreFilterState(state: CycleState): PreFilterState | Status {
  const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
  if (!(s instanceof PreFilterState)) return errorStatus(`reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`);
  return s;
}

export function filter(state: CycleState, node: NodeInfo): Status {
  const s = readPreFilterState(state);
  if (!(s instanceof PreFilterState)) return s;
  if (!node.node) return errorStatus("node not found");
  const labels = node.labels;
  const cs = s.constraints;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    const value = labelValue(labels, c.topologyKey);
    if (value === undefined) return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
    const skew = (s.counts[i]!.get(value) ?? 0) + s.selfMatch[i]! - s.minMatchNum(i);
    if (skew > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
  }
  return SUCCESS;
}

/**
 * PreFilterExtensions.addPod/removePod: counts `info` (a pod on `node`) in or out, if it is in the
 * incoming pod's namespace, on an eligible node and matched by the constraint's selector.
 */
export function updateState(state: CycleState, podToSchedule: Pod, info: PodInfo, node: Node | undefined, delta: number): Status {
  const s = readPreFilterState(state);
  if (!(s instanceof PreFilterState)) return s;
  if (!node || info.namespace !== (podToSchedule.metadata?.namespace ?? "")) return SUCCESS;
  const labels = node.metadata?.labels;
  if (!nodeHasAllKeys(labels, s.constraints)) return SUCCESS;
  const inclusion = s.inclusion;
  inclusion.setNode(node);
  const podLabels = info.labels;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    if (!matchesLabels(c.selector, podLabels) || !inclusion.includes(c)) continue;
    const value = labels![c.topologyKey]!;
    const m = s.counts[i]!;
    const num = (m.get(value) ?? 0) + delta;
    m.set(value, num);
    s.paths[i]!.update(value, num);
  }
  return SUCCESS;
}
