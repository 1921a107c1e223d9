// The generic storage of one resource (kube's registry/generic/registry.Store): create, get,
// update, patch and delete with Kubernetes semantics on top of the store; list and watch come
// from the watch cache (list-watch.ts).
import type { DeleteOptions, StatusCause } from "kubernetes-types/meta/v1.js";
import type { KeyValue, Store } from "../../storage/index.ts";
import { ConflictError, ExistsError, NotFoundError, TooLargeError, isStoreError } from "../../storage/index.ts";
import type { KubeObject } from "../../apimachinery/object.ts";
import { errors, StatusError } from "../../apimachinery/status.ts";
import type { ResourceRef } from "../../apimachinery/status.ts";
import type { Resource, StrategyContext } from "./types.ts";
import { validateObjectMeta, nameIsDNSSubdomain } from "../../apimachinery/validation.ts";
import { assertWellTyped, pruneUnknownFields } from "./schema-check.ts";
import { Registry } from "./registry.ts";
import { checkTypeAndNamespace, prepareMetaForCreate, prepareMetaForUpdate, timestamp, validateMetaUpdate } from "./object-meta.ts";
import { setManagedFields, trackUpdate } from "../fieldmanager/index.ts";

export interface WriteOptions {
  dryRun?: boolean;
  /** Records the write in managedFields as an Update by this manager; absent: managedFields are stored as given. */
  fieldManager?: string;
}

/** What the namespace lifecycle needs to know about a namespace. */
export type NamespaceState = "Active" | "Terminating" | "Missing";

export interface RestStoreDeps {
  store: Store;
  now?: () => Date;
  /** Namespace existence check for namespaced creates (absent: not checked). */
  namespaceState?: (namespace: string) => Promise<NamespaceState>;
  /** Reads another object, for strategies. */
  get?: StrategyContext["get"];
  /** Reads all objects of a resource, for strategies. */
  list?: StrategyContext["list"];
}

