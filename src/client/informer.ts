// SharedInformer (client-go reflector + indexer + shared processor): list, then watch from the
// list's resourceVersion; relist on 410; an indexed local cache; add/update/delete handlers.
import type { KubeObject } from "../apimachinery/object.ts";
import type { ObjectLike, ObjectList } from "./resources.ts";
import type { Logger } from "../util/log.ts";
import { createLogger } from "../util/log.ts";
import type { Clock } from "./clock.ts";
import { realClock, sleep } from "./clock.ts";
import { Backoff } from "./ratelimit.ts";
import type { BackoffOptions } from "./ratelimit.ts";
import { Indexer, deepFreeze } from "./store.ts";
import type { IndexFunc } from "./store.ts";
import { isGone } from "./transport.ts";
import type { WatchEvent } from "./watch.ts";

/** Where an informer gets its objects: one page of a list, and a watch from a resourceVersion. */
export interface ListerWatcher<T extends ObjectLike = KubeObject> {
  list(opts: { limit: number; continue?: string; signal: AbortSignal }): Promise<ObjectList<T>>;
  watch(opts: { resourceVersion: string; allowWatchBookmarks: boolean; timeoutSeconds: number; signal: AbortSignal }): AsyncIterable<WatchEvent<T>>;
}

/** An object deleted while the informer was not watching: its last known state (maybe stale). */
export class DeletedFinalStateUnknown<T extends ObjectLike = KubeObject> {
  readonly key: string;
  readonly obj: T;
  constructor(key: string, obj: T) {
    this.key = key;
    this.obj = obj;
  }
}

/** The object of a delete notification, whether delivered directly or as a tombstone. */
export function finalStateOf<T extends ObjectLike>(obj: T | DeletedFinalStateUnknown<T>): T {
  return obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
}

/**
 * Notifications. They run synchronously, in order, on the informer's loop, and must be quick
 * (enqueue a key). Objects passed in are the cache's own: never mutate them.
 */
export interface EventHandlers<T extends ObjectLike = KubeObject> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** Also called on periodic resync with old === new. */
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export interface HandlerRegistration {
  /** Stops notifications to this handler. */
  remove(): void;
  /** True once the handler has been told about everything in the initial list. */
  hasSynced(): boolean;
}

export interface SharedInformerOptions<T extends ObjectLike = KubeObject> {
  /** For logs. */
  name?: string;
  indexers?: Record<string, IndexFunc<T>>;
  /** Re-deliver every cached object as onUpdate(obj, obj) this often; 0 (default) = never. */
  resyncPeriodMs?: number;
  /** Page size of lists; default 500. */
  pageSize?: number;
  /** Watches ask the server for a timeout in [min, 2·min) seconds; default min 300 (5–10 min). */
  minWatchTimeoutSeconds?: number;
  /** Deep-freeze cached objects, so a handler that mutates one throws (tests, debugging). */
  freezeObjects?: boolean;
  /** Re-watch/relist back-off; default 0.8 s → 30 s with jitter. */
  backoff?: BackoffOptions;
  clock?: Clock;
  random?: () => number;
  log?: Logger;
}

interface Registration<T extends ObjectLike> {
  handlers: EventHandlers<T>;
  synced: boolean;
}

export class SharedInformer<T extends ObjectLike = KubeObject> {
  readonly indexer: Indexer<T>;
  readonly name: string;
  private readonly lw: ListerWatcher<T>;
  private readonly opts: SharedInformerOptions<T>;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly registrations = new Set<Registration<T>>();
  private readonly syncWaiters: (() => void)[] = [];
  private abort: AbortController | null = null;
  private loopDone: Promise<void> | null = null;
  private cancelResync: () => void = () => undefined;
  private synced = false;
  private rv = "";
  /** Counters for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, bookmarks: 0, relistsAfterGone: 0 };

  constructor(lw: ListerWatcher<T>, opts: SharedInformerOptions<T> = {}) {
    this.lw = lw;
    this.opts = opts;
    this.name = opts.name ?? "informer";
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? createLogger("client");
    this.backoff = new Backoff({ clock: this.clock, random: this.random, ...opts.backoff });
    this.indexer = new Indexer<T>(opts.indexers ?? {});
  }

  /** Adds a handler; if the cache already has objects the handler first gets onAdd for each. */
  addEventHandler(handlers: EventHandlers<T>): HandlerRegistration {
    const reg: Registration<T> = { handlers, synced: this.synced };
    this.registrations.add(reg);
    for (const obj of this.indexer.list()) this.call(reg, "onAdd", () => handlers.onAdd?.(obj, true));
    return { remove: () => void this.registrations.delete(reg), hasSynced: () => reg.synced && this.registrations.has(reg) };
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.indexer.addIndexers(indexers);
  }

