// The ReplicaSet controller (kubernetes/pkg/controller/replicaset): keeps spec.replicas pods from
// spec.template running, adopting matching orphans, and reports what it sees in status.
import type { ReplicaSet, ReplicaSetStatus } from "kubernetes-types/apps/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import { isStatusError } from "../../apimachinery/status.ts";
import { labelSelectorAsSelector, matchesLabels } from "../../apimachinery/labels.ts";
import type { Client, Clock, SharedInformer } from "../../client/index.ts";
import { ControllerExpectations, EventRecorder, WorkQueue, finalStateOf, indexFuncs, keyOf, realClock, resources, runController } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { claimPods } from "../claim.ts";
import { controllerRefOf, isPodActive, isPodReady } from "../pod-util.ts";
import { podsToDelete } from "./ranking.ts";
import { calculateStatus, statusChanged } from "./status.ts";
import type { StatusOptions } from "./status.ts";

const CONTROLLER_INDEX = "replicaset/controllerUid";
const ORPHAN_INDEX = "replicaset/orphans";
/** Pods without a controller, by namespace (candidates for adoption). */
const orphansByNamespace = (pod: Pod): string[] => (controllerRefOf(pod) ? [] : [pod.metadata?.namespace ?? ""]);

export interface ReplicaSetControllerOptions {
  workers?: number;
  /** Most creations or deletions in one reconcile (Kubernetes: 500). */
  burstReplicas?: number;
}

