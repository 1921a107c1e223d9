// PodTopologySpread PreScore/Score/NormalizeScore (podtopologyspread/scoring.go) for
// ScheduleAnyway constraints: a node's raw score is, per constraint, the matching pods in its
// domain times log(domains + 2) plus maxSkew - 1; NormalizeScore turns fewer pods into a higher
// score. Hostname domains are counted in Score (one node each) instead of in PreScore.
import type { Pod } from "kubernetes-types/core/v1.js";
import { StateReader } from "../../framework/cycle-state.ts";
import type { CycleState, StateData } from "../../framework/cycle-state.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { internString } from "../../framework/intern.ts";
import { errorStatus, SKIP, SUCCESS } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import { MAX_NODE_SCORE } from "../../framework/types.ts";
import type { NodeInfoLister, NodeScores } from "../../framework/types.ts";
import { countMatchingPods, HOSTNAME_LABEL, labelValue, NodeInclusion, nodeHasAllKeys } from "./common.ts";
import type { SpreadConstraint } from "./common.ts";

export const PRE_SCORE_STATE_KEY = "PreScorePodTopologySpread";

export class PreScoreState implements StateData {
  readonly constraints: readonly SpreadConstraint[];
  /** Filtered nodes missing a constraint's topology key: scored 0. */
  readonly ignoredNodes = new Set<string>();
  /** Per constraint: topology value → matching pods (values of candidate nodes only; none for hostname). */
  readonly counts: Map<string, number>[];
  /** Per constraint: log(number of candidate domains + 2). */
  weights: number[] = [];
  readonly namespace: string;

  constructor(constraints: readonly SpreadConstraint[], namespace: string) {
    this.constraints = constraints;
    this.namespace = namespace;
    this.counts = constraints.map(() => new Map());
  }

  /** Read-only after PreScore, so copies share it. */
  clone(): PreScoreState {
    return this;
  }
}

/** Topology weight: log(size + 2), so small topologies are not watered down by big ones. */
export const topologyNormalizingWeight = (size: number): number => Math.log(size + 2);

/** A domain's contribution; maxSkew - 1 dampens differences (the tolerance to skew). */
export const scoreForCount = (count: number, maxSkew: number, weight: number): number => count * weight + (maxSkew - 1);

/** Registers the candidate domains and computes the weights (initPreScoreState). */
function initState(s: PreScoreState, filtered: readonly NodeInfo[], requireAllTopologies: boolean): void {
  const sizes = s.constraints.map(() => 0);
  for (const n of filtered) {
    const labels = n.node ? n.labels : undefined;
    if (requireAllTopologies && !nodeHasAllKeys(labels, s.constraints)) {
      s.ignoredNodes.add(n.name);
      continue;
    }
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      if (c.topologyKey === HOSTNAME_LABEL) continue;
      const value = labelValue(labels, c.topologyKey) ?? "";
      if (!s.counts[i]!.has(value)) {
        s.counts[i]!.set(value, 0);
        sizes[i]!++;
      }
    }
  }
  s.weights = s.constraints.map((c, i) =>
    topologyNormalizingWeight(c.topologyKey === HOSTNAME_LABEL ? filtered.length - s.ignoredNodes.size : sizes[i]!));
}

/**
 * PreScore: Skip when there are no nodes or no ScheduleAnyway constraints. `requireAllTopologies`
 * is false only for system-default constraints, so nodes without a zone still spread by hostname.
 */
export function preScore(
  state: CycleState, pod: Pod, constraints: readonly SpreadConstraint[], filtered: readonly NodeInfo[], lister: NodeInfoLister,
  requireAllTopologies: boolean,
): Status {
  if (constraints.length === 0 || filtered.length === 0) return SKIP;
  const all = lister.list();
  if (all.length === 0) return SKIP;
  const s = new PreScoreState(constraints, internString(pod.metadata?.namespace ?? ""));
  initState(s, filtered, requireAllTopologies);
  const inclusion = new NodeInclusion(pod, constraints);
  for (const n of all) {
    const node = n.node;
    if (!node) continue;
    const labels = n.labels;
    if (requireAllTopologies && !nodeHasAllKeys(labels, constraints)) continue;
    inclusion.setNode(node);
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      if (!inclusion.includes(c)) continue;
      const value = labelValue(labels, c.topologyKey) ?? "";
      const m = s.counts[i]!;
      const prev = m.get(value);
      // Only domains of candidate nodes are counted; hostname domains are counted in Score.
      if (prev === undefined) continue;
      m.set(value, prev + countMatchingPods(n.pods, c.selector, s.namespace));
    }
  }
  state.write(PRE_SCORE_STATE_KEY, s);
  return SUCCESS;
}

function readPreScoreState(state: CycleState): PreScoreState | Status {
  const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY);
  if (!(s instanceof PreScoreState)) return errorStatus(`error reading "${PRE_SCORE_STATE_KEY}" from cycleState: not found`);
  return s;
}

const preScoreState = new StateReader<PreScoreState>(PRE_SCORE_STATE_KEY);

/** Throws when PreScore left no state. */
export function score(state: CycleState, node: NodeInfo): number {
  const s = preScoreState.read(state);
  if (!(s instanceof PreScoreState)) throw new Error(`error reading "${PRE_SCORE_STATE_KEY}" from cycleState: not found`);
  if (s.ignoredNodes.size > 0 && s.ignoredNodes.has(node.name)) return 0;
  const labels = node.node ? node.labels : undefined;
  let total = 0;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    const value = labelValue(labels, c.topologyKey);
    if (value === undefined) continue;
    const count = c.topologyKey === HOSTNAME_LABEL ? countMatchingPods(node.pods, c.selector, s.namespace) : (s.counts[i]!.get(value) ?? 0);
    total += scoreForCount(count, c.maxSkew, s.weights[i]!);
  }
  return Math.round(total);
}

/** Fewer matching pods → higher score: MAX * (max + min - score) / max; ignored nodes get 0. */
export function normalizeScore(state: CycleState, nodes: readonly NodeInfo[], scores: NodeScores): Status {
  const s = readPreScoreState(state);
  if (!(s instanceof PreScoreState)) return s;
  const ignored = (i: number) => s.ignoredNodes.size > 0 && s.ignoredNodes.has(nodes[i].name);
  let min = Number.MAX_SAFE_INTEGER;
  let max = 0;
  for (let i = 0; i < scores.length; i++) {
    if (ignored(i)) continue;
    if (scores[i] < min) min = scores[i];
    if (scores[i] > max) max = scores[i];
  }
  for (let i = 0; i < scores.length; i++) {
    if (ignored(i)) scores[i] = 0;
    else if (max === 0) scores[i] = MAX_NODE_SCORE;
    else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i])) / max);
  }
  return SUCCESS;
}
