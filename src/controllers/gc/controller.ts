// The garbage collector (kubernetes/pkg/controller/garbagecollector), simplified: it watches every
// deletable resource, deletes dependents whose owners are gone (background deletion), orphans the
// dependents of owners deleted with the "orphan" finalizer, and finishes foreground deletions.
import { isStatusError } from "../../apimachinery/status.ts";
import type { Client, ObjectLike, ResourceDescriptor, SharedInformer } from "../../client/index.ts";
import { WorkQueue, apiVersionFor, finalStateOf, indexFuncs, realClock, runController } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { discoverResources } from "./discovery.ts";

export const ORPHAN_FINALIZER = "orphan";
export const FOREGROUND_FINALIZER = "foregroundDeletion";
/** Resources the collector does not watch (Kubernetes ignores events too: many, never owners). */
const IGNORED = new Set(["events", "events.events.k8s.io"]);

interface Node {
  r: ResourceDescriptor;
  obj: ObjectLike;
}

export interface GarbageCollectorOptions {
  workers?: number;
}

const hasFinalizer = (obj: ObjectLike, f: string) => (obj.metadata?.finalizers ?? []).includes(f);

export class GarbageCollector implements Controller {
  readonly name = "garbagecollector";
  private readonly client: Client;
  private readonly ctx: ControllerContext;
  private readonly log: Logger;
  private readonly queue: WorkQueue;
  private readonly opts: GarbageCollectorOptions;
  /** Every watched object by UID: the graph's nodes. */
  private readonly byUid = new Map<string, Node>();
  /** `apiVersion|kind` → resource, to look owners up. */
  private readonly kinds = new Map<string, ResourceDescriptor>();
  private readonly informers: { r: ResourceDescriptor; informer: SharedInformer<ObjectLike> }[] = [];

  constructor(ctx: ControllerContext, opts: GarbageCollectorOptions = {}) {
    this.ctx = ctx;
    this.client = ctx.client;
    this.log = ctx.log;
    this.opts = opts;
    this.queue = new WorkQueue({ name: "garbagecollector", clock: ctx.clock ?? realClock });
  }

