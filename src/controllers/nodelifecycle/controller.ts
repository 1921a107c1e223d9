// The node lifecycle controller (pkg/controller/nodelifecycle): every monitor period it judges each
// node's health from its Ready heartbeat and its Lease, marks silent nodes Unknown and their pods
// not ready, and keeps the NoExecute not-ready/unreachable taints (rate-limited per zone, paused
// when every zone is down) that the taint eviction controller acts on. A work queue keeps the
// condition-based NoSchedule taints (not-ready, unreachable, *-pressure, unschedulable) in step.
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node, Pod, Taint } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../../apimachinery/status.ts";
import type { Client, Clock, SharedInformer } from "../../client/index.ts";
import { EventRecorder, WorkQueue, finalStateOf, indexFuncs, keyOf, realClock, resources, runController, sleep } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { assessNodeHealth, computeZoneState, rfc3339, zoneOf } from "./health.ts";
import type { NodeHealth, ZoneState } from "./health.ts";
import { NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE, condition, conditionTaintDiff, swapTaints, taintExists } from "./taints.ts";

export interface NodeLifecycleOptions {
  /** How often node health is checked (nodeMonitorPeriod); default 5 s. */
  nodeMonitorPeriodMs?: number;
  /** Silence after which a node is Unknown (nodeMonitorGracePeriod); default 40 s. */
  nodeMonitorGracePeriodMs?: number;
  /** The same for a node that never posted status (nodeStartupGracePeriod); default 60 s. */
  nodeStartupGracePeriodMs?: number;
  /** Nodes per second given a NoExecute taint, per zone (nodeEvictionRate); default 0.1. */
  evictionLimiterQPS?: number;
  /** The rate in a partially disrupted zone of a large cluster (secondaryNodeEvictionRate); default 0.01. */
  secondaryEvictionLimiterQPS?: number;
  /** Zones up to this size stop tainting when partially disrupted; default 50. */
  largeClusterSizeThreshold?: number;
  /** Fraction of not-ready nodes (more than 2) that makes a zone partially disrupted; default 0.55. */
  unhealthyZoneThreshold?: number;
  workers?: number;
}

const LEASE_NAMESPACE = "kube-node-lease";
const EXCLUDE_DISRUPTION = "node.kubernetes.io/exclude-disruption";
const STATUS_UPDATE_RETRIES = 5;

export class NodeLifecycleController implements Controller {
  readonly name = "nodelifecycle";
  private readonly client: Client;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly opts: Required<Omit<NodeLifecycleOptions, "workers">> & { workers: number };
  private readonly nodeInformer: SharedInformer<Node>;
  private readonly leaseInformer: SharedInformer<Lease>;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly taintQueue: WorkQueue;
  private readonly podQueue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly health = new Map<string, NodeHealth>();
  private readonly known = new Set<string>();
  private readonly zoneStates = new Map<string, ZoneState>();
  /** Per zone: the tainting rate and when the next NoExecute taint may be added. */
  private readonly limiters = new Map<string, { qps: number; next: number }>();
  /** Per zone: nodes waiting for their NoExecute taint. */
  private readonly pendingTaint = new Map<string, Set<string>>();
  /** Nodes whose pods could not all be marked not ready. */
  private readonly podsToRetry = new Set<string>();

