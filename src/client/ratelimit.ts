// Rate limiting as client-go's flowcontrol and workqueue rate limiters: a token bucket (client
// QPS/burst), per-item exponential failure back-off, their max, and jittered retry back-off.
import type { Clock } from "./clock.ts";
import { realClock, sleep } from "./clock.ts";

/**
 * A token bucket refilled at `qps` tokens a second up to `burst`. `reserve()` takes a token now
 * (the bucket may go into debt) and says how long the caller must wait before using it.
 */
export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(qps: number, burst: number, clock: Clock = realClock) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`token bucket needs qps > 0 and burst >= 1 (got ${qps}/${burst})`);
    this.qps = qps;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  /** Takes a token if one is available now. */
  tryAccept(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes a token and returns the milliseconds until it is usable (0 when available now). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Waits for a token; resolves early (without a token's worth of delay) if `signal` aborts. */
  async wait(signal?: AbortSignal): Promise<void> {
    const delay = this.reserve();
    if (delay > 0) await sleep(this.clock, delay, signal);
  }
}

/** How long an item waits before it is retried (client-go workqueue.RateLimiter). */
export interface RateLimiter {
  /** Milliseconds to wait before the item is processed again; counts a failure. */
  when(item: string): number;
  /** The item succeeded (or is given up): clear its failure history. */
  forget(item: string): void;
  numRequeues(item: string): number;
}

/** base·2^failures per item, capped: 5 ms, 10 ms, 20 ms … 1000 s by default. */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(baseMs = 5, maxMs = 1_000_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(item: string): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  forget(item: string): void {
    this.failures.delete(item);
  }

  numRequeues(item: string): number {
    return this.failures.get(item) ?? 0;
  }
}

/** An overall token bucket for all items (client-go: 10 qps, burst 100). */
export class BucketRateLimiter implements RateLimiter {
  private readonly bucket: TokenBucket;

  constructor(qps = 10, burst = 100, clock: Clock = realClock) {
    this.bucket = new TokenBucket(qps, burst, clock);
  }

  when(): number {
    return this.bucket.reserve();
  }

  forget(): void {}

  numRequeues(): number {
    return 0;
  }
}

/** The longest wait any of the limiters asks for. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(item: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: string): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/** client-go's DefaultControllerRateLimiter: per-item 5 ms → 1000 s, and 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(5, 1_000_000), new BucketRateLimiter(10, 100, clock));
}

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Each delay is scaled by a random factor in [1, 1 + jitter), then capped at `maxMs`. */
  jitter?: number;
  /** After this long without a failure the back-off starts again from `initialMs`. */
  resetAfterMs?: number;
  clock?: Clock;
  random?: () => number;
}

/**
 * Jittered exponential back-off for reconnect loops (client-go's reflector: 0.8 s → 30 s,
 * reset after 2 min of quiet). `next()` returns the delay for the next attempt.
 */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly resetAfterMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private current = 0;
  private lastFailure = -Infinity;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 800;
    this.maxMs = opts.maxMs ?? 30_000;
    this.jitter = opts.jitter ?? 1;
    this.resetAfterMs = opts.resetAfterMs ?? 120_000;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
  }

  next(): number {
    const now = this.clock.now();
    if (now - this.lastFailure > this.resetAfterMs) this.current = 0;
    this.lastFailure = now;
    this.current = this.current === 0 ? this.initialMs : Math.min(this.maxMs, this.current * 2);
    return Math.min(this.maxMs, this.current * (1 + this.random() * this.jitter));
  }

  reset(): void {
    this.current = 0;
  }
}
