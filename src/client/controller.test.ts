// runController: workers reconcile keys, failures retry with back-off until maxRetries, a key is
// never reconciled concurrently, and aborting stops the workers.
import { it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../util/log.ts";
import { runController } from "./controller.ts";
import { WorkQueue } from "./workqueue.ts";
import { ItemExponentialFailureRateLimiter } from "./ratelimit.ts";

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

it("reconciles keys with several workers, one key at a time, and stops on abort", async () => {
  const queue = new WorkQueue({ rateLimiter: new ItemExponentialFailureRateLimiter(1, 10) });
  const ac = new AbortController();
  const active = new Set<string>();
  let maxConcurrent = 0;
  const done: string[] = [];
  const run = runController({
    name: "test", queue, workers: 3, signal: ac.signal, log: silentLogger,
    reconcile: async (key) => {
      assert.equal(active.has(key), false, `${key} reconciled concurrently`);
      active.add(key);
      maxConcurrent = Math.max(maxConcurrent, active.size);
      await new Promise((r) => setTimeout(r, 5));
      active.delete(key);
      done.push(key);
    },
  });
  for (let round = 0; round < 3; round++) for (const k of ["a", "b", "c", "d"]) queue.add(k);
  await waitFor(() => queue.len() === 0 && active.size === 0 && done.length >= 4, "the keys");
  assert.ok(maxConcurrent > 1 && maxConcurrent <= 3);
  assert.deepEqual([...new Set(done)].sort(), ["a", "b", "c", "d"]);
  ac.abort();
  await run;
  assert.equal(queue.shuttingDown, true);
});

it("retries a failing key with back-off up to maxRetries, then drops it; success forgets", async () => {
  const queue = new WorkQueue({ rateLimiter: new ItemExponentialFailureRateLimiter(1, 4) });
  const ac = new AbortController();
  const attempts = new Map<string, number>();
  const run = runController({
    name: "test", queue, workers: 2, maxRetries: 3, signal: ac.signal, log: silentLogger,
    reconcile: async (key) => {
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      if (key === "bad") throw new Error("always fails");
      if (key === "flaky" && n < 3) throw new Error("fails twice");
    },
  });
  queue.add("bad");
  queue.add("flaky");
  await waitFor(() => attempts.get("bad") === 4 && attempts.get("flaky") === 3 && queue.delayed() === 0 && queue.len() === 0, "retries");
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(attempts.get("bad"), 4, "1 try + 3 retries, then dropped");
  assert.equal(queue.numRequeues("bad"), 0, "dropped keys are forgotten");
  assert.equal(queue.numRequeues("flaky"), 0, "success forgets the failures");
  queue.add("bad");
  await waitFor(() => attempts.get("bad")! >= 5, "a new event re-adds a dropped key");
  ac.abort();
  await run;
});
