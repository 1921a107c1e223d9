// InterPodAffinity PreScore/Score/NormalizeScore (interpodaffinity/scoring.go): PreScore sums,
// per topology pair, the weights of preferred terms (the incoming pod's, matched by existing pods,
// and existing pods' terms matched by the incoming pod, plus hardPodAffinityWeight for existing
// pods' required affinity); Score adds up the pairs the node is in; NormalizeScore maps min..max
// to 0..100.
import type { Pod, WeightedPodAffinityTerm } from "kubernetes-types/core/v1.js";
import { StateReader } from "../../framework/cycle-state.ts";
import type { CycleState, StateData } from "../../framework/cycle-state.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { termMatches, weightedAffinityTerm } from "../../framework/pod-info.ts";
import type { AffinityTerm, PodInfo, WeightedAffinityTerm } from "../../framework/pod-info.ts";
import { errorStatus, SKIP, SUCCESS } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import { MAX_NODE_SCORE } from "../../framework/types.ts";
import type { Handle, NodeScores } from "../../framework/types.ts";
import { incomingTermMatches, labelValue, NamespaceLabels } from "./topology.ts";

export const PRE_SCORE_STATE_KEY = "PreScoreInterPodAffinity";

type Labels = Readonly<Record<string, string>>;

export interface ScoringArgs {
  readonly hardPodAffinityWeight: number;
  readonly ignorePreferredTermsOfExistingPods: boolean;
}

/** topology key → value → summed weight. */
export class PreScoreState implements StateData {
  readonly topologyScore = new Map<string, Map<string, number>>();

  /** Read-only after PreScore, so copies share it. */
  clone(): PreScoreState {
    return this;
  }
}

/** Accumulates one PreScore: the pairs touched and whether any term matched at all. */
class Accumulator {
  readonly state = new PreScoreState();
  matched = false;

  add(term: AffinityTerm, weight: number, labels: Labels): void {
    const v = labelValue(labels, term.topologyKey);
    if (v === undefined) return;
    let values = this.state.topologyScore.get(term.topologyKey);
    if (values === undefined) this.state.topologyScore.set(term.topologyKey, (values = new Map()));
    values.set(v, (values.get(v) ?? 0) + weight);
    this.matched = true;
  }
}

function weightedTerms(pod: Pod, terms: readonly WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] {
  return (terms ?? []).map((w) => weightedAffinityTerm(pod, w));
}

function hasKeys(labels: Labels | undefined): labels is Labels {
  if (labels === undefined) return false;
  for (const _ in labels) return true;
  return false;
}

interface Incoming {
  readonly pod: Pod;
  readonly preferred: readonly WeightedAffinityTerm[];
  readonly preferredAnti: readonly WeightedAffinityTerm[];
  readonly nsLabels: Labels | undefined;
  readonly namespaces: NamespaceLabels;
}

function processExistingPod(acc: Accumulator, args: ScoringArgs, inc: Incoming, existing: PodInfo, labels: Labels): void {
  // The incoming pod's preferred terms matched by the existing pod: + (affinity) / - (anti).
  for (const t of inc.preferred) if (incomingTermMatches(t, existing, inc.namespaces)) acc.add(t, t.weight, labels);
  for (const t of inc.preferredAnti) if (incomingTermMatches(t, existing, inc.namespaces)) acc.add(t, -t.weight, labels);
  // The existing pod's terms matched by the incoming pod: required affinity counts hardPodAffinityWeight.
  if (args.hardPodAffinityWeight > 0) {
    for (const t of existing.requiredAffinityTerms) {
      if (termMatches(t, inc.pod, inc.nsLabels)) acc.add(t, args.hardPodAffinityWeight, labels);
    }
  }
  for (const t of existing.preferredAffinityTerms) if (termMatches(t, inc.pod, inc.nsLabels)) acc.add(t, t.weight, labels);
  for (const t of existing.preferredAntiAffinityTerms) if (termMatches(t, inc.pod, inc.nsLabels)) acc.add(t, -t.weight, labels);
}

/**
 * PreScore: Skip when nothing matched anywhere (all nodes would score the same) or when
 * ignorePreferredTermsOfExistingPods is set and the pod has no preferred terms. Without preferred
 * terms of its own only nodes hosting pods with affinity are visited.
 */
export function preScore(handle: Handle, args: ScoringArgs, state: CycleState, pod: Pod): Status {
  const affinity = pod.spec?.affinity;
  const prefAff = affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  const prefAnti = affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  const hasConstraints = (prefAff?.length ?? 0) > 0 || (prefAnti?.length ?? 0) > 0;
  if (args.ignorePreferredTermsOfExistingPods && !hasConstraints) return SKIP;

  const snapshot = handle.snapshot();
  const nodes = hasConstraints ? snapshot.list() : snapshot.havePodsWithAffinity();
  const namespaces = new NamespaceLabels(handle);
  const inc: Incoming = {
    pod,
    preferred: weightedTerms(pod, prefAff),
    preferredAnti: weightedTerms(pod, prefAnti),
    nsLabels: namespaces.of(pod.metadata?.namespace ?? ""),
    namespaces,
  };
  const acc = new Accumulator();
  for (const n of nodes) {
    const labels = n.node ? n.labels : undefined;
    if (!hasKeys(labels)) continue;
    const pods = hasConstraints ? n.pods : n.podsWithAffinity;
    for (const existing of pods) processExistingPod(acc, args, inc, existing, labels);
  }
  if (!acc.matched) return SKIP;
  state.write(PRE_SCORE_STATE_KEY, acc.state);
  return SUCCESS;
}

function readPreScoreState(state: CycleState): PreScoreState | Status {
  const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY);
  if (!(s instanceof PreScoreState)) return errorStatus(`failed to read "${PRE_SCORE_STATE_KEY}" from cycleState: not found`);
  return s;
}

const preScoreState = new StateReader<PreScoreState>(PRE_SCORE_STATE_KEY);

/**
 * The sum of the weights of the pairs the node is in: positive for affinity, negative for
 * anti-affinity. Throws when PreScore left no state.
 */
export function score(state: CycleState, node: NodeInfo): number {
  const s = preScoreState.read(state);
  if (!(s instanceof PreScoreState)) throw new Error(`failed to read "${PRE_SCORE_STATE_KEY}" from cycleState: not found`);
  const labels = node.labels;
  let total = 0;
  for (const [key, values] of s.topologyScore) {
    const v = labelValue(labels, key);
    if (v !== undefined) total += values.get(v) ?? 0;
  }
  return total;
}

/** Maps the lowest raw score to 0 and the highest to MAX_NODE_SCORE (all 0 when they are equal). */
export function normalizeScore(state: CycleState, scores: NodeScores): Status {
  const s = readPreScoreState(state);
  if (!(s instanceof PreScoreState)) return s;
  if (s.topologyScore.size === 0) return SUCCESS;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (v > max) max = v;
    if (v < min) min = v;
  }
  const diff = max - min;
  for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i] - min) / diff)) : 0;
  return SUCCESS;
}
