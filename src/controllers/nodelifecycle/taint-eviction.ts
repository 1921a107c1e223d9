// The taint eviction controller (pkg/controller/tainteviction, the NoExecute taint manager): a pod
// on a node with a NoExecute taint it does not tolerate is deleted at once; one that tolerates it
// for tolerationSeconds is deleted when that time has passed since the taint's timeAdded (timers
// re-queue the pod, so every decision is made from the current caches). Deletion is graceful,
// after the pod gets the DisruptionTarget condition (reason DeletionByTaintManager).
import type { Node, Pod, PodCondition, Taint } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../../apimachinery/status.ts";
import type { Client, Clock, SharedInformer } from "../../client/index.ts";
import { EventRecorder, WorkQueue, finalStateOf, indexFuncs, keyOf, realClock, resources, runController } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { matchingTolerations, noExecuteTaints } from "./taints.ts";

export interface TaintEvictionOptions {
  workers?: number;
}

const RETRIES = 5;

interface Scheduled {
  at: number;
  nodeName: string;
  cancel: () => void;
}

const sameTaints = (a: readonly Taint[], b: readonly Taint[]) =>
  a.length === b.length && a.every((t, i) => t.key === b[i]!.key && t.value === b[i]!.value && t.effect === b[i]!.effect && t.timeAdded === b[i]!.timeAdded);

/**
 * When a pod tolerating all the taints must go: the earliest of, per taint, its start (timeAdded,
 * else when first seen) plus the seconds of the toleration that tolerates it; Infinity = never.
 */
export function evictionTime(used: { taint: Taint; toleration: { tolerationSeconds?: number | null } }[], startOf: (t: Taint) => number): number {
  let at = Infinity;
  for (const { taint, toleration } of used) {
    const secs = toleration.tolerationSeconds;
    if (secs === undefined || secs === null) continue;
    at = Math.min(at, startOf(taint) + Math.max(0, secs) * 1000);
  }
  return at;
}

export class TaintEvictionController implements Controller {
  readonly name = "taint-eviction-controller";
  private readonly client: Client;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly opts: TaintEvictionOptions;
  private readonly nodeInformer: SharedInformer<Node>;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly scheduled = new Map<string, Scheduled>();
  /** When a taint without timeAdded was first seen: `node|key|effect` → ms. */
  private readonly firstSeen = new Map<string, number>();

