// Work queue and rate limiters: de-duplication, done/requeue, delays and back-off on a fake clock.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "./clock.ts";
import { WorkQueue } from "./workqueue.ts";
import { Backoff, BucketRateLimiter, ItemExponentialFailureRateLimiter, TokenBucket, defaultControllerRateLimiter } from "./ratelimit.ts";

describe("WorkQueue", () => {
  it("queues a key once however often it is added", async () => {
    const q = new WorkQueue();
    q.add("a");
    q.add("b");
    q.add("a");
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), "b");
    assert.equal(q.len(), 0);
  });

  it("re-queues a key added while it is processed, only after done", async () => {
    const q = new WorkQueue();
    q.add("a");
    const key = await q.get();
    assert.equal(key, "a");
    q.add("a");
    q.add("a");
    assert.equal(q.len(), 0, "not handed to a second worker while processing");
    q.done("a");
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), "a");
    q.done("a");
    assert.equal(q.len(), 0);
  });

  it("wakes a waiting worker on add, and hands out keys in order", async () => {
    const q = new WorkQueue();
    const got = q.get();
    q.add("x");
    assert.equal(await got, "x");
    q.add("x");
    q.done("x");
    assert.equal(await q.get(), "x");
  });

  it("shutDown drains what is queued, then get resolves undefined; later adds are ignored", async () => {
    const q = new WorkQueue();
    const idle = new WorkQueue();
    const waiting = idle.get();
    idle.shutDown();
    assert.equal(await waiting, undefined);
    q.add("a");
    q.shutDown();
    q.add("b");
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), undefined);
    assert.equal(q.shuttingDown, true);
  });

  it("addAfter delivers after the delay; the earliest pending time wins", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter("a", 100);
    q.addAfter("a", 50);
    q.addAfter("a", 500);
    assert.equal(q.delayed(), 1);
    clock.advance(49);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    clock.advance(1000);
    assert.equal(q.len(), 1, "the later timers were replaced, not added");
    q.addAfter("b", 0);
    assert.equal(q.len(), 2);
  });

  it("addRateLimited backs off per item exponentially until forget", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = clock.now();
      q.addRateLimited("k");
      let waited = 0;
      while (q.len() === 0 && waited < 10_000) {
        clock.advance(1);
        waited++;
      }
      delays.push(clock.now() - before);
      q.done((await q.get())!);
    }
    assert.deepEqual(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    assert.equal(q.numRequeues("k"), 10);
    q.forget("k");
    assert.equal(q.numRequeues("k"), 0);
  });

  it("the default controller limiter combines per-item back-off with an overall bucket", () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter(clock);
    // 100 distinct items: the burst covers them, each waits its first-failure 5 ms.
    for (let i = 0; i < 100; i++) assert.equal(limiter.when(`item-${i}`), 5);
    // The 101st must wait for the bucket (10 qps → 100 ms per token).
    assert.equal(Math.round(limiter.when("item-100")), 100);
    assert.equal(Math.round(limiter.when("item-101")), 200);
    clock.advance(10_000);
    assert.equal(limiter.when("item-0"), 10, "second failure of item-0: 10 ms");
  });

  it("shutDown cancels delayed adds", () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter("a", 10);
    q.shutDown();
    clock.advance(100);
    assert.equal(q.len(), 0);
    assert.equal(clock.pending, 0);
  });
});

describe("rate limiters", () => {
  it("TokenBucket allows a burst then refills at qps", () => {
    const clock = new FakeClock();
    const b = new TokenBucket(2, 3, clock);
    assert.equal(b.tryAccept(), true);
    assert.equal(b.tryAccept(), true);
    assert.equal(b.tryAccept(), true);
    assert.equal(b.tryAccept(), false);
    clock.advance(500);
    assert.equal(b.tryAccept(), true);
    assert.equal(b.reserve(), 500);
    assert.equal(b.reserve(), 1000);
  });

  it("BucketRateLimiter delays past the burst", () => {
    const clock = new FakeClock();
    const l = new BucketRateLimiter(1, 1, clock);
    assert.equal(l.when(), 0);
    assert.equal(l.when(), 1000);
  });

  it("Backoff doubles with jitter up to the cap and resets after a quiet period", () => {
    const clock = new FakeClock();
    const b = new Backoff({ clock, random: () => 0.5, jitter: 1, initialMs: 800, maxMs: 30_000, resetAfterMs: 120_000 });
    const seen = Array.from({ length: 8 }, () => b.next());
    assert.deepEqual(seen, [1200, 2400, 4800, 9600, 19200, 30000, 30000, 30000]);
    clock.advance(120_001);
    assert.equal(b.next(), 1200);
  });
});
