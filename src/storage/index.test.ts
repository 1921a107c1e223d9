// openStore: the configured backend opens in its data dir with a running compactor.
import { it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "./index.ts";

it("opens the embedded store in a data dir it creates (mode 0700) and compacts it", async () => {
  const parent = await mkdtemp(join(tmpdir(), "k8ts-open-"));
  const dataDir = join(parent, "data");
  try {
    const opened = await openStore({ backend: "sqlite", dataDir, compaction: { maxRevisions: 2 } });
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    assert.ok((await stat(join(dataDir, "state.db"))).isFile());
    const kv = await opened.store.create("/a", "1");
    await opened.store.update("/a", "2", kv.modRevision);
    await opened.store.create("/b", "1");
    await opened.store.create("/c", "1");
    assert.equal(await opened.compactor!.tick(), kv.modRevision + 1);
    assert.equal(await opened.store.compactedRevision(), kv.modRevision + 1);
    await opened.close();
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});
