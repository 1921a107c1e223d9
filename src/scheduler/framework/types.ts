// The framework's extension points (framework.Plugin and friends). A plugin implements only the
// points it needs; the profile (../profile.ts) lists plugins, their arguments and score weights.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Client, Clock, EventRecorder } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import type { CycleState } from "./cycle-state.ts";
import type { NodeInfo } from "./node-info.ts";
import type { PodInfo } from "./pod-info.ts";
import type { Status } from "./status.ts";

/** Scores are integers from 0 to MAX_NODE_SCORE after normalisation. */
export const MAX_NODE_SCORE = 100;

/** A read-only view of all nodes for one scheduling cycle (framework.SharedLister). */
export interface NodeInfoLister {
  list(): readonly NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** Nodes that host at least one pod with (anti-)affinity terms. */
  havePodsWithAffinity(): readonly NodeInfo[];
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[];
}

/** What plugins may use besides their arguments (framework.Handle). */
export interface Handle {
  snapshot(): NodeInfoLister;
  /** Labels of a namespace (for affinity terms' namespaceSelector); undefined if unknown. */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  /** Pods waiting for a node, e.g. ones nominated by preemption (used by preemption only). */
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
  /** Runs every Filter plugin (with PreFilter extensions) on a node state; for preemption. */
  runFilterPlugins(state: CycleState, pod: Pod, node: NodeInfo): Status;
  /** Re-computes PreFilter extension data after adding/removing a pod from a hypothetical node. */
  runPreFilterAddPod(state: CycleState, pod: Pod, toAdd: PodInfo, node: NodeInfo): Status;
  runPreFilterRemovePod(state: CycleState, pod: Pod, toRemove: PodInfo, node: NodeInfo): Status;
  client: Client;
  recorder: EventRecorder;
  clock: Clock;
  log: Logger;
}

export type ClusterResource = "Pod" | "Node" | "Namespace" | "PriorityClass";
export type ActionType = "Add" | "Update" | "Delete";
/** An event that might make a pod rejected by a plugin schedulable (framework.ClusterEvent). */
export interface ClusterEvent {
  resource: ClusterResource;
  actions: readonly ActionType[];
}

export interface Plugin {
  readonly name: string;
  /** Which events could make a pod this plugin rejected fit; default: any Node or Pod event. */
  eventsToRegister?(): readonly ClusterEvent[];
}

export interface PreFilterResult {
  /** Only these nodes can fit (e.g. NodeName, NodeAffinity on metadata.name); undefined = all. */
  nodeNames?: ReadonlySet<string>;
}

/** Keeps PreFilter data right when preemption adds or removes pods on a hypothetical node. */
export interface PreFilterExtensions {
  addPod(state: CycleState, podToSchedule: Pod, toAdd: PodInfo, node: NodeInfo): Status;
  removePod(state: CycleState, podToSchedule: Pod, toRemove: PodInfo, node: NodeInfo): Status;
}

export interface PreFilterPlugin extends Plugin {
  /** Computes per-pod data once; Skip means this plugin's Filter is not needed for the pod. */
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status };
  preFilterExtensions?(): PreFilterExtensions | undefined;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status;
}

/** Per-node Filter outcome for nodes that did not pass. */
export type NodeStatusMap = ReadonlyMap<string, Status>;

export interface PostFilterPlugin extends Plugin {
  /** Tries to make the pod schedulable (preemption); Success with a nominated node, or a rejection. */
  postFilter(state: CycleState, pod: Pod, filtered: NodeStatusMap): Promise<{ nominatedNodeName?: string; status: Status }>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status;
}

/**
 * Raw scores of one Score plugin for one cycle: `scores[i]` belongs to the i-th node scored.
 * NormalizeScore rewrites them in place; the array is the framework's and only valid during the call.
 */
export type NodeScores = Float64Array;

export interface ScorePlugin extends Plugin {
  /**
   * The node's raw score for the pod (a number, so scoring thousands of nodes allocates
   * nothing). An internal error (missing cycle state, unparsable terms) is thrown; the framework
   * turns it into an Error status naming the plugin, as Kubernetes' (score, *Status) pair does.
   */
  score(state: CycleState, pod: Pod, node: NodeInfo): number;
  /** Maps `scores` (of `nodes`, index by index) into 0..MAX_NODE_SCORE in place. */
  normalizeScore?(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], scores: NodeScores): Status;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): Status;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}

export interface BindPlugin extends Plugin {
  /** Skip lets the next binder try. */
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

/** A plugin factory: arguments from the profile, plus the handle. */
export type PluginFactory = (args: Record<string, unknown> | undefined, handle: Handle) => Plugin;
