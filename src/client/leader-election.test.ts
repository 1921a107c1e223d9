// Leader election on an in-memory lock with a fake clock: one leader at a time, take-over only
// after the lease expires by local observation, stepping down when renewals fail, release on stop.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StatusError } from "../apimachinery/status.ts";
import { silentLogger } from "../util/log.ts";
import { FakeClock } from "./clock.ts";
import { LeaderElector, microTime } from "./leader-election.ts";
import type { LeaderElectionRecord, ResourceLock } from "./leader-election.ts";

/** One lock object shared by the candidates, with a version for optimistic concurrency. */
class LockObject {
  record: LeaderElectionRecord | null = null;
  version = 0;
}

/** A candidate's view of the lock; `partitioned` makes every call fail (the candidate is cut off). */
class FakeLock implements ResourceLock {
  readonly identity: string;
  partitioned = false;
  private readonly obj: LockObject;
  private seenVersion = -1;

  constructor(obj: LockObject, identity: string) {
    this.obj = obj;
    this.identity = identity;
  }

  private check(): void {
    if (this.partitioned) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
  }

  async get() {
    this.check();
    this.seenVersion = this.obj.version;
    return this.obj.record ? { record: { ...this.obj.record }, raw: JSON.stringify(this.obj.record) } : null;
  }

  async create(record: LeaderElectionRecord) {
    this.check();
    if (this.obj.record) throw new StatusError(409, "AlreadyExists", "exists");
    this.obj.record = { ...record };
    this.seenVersion = ++this.obj.version;
  }

  async update(record: LeaderElectionRecord) {
    this.check();
    if (this.seenVersion !== this.obj.version) throw new StatusError(409, "Conflict", "the object has been modified");
    this.obj.record = { ...record };
    this.seenVersion = ++this.obj.version;
  }

  describe() {
    return "fake";
  }
}

interface Candidate {
  lock: FakeLock;
  elector: LeaderElector;
  events: string[];
  leading: AbortSignal | null;
  stop: AbortController;
  done: Promise<void>;
}

function candidate(obj: LockObject, identity: string, clock: FakeClock, opts: { releaseOnCancel?: boolean } = {}): Candidate {
  const lock = new FakeLock(obj, identity);
  const c: Candidate = { lock, events: [], leading: null, stop: new AbortController(), done: Promise.resolve(), elector: null as unknown as LeaderElector };
  c.elector = new LeaderElector({
    lock, clock, log: silentLogger, random: () => 0.5,
    leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 300, releaseOnCancel: opts.releaseOnCancel,
    callbacks: {
      onStartedLeading: (signal) => {
        c.leading = signal;
        c.events.push("started");
      },
      onStoppedLeading: () => c.events.push("stopped"),
      onNewLeader: (id) => c.events.push(`leader ${id}`),
    },
  });
  c.done = c.elector.run(c.stop.signal);
  return c;
}

