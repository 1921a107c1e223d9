// The controllers' work queue (client-go workqueue): string keys, de-duplicated, never processed
// by two workers at once, with delayed and rate-limited (per-item back-off) re-adds.
import type { Clock } from "./clock.ts";
import { realClock } from "./clock.ts";
import type { RateLimiter } from "./ratelimit.ts";
import { defaultControllerRateLimiter } from "./ratelimit.ts";

export interface WorkQueueOptions {
  name?: string;
  clock?: Clock;
  /** Default: `defaultControllerRateLimiter` (5 ms → 1000 s per item, 10 qps / burst 100 overall). */
  rateLimiter?: RateLimiter;
}

/**
 * Contract, as client-go's rate-limiting delaying queue:
 * - a key added while it waits in the queue is queued once;
 * - a key handed out by `get()` is "processing" until `done(key)`; adds meanwhile are remembered
 *   and the key is queued again at `done`, so one key is never processed concurrently;
 * - `addAfter` keeps the earliest pending time per key; `addRateLimited` waits for the limiter;
 * - after `shutDown()` adds are ignored, `get()` hands out what is still queued and then
 *   resolves `undefined` (the worker's signal to exit).
 */
export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { at: number; cancel: () => void }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private shutting = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? "";
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.clock);
  }

  /** Queues the key unless it is already queued (or shutting down). */
  add(key: string): void {
    if (this.shutting || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after `ms` (at once for ms ≤ 0); a sooner pending time for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shutting) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.waiting.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const cancel = this.clock.setTimer(ms, () => {
      this.waiting.delete(key);
      this.add(key);
    });
    this.waiting.set(key, { at, cancel });
  }

  /** Adds the key after the rate limiter's delay (per-item exponential back-off). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Stops tracking the key's failures (call on success, or when giving up). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /** The next key to process; waits for one. `undefined` means the queue is shut down and empty. */
  get(): Promise<string | undefined> {
    const key = this.pop();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shutting) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks the key processed; if it was added meanwhile it goes back in the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  /** Ignores further adds, drops delayed adds, and wakes idle workers with `undefined`. */
  shutDown(): void {
    this.shutting = true;
    for (const w of this.waiting.values()) w.cancel();
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(this.pop());
  }

  get shuttingDown(): boolean {
    return this.shutting;
  }

  /** Keys queued and not yet handed out (not counting delayed ones). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys waiting for `addAfter`/`addRateLimited` delays. */
  delayed(): number {
    return this.waiting.size;
  }

  private push(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
      return;
    }
    this.queue.push(key);
  }

  private pop(): string | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
