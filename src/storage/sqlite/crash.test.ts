// Crash safety of the embedded store: a writer process is SIGKILLed mid-load; after reopening,
// every write it acknowledged is there, the database is intact and revisions keep rising.
import { it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openSqliteStore } from "./sqlite-store.ts";

const FIXTURE = new URL("./crash-writer.fixture.ts", import.meta.url).pathname;

interface Ack {
  key: string;
  revision: number;
  value: string;
}

/** Runs the writer until it has acknowledged `acks` writes, then SIGKILLs it. */
async function writeUntilKilled(path: string, round: number, acks: number): Promise<{ acked: Ack[]; openedAt: number }> {
  const child = spawn(process.execPath, [FIXTURE, path, String(round)], { stdio: ["ignore", "pipe", "inherit"] });
  const acked: Ack[] = [];
  let openedAt = -1;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, key, revision, value] = line.split(" ");
    if (kind === "open") openedAt = Number(key);
    if (kind !== "ack") continue;
    acked.push({ key: key!, revision: Number(revision), value: value! });
    if (acked.length === acks) child.kill("SIGKILL");
  }
  assert.equal(await exited, "SIGKILL", "the writer was killed, it did not stop by itself");
  return { acked, openedAt };
}

it("keeps every acknowledged write across SIGKILL, three times over", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-crash-"));
  const path = join(dir, "state.db");
  try {
    let lastRevision = 0;
    for (let round = 0; round < 3; round++) {
      const { acked, openedAt } = await writeUntilKilled(path, round, 3000);
      assert.ok(acked.length >= 3000);
      assert.equal(openedAt, lastRevision, "the writer reopened at the revision left by the previous round");

      const check = new DatabaseSync(path);
      assert.deepEqual(check.prepare("PRAGMA integrity_check").all().map((r) => ({ ...r })), [{ integrity_check: "ok" }]);
      check.close();

      const store = await openSqliteStore({ path });
      const latest = new Map<string, Ack>();
      for (const a of acked) if ((latest.get(a.key)?.revision ?? 0) < a.revision) latest.set(a.key, a);
      for (const a of latest.values()) {
        const kv = await store.get(a.key);
        assert.ok(kv, `acknowledged write of ${a.key} at ${a.revision} was lost`);
        assert.ok(kv.modRevision >= a.revision, `${a.key} went back from ${a.revision} to ${kv.modRevision}`);
        if (kv.modRevision === a.revision) assert.equal(kv.value, a.value);
      }
      const maxAcked = Math.max(...acked.map((a) => a.revision));
      const revision = await store.currentRevision();
      assert.ok(revision >= maxAcked);
      const next = await store.create(`/crash/after/${round}`, "x");
      assert.equal(next.modRevision, revision + 1, "revisions continue upwards");
      lastRevision = next.modRevision;
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
