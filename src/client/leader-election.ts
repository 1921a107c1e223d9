// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection: acquire when
// the lease is free or expired (judged by when *we* saw it change), renew, step down, release.
import type { Lease } from "kubernetes-types/coordination/v1.js";
import { isStatusError } from "../apimachinery/status.ts";
import type { Logger } from "../util/log.ts";
import { createLogger } from "../util/log.ts";
import type { Clock } from "./clock.ts";
import { realClock, sleep } from "./clock.ts";
import type { Client } from "./rest.ts";
import { resources } from "./resources.ts";

/** The election state stored in the lock object (a Lease's spec). Times are MicroTime strings. */
export interface LeaderElectionRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

/** Where the record lives. `update` must fail if the object changed since the last get/create/update. */
export interface ResourceLock {
  readonly identity: string;
  /** The record and an opaque form that changes whenever the record does; null if there is no lock object. */
  get(signal?: AbortSignal): Promise<{ record: LeaderElectionRecord; raw: string } | null>;
  create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void>;
  update(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void>;
  describe(): string;
}

/** Lease time format: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** A ResourceLock on a Lease, updated with optimistic concurrency (resourceVersion). */
export class LeaseLock implements ResourceLock {
  readonly identity: string;
  private readonly client: Client;
  private readonly namespace: string;
  private readonly name: string;
  private lease: Lease | null = null;

  constructor(client: Client, opts: { namespace: string; name: string; identity: string }) {
    this.client = client;
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.identity = opts.identity;
  }

  async get(signal?: AbortSignal): Promise<{ record: LeaderElectionRecord; raw: string } | null> {
    try {
      this.lease = await this.client.get<Lease>(resources.leases, this.name, { namespace: this.namespace, signal });
    } catch (err) {
      if (isStatusError(err, "NotFound")) return null;
      throw err;
    }
    const spec = this.lease.spec ?? {};
    const record: LeaderElectionRecord = {
      holderIdentity: spec.holderIdentity ?? "", leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: spec.acquireTime ?? "", renewTime: spec.renewTime ?? "", leaseTransitions: spec.leaseTransitions ?? 0,
    };
    return { record, raw: JSON.stringify(record) };
  }

  async create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void> {
    const lease: Lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: this.name, namespace: this.namespace }, spec: { ...record } };
    this.lease = await this.client.create<Lease>(resources.leases, lease, { signal });
  }

  async update(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void> {
    if (!this.lease) throw new Error("LeaseLock.update before get or create");
    this.lease = await this.client.update<Lease>(resources.leases, { ...this.lease, spec: { ...record } }, { signal });
  }

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }
}

export interface LeaderCallbacks {
  /** Called once leadership is acquired; `signal` aborts when it is lost or the elector stops. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called after leadership ends (only if it was held). */
  onStoppedLeading(): void;
  /** Called when the observed leader changes (including to ourselves). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionConfig {
  lock: ResourceLock;
  callbacks: LeaderCallbacks;
  /** How long a non-leader waits after last seeing the record change before taking over; default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a renewal before stepping down; default 10 s. */
  renewDeadlineMs?: number;
  /** Time between attempts; default 2 s. */
  retryPeriodMs?: number;
  /** On stop, clear the holder so another candidate can take over at once; default true. */
  releaseOnCancel?: boolean;
  name?: string;
  clock?: Clock;
  random?: () => number;
  log?: Logger;
}

const JITTER = 1.2;

export class LeaderElector {
  private readonly cfg: LeaderElectionConfig;
  private readonly lock: ResourceLock;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private observed: LeaderElectionRecord | null = null;
  private observedRaw = "";
  private observedTime = 0;
  private reportedLeader = "";

  constructor(cfg: LeaderElectionConfig) {
    this.cfg = cfg;
    this.lock = cfg.lock;
    this.clock = cfg.clock ?? realClock;
    this.random = cfg.random ?? Math.random;
    this.log = cfg.log ?? createLogger("leader-election");
    this.leaseMs = cfg.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = cfg.renewDeadlineMs ?? 10_000;
    this.retryMs = cfg.retryPeriodMs ?? 2_000;
    if (this.leaseMs <= this.renewDeadlineMs) throw new Error("leaseDuration must be greater than renewDeadline");
    if (this.renewDeadlineMs <= JITTER * this.retryMs) throw new Error(`renewDeadline must be greater than retryPeriod*${JITTER}`);
    if (!this.lock.identity) throw new Error("leader election needs an identity");
  }

  /** True while the last record we wrote or saw names us as holder. */
  isLeader(): boolean {
    return this.observed?.holderIdentity === this.lock.identity;
  }

  /** The holder we last observed ("" when none). */
  getLeader(): string {
    return this.observed?.holderIdentity ?? "";
  }