describe("LeaderElector", () => {
  it("elects one leader; the other waits while the leader renews", async () => {
    const clock = new FakeClock();
    const obj = new LockObject();
    const a = candidate(obj, "a", clock);
    await clock.tick(50);
    const b = candidate(obj, "b", clock);
    await clock.tick(10_000, 50);
    assert.equal(a.elector.isLeader(), true);
    assert.equal(b.elector.isLeader(), false);
    assert.equal(b.elector.getLeader(), "a");
    assert.deepEqual(a.events, ["leader a", "started"]);
    assert.deepEqual(b.events, ["leader a"]);
    assert.equal(obj.record?.leaseTransitions, 0);
    assert.equal(obj.record?.leaseDurationSeconds, 2);
    a.stop.abort();
    b.stop.abort();
    await clock.tick(100);
    await Promise.all([a.done, b.done]);
  });

  it("releases on graceful stop so the other takes over within a retry period", async () => {
    const clock = new FakeClock();
    const obj = new LockObject();
    const a = candidate(obj, "a", clock);
    await clock.tick(50);
    const b = candidate(obj, "b", clock);
    await clock.tick(1000, 20);
    a.stop.abort();
    await clock.tick(20);
    await a.done;
    assert.equal(a.leading?.aborted, true);
    assert.deepEqual(a.events, ["leader a", "started", "stopped"]);
    assert.equal(obj.record?.holderIdentity, "", "released");
    const released = clock.now();
    while (!b.elector.isLeader()) await clock.tick(20);
    assert.ok(clock.now() - released <= 300 * 2.2 + 40, `took over after ${clock.now() - released} ms`);
    assert.equal(obj.record?.leaseTransitions, 1);
    assert.ok(b.events.includes("started"));
    b.stop.abort();
    await clock.tick(100);
    await b.done;
  });

  it("a crashed leader's lease is taken over only after leaseDuration of unchanged record", async () => {
    const clock = new FakeClock();
    const obj = new LockObject();
    const a = candidate(obj, "a", clock, { releaseOnCancel: false });
    await clock.tick(50);
    a.stop.abort(); // stops renewing without releasing: as if the process died
    await clock.tick(20);
    await a.done;
    assert.equal(obj.record?.holderIdentity, "a");
    const crashed = clock.now();
    const b = candidate(obj, "b", clock);
    while (!b.elector.isLeader()) await clock.tick(20);
    const waited = clock.now() - crashed;
    assert.ok(waited >= 2000 && waited < 2000 + 700, `took over after ${waited} ms`);
    b.stop.abort();
    await clock.tick(100);
    await b.done;
  });

  it("judges expiry by local observation, not by the renewTime written in the record", async () => {
    const clock = new FakeClock();
    const obj = new LockObject();
    // A record renewed "an hour ago" by another clock: still valid until we have watched it unchanged for 2 s.
    obj.record = { holderIdentity: "x", leaseDurationSeconds: 2, acquireTime: microTime(clock.now() - 3_600_000), renewTime: microTime(clock.now() - 3_600_000), leaseTransitions: 4 };
    const b = candidate(obj, "b", clock);
    await clock.tick(1500, 20);
    assert.equal(b.elector.isLeader(), false);
    assert.equal(b.elector.getLeader(), "x");
    await clock.tick(1200, 20);
    assert.equal(b.elector.isLeader(), true);
    assert.equal(obj.record?.leaseTransitions, 5);
    b.stop.abort();
    await clock.tick(100);
    await b.done;
  });

  it("steps down when renewals fail for renewDeadline, before another can take over", async () => {
    const clock = new FakeClock();
    const obj = new LockObject();
    const a = candidate(obj, "a", clock);
    await clock.tick(50);
    const b = candidate(obj, "b", clock);
    await clock.tick(1000, 20);
    a.lock.partitioned = true;
    const cut = clock.now();
    let aStopped = 0;
    let bLeads = 0;
    while (!bLeads) {
      await clock.tick(20);
      if (!aStopped && a.events.includes("stopped")) aStopped = clock.now();
      if (b.elector.isLeader()) bLeads = clock.now();
    }
    await a.done;
    assert.equal(a.leading?.aborted, true);
    assert.ok(aStopped > 0 && aStopped <= bLeads, "the old leader stopped before the new one started");
    assert.ok(aStopped - cut <= 300 + 1500 + 40, `stepped down after ${aStopped - cut} ms`);
    assert.ok(b.events.includes("leader b"));
    b.stop.abort();
    await clock.tick(100);
    await b.done;
  });

  it("rejects durations that cannot work", () => {
    const lock = new FakeLock(new LockObject(), "a");
    const callbacks = { onStartedLeading: () => {}, onStoppedLeading: () => {} };
    assert.throws(() => new LeaderElector({ lock, callbacks, leaseDurationMs: 1000, renewDeadlineMs: 1000 }), /leaseDuration/);
    assert.throws(() => new LeaderElector({ lock, callbacks, leaseDurationMs: 5000, renewDeadlineMs: 1000, retryPeriodMs: 1000 }), /renewDeadline/);
  });
});
