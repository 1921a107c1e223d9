// Per-key exponential back-off with client-go flowcontrol.Backoff's semantics, used for crash
// loops (10 s doubling to 5 min) and image pulls; plus Go's duration formatting for messages.
import type { Clock } from "../../client/index.ts";

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  clock: Clock;
}

interface Entry {
  backoff: number;
  lastUpdate: number;
}

/**
 * Contract (flowcontrol.Backoff without jitter): `next(key, t)` starts at `initialMs` and doubles
 * up to `maxMs`; an entry whose last update is more than 2·maxMs before the event counts as
 * expired (the back-off starts over). `isInBackOffSince(key, t)` is true while now − t < back-off.
 */
export class Backoff {
  private readonly opts: BackoffOptions;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: BackoffOptions) {
    this.opts = opts;
  }

  private expired(eventTime: number, e: Entry): boolean {
    return eventTime - e.lastUpdate > 2 * this.opts.maxMs;
  }

  next(key: string, eventTime: number): void {
    const e = this.entries.get(key);
    const now = this.opts.clock.now();
    if (!e || this.expired(eventTime, e)) this.entries.set(key, { backoff: this.opts.initialMs, lastUpdate: now });
    else {
      e.backoff = Math.min(e.backoff * 2, this.opts.maxMs);
      e.lastUpdate = now;
    }
  }

  /** The current back-off of the key (0 when it has none). */
  get(key: string): number {
    return this.entries.get(key)?.backoff ?? 0;
  }

  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e)) return false;
    return this.opts.clock.now() - eventTime < e.backoff;
  }

  isInBackOffSinceUpdate(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e)) return false;
    return eventTime - e.lastUpdate < e.backoff;
  }

  /** Milliseconds until `isInBackOffSince(key, eventTime)` turns false (0 if it is). */
  remainingSince(key: string, eventTime: number): number {
    if (!this.isInBackOffSince(key, eventTime)) return 0;
    return eventTime + this.entries.get(key)!.backoff - this.opts.clock.now();
  }

  /** Milliseconds until `isInBackOffSinceUpdate(key, now)` turns false (0 if it is). */
  remainingSinceUpdate(key: string): number {
    const e = this.entries.get(key);
    const now = this.opts.clock.now();
    if (!e || !this.isInBackOffSinceUpdate(key, now)) return 0;
    return e.lastUpdate + e.backoff - now;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drops keys whose prefix matches (a pod's entries when it goes away). */
  resetPrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  /** Drops entries not updated for 2·maxMs. */
  gc(): void {
    const now = this.opts.clock.now();
    for (const [k, e] of this.entries) if (now - e.lastUpdate > 2 * this.opts.maxMs) this.entries.delete(k);
  }
}

/** A duration as Go's time.Duration.String prints it: "10s", "1m20s", "5m0s", "1.5s", "300ms". */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const secs = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, "")}s`;
  if (h > 0) return `${h}h${m}m${secs}`;
  if (m > 0) return `${m}m${secs}`;
  return secs;
}
