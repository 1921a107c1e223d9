// The InterPodAffinity plugin (kubernetes/pkg/scheduler/framework/plugins/interpodaffinity):
// required pod affinity/anti-affinity as a Filter, preferred terms as a Score. The work lives in
// filtering.ts and scoring.ts; this file holds the arguments, the events and the wiring.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { CycleState } from "../../framework/cycle-state.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import type { PodInfo } from "../../framework/pod-info.ts";
import type { Status } from "../../framework/status.ts";
import type {
  ClusterEvent, FilterPlugin, Handle, NodeScores, PluginFactory, PreFilterExtensions, PreFilterPlugin, PreFilterResult,
  PreScorePlugin, ScorePlugin,
} from "../../framework/types.ts";
import { filter, preFilter, updateState } from "./filtering.ts";
import { normalizeScore, preScore, score } from "./scoring.ts";
import type { ScoringArgs } from "./scoring.ts";

export const INTER_POD_AFFINITY = "InterPodAffinity";

/** InterPodAffinityArgs as in the scheduler configuration. */
export interface InterPodAffinityArgs {
  /** Score weight of an existing pod's required affinity term that the incoming pod matches; 0..100, default 1. */
  hardPodAffinityWeight?: number;
  /** Score only with the incoming pod's preferred terms (skip existing pods' terms when it has none). */
  ignorePreferredTermsOfExistingPods?: boolean;
}

export const DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1;

/** Validates and defaults the arguments; throws with the Kubernetes field error on a bad weight. */
export function interPodAffinityArgs(raw: Record<string, unknown> | undefined): ScoringArgs {
  const w = raw?.hardPodAffinityWeight ?? DEFAULT_HARD_POD_AFFINITY_WEIGHT;
  if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 100) {
    throw new Error(`hardPodAffinityWeight: Invalid value: ${JSON.stringify(w)}: not in valid range [0-100]`);
  }
  const ignore = raw?.ignorePreferredTermsOfExistingPods ?? false;
  if (typeof ignore !== "boolean") throw new Error(`ignorePreferredTermsOfExistingPods: Invalid value: ${JSON.stringify(ignore)}: must be a boolean`);
  return { hardPodAffinityWeight: w, ignorePreferredTermsOfExistingPods: ignore };
}

const EVENTS: readonly ClusterEvent[] = Object.freeze([
  { resource: "Pod", actions: ["Add", "Update", "Delete"] },
  { resource: "Node", actions: ["Add", "Update"] },
]);

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = INTER_POD_AFFINITY;
  readonly args: ScoringArgs;
  private readonly handle: Handle;
  private readonly extensions: PreFilterExtensions;

  constructor(args: ScoringArgs, handle: Handle) {
    this.args = args;
    this.handle = handle;
    this.extensions = {
      addPod: (state, _pod, toAdd: PodInfo, node) => updateState(state, toAdd, node, 1),
      removePod: (state, _pod, toRemove: PodInfo, node) => updateState(state, toRemove, node, -1),
    };
  }

  /** A pod event may add or remove a matching pod; a node event may add a topology domain. */
  eventsToRegister(): readonly ClusterEvent[] {
    return EVENTS;
  }

  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status } {
    return { status: preFilter(this.handle, state, pod, nodes) };
  }

  preFilterExtensions(): PreFilterExtensions {
    return this.extensions;
  }

  filter(state: CycleState, _pod: Pod, node: NodeInfo): Status {
    return filter(state, node);
  }

  preScore(state: CycleState, pod: Pod, _nodes: readonly NodeInfo[]): Status {
    return preScore(this.handle, this.args, state, pod);
  }

  score(state: CycleState, _pod: Pod, node: NodeInfo): number {
    return score(state, node);
  }

  normalizeScore(state: CycleState, _pod: Pod, _nodes: readonly NodeInfo[], scores: NodeScores): Status {
    return normalizeScore(state, scores);
  }
}

export const newInterPodAffinity: PluginFactory = (args, handle) => new InterPodAffinity(interPodAffinityArgs(args), handle);