  constructor(ctx: ControllerContext, opts: TaintEvictionOptions = {}) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.clock = ctx.clock ?? realClock;
    this.opts = opts;
    this.queue = new WorkQueue({ name: "taint-eviction", clock: this.clock });
    this.recorder = new EventRecorder(ctx.client, { component: "taint-eviction-controller", clock: this.clock, log: ctx.log });
    this.nodeInformer = ctx.factory.informerFor<Node>(resources.nodes);
    this.podInformer = ctx.factory.informerFor<Pod>(resources.pods, { indexers: { nodeName: indexFuncs.nodeName } });
    this.nodeInformer.addEventHandler({
      onAdd: (n) => this.queue.add(`node:${keyOf(n)}`),
      onUpdate: (old, n) => {
        if (!sameTaints(noExecuteTaints(old), noExecuteTaints(n))) this.queue.add(`node:${keyOf(n)}`);
      },
      onDelete: (obj) => this.queue.add(`node:${keyOf(finalStateOf(obj))}`),
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => p.spec?.nodeName && this.queue.add(`pod:${keyOf(p)}`),
      onUpdate: (old, p) => {
        const moved = p.spec?.nodeName !== old.spec?.nodeName;
        const tolerations = JSON.stringify(p.spec?.tolerations ?? []) !== JSON.stringify(old.spec?.tolerations ?? []);
        if (p.spec?.nodeName && (moved || tolerations)) this.queue.add(`pod:${keyOf(p)}`);
      },
      onDelete: (obj) => this.cancel(keyOf(finalStateOf(obj)), false),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.nodeInformer.waitForSync(signal)) || !(await this.podInformer.waitForSync(signal))) return;
    try {
      await runController({ name: this.name, queue: this.queue, workers: this.opts.workers ?? 8, reconcile: (key) => this.reconcile(key), signal, log: this.log });
    } finally {
      for (const key of [...this.scheduled.keys()]) this.cancel(key, false);
      await this.recorder.flush();
    }
  }

  /** `node:<name>` re-evaluates every pod on the node; `pod:<ns>/<name>` one pod. */
  async reconcile(key: string): Promise<void> {
    if (key.startsWith("node:")) {
      const name = key.slice(5);
      const node = this.nodeInformer.indexer.get(name);
      if (!node || noExecuteTaints(node).length === 0) {
        for (const [podKey, s] of this.scheduled) if (s.nodeName === name) this.cancel(podKey, !!node);
        for (const k of this.firstSeen.keys()) if (k.startsWith(`${name}|`)) this.firstSeen.delete(k);
        return;
      }
      const errors: unknown[] = [];
      for (const pod of this.podInformer.indexer.byIndex("nodeName", name)) {
        await this.processPod(pod, node).catch((err: unknown) => errors.push(err));
      }
      if (errors.length > 0) throw errors[0];
      return;
    }
    const podKey = key.slice(4);
    const pod = this.podInformer.indexer.get(podKey);
    if (!pod) return this.cancel(podKey, false);
    const node = pod.spec?.nodeName ? this.nodeInformer.indexer.get(pod.spec.nodeName) : undefined;
    if (!node) return;
    if (noExecuteTaints(node).length === 0) return this.cancel(podKey, true);
    await this.processPod(pod, node);
  }

  private startOf(nodeName: string, taint: Taint): number {
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
    if (!Number.isNaN(added)) return added;
    const k = `${nodeName}|${taint.key}|${taint.effect}`;
    if (!this.firstSeen.has(k)) this.firstSeen.set(k, this.clock.now());
    return this.firstSeen.get(k)!;
  }

  /** processPodOnNode: delete now, schedule the deletion, or cancel it. */
  private async processPod(pod: Pod, node: Node): Promise<void> {
    const podKey = keyOf(pod);
    const nodeName = node.metadata!.name!;
    if (pod.spec?.nodeName !== nodeName) return;
    if (pod.metadata?.deletionTimestamp) return this.cancel(podKey, false);
    const taints = noExecuteTaints(node);
    const { allTolerated, used } = matchingTolerations(taints, pod.spec?.tolerations);
    if (!allTolerated) {
      this.log.info({ pod: podKey, node: nodeName }, "not all NoExecute taints are tolerated; deleting the pod");
      this.cancel(podKey, false);
      return this.deletePod(pod);
    }
    const at = evictionTime(used, (t) => this.startOf(nodeName, t));
    if (at === Infinity) return this.cancel(podKey, true);
    const now = this.clock.now();
    if (at <= now) {
      this.cancel(podKey, false);
      return this.deletePod(pod);
    }
    const existing = this.scheduled.get(podKey);
    if (existing?.at === at) return;
    existing?.cancel();
    const cancel = this.clock.setTimer(at - now, () => {
      this.scheduled.delete(podKey);
      this.queue.add(`pod:${podKey}`);
    });
    this.scheduled.set(podKey, { at, nodeName, cancel });
  }

  /** Drops a scheduled deletion; with `event`, records TaintManagerEviction "Cancelling deletion" (cancelWorkWithEvent). */
  private cancel(podKey: string, event: boolean): void {
    const s = this.scheduled.get(podKey);
    if (!s) return;
    s.cancel();
    this.scheduled.delete(podKey);
    if (event) {
      const [namespace, name] = [podKey.slice(0, podKey.indexOf("/")), podKey.slice(podKey.indexOf("/") + 1)];
      this.recorder.event({ apiVersion: "v1", kind: "Pod", namespace, name }, "Normal", "TaintManagerEviction", `Cancelling deletion of Pod ${podKey}`);
    }
  }

  /** Records the eviction, adds the DisruptionTarget condition, then deletes the pod gracefully (retried a few times). */
  private async deletePod(pod: Pod): Promise<void> {
    const podKey = keyOf(pod);
    const { namespace, name, uid } = pod.metadata!;
    this.recorder.event({ apiVersion: "v1", kind: "Pod", namespace, name, uid }, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${podKey}`);
    let lastErr: unknown;
    for (let i = 0; i < RETRIES; i++) {
      try {
        await this.addConditionAndDelete(pod);
        return;
      } catch (err) {
        if (isStatusError(err, "NotFound")) return;
        lastErr = err;
      }
    }
    throw lastErr;
  }

  private async addConditionAndDelete(cached: Pod): Promise<void> {
    const { namespace, name } = cached.metadata!;
    const pod = await this.client.get<Pod>(resources.pods, name!, { namespace });
    if (pod.metadata?.uid !== cached.metadata?.uid || pod.metadata?.deletionTimestamp) return;
    const want: PodCondition = { type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager", message: "Taint manager: deleting due to NoExecute taint" };
    const have = pod.status?.conditions?.find((c) => c.type === "DisruptionTarget");
    if (!have || have.status !== want.status || have.reason !== want.reason || have.message !== want.message) {
      const lastTransitionTime = have?.status === want.status ? have.lastTransitionTime : new Date(Math.floor(this.clock.now() / 1000) * 1000).toISOString().replace(".000Z", "Z");
      await this.client.patch<Pod>(resources.pods, name!, { status: { conditions: [{ ...want, lastTransitionTime }] } }, { type: "strategic", namespace, subresource: "status" });
    }
    await this.client.delete(resources.pods, name!, { namespace, preconditions: { uid: pod.metadata?.uid } });
  }

  /** For tests: pods with a deletion scheduled, and when. */
  get pendingEvictions(): ReadonlyMap<string, number> {
    return new Map([...this.scheduled].map(([k, s]) => [k, s.at]));
  }
}
