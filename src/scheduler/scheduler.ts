// The scheduler (kubernetes/pkg/scheduler): informers feed the cache (nodes, assigned pods) and
// the queue (pending pods for this scheduler); `scheduleOne` pops a pod, filters and scores a
// share of the nodes through the framework, assumes the pod on the best node and binds it in the
// background. Failures become FailedScheduling events, a PodScheduled=False condition and a
// requeue; preemption (PostFilter) may nominate a node.
import type { Namespace, Node, Pod, PodCondition } from "kubernetes-types/core/v1.js";
import { EventRecorder, SharedInformerFactory, finalStateOf, realClock, resources } from "../client/index.ts";
import type { Client, Clock, DeletedFinalStateUnknown, SharedInformer } from "../client/index.ts";
import type { Logger } from "../util/log.ts";
import { createLogger } from "../util/log.ts";
import { CycleState } from "./framework/cycle-state.ts";
import type { NodeInfo } from "./framework/node-info.ts";
import { newPodInfo, podKey } from "./framework/pod-info.ts";
import type { PodInfo } from "./framework/pod-info.ts";
import { Framework } from "./framework/runtime.ts";
import type { Profile } from "./framework/runtime.ts";
import { isRejected } from "./framework/status.ts";
import type { Status } from "./framework/status.ts";
import type { PluginFactory } from "./framework/types.ts";
import { SchedulerCache } from "./cache/cache.ts";
import type { Snapshot } from "./cache/snapshot.ts";
import { SchedulingQueue } from "./queue/scheduling-queue.ts";
import type { QueuedPodInfo } from "./queue/scheduling-queue.ts";
import { FitError, NO_NODES_AVAILABLE, newDiagnosis } from "./failure.ts";
import { defaultProfile, inTreeRegistry } from "./profile.ts";
import { SchedulerMetrics } from "./metrics.ts";

export interface SchedulerOptions {
  client: Client;
  /** Default: the in-tree default profile for "default-scheduler". */
  profile?: Profile;
  registry?: Readonly<Record<string, PluginFactory>>;
  clock?: Clock;
  log?: Logger;
  random?: () => number;
  /** Bindings in flight at once; the scheduling loop waits when it is reached. Default 128. */
  maxInflightBindings?: number;
  /** Queue timings (tests shorten them). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  metrics?: SchedulerMetrics;
}

const MIN_FEASIBLE_NODES = 100;
const MIN_FEASIBLE_PERCENTAGE = 5;
const BASE_PERCENTAGE = 50;

/** How many feasible nodes to look for before scoring (numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES || percentageOfNodesToScore >= 100) return numAllNodes;
  let pct = percentageOfNodesToScore;
  if (pct <= 0) pct = Math.max(BASE_PERCENTAGE - Math.floor(numAllNodes / 125), MIN_FEASIBLE_PERCENTAGE);
  return Math.max(Math.floor((numAllNodes * pct) / 100), MIN_FEASIBLE_NODES);
}

const isAssigned = (pod: Pod): boolean => !!pod.spec?.nodeName;
const isTerminal = (pod: Pod): boolean => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

/** Whether anything but status and bookkeeping changed (the queue only re-tries pods on such changes). */
function isPodUpdated(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => JSON.stringify({ ...p, status: undefined, metadata: { ...p.metadata, resourceVersion: undefined, generation: undefined, managedFields: undefined, finalizers: undefined } });
  return strip(a) !== strip(b);
}

/** Whether a node change can matter for scheduling (not just a heartbeat). */
function isNodeUpdated(a: Node, b: Node): boolean {
  const view = (n: Node) => JSON.stringify([n.metadata?.labels, n.spec?.taints, n.spec?.unschedulable, n.status?.allocatable, n.status?.conditions?.map((c) => [c.type, c.status])]);
  return view(a) !== view(b);
}

export class Scheduler {
  readonly client: Client;
  readonly framework: Framework;
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly recorder: EventRecorder;
  readonly metrics: SchedulerMetrics;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly maxInflight: number;
  private readonly factory: SharedInformerFactory;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly nodeInformer: SharedInformer<Node>;
  private readonly nsInformer: SharedInformer<Namespace>;
  /** Pending pods nominated to a node by preemption: node → pod key → info. */
  private readonly nominated = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNodeOf = new Map<string, string>();
  private nextStartNodeIndex = 0;
  private inflight = 0;
  private inflightDrained: (() => void)[] = [];
  private bindings = new Set<Promise<void>>();

