// The informer's local cache (client-go cache.Indexer): objects by key `namespace/name`, plus
// user-declared indexes (by namespace, owner UID, node name …) kept up to date on every change.
import type { KubeObject } from "../apimachinery/object.ts";
import type { ObjectLike } from "./resources.ts";
import { keyOf as objectKey } from "./resources.ts";

/** The index values of an object (none, one or several). */
export type IndexFunc<T extends ObjectLike = KubeObject> = (obj: T) => string[];

/** Common index functions. */
export const indexFuncs = {
  /** The object's namespace ("" for cluster-scoped). */
  namespace: ((obj) => [obj.metadata?.namespace ?? ""]) satisfies IndexFunc<ObjectLike>,
  /** The UID of every owner reference. */
  ownerUid: ((obj) => (obj.metadata?.ownerReferences ?? []).map((r) => r.uid)) satisfies IndexFunc<ObjectLike>,
  /** The UID of the controlling owner reference (controller: true), if any. */
  controllerUid: ((obj) => (obj.metadata?.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid)) satisfies IndexFunc<ObjectLike>,
  /** Pods: `spec.nodeName` (unscheduled pods are indexed under ""). */
  nodeName: ((obj) => {
    const spec = (obj as { spec?: { nodeName?: unknown } }).spec;
    return [typeof spec?.nodeName === "string" ? spec.nodeName : ""];
  }) satisfies IndexFunc<ObjectLike>,
};

/** Recursively freezes an object (a debugging aid that makes handler mutations throw in strict mode). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Objects by key with secondary indexes. The objects it hands out are shared with every reader:
 * callers must not mutate them (copy with `structuredClone` first).
 */
export class Indexer<T extends ObjectLike = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexFns = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys. */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  readonly keyOf: (obj: T) => string;

  constructor(indexers: Record<string, IndexFunc<T>> = {}, keyOf: (obj: T) => string = objectKey) {
    this.keyOf = keyOf;
    this.addIndexers(indexers);
  }

  /** Declares more indexes; existing objects are indexed at once. Re-declaring a name must use the same function. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      const existing = this.indexFns.get(name);
      if (existing === fn) continue;
      if (existing) throw new Error(`index ${JSON.stringify(name)} is already declared with another function`);
      this.indexFns.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(index, v, key);
    }
  }

  hasIndex(name: string): boolean {
    return this.indexFns.has(name);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /** The cached version of the object with the same key. */
  getByObject(obj: T): T | undefined {
    return this.items.get(this.keyOf(obj));
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /** Objects whose index function returned `value`. Throws for an undeclared index. */
  byIndex(indexName: string, value: string): T[] {
    return this.indexKeys(indexName, value).map((k) => this.items.get(k)!);
  }

  indexKeys(indexName: string, value: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index ${JSON.stringify(indexName)} does not exist`);
    return [...(index.get(value) ?? [])];
  }

  /** Every value of an index that has objects. */
  indexValues(indexName: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index ${JSON.stringify(indexName)} does not exist`);
    return [...index.keys()];
  }

  /** Adds or replaces the object; returns the previous version. */
  set(obj: T): T | undefined {
    const key = this.keyOf(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexFns) for (const v of fn(obj)) addTo(this.indices.get(name)!, v, key);
    return old;
  }

  /** Removes the object with this key; returns it. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexFns) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const keys = index.get(v);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(v);
      }
    }
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let keys = index.get(value);
  if (!keys) index.set(value, (keys = new Set()));
  keys.add(key);
}