  /**
   * Campaigns until leader, leads until renewing fails for renewDeadline or `signal` aborts,
   * then resolves. A lost leadership is final for this run (client-go: the process should exit).
   */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.acquire(signal))) return;
    const leading = new AbortController();
    const stop = () => leading.abort();
    signal.addEventListener("abort", stop, { once: true });
    try {
      Promise.resolve()
        .then(() => this.cfg.callbacks.onStartedLeading(leading.signal))
        .catch((err: unknown) => this.log.error({ lock: this.lock.describe(), err }, "onStartedLeading failed"));
      await this.renew(signal);
    } finally {
      signal.removeEventListener("abort", stop);
      leading.abort();
      if (signal.aborted && (this.cfg.releaseOnCancel ?? true)) await this.release();
      this.cfg.callbacks.onStoppedLeading();
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    this.log.info({ lock: this.lock.describe(), identity: this.lock.identity }, "attempting to acquire leader lease");
    while (!signal.aborted) {
      const ok = await this.tryAcquireOrRenew(this.clock.now() + this.renewDeadlineMs, signal);
      this.reportTransition();
      if (ok) {
        this.log.info({ lock: this.lock.describe(), identity: this.lock.identity }, "acquired leader lease");
        return true;
      }
      await sleep(this.clock, this.retryMs * (1 + this.random() * JITTER), signal);
    }
    return false;
  }

  /** Renews every retryPeriod; returns when a renewal did not succeed within renewDeadline, or on abort. */
  private async renew(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const deadline = this.clock.now() + this.renewDeadlineMs;
      let ok = false;
      while (!signal.aborted && !ok && this.clock.now() < deadline) {
        ok = await this.tryAcquireOrRenew(deadline, signal);
        if (!ok) await sleep(this.clock, Math.min(this.retryMs, Math.max(0, deadline - this.clock.now())), signal);
      }
      this.reportTransition();
      if (signal.aborted) return;
      if (!ok) {
        this.log.warn({ lock: this.lock.describe(), identity: this.lock.identity }, "failed to renew lease; stepping down");
        return;
      }
      await sleep(this.clock, this.retryMs, signal);
    }
  }

  /** One attempt; lock calls are cut off at `deadline`. */
  private async tryAcquireOrRenew(deadline: number, outer: AbortSignal): Promise<boolean> {
    const ac = new AbortController();
    const cancelTimer = this.clock.setTimer(deadline - this.clock.now(), () => ac.abort());
    const onAbort = () => ac.abort();
    outer.addEventListener("abort", onAbort, { once: true });
    try {
      return await this.attempt(ac.signal);
    } catch (err) {
      if (!ac.signal.aborted) this.log.debug({ lock: this.lock.describe(), err }, "lease attempt failed");
      return false;
    } finally {
      cancelTimer();
      outer.removeEventListener("abort", onAbort);
    }
  }

  private async attempt(signal: AbortSignal): Promise<boolean> {
    const now = this.clock.now();
    const record: LeaderElectionRecord = {
      holderIdentity: this.lock.identity, leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseMs / 1000)),
      acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0,
    };
    const current = await this.lock.get(signal);
    if (!current) {
      await this.lock.create(record, signal);
      this.setObserved(record, now);
      return true;
    }
    if (current.raw !== this.observedRaw) {
      this.observed = current.record;
      this.observedRaw = current.raw;
      this.observedTime = now;
    }
    const old = current.record;
    const durationMs = old.leaseDurationSeconds > 0 ? old.leaseDurationSeconds * 1000 : this.leaseMs;
    if (old.holderIdentity && old.holderIdentity !== this.lock.identity && this.observedTime + durationMs > now) return false;
    if (old.holderIdentity === this.lock.identity) {
      record.acquireTime = old.acquireTime || record.acquireTime;
      record.leaseTransitions = old.leaseTransitions;
    } else {
      record.leaseTransitions = old.leaseTransitions + 1;
    }
    await this.lock.update(record, signal);
    this.setObserved(record, now);
    return true;
  }

  /** Clears the holder (keeping the transition count) so a candidate can acquire at once. */
  private async release(): Promise<void> {
    if (!this.isLeader() || !this.observed) return;
    const now = this.clock.now();
    const record: LeaderElectionRecord = { holderIdentity: "", leaseDurationSeconds: 1, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: this.observed.leaseTransitions };
    const ac = new AbortController();
    const cancel = this.clock.setTimer(this.renewDeadlineMs, () => ac.abort());
    try {
      try {
        await this.lock.update(record, ac.signal);
      } catch (err) {
        // A renewal that was in flight when we stopped moved the Lease on: release it if it is still ours.
        if (!isStatusError(err, "Conflict")) throw err;
        const current = await this.lock.get(ac.signal);
        if (current?.record.holderIdentity !== this.lock.identity) return;
        await this.lock.update(record, ac.signal);
      }
      this.setObserved(record, now);
      this.log.info({ lock: this.lock.describe(), identity: this.lock.identity }, "released leader lease");
    } catch (err) {
      this.log.warn({ lock: this.lock.describe(), err }, "failed to release leader lease");
    } finally {
      cancel();
    }
  }

  private setObserved(record: LeaderElectionRecord, now: number): void {
    this.observed = record;
    this.observedRaw = JSON.stringify(record);
    this.observedTime = now;
  }

  private reportTransition(): void {
    const holder = this.observed?.holderIdentity ?? "";
    if (!holder || holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    try {
      this.cfg.callbacks.onNewLeader?.(holder);
    } catch (err) {
      this.log.error({ err }, "onNewLeader failed");
    }
  }
}

/** Runs one election to the end (see LeaderElector.run). */
export function runLeaderElection(cfg: LeaderElectionConfig, signal: AbortSignal): Promise<void> {
  return new LeaderElector(cfg).run(signal);
}
