// The PodTopologySpread plugin (kubernetes/pkg/scheduler/framework/plugins/podtopologyspread):
// DoNotSchedule constraints filter, ScheduleAnyway constraints score. This file holds the
// arguments, the cluster-level default constraints, the events and the wiring.
//
// Simplification: Kubernetes applies default constraints (system defaults: ScheduleAnyway,
// maxSkew 3 on hostname and 5 on zone) to a pod without constraints using the selector of the
// Services/ReplicaSets/StatefulSets/ReplicationControllers selecting it. The scheduler here has no
// listers for those, so defaults are off unless the args ask for them (`defaultingType: "System"`,
// or `"List"` with `defaultConstraints`), and the selector comes from `args.defaultSelector(pod)`
// when given, else is the pod's own labels for a pod controlled by a ReplicaSet, StatefulSet or
// ReplicationController (whose selectors those labels satisfy), else there are no defaults.
import type { Pod, TopologySpreadConstraint } from "kubernetes-types/core/v1.js";
import { isEverything, selectorFromSet } from "../../../apimachinery/labels.ts";
import type { Selector } from "../../../apimachinery/labels.ts";
import type { CycleState } from "../../framework/cycle-state.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { errorStatus } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import type {
  ClusterEvent, FilterPlugin, Handle, NodeScores, PluginFactory, PreFilterExtensions, PreFilterPlugin, PreFilterResult,
  PreScorePlugin, ScorePlugin,
} from "../../framework/types.ts";
import { filterConstraints, HOSTNAME_LABEL, ZONE_LABEL } from "./common.ts";
import type { SpreadConstraint } from "./common.ts";
import { filter, preFilter, updateState } from "./filtering.ts";
import { normalizeScore, preScore, score } from "./scoring.ts";

export const POD_TOPOLOGY_SPREAD = "PodTopologySpread";

export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraint[] = Object.freeze([
  { topologyKey: HOSTNAME_LABEL, whenUnsatisfiable: "ScheduleAnyway", maxSkew: 3 },
  { topologyKey: ZONE_LABEL, whenUnsatisfiable: "ScheduleAnyway", maxSkew: 5 },
]);

/** PodTopologySpreadArgs as in the scheduler configuration, plus the selector hook. */
export interface PodTopologySpreadArgs {
  /** "List" (the default here): use `defaultConstraints`; "System": the system defaults. */
  defaultingType?: "System" | "List";
  /** Constraints for pods without any; they must not have a labelSelector. */
  defaultConstraints?: TopologySpreadConstraint[];
  /** The selector of the workload owning a pod (Kubernetes' helper.DefaultSelector). */
  defaultSelector?: (pod: Pod) => Selector | undefined;
}

interface Config {
  readonly defaultConstraints: readonly TopologySpreadConstraint[];
  readonly systemDefaulted: boolean;
  readonly defaultSelector: (pod: Pod) => Selector | undefined;
}

const CONTROLLERS = new Set(["ReplicaSet", "StatefulSet", "ReplicationController"]);

/** The fallback default selector: the labels of a pod controlled by a ReplicaSet/StatefulSet/RC. */
export function ownerLabelsSelector(pod: Pod): Selector | undefined {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (!owner || !CONTROLLERS.has(owner.kind)) return undefined;
  return selectorFromSet(pod.metadata?.labels);
}