  constructor(opts: SchedulerOptions) {
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? createLogger("scheduler");
    this.random = opts.random ?? Math.random;
    this.maxInflight = opts.maxInflightBindings ?? 128;
    this.metrics = opts.metrics ?? new SchedulerMetrics();
    const profile = opts.profile ?? defaultProfile();
    this.recorder = new EventRecorder(this.client, { component: profile.schedulerName, clock: this.clock, log: this.log, concurrency: 8, maxPending: 5000 });
    this.framework = new Framework(profile, opts.registry ?? inTreeRegistry, {
      snapshot: () => this.cache.snapshot(),
      namespaceLabels: (ns) => this.nsInformer.get(ns)?.metadata?.labels,
      nominatedPodsForNode: (node) => [...(this.nominated.get(node)?.values() ?? [])],
      client: this.client, recorder: this.recorder, clock: this.clock, log: this.log,
    });
    this.queue = new SchedulingQueue({ clock: this.clock, pluginEvents: this.framework.pluginEvents(), initialBackoffMs: opts.initialBackoffMs, maxBackoffMs: opts.maxBackoffMs });
    this.factory = new SharedInformerFactory(this.client, { clock: this.clock, log: this.log });
    this.podInformer = this.factory.informerFor<Pod>(resources.pods, { fieldSelector: "status.phase!=Succeeded,status.phase!=Failed" });
    this.nodeInformer = this.factory.informerFor<Node>(resources.nodes);
    this.nsInformer = this.factory.informerFor<Namespace>(resources.namespaces);
    this.registerHandlers();
  }

  get schedulerName(): string {
    return this.framework.profile.schedulerName;
  }

  /** Schedules until `signal` aborts; waits for bindings in flight before resolving. */
  async run(signal: AbortSignal): Promise<void> {
    this.factory.start();
    const timers = [
      setInterval(() => this.queue.flushBackoffCompleted(), 1000),
      setInterval(() => this.queue.flushUnschedulableLeftover(), 30_000),
      setInterval(() => this.metrics.observeQueue(this.queue.lengths()), 1000),
    ];
    try {
      if (!(await this.factory.waitForCacheSync(signal))) return;
      this.log.info({ scheduler: this.schedulerName, nodes: this.cache.nodeCount() }, "scheduler started");
      while (!signal.aborted) {
        if (this.inflight >= this.maxInflight) {
          await new Promise<void>((r) => this.inflightDrained.push(r));
          continue;
        }
        const qp = await this.queue.pop(signal);
        if (!qp) break;
        await this.scheduleOne(qp);
      }
    } finally {
      for (const t of timers) clearInterval(t);
      this.queue.close();
      await Promise.all(this.bindings);
      await this.factory.stop();
      await this.recorder.flush();
    }
  }