  /** Starts list + watch in the background (idempotent). */
  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    this.loopDone = this.run(this.abort.signal);
    this.scheduleResync();
  }

  get started(): boolean {
    return this.abort !== null;
  }

  /** Stops watching; resolves when the loop has exited. The cache keeps its last contents. */
  async stop(): Promise<void> {
    this.abort?.abort();
    this.cancelResync();
    for (const w of this.syncWaiters.splice(0)) w();
    await this.loopDone;
  }

  /** True once the first list has been delivered to the handlers. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, false if the informer stops (or `signal` aborts) first. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return true;
    if (signal?.aborted || this.abort?.signal.aborted) return false;
    await new Promise<void>((resolve) => {
      this.syncWaiters.push(resolve);
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
    return this.synced;
  }

  /** The resourceVersion the cache is at (from the last list, event or bookmark). */
  get lastSyncResourceVersion(): string {
    return this.rv;
  }

  get(key: string): T | undefined {
    return this.indexer.get(key);
  }

  list(): T[] {
    return this.indexer.list();
  }

  byIndex(indexName: string, value: string): T[] {
    return this.indexer.byIndex(indexName, value);
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.listAndReplace(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.log.warn({ informer: this.name, err }, "list failed; retrying");
        await sleep(this.clock, this.backoff.next(), signal);
        continue;
      }
      await this.watchUntilGone(signal);
    }
  }

  /** Lists every page and replaces the cache with the result, delivering the difference. */
  private async listAndReplace(signal: AbortSignal): Promise<void> {
    this.stats.lists++;
    const limit = this.opts.pageSize ?? 500;
    const first = await this.lw.list({ limit, signal });
    const items = [...first.items];
    let cont = first.metadata.continue;
    let rv = first.metadata.resourceVersion ?? "";
    while (cont && !signal.aborted) {
      let page: ObjectList<T>;
      try {
        page = await this.lw.list({ limit, continue: cont, signal });
      } catch (err) {
        if (!isGone(err)) throw err;
        // The continue token expired: one unpaginated list instead (client-go's pager does the same).
        page = await this.lw.list({ limit: 0, signal });
        items.length = 0;
        rv = page.metadata.resourceVersion ?? "";
      }
      items.push(...page.items);
      cont = page.metadata.continue;
    }
    if (signal.aborted) return;
    this.replace(items, rv);
  }

  /** Watches from the last resourceVersion until the server says it is gone (→ relist) or stop. */
  private async watchUntilGone(signal: AbortSignal): Promise<void> {
    const min = this.opts.minWatchTimeoutSeconds ?? 300;
    while (!signal.aborted) {
      const timeoutSeconds = Math.floor(min * (1 + this.random()));
      const started = this.clock.now();
      let events = 0;
      this.stats.watches++;
      try {
        for await (const ev of this.lw.watch({ resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds, signal })) {
          if (signal.aborted) return;
          events++;
          this.handleEvent(ev);
        }
        // A clean end (timeout, server shutdown): watch again at once, unless the server keeps
        // closing empty watches immediately.
        if (events === 0 && this.clock.now() - started < 1000) await sleep(this.clock, this.backoff.next(), signal);
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          this.stats.relistsAfterGone++;
          this.log.info({ informer: this.name, resourceVersion: this.rv, reason: err.reason }, "watch resourceVersion too old; relisting");
          return;
        }
        this.log.warn({ informer: this.name, err }, "watch failed; re-watching after back-off");
        await sleep(this.clock, this.backoff.next(), signal);
      }
    }
  }

  private handleEvent(ev: WatchEvent<T>): void {
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === "BOOKMARK") {
      this.stats.bookmarks++;
      if (rv) this.rv = rv;
      return;
    }
    const obj = this.opts.freezeObjects ? deepFreeze(ev.object) : ev.object;
    if (ev.type === "DELETED") {
      this.indexer.delete(this.indexer.keyOf(obj));
      this.notify("onDelete", (h) => h.onDelete?.(obj));
    } else {
      const old = this.indexer.set(obj);
      if (old) this.notify("onUpdate", (h) => h.onUpdate?.(old, obj));
      else this.notify("onAdd", (h) => h.onAdd?.(obj, false));
    }
    if (rv) this.rv = rv;
  }

  /**
   * Makes the cache equal to a fresh list: new objects → onAdd, changed resourceVersions →
   * onUpdate (unchanged ones are not re-delivered), vanished ones → onDelete with a
   * DeletedFinalStateUnknown tombstone.
   */
  private replace(items: T[], rv: string): void {
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const item of items) {
      const obj = this.opts.freezeObjects ? deepFreeze(item) : item;
      const key = this.indexer.keyOf(obj);
      seen.add(key);
      const old = this.indexer.set(obj);
      if (!old) this.notify("onAdd", (h) => h.onAdd?.(obj, initial));
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.notify("onUpdate", (h) => h.onUpdate?.(old, obj));
    }
    for (const key of this.indexer.listKeys()) {
      if (seen.has(key)) continue;
      const old = this.indexer.delete(key)!;
      const tombstone = new DeletedFinalStateUnknown(key, old);
      this.notify("onDelete", (h) => h.onDelete?.(tombstone));
    }
    this.rv = rv;
    if (!this.synced) {
      this.synced = true;
      for (const reg of this.registrations) reg.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
      this.log.debug({ informer: this.name, objects: this.indexer.size, resourceVersion: rv }, "cache synced");
    }
  }

  private scheduleResync(): void {
    const period = this.opts.resyncPeriodMs ?? 0;
    if (period <= 0 || this.abort?.signal.aborted) return;
    this.cancelResync = this.clock.setTimer(period, () => {
      if (this.synced) {
        for (const obj of this.indexer.list()) this.notify("onUpdate", (h) => h.onUpdate?.(obj, obj));
      }
      this.scheduleResync();
    });
  }

  private notify(what: keyof EventHandlers<T>, fn: (h: EventHandlers<T>) => void): void {
    for (const reg of this.registrations) this.call(reg, what, () => fn(reg.handlers));
  }

  private call(reg: Registration<T>, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ informer: this.name, handler: what, err }, "event handler threw");
    }
  }
}
