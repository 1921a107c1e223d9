// The watch cache of one resource (kube-apiserver's cacher): an in-memory copy of every object
// and a window of recent events, fed by the API server's one store watch (CacheFeed), so lists
// and watches are served from memory.
import type { KubeObject } from "../../apimachinery/object.ts";
import { CacheWatcher } from "./cache-watcher.ts";
import type { WatchFilter, WatchSink } from "./cache-watcher.ts";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

/** One object as cached: decoded once, shared by every reader (callers must not mutate it). */
export interface CachedObject {
  readonly key: string;
  readonly rv: number;
  readonly object: KubeObject;
}

export interface CacheEvent {
  readonly type: EventType;
  readonly rv: number;
  /** The object after the change; for DELETED the last state, with the delete's resourceVersion. */
  readonly object: CachedObject;
  /** The object before the change (absent on ADDED). */
  readonly prev?: CachedObject;
  /** Encoded forms, filled lazily by the first watcher that needs them and shared by the rest. */
  readonly encoded: Map<string, Buffer>;
}

export class TooOldError extends Error {
  readonly oldest: number;
  constructor(requested: number, oldest: number) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.oldest = oldest;
  }
}

export class WatchCache {
  readonly prefix: string;
  private readonly capacity: number;
  private readonly objects = new Map<string, CachedObject>();
  private sortedKeys: string[] | null = null;
  /** Ring of recent events; every event of this resource with rv > oldestRv is in it. */
  private events: CacheEvent[] = [];
  private oldestRv = 0;
  private readonly watchers = new Set<CacheWatcher>();

  constructor(prefix: string, capacity = 10_000) {
    this.prefix = prefix;
    this.capacity = capacity;
  }

  get size(): number {
    return this.objects.size;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  get(key: string): CachedObject | undefined {
    return this.objects.get(key);
  }

  /** Objects whose key starts with `keyPrefix` (default: all), from `startKey` on, in key order. */
  list(keyPrefix = this.prefix, startKey = ""): CachedObject[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.objects.keys()].sort();
    const keys = this.sortedKeys;
    let i = lowerBound(keys, startKey > keyPrefix ? startKey : keyPrefix);
    const out: CachedObject[] = [];
    for (; i < keys.length && keys[i]!.startsWith(keyPrefix); i++) out.push(this.objects.get(keys[i]!)!);
    return out;
  }

  /**
   * Starts a watch after `fromRv`, where `currentRv` is the feed's revision: events newer than
   * `fromRv` still in the window are replayed first; older than the window throws TooOldError
   * (the client relists, as after 410 Gone).
   */
  watch(fromRv: number, currentRv: number, filter: WatchFilter, sink: WatchSink): CacheWatcher {
    if (fromRv > 0 && fromRv < this.oldestRv) throw new TooOldError(fromRv, this.oldestRv);
    const watcher = new CacheWatcher(filter, sink, () => this.watchers.delete(watcher));
    if (fromRv > 0 && fromRv < currentRv) {
      for (const e of this.events) if (e.rv > fromRv) watcher.deliver(e);
    }
    this.watchers.add(watcher);
    return watcher;
  }

  /** Replaces the contents after a (re)list at `rv`; existing watchers are closed (they relist). */
  reset(objects: CachedObject[], rv: number): void {
    for (const w of [...this.watchers]) w.close();
    this.objects.clear();
    for (const o of objects) this.objects.set(o.key, o);
    this.sortedKeys = null;
    this.events = [];
    this.oldestRv = rv;
  }

  /** Applies one change from the feed and hands it to the watchers. */
  apply(type: "put" | "delete", key: string, rv: number, decode: () => KubeObject): void {
    const prev = this.objects.get(key);
    let event: CacheEvent;
    if (type === "delete") {
      if (!prev) return;
      event = { type: "DELETED", rv, object: { key, rv, object: decode() }, prev, encoded: new Map() };
      this.objects.delete(key);
      this.sortedKeys = null;
    } else {
      const object: CachedObject = { key, rv, object: decode() };
      event = { type: prev ? "MODIFIED" : "ADDED", rv, object, prev, encoded: new Map() };
      if (!prev) this.sortedKeys = null;
      this.objects.set(key, object);
    }
    this.events.push(event);
    if (this.events.length > this.capacity) {
      const dropped = this.events.splice(0, this.events.length - this.capacity);
      this.oldestRv = dropped[dropped.length - 1]!.rv;
    }
    for (const w of this.watchers) w.deliver(event);
  }

  closeWatchers(): void {
    for (const w of [...this.watchers]) w.close();
  }
}

function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
