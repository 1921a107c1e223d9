// The namespace controller (kubernetes/pkg/controller/namespace): a Terminating namespace has
// everything in it deleted, then its "kubernetes" finalizer removed, so the API server deletes it.
import type { Namespace, Pod } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../../apimachinery/status.ts";
import type { Client, Clock, ObjectLike, SharedInformer } from "../../client/index.ts";
import { WorkQueue, keyOf, realClock, resources, runController } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { NamespaceConditionUpdater } from "./conditions.ts";
import { discoverNamespacedResources } from "./discovery.ts";
import type { DeletableResource } from "./discovery.ts";

export const NAMESPACE_FINALIZER = "kubernetes";
/** How long Kubernetes expects finalizers on remaining objects to take. */
const FINALIZER_ESTIMATE_MS = 15_000;

interface Remaining {
  count: number;
  /** finalizer → remaining objects carrying it. */
  finalizers: Map<string, number>;
  estimateMs: number;
  error?: unknown;
}

export interface NamespaceControllerOptions {
  workers?: number;
  /** Longest wait before looking again at a namespace whose content is still going (ms); default 5000. */
  maxRecheckMs?: number;
}

/** Thrown (and re-queued) while objects remain in a Terminating namespace. */
export class ContentRemainingError extends Error {
  readonly estimateMs: number;
  constructor(message: string, estimateMs: number) {
    super(message);
    this.estimateMs = estimateMs;
  }
}

export class NamespaceController implements Controller {
  readonly name = "namespace";
  private readonly client: Client;
  private readonly informer: SharedInformer<Namespace>;
  private readonly queue: WorkQueue;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly opts: NamespaceControllerOptions;