/**
 * Calls `fn` `count` times in batches of 1, 2, 4, 8 … (parallel within a batch), stopping after
 * the first batch with a failure. Resolves to the number of successful calls and the first error.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, fn));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    successes += results.filter((r) => r.status === "fulfilled").length;
    if (failed) return { successes, error: failed.reason };
    remaining -= batch;
  }
  return { successes };
}

export class ReplicaSetController implements Controller {
  readonly name = "replicaset";
  readonly expectations: ControllerExpectations;
  private readonly client: Client;
  private readonly rsInformer: SharedInformer<ReplicaSet>;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly opts: ReplicaSetControllerOptions;

  constructor(ctx: ControllerContext, opts: ReplicaSetControllerOptions = {}) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.clock = ctx.clock ?? realClock;
    this.opts = opts;
    this.expectations = new ControllerExpectations({ clock: this.clock });
    this.queue = new WorkQueue({ name: "replicaset", clock: this.clock });
    this.recorder = new EventRecorder(ctx.client, { component: "replicaset-controller", clock: this.clock, log: ctx.log });
    this.rsInformer = ctx.factory.informerFor<ReplicaSet>(resources.replicasets, { indexers: { namespace: indexFuncs.namespace } });
    this.podInformer = ctx.factory.informerFor<Pod>(resources.pods, { indexers: { [CONTROLLER_INDEX]: indexFuncs.controllerUid, [ORPHAN_INDEX]: orphansByNamespace } });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.enqueue(rs),
      onUpdate: (_old, rs) => this.enqueue(rs),
      onDelete: (obj) => {
        const rs = finalStateOf(obj);
        this.expectations.delete(keyOf(rs));
        this.enqueue(rs);
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, pod) => this.updatePod(old, pod),
      onDelete: (obj) => this.deletePod(finalStateOf(obj)),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.podInformer.waitForSync(signal)) || !(await this.rsInformer.waitForSync(signal))) return;
    await runController({ name: this.name, queue: this.queue, workers: this.opts.workers ?? 5, reconcile: (key) => this.reconcile(key), signal, log: this.log });
    await this.recorder.flush();
  }

  private enqueue(rs: ReplicaSet): void {
    this.queue.add(keyOf(rs));
  }

  /** The ReplicaSet a controller reference points at, if it is in the cache with that UID. */
  private resolveControllerRef(namespace: string, ref: OwnerReference): ReplicaSet | undefined {
    if (ref.kind !== "ReplicaSet") return undefined;
    const rs = this.rsInformer.indexer.get(`${namespace}/${ref.name}`);
    return rs?.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets whose selector matches an orphan pod's labels. */
  private replicaSetsFor(pod: Pod): ReplicaSet[] {
    const labels = pod.metadata?.labels;
    if (!labels) return [];
    return this.rsInformer.indexer.byIndex("namespace", pod.metadata?.namespace ?? "")
      .filter((rs) => rs.spec?.selector && matchesLabels(labelSelectorAsSelector(rs.spec.selector), labels));
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.deletePod(pod);
    const ref = controllerRefOf(pod);
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata?.namespace ?? "", ref);
      if (!rs) return;
      this.expectations.creationObserved(keyOf(rs));
      return this.enqueue(rs);
    }
    for (const rs of this.replicaSetsFor(pod)) this.enqueue(rs);
  }

  private updatePod(old: Pod, pod: Pod): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const ns = pod.metadata?.namespace ?? "";
    if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
      // A graceful deletion began: the pod stops counting now, which is what expectations await.
      this.deletePod(pod);
    }
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(pod.metadata?.labels ?? {});
    const ref = controllerRefOf(pod);
    const oldRef = controllerRefOf(old);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const oldRs = this.resolveControllerRef(ns, oldRef);
      if (oldRs) this.enqueue(oldRs);
    }
    if (ref) {
      const rs = this.resolveControllerRef(ns, ref);
      if (!rs) return;
      this.enqueue(rs);
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(keyOf(rs), minReady * 1000 + 100);
      return;
    }
    if (labelsChanged || oldRef) for (const rs of this.replicaSetsFor(pod)) this.enqueue(rs);
  }

  private deletePod(pod: Pod): void {
    const ref = controllerRefOf(pod);
    if (!ref) return;
    const rs = this.resolveControllerRef(pod.metadata?.namespace ?? "", ref);
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), keyOf(pod));
    this.enqueue(rs);
  }

  /** Brings one ReplicaSet's pods to spec.replicas and writes its status; idempotent. */
  async reconcile(key: string): Promise<void> {
    const cached = this.rsInformer.indexer.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const rs = structuredClone(cached);
    const namespace = rs.metadata?.namespace ?? "";
    const needsSync = this.expectations.satisfied(key);
    const selector = labelSelectorAsSelector(rs.spec?.selector);
    // The pods it may claim: those it controls and the namespace's orphans (Kubernetes' controllerUID
    // index), not every pod of the namespace: a reconcile costs O(its pods), not O(namespace).
    const candidates = [...this.podInformer.indexer.byIndex(CONTROLLER_INDEX, rs.metadata?.uid ?? ""), ...this.podInformer.indexer.byIndex(ORPHAN_INDEX, namespace)];
    const active = candidates.filter(isPodActive);
    const owner = ownerRefFor(rs);
    const pods = await claimPods(active, {
      client: this.client, owner, namespace, selector, ownerDeleting: !!rs.metadata?.deletionTimestamp,
      canAdopt: async () => {
        const fresh = await this.client.get<ReplicaSet>(resources.replicasets, rs.metadata!.name!, { namespace }).catch(() => undefined);
        return fresh?.metadata?.uid === rs.metadata?.uid && !fresh?.metadata?.deletionTimestamp;
      },
    });
    let failure: StatusOptions["manageReplicasError"];
    if (needsSync && !rs.metadata?.deletionTimestamp) failure = await this.manageReplicas(key, rs, pods);
    const now = this.clock.now();
    const status = calculateStatus(rs, pods, { now, manageReplicasError: failure });
    if (statusChanged(rs.status, status)) await this.writeStatus(rs, status);
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (!failure && minReady > 0 && status.readyReplicas === (rs.spec?.replicas ?? 1) && status.availableReplicas !== status.readyReplicas) {
      this.queue.addAfter(key, minReady * 1000);
    }
    if (failure) throw new Error(failure.message);
  }

  /** Creates or deletes the difference; returns the failure to report, if any. */
  private async manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<StatusOptions["manageReplicasError"]> {
    const burst = this.opts.burstReplicas ?? 500;
    const wanted = rs.spec?.replicas ?? 1;
    const diff = pods.length - wanted;
    if (diff < 0) {
      const count = Math.min(-diff, burst);
      this.expectations.expectCreations(key, count);
      this.log.debug({ replicaset: key, want: wanted, have: pods.length, creating: count }, "too few replicas");
      const { successes, error } = await slowStartBatch(count, 1, () => this.createPod(rs));
      const skipped = count - successes;
      if (skipped > 0) this.expectations.lowerExpectations(key, skipped, 0);
      if (error !== undefined) return { reason: "FailedCreate", message: error instanceof Error ? error.message : String(error) };
      return undefined;
    }
    if (diff > 0) {
      const victims = podsToDelete(pods, pods, Math.min(diff, burst));
      this.expectations.expectDeletions(key, victims.map((p) => keyOf(p)));
      this.log.debug({ replicaset: key, want: wanted, have: pods.length, deleting: victims.length }, "too many replicas");
      const errors = await Promise.all(victims.map((pod) => this.deletePodOf(key, rs, pod)));
      const error = errors.find((e) => e !== undefined);
      if (error !== undefined) return { reason: "FailedDelete", message: error instanceof Error ? error.message : String(error) };
    }
    return undefined;
  }

  private async createPod(rs: ReplicaSet): Promise<void> {
    const template = rs.spec?.template ?? {};
    const pod: Pod = {
      apiVersion: "v1", kind: "Pod",
      metadata: {
        generateName: `${rs.metadata!.name}-`, namespace: rs.metadata!.namespace,
        labels: { ...template.metadata?.labels }, annotations: { ...template.metadata?.annotations },
        ownerReferences: [ownerRefFor(rs)],
        ...(template.metadata?.finalizers ? { finalizers: [...template.metadata.finalizers] } : {}),
      },
      spec: structuredClone(template.spec ?? { containers: [] }),
    };
    try {
      const created = await this.client.create<Pod>(resources.pods, pod);
      this.recorder.event(rs, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata?.name}`);
    } catch (err) {
      this.recorder.event(rs, "Warning", "FailedCreate", `Error creating: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  /** Resolves to the error, if the deletion failed for another reason than NotFound. */
  private async deletePodOf(key: string, rs: ReplicaSet, pod: Pod): Promise<unknown> {
    const name = pod.metadata!.name!;
    try {
      await this.client.delete(resources.pods, name, { namespace: pod.metadata!.namespace, preconditions: { uid: pod.metadata?.uid } });
      this.recorder.event(rs, "Normal", "SuccessfulDelete", `Deleted pod: ${name}`);
      return undefined;
    } catch (err) {
      this.expectations.deletionObserved(key, keyOf(pod));
      if (isStatusError(err, "NotFound")) return undefined;
      this.recorder.event(rs, "Warning", "FailedDelete", `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
      return err;
    }
  }

  /** PUT to /status; on a conflict once more against a fresh read (its spec may have moved on). */
  private async writeStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<void> {
    try {
      await this.client.updateStatus<ReplicaSet>(resources.replicasets, { ...rs, status });
    } catch (err) {
      if (isStatusError(err, "NotFound")) return;
      if (!isStatusError(err, "Conflict")) throw err;
      const fresh = await this.client.get<ReplicaSet>(resources.replicasets, rs.metadata!.name!, { namespace: rs.metadata!.namespace });
      if (fresh.metadata?.uid !== rs.metadata?.uid) return;
      await this.client.updateStatus<ReplicaSet>(resources.replicasets, { ...fresh, status });
    }
  }
}

/** The controller owner reference a ReplicaSet puts on its pods. */
export function ownerRefFor(rs: ReplicaSet): OwnerReference {
  return { apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.metadata!.name!, uid: rs.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}