/** Validates and defaults the arguments (ValidatePodTopologySpreadArgs); throws on invalid ones. */
export function podTopologySpreadArgs(raw: Record<string, unknown> | undefined): Config {
  const type = raw?.defaultingType ?? "List";
  if (type !== "System" && type !== "List") throw new Error(`defaultingType: Unsupported value: ${JSON.stringify(type)}: supported values: "System", "List"`);
  const list = (raw?.defaultConstraints ?? []) as TopologySpreadConstraint[];
  if (!Array.isArray(list)) throw new Error("defaultConstraints: Invalid value: must be a list");
  if (type === "System" && list.length > 0) throw new Error(`defaultConstraints: Invalid value: when .defaultingType is "System", .defaultConstraints must be empty`);
  const seen = new Set<string>();
  list.forEach((c, i) => {
    const at = `defaultConstraints[${i}]`;
    if (!Number.isInteger(c.maxSkew) || c.maxSkew <= 0) throw new Error(`${at}.maxSkew: Invalid value: ${c.maxSkew}: must be greater than zero`);
    if (!c.topologyKey) throw new Error(`${at}.topologyKey: Required value: can not be empty`);
    if (c.whenUnsatisfiable !== "DoNotSchedule" && c.whenUnsatisfiable !== "ScheduleAnyway") {
      throw new Error(`${at}.whenUnsatisfiable: Unsupported value: ${JSON.stringify(c.whenUnsatisfiable)}: supported values: "DoNotSchedule", "ScheduleAnyway"`);
    }
    if (c.labelSelector) throw new Error(`${at}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod`);
    const key = `${c.topologyKey}/${c.whenUnsatisfiable}`;
    if (seen.has(key)) throw new Error(`${at}: Duplicate value: {${JSON.stringify(c.topologyKey)}, ${JSON.stringify(c.whenUnsatisfiable)}}`);
    seen.add(key);
  });
  const hook = raw?.defaultSelector;
  return {
    defaultConstraints: type === "System" ? SYSTEM_DEFAULT_CONSTRAINTS : list,
    systemDefaulted: type === "System",
    defaultSelector: typeof hook === "function" ? (hook as (pod: Pod) => Selector | undefined) : ownerLabelsSelector,
  };
}

const EVENTS: readonly ClusterEvent[] = Object.freeze([
  { resource: "Pod", actions: ["Add", "Update", "Delete"] },
  { resource: "Node", actions: ["Add", "Update", "Delete"] },
]);

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = POD_TOPOLOGY_SPREAD;
  private readonly handle: Handle;
  private readonly config: Config;
  private readonly extensions: PreFilterExtensions;

  constructor(config: Config, handle: Handle) {
    this.config = config;
    this.handle = handle;
    this.extensions = {
      addPod: (state, pod, toAdd, node) => updateState(state, pod, toAdd, node.node, 1),
      removePod: (state, pod, toRemove, node) => updateState(state, pod, toRemove, node.node, -1),
    };
  }

  /** A pod event changes the counts; a node event can add, remove or relabel a domain. */
  eventsToRegister(): readonly ClusterEvent[] {
    return EVENTS;
  }

  /** The pod's constraints for `action`, or the defaults when it has none. Throws on a bad selector. */
  constraints(pod: Pod, action: "DoNotSchedule" | "ScheduleAnyway"): SpreadConstraint[] {
    const own = pod.spec?.topologySpreadConstraints;
    if (own?.length) return filterConstraints(own, pod.metadata?.labels, action);
    if (this.config.defaultConstraints.length === 0) return [];
    const defaults = filterConstraints(this.config.defaultConstraints, pod.metadata?.labels, action);
    if (defaults.length === 0) return [];
    const selector = this.config.defaultSelector(pod);
    if (!selector || isEverything(selector)) return [];
    return defaults.map((c) => ({ ...c, selector }));
  }

  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status } {
    let constraints: SpreadConstraint[];
    try {
      constraints = this.constraints(pod, "DoNotSchedule");
    } catch (err) {
      return { status: errorStatus(`get constraints from pod: ${err instanceof Error ? err.message : String(err)}`) };
    }
    return { status: preFilter(state, pod, constraints, nodes) };
  }

  preFilterExtensions(): PreFilterExtensions {
    return this.extensions;
  }

  filter(state: CycleState, _pod: Pod, node: NodeInfo): Status {
    return filter(state, node);
  }

  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    let constraints: SpreadConstraint[];
    try {
      constraints = this.constraints(pod, "ScheduleAnyway");
    } catch (err) {
      return errorStatus(`calculating preScoreState: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Only non-system-default constraints require every topology key on a node.
    const requireAll = (pod.spec?.topologySpreadConstraints?.length ?? 0) > 0 || !this.config.systemDefaulted;
    return preScore(state, pod, constraints, nodes, this.handle.snapshot(), requireAll);
  }

  score(state: CycleState, _pod: Pod, node: NodeInfo): number {
    return score(state, node);
  }

  normalizeScore(state: CycleState, _pod: Pod, nodes: readonly NodeInfo[], scores: NodeScores): Status {
    return normalizeScore(state, nodes, scores);
  }
}

export const newPodTopologySpread: PluginFactory = (args, handle) => new PodTopologySpread(podTopologySpreadArgs(args), handle);