  constructor(ctx: ControllerContext, opts: NamespaceControllerOptions = {}) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.clock = ctx.clock ?? realClock;
    this.opts = opts;
    this.queue = new WorkQueue({ name: "namespace", clock: this.clock });
    this.informer = ctx.factory.informerFor<Namespace>(resources.namespaces);
    const enqueue = (ns: Namespace) => {
      if (ns.metadata?.deletionTimestamp) this.queue.add(keyOf(ns));
    };
    this.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.informer.waitForSync(signal))) return;
    await runController({ name: this.name, queue: this.queue, workers: this.opts.workers ?? 2, reconcile: (key) => this.reconcileOrRecheck(key), signal, log: this.log });
  }

  /** Content still going is not a failure: look again after the estimate, without back-off. */
  private async reconcileOrRecheck(key: string): Promise<void> {
    try {
      await this.reconcile(key);
    } catch (err) {
      if (!(err instanceof ContentRemainingError)) throw err;
      this.log.debug({ namespace: key, reason: err.message }, "content remaining");
      this.queue.addAfter(key, Math.min(Math.max(err.estimateMs, 200), this.opts.maxRecheckMs ?? 5000));
    }
  }

  /** Empties a Terminating namespace and finalizes it; does nothing for an Active one. */
  async reconcile(name: string): Promise<void> {
    const cached = this.informer.indexer.get(name);
    if (!cached?.metadata?.deletionTimestamp) return;
    let ns: Namespace;
    try {
      ns = await this.client.get<Namespace>(resources.namespaces, name);
    } catch (err) {
      if (isStatusError(err, "NotFound")) return;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(NAMESPACE_FINALIZER)) return;
    const { estimateMs, remaining } = await this.deleteAllContent(ns);
    if (estimateMs > 0) throw new ContentRemainingError(`some content remains in namespace ${name}: ${remaining.join(", ")}`, estimateMs);
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER);
    await this.client.request("PUT", `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`, { ...ns, spec: { ...ns.spec, finalizers } });
    this.log.info({ namespace: name }, "namespace emptied and finalized");
  }

  /**
   * One pass over every resource (deleteAllContent): deletes what is left, writes the status
   * conditions when they changed, throws the failures (after trying every resource), and returns
   * how long to wait for what is still going (0 = all gone).
   */
  private async deleteAllContent(ns: Namespace): Promise<{ estimateMs: number; remaining: string[] }> {
    const name = ns.metadata!.name!;
    const updater = new NamespaceConditionUpdater(new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z"));
    const errs: unknown[] = [];
    const discovery = await discoverNamespacedResources(this.client);
    if (discovery.discoveryError) {
      errs.push(discovery.discoveryError);
      updater.processDiscoverResourcesErr(discovery.discoveryError);
    }
    if (discovery.groupVersionError) {
      errs.push(discovery.groupVersionError);
      updater.processGroupVersionErr(discovery.groupVersionError);
    }
    const byResource = new Map<string, number>();
    const byFinalizer = new Map<string, number>();
    let estimateMs = 0;
    const results = await Promise.all(discovery.resources.map(async (r) => ({ r, left: await this.deleteAllOf(r, name) })));
    for (const { r, left } of results) {
      if (left.error !== undefined) {
        errs.push(left.error);
        updater.processDeleteContentErr(left.error);
      }
      estimateMs = Math.max(estimateMs, left.estimateMs);
      if (left.count === 0) continue;
      byResource.set(`${r.resource}.${r.group}`, left.count);
      for (const [f, n] of left.finalizers) byFinalizer.set(f, (byFinalizer.get(f) ?? 0) + n);
    }
    updater.processContentTotals({ remainingByResource: byResource, remainingByFinalizer: byFinalizer });
    const status = structuredClone(ns.status ?? {});
    if (updater.update(status)) {
      try {
        await this.client.updateStatus<Namespace>(resources.namespaces, { ...ns, status });
      } catch (err) {
        this.log.warn({ namespace: name, err }, "could not update the namespace's status conditions");
      }
    }
    if (errs.length > 0) throw new AggregateError(errs, errs.map((e) => (e instanceof Error ? e.message : String(e))).join("; "));
    return { estimateMs, remaining: [...byResource].map(([r, n]) => `${r}: ${n}`) };
  }

  /**
   * Deletes what is left of one resource in the namespace (deleteAllContentForGroupVersionResource).
   * Reports what remains, by finalizer, a wait estimate, and an error for a failure or for objects
   * that remain with nothing to wait for.
   */
  private async deleteAllOf(r: DeletableResource, namespace: string): Promise<Remaining> {
    const none: Remaining = { count: 0, finalizers: new Map(), estimateMs: 0 };
    try {
      let list;
      try {
        list = await this.client.listAll<ObjectLike>(r, { namespace });
      } catch (err) {
        if (isStatusError(err, "NotFound") || isStatusError(err, "MethodNotAllowed")) return none;
        throw err;
      }
      if (list.items.length === 0) return none;
      const isPods = r.group === "" && r.resource === "pods";
      if (r.deleteCollection && !isPods) {
        await this.client.deleteCollection(r, { namespace, propagationPolicy: "Background" });
      } else {
        await Promise.all(list.items.map((obj) => this.deleteOne(r, namespace, obj, isPods)));
      }
      const after = await this.client.listAll<ObjectLike>(r, { namespace });
      if (after.items.length === 0) return none;
      const finalizers = new Map<string, number>();
      for (const obj of after.items) for (const f of obj.metadata?.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
      let estimateMs = 0;
      if (isPods) {
        // Pods still terminating: until the last grace period ends (force-deleted ones are about to go).
        const now = this.clock.now();
        for (const pod of after.items as Pod[]) {
          const at = pod.metadata?.deletionTimestamp ? Date.parse(pod.metadata.deletionTimestamp) : now;
          estimateMs = Math.max(estimateMs, at - now, (pod.metadata?.finalizers ?? []).length > 0 ? 0 : 1000);
        }
      }
      const remaining: Remaining = { count: after.items.length, finalizers, estimateMs };
      if (estimateMs > 0) return remaining;
      // Finalizers are a normal wait (Kubernetes assumes 15 s for them to complete).
      if (finalizers.size > 0) return { ...remaining, estimateMs: FINALIZER_ESTIMATE_MS };
      return { ...remaining, error: new Error(`unexpected items still remain in namespace: ${namespace} for gvr: ${r.group}/${r.version}, Resource=${r.resource}`) };
    } catch (err) {
      return { ...none, error: err };
    }
  }

  /**
   * One object. A pod already terminating is force-deleted once its grace period ran out (or if
   * it was never bound: no kubelet will finish it).
   */
  private async deleteOne(r: DeletableResource, namespace: string, obj: ObjectLike, isPod: boolean): Promise<void> {
    const name = obj.metadata?.name;
    if (!name) return;
    let gracePeriodSeconds: number | undefined;
    if (isPod && obj.metadata?.deletionTimestamp) {
      const pod = obj as Pod;
      const expired = Date.parse(obj.metadata.deletionTimestamp) <= this.clock.now();
      if (!pod.spec?.nodeName || expired) gracePeriodSeconds = 0;
      else return;
    } else if (obj.metadata?.deletionTimestamp) {
      return;
    }
    try {
      await this.client.delete(r, name, { namespace, gracePeriodSeconds, preconditions: { uid: obj.metadata?.uid } });
    } catch (err) {
      if (isStatusError(err, "NotFound") || isStatusError(err, "Conflict")) return;
      throw err;
    }
  }
}
