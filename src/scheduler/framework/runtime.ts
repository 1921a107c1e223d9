// The framework runtime (framework/runtime): builds a profile's plugins from the registry and
// runs them at each extension point — PreFilter (with Skip and node-name narrowing), Filter
// (first rejection wins; nominated pods of equal or higher priority count), PostFilter, PreScore,
// Score (normalised, weighted, summed), Reserve/Unreserve and Bind. It is also the plugins' Handle.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Client, Clock, EventRecorder } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import { CycleState } from "./cycle-state.ts";
import type { NodeInfo } from "./node-info.ts";
import type { PodInfo } from "./pod-info.ts";
import { SUCCESS, errorStatus, isRejected } from "./status.ts";
import type { Status } from "./status.ts";
import { MAX_NODE_SCORE } from "./types.ts";
import type {
  BindPlugin, ClusterEvent, FilterPlugin, Handle, NodeInfoLister, NodeStatusMap, Plugin, PluginFactory,
  PostFilterPlugin, PreFilterPlugin, PreScorePlugin, ReservePlugin, ScorePlugin,
} from "./types.ts";

export interface PluginConfig {
  name: string;
  /** Score weight (default 1). */
  weight?: number;
  args?: Record<string, unknown>;
}

export interface Profile {
  schedulerName: string;
  /** In order: Filter plugins run in this order. */
  plugins: readonly PluginConfig[];
  /** 0 (default) = adaptive, as Kubernetes. */
  percentageOfNodesToScore?: number;
}

/** What the runtime needs from the scheduler to act as the plugins' Handle. */
export interface HandleDeps {
  snapshot(): NodeInfoLister;
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
  client: Client;
  recorder: EventRecorder;
  clock: Clock;
  log: Logger;
}

const implementsPoint = <T extends Plugin>(p: Plugin, method: string): p is T => typeof (p as unknown as Record<string, unknown>)[method] === "function";

export class Framework implements Handle {
  readonly profile: Profile;
  readonly plugins: readonly Plugin[];
  readonly preFilter: readonly PreFilterPlugin[];
  readonly filters: readonly FilterPlugin[];
  readonly postFilters: readonly PostFilterPlugin[];
  readonly preScore: readonly PreScorePlugin[];
  readonly scores: readonly { plugin: ScorePlugin; weight: number }[];
  readonly reserve: readonly ReservePlugin[];
  readonly binders: readonly BindPlugin[];
  private readonly deps: HandleDeps;
  /** Raw scores of one plugin, reused by every cycle (scoring is synchronous). */
  private scoreBuffer = new Float64Array(0);

  constructor(profile: Profile, registry: Readonly<Record<string, PluginFactory>>, deps: HandleDeps) {
    this.profile = profile;
    this.deps = deps;
    const plugins: Plugin[] = [];
    const weights = new Map<string, number>();
    for (const cfg of profile.plugins) {
      const factory = registry[cfg.name];
      if (!factory) throw new Error(`scheduler profile ${profile.schedulerName}: unknown plugin ${cfg.name}`);
      plugins.push(factory(cfg.args, this));
      weights.set(cfg.name, cfg.weight ?? 1);
    }
    this.plugins = plugins;
    this.preFilter = plugins.filter((p) => implementsPoint<PreFilterPlugin>(p, "preFilter"));
    this.filters = plugins.filter((p) => implementsPoint<FilterPlugin>(p, "filter"));
    this.postFilters = plugins.filter((p) => implementsPoint<PostFilterPlugin>(p, "postFilter"));
    this.preScore = plugins.filter((p) => implementsPoint<PreScorePlugin>(p, "preScore"));
    this.scores = plugins.filter((p) => implementsPoint<ScorePlugin>(p, "score")).map((plugin) => ({ plugin, weight: weights.get(plugin.name) ?? 1 }));
    this.reserve = plugins.filter((p) => implementsPoint<ReservePlugin>(p, "reserve"));
    this.binders = plugins.filter((p) => implementsPoint<BindPlugin>(p, "bind"));
    if (this.binders.length === 0) throw new Error(`scheduler profile ${profile.schedulerName}: no Bind plugin`);
  }

