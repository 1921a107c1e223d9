// The Deployment controller (pkg/controller/deployment): informers on Deployments and ReplicaSets
// enqueue the deployment's key; reconcile() finds or creates the new ReplicaSet, runs one step of
// the strategy (rolling.ts / recreate.ts) or a proportional scale (sync.ts), cleans up old
// ReplicaSets and writes status (progress.ts) through the status subresource when it changed.
import type { Deployment, DeploymentStatus, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import { isEverything, isStatusError, labelSelectorAsSelector, matchesLabels } from "../../apimachinery/index.ts";
import type { Client, Clock, EventRecorder, SharedInformer, SharedInformerFactory } from "../../client/index.ts";
import { WorkQueue, finalStateOf, indexFuncs, keyOf, realClock, referenceTo, resources, runController } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import { createLogger } from "../../util/log.ts";
import { pausedCondition, reasons, rolloutStatus, calculateStatus, getCondition, newCondition, setCondition, stuckRequeueAfter, CONDITION_PROGRESSING, deploymentComplete } from "./progress.ts";
import { recreateStep } from "./recreate.ts";
import { maxRevision, setDeploymentRevision, setNewReplicaSetAnnotations } from "./rollback.ts";
import { newRSNewReplicas, rollingStep } from "./rolling.ts";
import type { ScaleStep } from "./rolling.ts";
import { cleanupCandidates, isScalingEvent, scaleSteps } from "./sync.ts";
import {
  POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, canonicalJson, computeHash, desiredReplicas, equalIgnoreHash, findNewReplicaSet, findOldReplicaSets,
  hasProgressDeadline, maxSurge, setReplicasAnnotations, specReplicas, replicasAnnotationsNeedUpdate,
} from "./util.ts";

export interface DeploymentControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  /** Events (ScalingReplicaSet…); none are recorded without one. */
  recorder?: EventRecorder;
  /** Concurrent reconciles; default 5. */
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

const NS_INDEX = "deployment-controller/namespace";
const OWNER_INDEX = "deployment-controller/controllerUid";

const controllerOf = (obj: { metadata?: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined =>
  obj.metadata?.ownerReferences?.find((r) => r.controller);

/** Loosely compares statuses: zero counts and empty lists equal absent ones (as Go's omitempty). */
function statusKey(s: DeploymentStatus | undefined): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s ?? {})) if (v !== 0 && v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return canonicalJson(out);
}

export class DeploymentController {
  readonly queue: WorkQueue;
  private readonly client: Client;
  private readonly recorder?: EventRecorder;
  private readonly workers: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly dInformer: SharedInformer<Deployment>;
  private readonly rsInformer: SharedInformer<ReplicaSet>;

  constructor(opts: DeploymentControllerOptions) {
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.workers = opts.workers ?? 5;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? createLogger("deployment-controller");
    this.queue = new WorkQueue({ name: "deployment", clock: this.clock });
    this.dInformer = opts.informers.informerFor<Deployment>(resources.deployments, { indexers: { [NS_INDEX]: indexFuncs.namespace } });
    this.rsInformer = opts.informers.informerFor<ReplicaSet>(resources.replicasets, { indexers: { [NS_INDEX]: indexFuncs.namespace, [OWNER_INDEX]: indexFuncs.controllerUid } });
    this.dInformer.addEventHandler({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_old, d) => this.enqueue(d),
      onDelete: (d) => this.enqueue(finalStateOf(d)),
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.enqueueForReplicaSet(rs),
      onUpdate: (old, rs) => {
        if (old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
        const oldRef = controllerOf(old);
        if (oldRef && oldRef.uid !== controllerOf(rs)?.uid) this.enqueueForReplicaSet(old);
        this.enqueueForReplicaSet(rs);
      },
      onDelete: (rs) => this.enqueueForReplicaSet(finalStateOf(rs)),
    });
  }

  /** Starts the two informers (if the factory has not), waits for them, and runs the workers until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.dInformer.start();
    this.rsInformer.start();
    const synced = await Promise.all([this.dInformer.waitForSync(signal), this.rsInformer.waitForSync(signal)]);
    if (!synced.every(Boolean)) {
      this.queue.shutDown();
      return;
    }
    await runController({ name: "deployment", queue: this.queue, workers: this.workers, reconcile: (key) => this.reconcile(key), signal, log: this.log });
  }

  private enqueue(d: Deployment): void {
    this.queue.add(keyOf(d));
  }

  /** A ReplicaSet's owner, or (for an orphan) every deployment in its namespace that selects it. */
  private enqueueForReplicaSet(rs: ReplicaSet): void {
    const ns = rs.metadata?.namespace ?? "";
    const ref = controllerOf(rs);
    if (ref) {
      if (ref.kind !== "Deployment") return;
      const d = this.dInformer.indexer.get(`${ns}/${ref.name}`);
      if (d && d.metadata?.uid === ref.uid) this.enqueue(d);
      return;
    }
    for (const d of this.dInformer.indexer.byIndex(NS_INDEX, ns)) {
      if (this.selects(d, rs)) this.enqueue(d);
    }
  }

  private selects(d: Deployment, rs: ReplicaSet): boolean {
    try {
      const sel = labelSelectorAsSelector(d.spec?.selector);
      return !isEverything(sel) && matchesLabels(sel, rs.metadata?.labels ?? {});
    } catch {
      return false;
    }
  }

  /** syncDeployment: one pass over the deployment named by `key`. */
  async reconcile(key: string): Promise<void> {
    const cached = this.dInformer.indexer.get(key);
    if (!cached) return;
    const d = structuredClone(cached);
    const sel = d.spec?.selector;
    if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) {
      this.event(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        await this.writeStatus(d, { ...d.status, observedGeneration: d.metadata?.generation });
      }
      return;
    }
    const rsList = await this.replicaSetsFor(d);
    if (d.metadata?.deletionTimestamp) return this.syncStatusOnly(d, rsList);
    const status = structuredClone(d.status ?? {});
    if (pausedCondition(d, status, this.clock.now())) await this.writeStatus(d, status);
    if (d.spec?.paused) return this.sync(d, rsList);
    const { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
    if (isScalingEvent(d, [...oldRSs, newRS])) return this.sync(d, rsList);
    if (d.spec?.strategy?.type === "Recreate") return this.rolloutRecreate(d, rsList);
    return this.rolloutRolling(d, rsList);
  }

  /** The deployment's ReplicaSets: those it controls and orphans it selects (adopted). */
  private async replicaSetsFor(d: Deployment): Promise<ReplicaSet[]> {
    const uid = d.metadata?.uid ?? "";
    const ns = d.metadata?.namespace ?? "";
    const out: ReplicaSet[] = [];
    for (const rs of this.rsInformer.indexer.byIndex(NS_INDEX, ns)) {
      const ref = controllerOf(rs);
      if (ref?.uid === uid) {
        if (this.selects(d, rs)) out.push(rs);
      } else if (!ref && !d.metadata?.deletionTimestamp && !rs.metadata?.deletionTimestamp && this.selects(d, rs)) {
        const owners = [...(rs.metadata?.ownerReferences ?? []), this.ownerRef(d)];
        try {
          out.push(await this.client.patch<ReplicaSet>(resources.replicasets, rs.metadata?.name ?? "", { metadata: { ownerReferences: owners } }, { type: "merge", namespace: ns }));
        } catch (err) {
          if (!isStatusError(err, "NotFound")) throw err;
        }
      }
    }
    return out;
  }

  private ownerRef(d: Deployment): OwnerReference {
    return { apiVersion: "apps/v1", kind: "Deployment", name: d.metadata?.name ?? "", uid: d.metadata?.uid ?? "", controller: true, blockOwnerDeletion: true };
  }

  /**
   * getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created when `create` and missing) with
   * its revision brought up to date, and the old ones.
   */
  private async newAndOld(d: Deployment, rsList: ReplicaSet[], create: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const oldRSs = findOldReplicaSets(d, rsList);
    const newRS = await this.getNewReplicaSet(d, rsList, oldRSs, create);
    return { newRS, oldRSs };
  }

  private async getNewReplicaSet(d: Deployment, rsList: ReplicaSet[], oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    const now = this.clock.now();
    if (existing) {
      const rs = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, rs, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (annotationsChanged || (rs.spec?.minReadySeconds ?? 0) !== minReady) {
        rs.spec = { ...rs.spec!, minReadySeconds: minReady };
        const updated = await this.client.update<ReplicaSet>(resources.replicasets, rs, { namespace: rs.metadata?.namespace });
        rsList.splice(rsList.indexOf(existing), 1, updated); // later passes over rsList see the write
        return updated;
      }
      let needsUpdate = setDeploymentRevision(d, rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? "");
      const status = structuredClone(d.status ?? {});
      if (hasProgressDeadline(d) && !getCondition(status, CONDITION_PROGRESSING)) {
        setCondition(status, newCondition(CONDITION_PROGRESSING, "True", reasons.foundNewReplicaSet, `Found new replica set "${rs.metadata?.name ?? ""}"`, now));
        needsUpdate = true;
      }
      if (needsUpdate) await this.writeStatus(d, status);
      return rs;
    }
    if (!create) return undefined;
    return this.createNewReplicaSet(d, oldRSs, newRevision);
  }

  private async createNewReplicaSet(d: Deployment, oldRSs: ReplicaSet[], newRevision: number): Promise<ReplicaSet | undefined> {
    const ns = d.metadata?.namespace ?? "";
    const template = structuredClone(d.spec!.template);
    const hash = computeHash(template, d.status?.collisionCount);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const rs: ReplicaSet = {
      apiVersion: "apps/v1", kind: "ReplicaSet",
      metadata: { name: `${d.metadata?.name ?? ""}-${hash}`, namespace: ns, ownerReferences: [this.ownerRef(d)], labels: { ...template.metadata.labels } },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    const now = this.clock.now();
    let createdRS: ReplicaSet;
    let alreadyExists = false;
    try {
      createdRS = await this.client.create<ReplicaSet>(resources.replicasets, rs, { namespace: ns });
    } catch (err) {
      if (isStatusError(err, "AlreadyExists")) {
        const found = this.rsInformer.indexer.get(`${ns}/${rs.metadata!.name}`) ?? (await this.client.get<ReplicaSet>(resources.replicasets, rs.metadata!.name!, { namespace: ns }));
        if (controllerOf(found)?.uid === d.metadata?.uid && equalIgnoreHash(d.spec?.template, found.spec?.template)) {
          createdRS = found;
          alreadyExists = true;
        } else {
          // A hash collision: bump collisionCount so the next pass computes another name.
          await this.writeStatus(d, { ...structuredClone(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 });
          throw err;
        }
      } else {
        const msg = `Failed to create new replica set "${rs.metadata!.name}": ${err instanceof Error ? err.message : String(err)}`;
        if (hasProgressDeadline(d)) {
          const status = structuredClone(d.status ?? {});
          setCondition(status, newCondition(CONDITION_PROGRESSING, "False", reasons.failedRSCreate, msg, now));
          await this.writeStatus(d, status).catch(() => undefined);
        }
        this.event(d, "Warning", reasons.failedRSCreate, msg);
        throw err;
      }
    }
    if (!alreadyExists && replicas > 0) this.event(d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${createdRS.metadata?.name ?? ""} to ${replicas} from 0`);
    let needsUpdate = setDeploymentRevision(d, String(newRevision));
    const status = structuredClone(d.status ?? {});
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition(status, newCondition(CONDITION_PROGRESSING, "True", reasons.newReplicaSet, `Created new replica set "${createdRS.metadata?.name ?? ""}"`, now));
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus(d, status);
    return createdRS;
  }

  /** Writes status (and the annotations it carries) and keeps `d` current for later writes in this pass. */
  private async writeStatus(d: Deployment, status: DeploymentStatus): Promise<void> {
    const updated = await this.client.updateStatus<Deployment>(resources.deployments, { ...d, status }, { namespace: d.metadata?.namespace });
    d.metadata = updated.metadata;
    d.status = updated.status ?? status;
  }

  /** scaleReplicaSet: sets replicas and the desired/max annotations; records an event when the size changed. */
  private async scaleReplicaSet(d: Deployment, rs: ReplicaSet, replicas: number): Promise<ReplicaSet> {
    const want = desiredReplicas(d);
    const max = want + maxSurge(d);
    const sizeChanges = specReplicas(rs) !== replicas;
    if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, want, max)) return rs;
    const copy = structuredClone(rs);
    copy.spec = { ...copy.spec!, replicas };
    setReplicasAnnotations(copy, want, max);
    const updated = await this.client.update<ReplicaSet>(resources.replicasets, copy, { namespace: rs.metadata?.namespace });
    if (sizeChanges) {
      const direction = replicas > specReplicas(rs) ? "up" : "down";
      this.event(d, "Normal", "ScalingReplicaSet", `Scaled ${direction} replica set ${rs.metadata?.name ?? ""} to ${replicas} from ${specReplicas(rs)}`);
    }
    return updated;
  }

  /** Applies steps in order; returns the ReplicaSets as written (by name). */
  private async applySteps(d: Deployment, steps: ScaleStep[]): Promise<Map<string, ReplicaSet>> {
    const written = new Map<string, ReplicaSet>();
    for (const s of steps) written.set(s.rs.metadata?.name ?? "", await this.scaleReplicaSet(d, s.rs, s.replicas));
    return written;
  }

  /** sync: scaling (and, while paused, clean-up) without rolling out, then status. */
  private async sync(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    let { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
    const written = await this.applySteps(d, scaleSteps(d, newRS, oldRSs));
    const fresh = (rs: ReplicaSet): ReplicaSet => written.get(rs.metadata?.name ?? "") ?? rs;
    newRS = newRS && fresh(newRS);
    oldRSs = oldRSs.map(fresh);
    if (d.spec?.paused) await this.cleanup(d, oldRSs);
    await this.syncStatus(d, [...oldRSs, newRS], newRS);
  }

  private async rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.newAndOld(d, rsList, true);
    if (!newRS) return;
    const steps = rollingStep(d, newRS, oldRSs);
    const written = await this.applySteps(d, steps);
    const fresh = (rs: ReplicaSet): ReplicaSet => written.get(rs.metadata?.name ?? "") ?? rs;
    const all = [...oldRSs.map(fresh), fresh(newRS)];
    if (steps.length === 0 && deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    await this.syncRolloutStatus(d, all, fresh(newRS));
  }

  private async rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    let { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
    const step = recreateStep(d, oldRSs);
    if (step.kind === "scaleDownOld") {
      const written = await this.applySteps(d, step.steps);
      oldRSs = oldRSs.map((rs) => written.get(rs.metadata?.name ?? "") ?? rs);
      return this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
    }
    if (step.kind === "waitForOldPods") return this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
    newRS ??= await this.getNewReplicaSet(d, rsList, oldRSs, true);
    if (newRS) newRS = await this.scaleReplicaSet(d, newRS, step.replicas);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    await this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
  }

  /** Deletes old ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(d: Deployment, oldRSs: ReplicaSet[]): Promise<void> {
    for (const rs of cleanupCandidates(d, oldRSs)) {
      try {
        await this.client.delete(resources.replicasets, rs.metadata?.name ?? "", { namespace: rs.metadata?.namespace });
      } catch (err) {
        if (!isStatusError(err, "NotFound")) throw err;
      }
    }
  }

  private async syncStatusOnly(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
    await this.syncStatus(d, [...oldRSs, newRS], newRS);
  }

  /** syncDeploymentStatus: counts and Available, written only when changed. */
  private async syncStatus(d: Deployment, all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    const status = calculateStatus(d, all, newRS, this.clock.now());
    if (statusKey(status) !== statusKey(d.status)) await this.writeStatus(d, status);
  }

  /** syncRolloutStatus: also the Progressing condition; re-checks a stuck rollout at its deadline. */
  private async syncRolloutStatus(d: Deployment, all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    const now = this.clock.now();
    const status = rolloutStatus(d, all, newRS, now);
    if (statusKey(status) !== statusKey(d.status)) return this.writeStatus(d, status);
    const after = stuckRequeueAfter(d, status, now);
    if (after === 0) this.queue.addRateLimited(keyOf(d));
    else if (after !== undefined) this.queue.addAfter(keyOf(d), after);
  }

  private event(d: Deployment, type: "Normal" | "Warning", reason: string, message: string): void {
    this.recorder?.event(referenceTo(d, "Deployment", "apps/v1"), type, reason, message);
  }
}

