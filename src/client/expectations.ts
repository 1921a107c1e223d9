// ControllerExpectations (kubernetes/pkg/controller): creations and deletions a controller has
// asked for but not yet seen in its cache, so a lagging cache does not make it act twice.
import type { Clock } from "./clock.ts";
import { realClock } from "./clock.ts";

/** As Kubernetes: expectations older than this are considered satisfied (a watch event was lost). */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  timestamp: number;
  /** Keys of objects whose deletion is expected (UID-tracking expectations). */
  deleting: Set<string>;
}

/**
 * Expectations per controller key (e.g. a ReplicaSet's `namespace/name`). The usual flow:
 * `satisfied(key)` before acting; `expectCreations(key, n)` before creating n objects;
 * `creationObserved(key)` from the informer's add handler (and `lowerExpectations` for creates
 * that failed); the same for deletions, optionally tracking which objects (by key) are going.
 */
export class ControllerExpectations {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly byKey = new Map<string, Expectation>();

  constructor(opts: { clock?: Clock; ttlMs?: number } = {}) {
    this.clock = opts.clock ?? realClock;
    this.ttlMs = opts.ttlMs ?? EXPECTATIONS_TTL_MS;
  }

  /** Replaces the key's expectations with `adds` creations to come. */
  expectCreations(key: string, adds: number): void {
    this.set(key, adds, 0, []);
  }

  /** Replaces the key's expectations with deletions to come: a count, or the keys of the objects. */
  expectDeletions(key: string, dels: number | string[]): void {
    if (typeof dels === "number") this.set(key, 0, dels, []);
    else this.set(key, 0, dels.length, dels);
  }

  /** Adds to the outstanding counts (creating the record if needed) without resetting its time. */
  raiseExpectations(key: string, adds: number, dels: number): void {
    const e = this.byKey.get(key);
    if (!e) {
      this.set(key, adds, dels, []);
      return;
    }
    e.add += adds;
    e.del += dels;
  }

  /** Subtracts from the outstanding counts (an observed event, or a request that failed). */
  lowerExpectations(key: string, adds: number, dels: number): void {
    const e = this.byKey.get(key);
    if (!e) return;
    e.add -= adds;
    e.del -= dels;
  }

  creationObserved(key: string): void {
    this.lowerExpectations(key, 1, 0);
  }

  /**
   * One deletion seen. With `objectKey` only a tracked object counts (and only once), so the
   * deletion of some other object, or a repeated event, is not mistaken for the expected one.
   */
  deletionObserved(key: string, objectKey?: string): void {
    const e = this.byKey.get(key);
    if (!e) return;
    if (objectKey !== undefined && e.deleting.size > 0) {
      if (!e.deleting.delete(objectKey)) return;
    }
    e.del -= 1;
  }

  /** The object keys whose deletion is still expected. */
  pendingDeletions(key: string): string[] {
    return [...(this.byKey.get(key)?.deleting ?? [])];
  }

  /**
   * True when the controller may act on its cache for `key`: no expectations recorded, all
   * observed, or recorded longer than the TTL ago.
   */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.timestamp > this.ttlMs;
  }

  /** Outstanding counts, or undefined when nothing is recorded. */
  get(key: string): { add: number; del: number } | undefined {
    const e = this.byKey.get(key);
    return e ? { add: e.add, del: e.del } : undefined;
  }

  /** Forgets the key (its object was deleted). */
  delete(key: string): void {
    this.byKey.delete(key);
  }

  private set(key: string, add: number, del: number, deleting: string[]): void {
    this.byKey.set(key, { add, del, timestamp: this.clock.now(), deleting: new Set(deleting) });
  }
}