  /** One scheduling cycle for a popped pod; the binding continues in the background. */
  async scheduleOne(qp: QueuedPodInfo): Promise<void> {
    const key = qp.podInfo.key;
    const pod = this.podInformer.get(key) ?? qp.podInfo.pod;
    if (!this.podInformer.get(key) || pod.metadata?.deletionTimestamp || isAssigned(pod) || this.cache.isAssumed(key)) {
      this.queue.done(key);
      return;
    }
    const cycle = this.queue.cycle;
    const start = performance.now();
    const state = new CycleState();
    let nodeName: string;
    try {
      nodeName = this.schedulePod(state, pod);
    } catch (err) {
      if (err instanceof FitError) {
        if (this.framework.postFilters.length > 0) {
          const r = await this.framework.runPostFilterPlugins(state, pod, err.diagnosis.nodeStatuses);
          if (r.status.reasons.length > 0) err.diagnosis.postFilterMsg = r.status.reasons.join(", ");
          if (r.nominatedNodeName) this.nominate(pod, r.nominatedNodeName);
          err.refreshMessage();
          this.handleFailure(qp, cycle, "Unschedulable", err.message, err.diagnosis.unschedulablePlugins, r.nominatedNodeName);
        } else {
          this.handleFailure(qp, cycle, "Unschedulable", err.message, err.diagnosis.unschedulablePlugins);
        }
        this.metrics.attempt("unschedulable", performance.now() - start);
      } else {
        this.handleFailure(qp, cycle, "SchedulerError", err instanceof Error ? err.message : String(err), new Set(), undefined, true);
        this.metrics.attempt("error", performance.now() - start);
      }
      return;
    }
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName } };
    this.cache.assumePod(assumed);
    const reserved = this.framework.runReservePlugins(state, assumed, nodeName);
    if (reserved.code !== "Success") {
      this.framework.runUnreservePlugins(state, assumed, nodeName);
      this.cache.forgetPod(assumed);
      this.handleFailure(qp, cycle, "SchedulerError", reserved.reasons.join(", "), new Set(reserved.plugin ? [reserved.plugin] : []), undefined, !isRejected(reserved));
      this.metrics.attempt("error", performance.now() - start);
      return;
    }
    this.unnominate(pod);
    this.metrics.algorithm(performance.now() - start);
    this.inflight++;
    const binding = this.bind(state, qp, assumed, nodeName, cycle, start).finally(() => {
      this.bindings.delete(binding);
      this.inflight--;
      const waiters = this.inflightDrained;
      this.inflightDrained = [];
      for (const w of waiters) w();
    });
    this.bindings.add(binding);
  }

  /** Picks a node for the pod or throws a FitError (or another error). */
  schedulePod(state: CycleState, pod: Pod): string {
    const snapshot = this.cache.snapshot();
    const all = snapshot.list();
    if (all.length === 0) throw new Error(NO_NODES_AVAILABLE);
    const feasible = this.findNodesThatFit(state, pod, snapshot);
    if (feasible.length === 1) return feasible[0].name;
    const pre = this.framework.runPreScorePlugins(state, pod, feasible);
    if (pre.code !== "Success") throw new Error(`running PreScore plugin ${pre.plugin}: ${pre.reasons.join(", ")}`);
    const { totals, status } = this.framework.runScorePlugins(state, pod, feasible);
    if (status.code !== "Success") throw new Error(`running Score plugin ${status.plugin}: ${status.reasons.join(", ")}`);
    // The highest total; ties broken uniformly at random (reservoir sampling), as Kubernetes.
    let best = 0;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      if (totals[i] > totals[best]) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return feasible[best].name;
  }

  private findNodesThatFit(state: CycleState, pod: Pod, snapshot: Snapshot): NodeInfo[] {
    const all = snapshot.list();
    const diagnosis = newDiagnosis();
    const pre = this.framework.runPreFilterPlugins(state, pod, all);
    if (pre.status.code !== "Success") {
      if (!isRejected(pre.status)) throw new Error(`running PreFilter plugin ${pre.status.plugin}: ${pre.status.reasons.join(", ")}`);
      for (const n of all) diagnosis.nodeStatuses.set(n.name, pre.status);
      diagnosis.preFilterMsg = pre.status.reasons.join(", ");
      if (pre.status.plugin) diagnosis.unschedulablePlugins.add(pre.status.plugin);
      throw new FitError(all.length, diagnosis);
    }
    // A node nominated by an earlier preemption is tried first.
    const nominatedNode = pod.status?.nominatedNodeName;
    if (nominatedNode && (!pre.nodeNames || pre.nodeNames.has(nominatedNode))) {
      const n = snapshot.get(nominatedNode);
      if (n && this.filter(state, pod, n).code === "Success") return [n];
    }
    const nodes = pre.nodeNames ? [...pre.nodeNames].map((n) => snapshot.get(n)).filter((n): n is NodeInfo => n !== undefined) : all;
    const want = numFeasibleNodesToFind(this.framework.profile.percentageOfNodesToScore ?? 0, nodes.length);
    const feasible: NodeInfo[] = [];
    const len = nodes.length;
    const startAt = pre.nodeNames ? 0 : this.nextStartNodeIndex % Math.max(len, 1);
    let processed = 0;
    for (; processed < len && feasible.length < want; processed++) {
      const node = nodes[(startAt + processed) % len];
      const s = this.filter(state, pod, node);
      if (s.code === "Success") feasible.push(node);
      else if (isRejected(s)) {
        diagnosis.nodeStatuses.set(node.name, s);
        if (s.plugin) diagnosis.unschedulablePlugins.add(s.plugin);
      } else throw new Error(`running Filter plugin ${s.plugin}: ${s.reasons.join(", ")}`);
    }
    if (!pre.nodeNames) this.nextStartNodeIndex = (startAt + processed) % Math.max(all.length, 1);
    if (feasible.length === 0) {
      // Nodes a PreFilter ruled out count as rejected by it.
      if (pre.nodeNames) for (const n of all) if (!pre.nodeNames.has(n.name)) diagnosis.nodeStatuses.set(n.name, { code: "UnschedulableAndUnresolvable", reasons: ["node(s) didn't satisfy plugin(s) [NodeName NodeAffinity]"] });
      throw new FitError(all.length, diagnosis);
    }
    return feasible;
  }

  private filter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    return this.nominated.size === 0 ? this.framework.runFilterPlugins(state, pod, node) : this.framework.runFilterPluginsWithNominatedPods(state, pod, node);
  }

  private async bind(state: CycleState, qp: QueuedPodInfo, assumed: Pod, nodeName: string, cycle: number, start: number): Promise<void> {
    const status = await this.framework.runBindPlugins(state, assumed, nodeName);
    const key = qp.podInfo.key;
    if (status.code === "Success") {
      this.queue.done(key);
      this.metrics.attempt("scheduled", performance.now() - start);
      this.metrics.e2e(this.clock.now() - qp.initialAttemptTimestamp);
      this.recorder.event(assumed, "Normal", "Scheduled", `Successfully assigned ${key} to ${nodeName}`);
      return;
    }
    this.framework.runUnreservePlugins(state, assumed, nodeName);
    this.cache.forgetPod(assumed);
    this.queue.onEvent("Pod", "Delete"); // the assumed pod's room is free again
    this.metrics.attempt("error", performance.now() - start);
    this.handleFailure(qp, cycle, "SchedulerError", `Binding rejected: ${status.reasons.join(", ")}`, new Set(), undefined, true);
  }

  /**
   * Requeues the pod (unschedulable set, or back-off for errors), records FailedScheduling and
   * writes the PodScheduled=False condition (and nominatedNodeName) if they changed.
   */
  private handleFailure(qp: QueuedPodInfo, cycle: number, reason: string, message: string, plugins: Set<string>, nominatedNodeName?: string, error = false): void {
    const key = qp.podInfo.key;
    const current = this.podInformer.get(key);
    if (!current || isAssigned(current) || current.metadata?.deletionTimestamp) {
      this.queue.done(key);
      return;
    }
    qp.podInfo = newPodInfo(current);
    qp.unschedulablePlugins = plugins;
    this.queue.addUnschedulable(qp, cycle, error);
    this.log.debug({ pod: key, reason, message }, "unable to schedule pod");
    this.recorder.event(current, "Warning", "FailedScheduling", message);
    void this.updatePodStatus(current, { type: "PodScheduled", status: "False", reason, message }, nominatedNodeName);
  }

  private async updatePodStatus(pod: Pod, condition: PodCondition, nominatedNodeName?: string): Promise<void> {
    const old = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
    const sameCondition = old && old.status === condition.status && old.reason === condition.reason && old.message === condition.message;
    const nominatedChanged = nominatedNodeName !== undefined && nominatedNodeName !== pod.status?.nominatedNodeName;
    if (sameCondition && !nominatedChanged) return;
    const now = new Date(Math.floor(this.clock.now() / 1000) * 1000).toISOString().replace(".000Z", "Z");
    const status: Record<string, unknown> = {};
    if (!sameCondition) {
      const transition = old && old.status === condition.status ? old.lastTransitionTime : now;
      status.conditions = [{ ...condition, lastProbeTime: null, lastTransitionTime: transition }];
    }
    if (nominatedChanged) status.nominatedNodeName = nominatedNodeName;
    try {
      await this.client.patch(resources.pods, pod.metadata!.name!, { status }, { namespace: pod.metadata?.namespace, subresource: "status", type: "strategic" });
    } catch (err) {
      this.log.debug({ err, pod: podKey(pod) }, "could not update the pod's PodScheduled condition");
    }
  }

  private nominate(pod: Pod, nodeName: string): void {
    this.unnominate(pod);
    const key = podKey(pod);
    let m = this.nominated.get(nodeName);
    if (!m) this.nominated.set(nodeName, (m = new Map()));
    m.set(key, newPodInfo(pod));
    this.nominatedNodeOf.set(key, nodeName);
  }

  private unnominate(pod: Pod): void {
    const key = podKey(pod);
    const node = this.nominatedNodeOf.get(key);
    if (node === undefined) return;
    this.nominatedNodeOf.delete(key);
    const m = this.nominated.get(node);
    m?.delete(key);
    if (m?.size === 0) this.nominated.delete(node);
  }

  private responsibleFor(pod: Pod): boolean {
    return (pod.spec?.schedulerName ?? "default-scheduler") === this.schedulerName;
  }

  private registerHandlers(): void {
    this.podInformer.addEventHandler({
      onAdd: (pod) => {
        if (isAssigned(pod)) {
          this.cache.addPod(pod);
          this.queue.onEvent("Pod", "Add");
        } else if (this.responsibleFor(pod) && !pod.metadata?.deletionTimestamp) {
          this.queue.add(pod);
          if (pod.status?.nominatedNodeName) this.nominate(pod, pod.status.nominatedNodeName);
        }
      },
      onUpdate: (old, pod) => {
        if (isAssigned(pod)) {
          if (!isAssigned(old)) {
            this.queue.delete(old);
            this.unnominate(old);
            this.cache.addPod(pod);
            this.queue.onEvent("Pod", "Add");
          } else {
            this.cache.updatePod(pod);
            this.queue.onEvent("Pod", "Update");
          }
          return;
        }
        if (!this.responsibleFor(pod)) return;
        if (pod.metadata?.deletionTimestamp) {
          this.queue.delete(pod);
          this.unnominate(pod);
          return;
        }
        if (this.cache.isAssumed(podKey(pod))) return;
        if (pod.status?.nominatedNodeName) this.nominate(pod, pod.status.nominatedNodeName);
        else this.unnominate(pod);
        this.queue.update(pod, isPodUpdated(old, pod));
      },
      onDelete: (obj: Pod | DeletedFinalStateUnknown<Pod>) => {
        const pod = finalStateOf(obj);
        if (isAssigned(pod) || this.cache.nodeOf(podKey(pod)) !== undefined) {
          this.cache.removePod(pod);
          this.queue.onEvent("Pod", "Delete");
        }
        if (!isAssigned(pod) || isTerminal(pod)) {
          this.queue.delete(pod);
          this.unnominate(pod);
        }
      },
    });
    this.nodeInformer.addEventHandler({
      onAdd: (node) => {
        this.cache.addNode(node);
        this.queue.onEvent("Node", "Add");
      },
      onUpdate: (old, node) => {
        this.cache.updateNode(node);
        if (isNodeUpdated(old, node)) this.queue.onEvent("Node", "Update");
      },
      onDelete: (obj: Node | DeletedFinalStateUnknown<Node>) => {
        this.cache.removeNode(finalStateOf(obj));
        this.queue.onEvent("Node", "Delete");
      },
    });
  }
}
