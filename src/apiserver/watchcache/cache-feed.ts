// The API server's one store watch: lists everything under the registry root once, then follows
// every change and routes it to the watch cache of its resource. Because all resources share one
// feed, every cache is at the feed's revision, so "is the cache fresh" is one comparison.
import type { KeyValue, Store, Watch } from "../../storage/index.ts";
import type { KubeObject } from "../../apimachinery/object.ts";
import { WatchCache } from "./watch-cache.ts";
import type { CachedObject } from "./watch-cache.ts";

export interface CacheFeedOptions {
  /** Turns a stored value into the API object (sets resourceVersion). */
  decode: (kv: KeyValue) => KubeObject;
  onError?: (err: unknown) => void;
  /** Events kept per resource for watches resuming from an older resourceVersion. */
  capacity?: number;
}

export class CacheFeed {
  private readonly store: Store;
  private readonly root: string;
  private readonly opts: CacheFeedOptions;
  private readonly caches = new Map<string, WatchCache>();
  private rv = 0;
  private readonly freshWaiters = new Set<{ rv: number; resolve: () => void }>();
  private storeWatch: Watch | null = null;
  private stopped = false;
  private ready: Promise<void> | null = null;

  constructor(store: Store, root: string, opts: CacheFeedOptions) {
    this.store = store;
    this.root = root;
    this.opts = opts;
  }

  /**
   * The cache for keys under `prefix` (one resource: `<root><group>/<resource>/`). Only prefixes
   * asked for here are cached; other keys under the root (allocation ranges…) only move the revision.
   */
  cache(prefix: string): WatchCache {
    let cache = this.caches.get(prefix);
    if (!cache) this.caches.set(prefix, (cache = new WatchCache(prefix, this.opts.capacity)));
    return cache;
  }

  /** The revision every cache reflects. */
  get revision(): number {
    return this.rv;
  }

  start(): Promise<void> {
    this.ready ??= this.resync();
    return this.ready;
  }

  stop(): void {
    this.stopped = true;
    this.storeWatch?.cancel();
    for (const cache of this.caches.values()) cache.closeWatchers();
  }

  /** Resolves when the caches reflect at least `rv`; rejects after `timeoutMs`. */
  async waitUntilFresh(rv: number, timeoutMs = 3000): Promise<void> {
    await this.start();
    if (this.rv >= rv) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.freshWaiters.delete(waiter);
        reject(new Error(`Too large resource version: ${rv}, current: ${this.rv}`));
      }, timeoutMs);
      const waiter = { rv, resolve: () => { clearTimeout(timer); resolve(); } };
      this.freshWaiters.add(waiter);
    });
  }

  private prefixOf(key: string): string {
    const group = key.indexOf("/", this.root.length);
    const resource = key.indexOf("/", group + 1);
    return key.slice(0, resource + 1);
  }

  /** Decodes a stored value; a value that is not a valid object is logged and skipped. */
  private decode(kv: KeyValue): KubeObject | null {
    try {
      return this.opts.decode(kv);
    } catch (err) {
      this.opts.onError?.(new Error(`cannot decode ${kv.key} at revision ${kv.modRevision}: ${(err as Error).message}`));
      return null;
    }
  }

  private async resync(): Promise<void> {
    const first = await this.store.range(this.root, { limit: 5000 });
    const byPrefix = new Map<string, CachedObject[]>();
    const add = (kvs: KeyValue[]) => {
      for (const kv of kvs) {
        const prefix = this.prefixOf(kv.key);
        if (!this.caches.has(prefix)) continue;
        const object = this.decode(kv);
        if (!object) continue;
        let list = byPrefix.get(prefix);
        if (!list) byPrefix.set(prefix, (list = []));
        list.push({ key: kv.key, rv: kv.modRevision, object });
      }
    };
    add(first.kvs);
    for (let next = first.continue; next; ) {
      const page = await this.store.range(this.root, { limit: 5000, continue: next, revision: first.revision });
      add(page.kvs);
      next = page.continue;
    }
    for (const [prefix, cache] of this.caches) cache.reset(byPrefix.get(prefix) ?? [], first.revision);
    this.rv = first.revision;
    this.storeWatch = this.store.watch(this.root, { fromRevision: first.revision + 1, maxBuffered: 200_000 });
    void this.follow(this.storeWatch);
    this.wakeFreshWaiters();
  }

  private async follow(watch: Watch): Promise<void> {
    try {
      for await (const e of watch) {
        const cache = this.caches.get(this.prefixOf(e.kv.key));
        const object = cache ? this.decode(e.type === "delete" ? { ...e.prevKv!, modRevision: e.kv.modRevision } : e.kv) : null;
        if (cache && object) cache.apply(e.type, e.kv.key, e.kv.modRevision, () => object);
        this.rv = e.kv.modRevision;
        if (this.freshWaiters.size > 0) this.wakeFreshWaiters();
      }
    } catch (err) {
      if (this.stopped) return;
      this.opts.onError?.(new Error(`lost the store watch, relisting: ${(err as Error).message}`));
      // Lost the store watch (compacted, cut off): start over; current watchers must relist.
      this.ready = this.resync();
      await this.ready.catch((e: unknown) => this.opts.onError?.(e));
    }
  }

  private wakeFreshWaiters(): void {
    for (const w of this.freshWaiters) {
      if (w.rv <= this.rv) {
        this.freshWaiters.delete(w);
        w.resolve();
      }
    }
  }
}