  constructor(ctx: ControllerContext, opts: NodeLifecycleOptions = {}) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.clock = ctx.clock ?? realClock;
    this.opts = {
      nodeMonitorPeriodMs: opts.nodeMonitorPeriodMs ?? 5000,
      nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs ?? 40_000,
      nodeStartupGracePeriodMs: opts.nodeStartupGracePeriodMs ?? 60_000,
      evictionLimiterQPS: opts.evictionLimiterQPS ?? 0.1,
      secondaryEvictionLimiterQPS: opts.secondaryEvictionLimiterQPS ?? 0.01,
      largeClusterSizeThreshold: opts.largeClusterSizeThreshold ?? 50,
      unhealthyZoneThreshold: opts.unhealthyZoneThreshold ?? 0.55,
      workers: opts.workers ?? 4,
    };
    this.taintQueue = new WorkQueue({ name: "nodelifecycle-taints", clock: this.clock });
    this.podQueue = new WorkQueue({ name: "nodelifecycle-pods", clock: this.clock });
    this.recorder = new EventRecorder(ctx.client, { component: "node-controller", clock: this.clock, log: ctx.log });
    this.nodeInformer = ctx.factory.informerFor<Node>(resources.nodes);
    this.leaseInformer = ctx.factory.informerFor<Lease>(resources.leases, { namespace: LEASE_NAMESPACE });
    this.podInformer = ctx.factory.informerFor<Pod>(resources.pods, { indexers: { nodeName: indexFuncs.nodeName } });
    this.nodeInformer.addEventHandler({
      onAdd: (n) => this.taintQueue.add(keyOf(n)),
      onUpdate: (_o, n) => this.taintQueue.add(keyOf(n)),
      onDelete: (obj) => this.nodeDeleted(finalStateOf(obj)),
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => p.spec?.nodeName && this.podQueue.add(keyOf(p)),
      onUpdate: (old, p) => p.spec?.nodeName && p.spec.nodeName !== old.spec?.nodeName && this.podQueue.add(keyOf(p)),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    for (const informer of [this.nodeInformer, this.leaseInformer, this.podInformer] as SharedInformer<{ metadata?: object }>[]) {
      if (!(await informer.waitForSync(signal))) return;
    }
    const monitor = (async () => {
      while (!signal.aborted) {
        await this.monitorNodeHealth().catch((err: unknown) => this.log.error({ err }, "node lifecycle: monitoring node health failed"));
        await sleep(this.clock, this.opts.nodeMonitorPeriodMs, signal);
      }
    })();
    await Promise.all([
      runController({ name: "nodelifecycle-taints", queue: this.taintQueue, workers: this.opts.workers, reconcile: (key) => this.doNoScheduleTaintingPass(key), signal, log: this.log }),
      runController({ name: "nodelifecycle-pods", queue: this.podQueue, workers: this.opts.workers, reconcile: (key) => this.processPod(key), signal, log: this.log }),
      monitor,
    ]);
    await this.recorder.flush();
  }

  private nodeEvent(node: Node, type: "Normal" | "Warning", reason: string, message: string): void {
    this.recorder.event({ kind: "Node", name: node.metadata?.name, uid: node.metadata?.uid }, type, reason, message);
  }

  private nodeDeleted(node: Node): void {
    const name = node.metadata?.name ?? "";
    if (!this.known.delete(name)) return;
    this.health.delete(name);
    for (const pending of this.pendingTaint.values()) pending.delete(name);
    this.nodeEvent(node, "Normal", "RemovingNode", `Node ${name} event: Removing Node ${name} from Controller`);
  }

  /** The NoSchedule taints that follow the node's conditions and spec.unschedulable. */
  private async doNoScheduleTaintingPass(name: string): Promise<void> {
    const node = this.nodeInformer.indexer.get(name);
    if (!node) return;
    const { add, remove } = conditionTaintDiff(node);
    if (add.length === 0 && remove.length === 0) return;
    await this.swapTaints(name, add, remove);
  }

  /**
   * Changes the node's taints with a fresh read on conflict; true when done (or nothing to do).
   * `when` re-checks a fresh copy still wants the change.
   */
  private async swapTaints(name: string, add: Taint[], remove: Taint[], when: (n: Node) => boolean = () => true): Promise<boolean> {
    let node = this.nodeInformer.indexer.get(name);
    for (let attempt = 0; attempt < STATUS_UPDATE_RETRIES; attempt++) {
      try {
        if (!node || attempt > 0) node = await this.client.get<Node>(resources.nodes, name);
        if (!when(node)) return true;
        const taints = swapTaints(node.spec?.taints, add, remove, rfc3339(this.clock.now()));
        const before = node.spec?.taints ?? [];
        if (taints.length === before.length && taints.every((t) => taintExists(before, t))) return true;
        const next = structuredClone(node);
        next.spec = { ...next.spec, taints };
        if (taints.length === 0) delete next.spec.taints;
        await this.client.update<Node>(resources.nodes, next);
        this.log.debug({ node: name, add: add.map((t) => t.key), remove: remove.map((t) => t.key) }, "node taints updated");
        return true;
      } catch (err) {
        if (isStatusError(err, "NotFound")) return true;
        if (!isStatusError(err, "Conflict") || attempt === STATUS_UPDATE_RETRIES - 1) throw err;
      }
    }
    return false;
  }

  /** One pass over every node (monitorNodeHealth). */
  async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodeInformer.list();
    const zones = new Map<string, (string | undefined)[]>();
    for (const node of nodes) {
      const name = node.metadata!.name!;
      if (!this.known.has(name)) {
        this.known.add(name);
        this.nodeEvent(node, "Normal", "RegisteredNode", `Node ${name} event: Registered Node ${name} in Controller`);
      }
      let current: Node | undefined;
      try {
        current = await this.updateNodeHealth(node);
      } catch (err) {
        this.log.error({ node: name, err }, "node lifecycle: updating node health failed; skipping node");
        continue;
      }
      if (!current) continue;
      const ready = condition(current, "Ready");
      if (!current.metadata?.labels?.[EXCLUDE_DISRUPTION]) {
        const zone = zoneOf(current);
        zones.set(zone, [...(zones.get(zone) ?? []), ready?.status]);
      }
      await this.processTaintBaseEviction(current, ready?.status ?? "Unknown")
        .catch((err: unknown) => this.log.error({ node: name, err }, "node lifecycle: updating NoExecute taints failed"));
    }
    this.handleDisruption(zones, nodes);
    await this.doNoExecuteTaintingPass();
  }

