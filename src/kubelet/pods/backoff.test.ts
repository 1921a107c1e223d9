import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../../client/index.ts";
import { Backoff, goDuration } from "./backoff.ts";

test("goDuration prints as Go does", () => {
  assert.deepEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 1500, 250, 0, 3_600_000].map(goDuration),
    ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "1.5s", "250ms", "0s", "1h0m0s"]);
});

test("crash-loop back-off: 10 s doubling to 5 min, measured from the exit", () => {
  const clock = new FakeClock();
  const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, clock });
  const seen: number[] = [];
  let exit = clock.now();
  assert.equal(b.isInBackOffSince("k", exit), false, "the first restart is immediate");
  b.next("k", exit);
  for (let i = 0; i < 7; i++) {
    clock.advance(1000); // runs a second, then crashes
    exit = clock.now();
    assert.equal(b.isInBackOffSince("k", exit), true);
    seen.push(b.get("k"));
    clock.advance(b.remainingSince("k", exit) - 1);
    assert.equal(b.isInBackOffSince("k", exit), true, "still backing off 1 ms before the end");
    clock.advance(1);
    assert.equal(b.isInBackOffSince("k", exit), false);
    b.next("k", exit);
  }
  assert.deepEqual(seen.map(goDuration), ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"]);
});

test("crash-loop back-off resets after the container ran 10 minutes (2 × max)", () => {
  const clock = new FakeClock();
  const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, clock });
  for (let i = 0; i < 5; i++) b.next("k", clock.now());
  assert.equal(b.get("k"), 160_000);
  clock.advance(600_000);
  assert.equal(b.isInBackOffSince("k", clock.now()), true, "exactly 10 minutes is not yet expired");
  clock.advance(1);
  const exit = clock.now();
  assert.equal(b.isInBackOffSince("k", exit), false, "ran longer than 10 minutes: restart at once");
  b.next("k", exit);
  assert.equal(b.get("k"), 10_000, "and start over at 10 s");
});

test("image pull back-off is measured from the last failure", () => {
  const clock = new FakeClock();
  const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, clock });
  b.next("img", clock.now());
  assert.equal(b.isInBackOffSinceUpdate("img", clock.now()), true);
  assert.equal(b.remainingSinceUpdate("img"), 10_000);
  clock.advance(10_000);
  assert.equal(b.isInBackOffSinceUpdate("img", clock.now()), false);
  b.resetPrefix("im");
  assert.equal(b.get("img"), 0);
});