/** Turns a stored value into the API object: the value is the object without its resourceVersion. */
export function decodeStored(kv: KeyValue): KubeObject {
  const obj = JSON.parse(kv.value) as KubeObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

export function encodeForStore(obj: KubeObject): string {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  return JSON.stringify({ ...obj, metadata });
}

export class RestStore {
  readonly resource: Resource;
  private readonly deps: RestStoreDeps;
  private readonly store: Store;

  constructor(resource: Resource, deps: RestStoreDeps) {
    this.resource = resource;
    this.deps = deps;
    this.store = deps.store;
  }

  /** How messages name this resource ("deployments.apps"). */
  get ref(): ResourceRef {
    return { group: this.resource.group, resource: this.resource.plural };
  }

  key(namespace: string, name: string): string {
    return Registry.key(this.resource, namespace, name);
  }

  private ctx(dryRun = false, admissionName?: string): StrategyContext {
    return { now: this.now(), get: this.deps.get, list: this.deps.list, dryRun, ...(admissionName !== undefined ? { admissionName } : {}) };
  }

  private get putOptions(): { ttlSeconds?: number } {
    return this.resource.ttlSeconds ? { ttlSeconds: this.resource.ttlSeconds } : {};
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async get(namespace: string, name: string): Promise<KubeObject> {
    const kv = await this.store.get(this.key(namespace, name));
    if (!kv) throw errors.notFound(this.ref, name);
    return decodeStored(kv);
  }

  /** Every stored object of this resource in `namespace` ("" for all), read from the store. */
  async list(namespace = ""): Promise<KubeObject[]> {
    const prefix = this.resource.namespaced && namespace ? `${this.resource.storagePrefix}${namespace}/` : this.resource.storagePrefix;
    const out: KubeObject[] = [];
    let next: string | undefined;
    let revision: number | undefined;
    do {
      const page = await this.store.range(prefix, { limit: 1000, continue: next, revision });
      for (const kv of page.kvs) out.push(decodeStored(kv));
      next = page.continue;
      revision = page.revision;
    } while (next);
    return out;
  }

  async create(namespace: string, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const r = this.resource;
    assertWellTyped(obj, r.apiVersion, r.kind);
    pruneUnknownFields(obj, r.apiVersion, r.kind);
    checkTypeAndNamespace(r, obj, namespace);
    if (obj.metadata!.resourceVersion) throw errors.badRequest("resourceVersion should not be set on objects to be created");
    const ctx = this.ctx(opts.dryRun, obj.metadata!.name || obj.metadata!.generateName || "Unknown");
    prepareMetaForCreate(r, obj, this.now());
    r.defaults?.(obj);
    if (opts.fieldManager !== undefined) setManagedFields(obj, trackUpdate(null, obj, { manager: opts.fieldManager, now: this.now() }));
    await r.prepareForCreate?.(obj, ctx);
    try {
      return await this.finishCreate(obj, opts, ctx);
    } catch (err) {
      if (!opts.dryRun) await r.abortCreate?.(obj);
      throw err;
    }
  }

  private async finishCreate(obj: KubeObject, opts: WriteOptions, ctx: StrategyContext): Promise<KubeObject> {
    const r = this.resource;
    this.validate(obj, [...validateObjectMeta(obj.metadata, { namespaced: r.namespaced, nameValidator: r.nameValidator ?? nameIsDNSSubdomain }), ...(r.validate?.(obj) ?? [])]);
    const name = obj.metadata!.name!;
    if (r.namespaced && this.deps.namespaceState) {
      const state = await this.deps.namespaceState(obj.metadata!.namespace!);
      if (state === "Missing") throw errors.notFound({ resource: "namespaces" }, obj.metadata!.namespace!);
      if (state === "Terminating") {
        throw errors.forbidden(this.ref, name, `unable to create new content in namespace ${obj.metadata!.namespace} because it is being terminated`);
      }
    }
    await r.validateAdmission?.(obj, undefined, ctx);
    if (opts.dryRun) {
      if (await this.store.get(this.key(obj.metadata!.namespace ?? "", name))) throw errors.alreadyExists(this.ref, name);
      return obj;
    }
    try {
      return decodeStored(await this.store.create(this.key(obj.metadata!.namespace ?? "", name), encodeForStore(obj), this.putOptions));
    } catch (err) {
      throw this.storeError(err, name);
    }
  }

  /**
   * Replaces the object (PUT), or its status with `subresource` "status". A resourceVersion in
   * the body must match; without one the update is unconditional. Returns `created` when the
   * kind allows create-on-update and the object was missing.
   */
  async update(namespace: string, name: string, obj: KubeObject, subresource = "", opts: WriteOptions = {}): Promise<{ object: KubeObject; created: boolean }> {
    const r = this.resource;
    assertWellTyped(obj, r.apiVersion, r.kind);
    pruneUnknownFields(obj, r.apiVersion, r.kind);
    checkTypeAndNamespace(r, obj, namespace);
    if (obj.metadata!.name !== name) {
      throw errors.badRequest(`the name of the object (${obj.metadata!.name ?? ""}) does not match the name on the URL (${name})`);
    }
    const expected = obj.metadata!.resourceVersion;
    let created = false;
    const object = await this.guaranteedUpdate(namespace, name, async (current) => {
      if (!current) {
        if (!r.allowCreateOnUpdate || subresource) throw errors.notFound(this.ref, name);
        created = true;
        return structuredClone(obj);
      }
      if (expected && expected !== current.metadata!.resourceVersion) throw this.conflict(name);
      return structuredClone(obj);
    }, subresource, opts);
    return { object, created };
  }

  /**
   * Applies `mutate` to the current object and writes the result, retrying with a fresh read
   * on conflict (what PATCH and controllers' read-modify-write use). `mutate` returns the
   * desired object, or null (when the object is missing) to create nothing.
   */
  async guaranteedUpdate(
    namespace: string,
    name: string,
    mutate: (current: KubeObject | null) => Promise<KubeObject | null> | KubeObject | null,
    subresource = "",
    opts: WriteOptions = {},
  ): Promise<KubeObject> {
    const r = this.resource;
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      const current = kv ? decodeStored(kv) : null;
      const desired = await mutate(current ? structuredClone(current) : null);
      if (!desired) throw errors.notFound(this.ref, name);
      try {
        if (!current) return await this.create(namespace, desired, opts);
        assertWellTyped(desired, r.apiVersion, r.kind);
        pruneUnknownFields(desired, r.apiVersion, r.kind);
        checkTypeAndNamespace(r, desired, namespace);
        const next = prepareMetaForUpdate(r, desired, current, subresource);
        // Kind strategies apply to the main resource; status and internal subresources skip them.
        const main = subresource === "";
        if (main) r.defaults?.(next);
        if (opts.fieldManager !== undefined) setManagedFields(next, trackUpdate(current, next, { manager: opts.fieldManager, subresource, now: this.now() }), current);
        // A status write keeps the managedFields its mutation computed (server-side apply to /status).
        else if (subresource === "status" && desired.metadata?.managedFields !== undefined) setManagedFields(next, desired.metadata.managedFields, current);
        if (main) await r.prepareForUpdate?.(next, current, this.ctx(opts.dryRun));
        this.validate(next, [
          ...validateObjectMeta(next.metadata, { namespaced: r.namespaced, nameValidator: r.nameValidator ?? nameIsDNSSubdomain }),
          ...(main || subresource === "status" ? (r.validate?.(next) ?? []) : []),
          ...(main ? (r.validateUpdate?.(next, current) ?? []) : []),
          ...validateMetaUpdate(next, current),
        ]);
        if (main) await r.validateAdmission?.(next, current, this.ctx(opts.dryRun));
        if (next.metadata!.deletionTimestamp && (next.metadata!.finalizers ?? []).length === 0 && !this.gracePending(next) && !r.deletionBlocked?.(next)) {
          // The last finalizer is gone: the deletion completes.
          if (!opts.dryRun) {
            await this.store.delete(key, kv!.modRevision);
            await r.afterDelete?.(next);
          }
          return next;
        }
        const value = encodeForStore(next);
        if (value === kv!.value) return current;
        if (opts.dryRun) return next;
        const written = decodeStored(await this.store.update(key, value, kv!.modRevision, this.putOptions));
        await r.afterUpdate?.(written, current);
        return written;
      } catch (err) {
        if (err instanceof ConflictError && attempt < 100) continue;
        if (err instanceof NotFoundError && attempt < 100) continue;
        throw this.storeError(err, name);
      }
    }
  }

  /**
   * Deletes per Kubernetes: preconditions, graceful deletion (a deletionTimestamp now, removal
   * later), finalizers (kept until they are removed) and propagationPolicy (recorded as the
   * orphan/foregroundDeletion finalizers for the garbage collector). `deleted` tells whether the
   * object is gone now.
   */
  async delete(namespace: string, name: string, options: DeleteOptions = {}, opts: WriteOptions = {}): Promise<{ object: KubeObject; deleted: boolean }> {
    const r = this.resource;
    const key = this.key(namespace, name);
    for (let attempt = 0; attempt < 100; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw errors.notFound(this.ref, name);
      const current = decodeStored(kv);
      const meta = current.metadata!;
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== meta.uid) {
        throw errors.conflict(this.ref, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
        throw errors.conflict(this.ref, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
      }
      const next = structuredClone(current);
      const nextMeta = next.metadata!;
      const finalizers = new Set(nextMeta.finalizers ?? []);
      if (options.propagationPolicy === "Orphan" || options.orphanDependents === true) finalizers.add("orphan");
      if (options.propagationPolicy === "Foreground") finalizers.add("foregroundDeletion");
      const grace = this.gracePeriod(current, options);
      if (finalizers.size === 0 && grace === 0 && !r.deletionBlocked?.(current)) {
        if (opts.dryRun) return { object: current, deleted: true };
        try {
          const gone = decodeStored(await this.store.delete(key, kv.modRevision));
          await r.afterDelete?.(gone);
          return { object: gone, deleted: true };
        } catch (err) {
          if (err instanceof ConflictError) continue;
          throw this.storeError(err, name);
        }
      }
      const now = this.now();
      if (!nextMeta.deletionTimestamp || grace < (nextMeta.deletionGracePeriodSeconds ?? Infinity)) {
        nextMeta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
        nextMeta.deletionGracePeriodSeconds = grace;
      }
      if (finalizers.size > 0) nextMeta.finalizers = [...finalizers];
      r.prepareForDelete?.(next);
      if (opts.dryRun) return { object: next, deleted: false };
      try {
        const written = decodeStored(await this.store.update(key, encodeForStore(next), kv.modRevision, this.putOptions));
        return { object: written, deleted: false };
      } catch (err) {
        if (err instanceof ConflictError) continue;
        throw this.storeError(err, name);
      }
    }
    throw errors.conflict(this.ref, name, "too many concurrent changes while deleting");
  }

  /** The grace period this delete gets: the request's, else the kind's default, else 0. */
  private gracePeriod(obj: KubeObject, options: DeleteOptions): number {
    const kindDefault = this.resource.gracePeriodSeconds?.(obj) ?? 0;
    if (!this.resource.gracePeriodSeconds) return 0;
    if (kindDefault === 0) return 0;
    const requested = options.gracePeriodSeconds;
    if (requested === undefined || requested === null) return Math.max(0, kindDefault);
    return Math.max(0, requested);
  }

  /** A graceful deletion whose grace period has not been cut to zero is still pending. */
  private gracePending(obj: KubeObject): boolean {
    return (obj.metadata?.deletionGracePeriodSeconds ?? 0) > 0;
  }

  private validate(obj: KubeObject, causes: StatusCause[]): void {
    if (causes.length > 0) throw errors.invalid(this.resource.kind, this.resource.group, obj.metadata?.name ?? "", causes);
  }

  conflict(name: string): StatusError {
    return errors.conflict(this.ref, name, "the object has been modified; please apply your changes to the latest version and try again");
  }

  /** Maps store errors to API errors. */
  storeError(err: unknown, name: string): unknown {
    if (err instanceof StatusError) return err;
    if (err instanceof ExistsError) return errors.alreadyExists(this.ref, name);
    if (err instanceof ConflictError) return this.conflict(name);
    if (err instanceof NotFoundError) return errors.notFound(this.ref, name);
    if (err instanceof TooLargeError) return errors.tooLarge(`Request entity too large: ${err.message}`);
    if (isStoreError(err, "Compacted")) return errors.gone(err.message);
    if (isStoreError(err, "Unavailable") || isStoreError(err, "Closed")) return errors.unavailable(`storage unavailable: ${(err as Error).message}`);
    return err;
  }
}