  /** Health of one node, writing Unknown conditions when it went silent; resolves to the node as it now is (undefined if gone). */
  private async updateNodeHealth(cached: Node): Promise<Node | undefined> {
    const name = cached.metadata!.name!;
    let node: Node = cached;
    for (let attempt = 0; ; attempt++) {
      const now = this.clock.now();
      const lease = this.leaseInformer.indexer.get(`${LEASE_NAMESPACE}/${name}`);
      const { health, observedReady, update } = assessNodeHealth(node, this.health.get(name), lease, now, {
        gracePeriodMs: this.opts.nodeMonitorGracePeriodMs, startupGracePeriodMs: this.opts.nodeStartupGracePeriodMs,
      });
      this.health.set(name, health);
      if (!update) {
        if (this.podsToRetry.has(name) && observedReady.status !== "True") await this.markPodsNotReady(name);
        return node;
      }
      try {
        const written = await this.client.updateStatus<Node>(resources.nodes, update);
        const ready = condition(written, "Ready");
        this.health.set(name, { ...health, ready: { lastHeartbeatTime: ready?.lastHeartbeatTime, lastTransitionTime: ready?.lastTransitionTime }, readyTransitionTimestamp: now });
        this.log.info({ node: name, since: rfc3339(health.probeTimestamp) }, "node stopped posting status; conditions set to Unknown");
        if (observedReady.status === "True") {
          this.nodeEvent(written, "Normal", "NodeNotReady", `Node ${name} status is now: NodeNotReady`);
          await this.markPodsNotReady(name);
        }
        return written;
      } catch (err) {
        if (isStatusError(err, "NotFound")) return undefined;
        if (attempt >= STATUS_UPDATE_RETRIES - 1) throw err;
        node = await this.client.get<Node>(resources.nodes, name);
      }
    }
  }

  /** MarkPodsNotReady: the Ready condition of every pod on the node to False; failures retry on the next pass. */
  private async markPodsNotReady(nodeName: string): Promise<void> {
    let failed = false;
    for (const pod of this.podInformer.indexer.byIndex("nodeName", nodeName)) {
      if (!(await this.markPodNotReady(pod))) failed = true;
    }
    if (failed) this.podsToRetry.add(nodeName);
    else this.podsToRetry.delete(nodeName);
  }

  /** True when done (or nothing to do). */
  private async markPodNotReady(pod: Pod): Promise<boolean> {
    const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
    if (!ready || ready.status === "False") return true;
    const next = structuredClone(pod);
    const conditions = (next as { status?: Pod["status"] }).status!.conditions!;
    const c = conditions.find((x) => x.type === "Ready")!;
    c.status = "False";
    c.lastTransitionTime = rfc3339(this.clock.now());
    try {
      await this.client.updateStatus<Pod>(resources.pods, next);
      this.recorder.event({ ...pod, apiVersion: "v1", kind: "Pod" }, "Warning", "NodeNotReady", "Node is not ready");
      return true;
    } catch (err) {
      if (isStatusError(err, "NotFound")) return true;
      this.log.warn({ pod: keyOf(pod), err }, "unable to mark pod not ready");
      return false;
    }
  }

  /** A pod bound to a node that is not Ready is marked not ready too (processPod). */
  private async processPod(key: string): Promise<void> {
    const pod = this.podInformer.indexer.get(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName || !this.health.has(nodeName)) return;
    const ready = condition(this.nodeInformer.indexer.get(nodeName), "Ready");
    if (ready && ready.status !== "True" && !(await this.markPodNotReady(pod))) throw new Error(`unable to mark pod ${key} not ready`);
  }