  /** Discovers the resources to watch (retrying until the server answers), syncs, then collects. */
  async run(signal: AbortSignal): Promise<void> {
    let resources: ResourceDescriptor[] | undefined;
    while (!resources && !signal.aborted) {
      resources = await discoverResources(this.client, signal).catch((err: unknown) => {
        this.log.warn({ err }, "garbage collector: discovery failed; retrying");
        return new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000));
      });
    }
    if (!resources || signal.aborted) return;
    for (const r of resources) {
      this.kinds.set(`${apiVersionFor(r)}|${r.kind}`, r);
      if (IGNORED.has(r.group ? `${r.resource}.${r.group}` : r.resource)) continue;
      const informer = this.ctx.factory.informerFor<ObjectLike>(r, { indexers: { ownerUid: indexFuncs.ownerUid } });
      informer.addEventHandler({
        onAdd: (obj) => this.observe(r, obj),
        onUpdate: (_old, obj) => this.observe(r, obj),
        onDelete: (obj) => this.forget(finalStateOf(obj)),
      });
      this.informers.push({ r, informer });
    }
    const synced = await Promise.all(this.informers.map(({ informer }) => informer.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    await runController({ name: this.name, queue: this.queue, workers: this.opts.workers ?? 5, reconcile: (key) => this.reconcile(key), signal, log: this.log });
  }

  private observe(r: ResourceDescriptor, obj: ObjectLike): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    this.byUid.set(uid, { r, obj });
    if ((obj.metadata?.ownerReferences ?? []).length > 0) this.queue.add(`delete/${uid}`);
    if (obj.metadata?.deletionTimestamp) {
      if (hasFinalizer(obj, ORPHAN_FINALIZER)) this.queue.add(`orphan/${uid}`);
      if (hasFinalizer(obj, FOREGROUND_FINALIZER)) this.queue.add(`delete/${uid}`);
    }
  }

  private forget(obj: ObjectLike): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    this.byUid.delete(uid);
    // Its dependents may now be garbage; owners deleting in the foreground may now be done.
    for (const d of this.dependents(uid)) this.queue.add(`delete/${d.obj.metadata!.uid}`);
    for (const ref of obj.metadata?.ownerReferences ?? []) if (this.byUid.has(ref.uid)) this.queue.add(`delete/${ref.uid}`);
  }

  private dependents(uid: string): Node[] {
    return this.informers.flatMap(({ r, informer }) => informer.indexer.byIndex("ownerUid", uid).map((obj) => ({ r, obj })));
  }

  async reconcile(key: string): Promise<void> {
    const slash = key.indexOf("/");
    const uid = key.slice(slash + 1);
    const node = this.byUid.get(uid);
    if (!node) return;
    if (key.startsWith("orphan/")) return this.orphanDependents(node);
    return this.attemptToDelete(node);
  }

  /** Removes the owner's references from every dependent, then the owner's "orphan" finalizer. */
  private async orphanDependents(owner: Node): Promise<void> {
    const uid = owner.obj.metadata!.uid!;
    if (!owner.obj.metadata?.deletionTimestamp || !hasFinalizer(owner.obj, ORPHAN_FINALIZER)) return;
    for (const dep of this.dependents(uid)) {
      await this.mutate(dep, (obj) => {
        const refs = obj.metadata?.ownerReferences ?? [];
        if (!refs.some((r) => r.uid === uid)) return false;
        obj.metadata!.ownerReferences = refs.filter((r) => r.uid !== uid);
        return true;
      });
    }
    await this.removeFinalizer(owner, ORPHAN_FINALIZER);
  }

  private async attemptToDelete(node: Node): Promise<void> {
    const meta = node.obj.metadata!;
    if (meta.deletionTimestamp) {
      if (hasFinalizer(node.obj, FOREGROUND_FINALIZER)) await this.processDeletingDependents(node);
      return;
    }
    const refs = meta.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid: string[] = [];
    const dangling: string[] = [];
    const waiting: string[] = [];
    for (const ref of refs) {
      const state = await this.ownerState(node, ref);
      (state === "absent" ? dangling : state === "waiting" ? waiting : solid).push(ref.uid);
    }
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Still owned by someone: drop only the references to owners that are gone or going.
      const drop = new Set([...dangling, ...waiting]);
      await this.mutate(node, (obj) => {
        obj.metadata!.ownerReferences = (obj.metadata?.ownerReferences ?? []).filter((r) => !drop.has(r.uid));
        return true;
      });
      return;
    }
    const hasDependents = this.dependents(meta.uid!).length > 0;
    const policy = waiting.length > 0 && hasDependents ? "Foreground"
      : hasFinalizer(node.obj, ORPHAN_FINALIZER) ? "Orphan"
      : hasFinalizer(node.obj, FOREGROUND_FINALIZER) ? "Foreground" : "Background";
    this.log.debug({ uid: meta.uid, name: meta.name, kind: node.r.kind, policy }, "deleting a dependent whose owners are gone");
    try {
      await this.client.delete(node.r, meta.name!, { namespace: meta.namespace, propagationPolicy: policy, preconditions: { uid: meta.uid } });
    } catch (err) {
      if (isStatusError(err, "NotFound") || isStatusError(err, "Conflict")) return;
      throw err;
    }
  }

  /** A foreground deletion: delete the blocking dependents; when none is left, drop the finalizer. */
  private async processDeletingDependents(owner: Node): Promise<void> {
    const uid = owner.obj.metadata!.uid!;
    const blocking = this.dependents(uid).filter((d) => d.obj.metadata?.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
    if (blocking.length === 0) {
      await this.removeFinalizer(owner, FOREGROUND_FINALIZER);
      return;
    }
    for (const dep of blocking) {
      const m = dep.obj.metadata!;
      if (m.deletionTimestamp) continue;
      const policy = this.dependents(m.uid!).length > 0 ? "Foreground" : "Background";
      await this.client.delete(dep.r, m.name!, { namespace: m.namespace, propagationPolicy: policy, preconditions: { uid: m.uid } })
        .catch((err: unknown) => {
          if (!isStatusError(err, "NotFound") && !isStatusError(err, "Conflict")) throw err;
        });
    }
  }

  /** "present", "waiting" (deleting in the foreground) or "absent"; the cache first, else a live read. */
  private async ownerState(dep: Node, ref: { apiVersion: string; kind: string; name: string; uid: string }): Promise<"present" | "waiting" | "absent"> {
    const judge = (obj: ObjectLike) => (obj.metadata?.deletionTimestamp && hasFinalizer(obj, FOREGROUND_FINALIZER) ? "waiting" : "present");
    const cached = this.byUid.get(ref.uid);
    if (cached) return judge(cached.obj);
    const r = this.kinds.get(`${ref.apiVersion}|${ref.kind}`);
    if (!r) return "present"; // an unknown kind: never delete on a guess
    try {
      const live = await this.client.get<ObjectLike>(r, ref.name, { namespace: r.namespaced ? dep.obj.metadata?.namespace : undefined });
      return live.metadata?.uid === ref.uid ? judge(live) : "absent";
    } catch (err) {
      if (isStatusError(err, "NotFound")) return "absent";
      throw err;
    }
  }

  private removeFinalizer(node: Node, finalizer: string): Promise<void> {
    return this.mutate(node, (obj) => {
      if (!hasFinalizer(obj, finalizer)) return false;
      obj.metadata!.finalizers = (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
      return true;
    });
  }

  /** Read-modify-write of the live object (same UID); a conflict throws, so the key is retried. */
  private async mutate(node: Node, change: (obj: ObjectLike) => boolean): Promise<void> {
    const m = node.obj.metadata!;
    try {
      const live = await this.client.get<ObjectLike>(node.r, m.name!, { namespace: m.namespace });
      if (live.metadata?.uid !== m.uid || !change(live)) return;
      await this.client.update<ObjectLike>(node.r, live, { namespace: m.namespace });
    } catch (err) {
      if (isStatusError(err, "NotFound")) return;
      throw err;
    }
  }
}