  // --- Handle ---
  get client(): Client { return this.deps.client; }
  get recorder(): EventRecorder { return this.deps.recorder; }
  get clock(): Clock { return this.deps.clock; }
  get log(): Logger { return this.deps.log; }
  snapshot(): NodeInfoLister { return this.deps.snapshot(); }
  namespaceLabels(ns: string): Readonly<Record<string, string>> | undefined { return this.deps.namespaceLabels(ns); }
  nominatedPodsForNode(node: string): readonly PodInfo[] { return this.deps.nominatedPodsForNode(node); }

  /** Which events may help pods each plugin rejected (for the queue). */
  pluginEvents(): Map<string, readonly ClusterEvent[]> {
    const m = new Map<string, readonly ClusterEvent[]>();
    for (const p of this.plugins) if (p.eventsToRegister) m.set(p.name, p.eventsToRegister());
    return m;
  }

  /** PreFilter: the nodes the pod is restricted to (intersection), or a rejection of the whole pod. */
  runPreFilterPlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { nodeNames?: Set<string>; status: Status } {
    let nodeNames: Set<string> | undefined;
    for (const p of this.preFilter) {
      let r: ReturnType<PreFilterPlugin["preFilter"]>;
      try {
        r = p.preFilter(state, pod, nodes);
      } catch (err) {
        return { status: { ...errorStatus(err), plugin: p.name } };
      }
      if (r.status.code === "Skip") {
        state.skipFilterPlugins.add(p.name);
        continue;
      }
      if (r.status.code !== "Success") return { status: { ...r.status, plugin: p.name } };
      const names = r.result?.nodeNames;
      if (names) nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => names.has(n))) : new Set(names);
    }
    return { nodeNames, status: SUCCESS };
  }

  runPreFilterAddPod(state: CycleState, pod: Pod, toAdd: PodInfo, node: NodeInfo): Status {
    for (const p of this.preFilter) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const s = p.preFilterExtensions?.()?.addPod(state, pod, toAdd, node);
      if (s && s.code !== "Success") return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  runPreFilterRemovePod(state: CycleState, pod: Pod, toRemove: PodInfo, node: NodeInfo): Status {
    for (const p of this.preFilter) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const s = p.preFilterExtensions?.()?.removePod(state, pod, toRemove, node);
      if (s && s.code !== "Success") return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  /** Filter: Success, or the first plugin's rejection (with `plugin` set). */
  runFilterPlugins(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const filters = this.activeFilters(state);
    for (let i = 0; i < filters.length; i++) {
      const p = filters[i];
      let s: Status;
      try {
        s = p.filter(state, pod, node);
      } catch (err) {
        s = errorStatus(err);
      }
      if (s.code !== "Success") return s.plugin === p.name ? s : { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  /** The Filter plugins PreFilter did not skip, computed once per cycle (Filter runs per node). */
  private activeFilters(state: CycleState): readonly FilterPlugin[] {
    const skip = state.skipFilterPlugins;
    if (skip.size === 0) return this.filters;
    const memo = state.activeFilters;
    if (memo && memo.skip === skip && memo.size === skip.size) return memo.plugins;
    const plugins = this.filters.filter((p) => !skip.has(p.name));
    state.activeFilters = { skip, size: skip.size, plugins };
    return plugins;
  }

  /**
   * Filter with the pods nominated to this node (by preemption) that have at least the pod's
   * priority counted as if they were there; the pod must fit both with and without them.
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const priority = pod.spec?.priority ?? 0;
    const uid = pod.metadata?.uid;
    const nominated = this.nominatedPodsForNode(node.name).filter((p) => (p.pod.spec?.priority ?? 0) >= priority && p.pod.metadata?.uid !== uid);
    if (nominated.length > 0) {
      const withNominated = node.clone();
      const s2 = state.clone();
      for (const p of nominated) {
        withNominated.addPod(p);
        const added = this.runPreFilterAddPod(s2, pod, p, withNominated);
        if (added.code !== "Success") return added;
      }
      const s = this.runFilterPlugins(s2, pod, withNominated);
      if (s.code !== "Success") return s;
    }
    return this.runFilterPlugins(state, pod, node);
  }

  async runPostFilterPlugins(state: CycleState, pod: Pod, filtered: NodeStatusMap): Promise<{ nominatedNodeName?: string; status: Status }> {
    let last: Status | undefined;
    const reasons: string[] = [];
    for (const p of this.postFilters) {
      let r: { nominatedNodeName?: string; status: Status };
      try {
        r = await p.postFilter(state, pod, filtered);
      } catch (err) {
        return { status: { ...errorStatus(err), plugin: p.name } };
      }
      if (r.status.code === "Success") return r;
      if (!isRejected(r.status)) return { status: { ...r.status, plugin: p.name } };
      reasons.push(...r.status.reasons);
      last = { ...r.status, plugin: p.name };
    }
    return { status: last ? { ...last, reasons } : { code: "Unschedulable", reasons: [] } };
  }

  runPreScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    for (const p of this.preScore) {
      let s: Status;
      try {
        s = p.preScore(state, pod, nodes);
      } catch (err) {
        s = errorStatus(err);
      }
      if (s.code === "Skip") state.skipScorePlugins.add(p.name);
      else if (s.code !== "Success") return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  /**
   * Score: per node, the weighted sum over plugins of normalised 0..100 scores. A plugin's
   * thrown error becomes its Error status.
   */
  runScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { totals: Float64Array; status: Status } {
    const n = nodes.length;
    const totals = new Float64Array(n);
    if (this.scoreBuffer.length < n) this.scoreBuffer = new Float64Array(Math.max(n, 2 * this.scoreBuffer.length));
    const scores = this.scoreBuffer.subarray(0, n);
    const skip = state.skipScorePlugins;
    for (const { plugin, weight } of this.scores) {
      if (skip.size > 0 && skip.has(plugin.name)) continue;
      try {
        for (let i = 0; i < n; i++) scores[i] = plugin.score(state, pod, nodes[i]);
      } catch (err) {
        return { totals, status: { ...errorStatus(err), plugin: plugin.name } };
      }
      if (plugin.normalizeScore) {
        const s = plugin.normalizeScore(state, pod, nodes, scores);
        if (s.code !== "Success") return { totals, status: { ...s, plugin: plugin.name } };
      }
      for (let i = 0; i < n; i++) {
        const v = scores[i];
        if (!(v >= 0 && v <= MAX_NODE_SCORE)) {
          return { totals, status: { code: "Error", reasons: [`plugin ${plugin.name} returns an invalid score ${v}, it should be in the range of [0, ${MAX_NODE_SCORE}] after normalizing`], plugin: plugin.name } };
        }
        totals[i] += v * weight;
      }
    }
    return { totals, status: SUCCESS };
  }

  runReservePlugins(state: CycleState, pod: Pod, nodeName: string): Status {
    for (const p of this.reserve) {
      const s = p.reserve(state, pod, nodeName);
      if (s.code !== "Success") return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  /** Unreserve runs in reverse order, for every Reserve plugin. */
  runUnreservePlugins(state: CycleState, pod: Pod, nodeName: string): void {
    for (let i = this.reserve.length - 1; i >= 0; i--) {
      try {
        this.reserve[i].unreserve(state, pod, nodeName);
      } catch (err) {
        this.log.error({ err, plugin: this.reserve[i].name }, "unreserve failed");
      }
    }
  }

  async runBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.binders) {
      const s = await p.bind(state, pod, nodeName).catch((err: unknown) => errorStatus(err));
      if (s.code === "Skip") continue;
      return s.code === "Success" ? s : { ...s, plugin: p.name };
    }
    return { code: "Error", reasons: ["no bind plugin bound the pod"] };
  }

  newCycleState(): CycleState {
    return new CycleState();
  }
}