  /** processTaintBaseEviction: swap between not-ready and unreachable at once; queue a first NoExecute taint; clear both when Ready. */
  private async processTaintBaseEviction(node: Node, ready: string): Promise<void> {
    const name = node.metadata!.name!;
    const taints = node.spec?.taints;
    const zone = zoneOf(node);
    if (ready === "True") {
      this.pendingTaint.get(zone)?.delete(name);
      if (taintExists(taints, UNREACHABLE_NO_EXECUTE) || taintExists(taints, NOT_READY_NO_EXECUTE)) {
        await this.swapTaints(name, [], [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE], (n) => condition(n, "Ready")?.status === "True");
        this.log.info({ node: name }, "node is ready again; NoExecute taints removed");
      }
      return;
    }
    const [want, other] = ready === "False" ? [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE] : [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];
    if (taintExists(taints, other)) {
      await this.swapTaints(name, [want], [other]);
    } else if (!taintExists(taints, want)) {
      const pending = this.pendingTaint.get(zone) ?? new Set<string>();
      this.pendingTaint.set(zone, pending.add(name));
    }
  }

  /** Adds queued NoExecute taints as each zone's rate allows (doNoExecuteTaintingPass). */
  private async doNoExecuteTaintingPass(): Promise<void> {
    for (const [zone, pending] of this.pendingTaint) {
      for (const name of [...pending]) {
        if (!this.tryAccept(zone)) break;
        pending.delete(name);
        const node = this.nodeInformer.indexer.get(name);
        const status = condition(node, "Ready")?.status;
        if (!node || status === "True" || status === undefined) continue;
        const [want, other] = status === "False" ? [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE] : [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];
        try {
          await this.swapTaints(name, [want], [other], (n) => condition(n, "Ready")?.status === status);
          this.log.info({ node: name, taint: want.key }, "node tainted for eviction");
        } catch (err) {
          this.log.error({ node: name, err }, "failed to taint node; retrying");
          pending.add(name);
        }
      }
    }
  }

  private tryAccept(zone: string): boolean {
    const limiter = this.limiters.get(zone) ?? { qps: this.opts.evictionLimiterQPS, next: 0 };
    this.limiters.set(zone, limiter);
    const now = this.clock.now();
    if (limiter.qps <= 0 || now < limiter.next) return false;
    limiter.next = now + 1000 / limiter.qps;
    return true;
  }

  private setLimiter(zone: string, qps: number): void {
    const limiter = this.limiters.get(zone);
    if (limiter) limiter.qps = qps;
    else this.limiters.set(zone, { qps, next: 0 });
  }

  /** Zone states and tainting rates; when every zone is down, stop tainting and clear NoExecute taints (handleDisruption). */
  private handleDisruption(zones: Map<string, (string | undefined)[]>, nodes: Node[]): void {
    const next = new Map<string, ZoneState>();
    let allFull = zones.size > 0;
    for (const [zone, statuses] of zones) {
      const { state } = computeZoneState(statuses, this.opts.unhealthyZoneThreshold);
      if (state !== "FullDisruption") allFull = false;
      next.set(zone, state);
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, "Initial");
    }
    let allWereFull = true;
    for (const [zone, state] of this.zoneStates) {
      if (!zones.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== "FullDisruption") allWereFull = false;
    }
    if (allFull && allWereFull) return;
    if (allFull) {
      this.log.info("controller detected that all Nodes are not-Ready; entering master disruption mode");
      for (const node of nodes) {
        const name = node.metadata!.name!;
        if (taintExists(node.spec?.taints, UNREACHABLE_NO_EXECUTE) || taintExists(node.spec?.taints, NOT_READY_NO_EXECUTE)) {
          void this.swapTaints(name, [], [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE]).catch((err: unknown) => this.log.error({ node: name, err }, "failed to remove NoExecute taints"));
        }
      }
      for (const pending of this.pendingTaint.values()) pending.clear();
      for (const zone of this.zoneStates.keys()) {
        this.setLimiter(zone, 0);
        this.zoneStates.set(zone, "FullDisruption");
      }
      return;
    }
    if (allWereFull) {
      this.log.info("controller detected that some Nodes are Ready; exiting master disruption mode");
      const now = this.clock.now();
      for (const [name, h] of this.health) this.health.set(name, { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
    }
    for (const [zone, state] of next) {
      if (!allWereFull && this.zoneStates.get(zone) === state) continue;
      const size = zones.get(zone)?.length ?? 0;
      const qps = state === "PartialDisruption" ? (size > this.opts.largeClusterSizeThreshold ? this.opts.secondaryEvictionLimiterQPS : 0) : this.opts.evictionLimiterQPS;
      if (this.zoneStates.get(zone) !== state) this.log.info({ zone, state }, "zone state changed");
      this.setLimiter(zone, qps);
      this.zoneStates.set(zone, state);
    }
  }

  /** For tests and status pages: the zone states of the last pass. */
  get zones(): ReadonlyMap<string, ZoneState> {
    return this.zoneStates;
  }
}
