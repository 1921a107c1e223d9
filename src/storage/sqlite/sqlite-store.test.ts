// The embedded store against the shared conformance suite, plus what only it has: reopening
// at the stored revision and replaying history after a restart.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStoreConformance, takeEvents } from "../conformance.ts";
import { openSqliteStore } from "./sqlite-store.ts";

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "k8ts-sqlite-"));
}

runStoreConformance("sqlite", async () => {
  const dir = await tempDir();
  const store = await openSqliteStore({ path: join(dir, "state.db"), ttlSweepIntervalMs: 100 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe("sqlite store", () => {
  it("reopens at the stored revision and replays history across the restart", async () => {
    const dir = await tempDir();
    const path = join(dir, "state.db");
    try {
      const first = await openSqliteStore({ path });
      const a = await first.create("/r/a", "1");
      await first.update("/r/a", "2", a.modRevision);
      const last = await first.create("/r/b", "1");
      await first.close();

      const second = await openSqliteStore({ path });
      assert.equal(await second.currentRevision(), last.modRevision);
      const next = await second.create("/r/c", "1");
      assert.equal(next.modRevision, last.modRevision + 1);
      const watch = second.watch("/r/", { fromRevision: a.modRevision });
      const events = await takeEvents(watch, 4);
      assert.deepEqual(events.map((e) => `${e.kv.key}@${e.kv.modRevision}`), [
        `/r/a@${a.modRevision}`, `/r/a@${a.modRevision + 1}`, `/r/b@${last.modRevision}`, `/r/c@${next.modRevision}`,
      ]);
      watch.cancel();
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("coalesces concurrent writes into few transactions", async () => {
    const dir = await tempDir();
    const store = await openSqliteStore({ path: join(dir, "state.db") });
    try {
      await Promise.all(Array.from({ length: 500 }, (_, i) => store.create(`/gc/${i}`, "v")));
      const { batches, writes } = store.stats();
      assert.equal(writes, 500);
      assert.ok(batches <= 10, `expected group commit, got ${batches} transactions for 500 writes`);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects use after close with a clear error", async () => {
    const dir = await tempDir();
    const store = await openSqliteStore({ path: join(dir, "state.db") });
    await store.close();
    await assert.rejects(store.create("/x", "y"), /closed/);
    await rm(dir, { recursive: true, force: true });
  });
});
