// The embedded store's single writer, run on a worker thread so that SQLite's disk work and
// fsync never block the event loop: each batch of operations is one transaction and one fsync.
import { parentPort, workerData } from "node:worker_threads";
import { DatabaseSync } from "node:sqlite";
import { SCHEMA, configure, readMeta, rowToKeyValue, ROW_COLUMNS } from "./schema.ts";
import type { LogRow } from "./schema.ts";
import type { FromWriter, ToWriter, WriteOp, WriteResult, WriterInit, WriterReady } from "./protocol.ts";
import type { KeyValue } from "../interface.ts";

const COMPACT_CHUNK = 5000;

class Writer {
  private readonly db: DatabaseSync;
  private revision: number;
  private readonly current;
  private readonly insert;
  private readonly supersede;
  private readonly setRevision;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    configure(this.db);
    this.db.exec(SCHEMA);
    this.revision = readMeta(this.db).revision;
    this.current = this.db.prepare(`SELECT ${ROW_COLUMNS} FROM log WHERE name = ? AND superseded_at IS NULL`);
    this.insert = this.db.prepare(
      "INSERT INTO log (rev, name, deleted, create_rev, prev_rev, version, value, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.supersede = this.db.prepare("UPDATE log SET superseded_at = ? WHERE rev = ?");
    this.setRevision = this.db.prepare("UPDATE meta SET v = ? WHERE k = 'revision'");
  }

  meta() {
    return readMeta(this.db);
  }

  get currentRevision(): number {
    return this.revision;
  }

  /** Applies the ops in order in one transaction; on any SQLite error nothing is applied. */
  applyBatch(ops: WriteOp[]): WriteResult[] {
    const startRevision = this.revision;
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const results = ops.map((op) => this.apply(op));
      if (this.revision !== startRevision) this.setRevision.run(this.revision);
      this.db.exec("COMMIT");
      return results;
    } catch (err) {
      this.db.exec("ROLLBACK");
      this.revision = startRevision;
      throw err;
    }
  }

  private apply(op: WriteOp): WriteResult {
    const row = this.current.get(op.key) as LogRow | undefined;
    const live: KeyValue | null = row && !row.deleted ? rowToKeyValue(row) : null;
    if (op.kind === "create") {
      if (live) return { ok: false, code: "Exists", current: live };
      const rev = ++this.revision;
      this.write(rev, op.key, 0, rev, row?.rev ?? 0, 1, op.value, op.expiresAt);
      return { ok: true, kv: { key: op.key, value: op.value, createRevision: rev, modRevision: rev, version: 1 }, prevKv: null };
    }
    if (!live) return { ok: false, code: "NotFound", current: null };
    if (op.expected !== null && live.modRevision !== op.expected) return { ok: false, code: "Conflict", current: live };
    const rev = ++this.revision;
    if (op.kind === "update") {
      this.write(rev, op.key, 0, live.createRevision, live.modRevision, live.version + 1, op.value, op.expiresAt);
      const kv = { key: op.key, value: op.value, createRevision: live.createRevision, modRevision: rev, version: live.version + 1 };
      return { ok: true, kv, prevKv: live };
    }
    this.write(rev, op.key, 1, live.createRevision, live.modRevision, 0, null, null);
    return { ok: true, kv: { key: op.key, value: "", createRevision: 0, modRevision: rev, version: 0 }, prevKv: live };
  }

  private write(rev: number, name: string, deleted: number, createRev: number, prevRev: number, version: number, value: string | null, expiresAt: number | null): void {
    if (prevRev) this.supersede.run(rev, prevRev);
    this.insert.run(rev, name, deleted, createRev, prevRev, version, value, expiresAt);
  }

  /**
   * Removes one chunk of history below `revision`: versions superseded before it and tombstones
   * older than it. Returns how many rows went; 0 means the compaction is complete.
   */
  compactChunk(revision: number): number {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      this.db.prepare("UPDATE meta SET v = max(v, ?) WHERE k = 'compacted'").run(revision);
      let removed = Number(
        this.db.prepare(`DELETE FROM log WHERE rev IN (SELECT rev FROM log WHERE superseded_at < ? LIMIT ${COMPACT_CHUNK})`).run(revision).changes,
      );
      if (removed < COMPACT_CHUNK) {
        removed += Number(
          this.db.prepare(`DELETE FROM log WHERE rev IN (SELECT rev FROM log WHERE superseded_at IS NULL AND deleted = 1 AND rev < ? LIMIT ${COMPACT_CHUNK})`).run(revision).changes,
        );
      }
      this.db.exec("COMMIT");
      return removed;
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
  }

  close(): void {
    this.db.close();
  }
}

const port = parentPort!;
const send = (msg: FromWriter) => port.postMessage(msg);
const writer = new Writer((workerData as WriterInit).path);
port.postMessage({ type: "ready", ...writer.meta() } satisfies WriterReady);

/** Compacts chunk by chunk, letting queued write batches run between chunks. */
function compact(id: number, revision: number, removedSoFar = 0): void {
  try {
    const removed = writer.compactChunk(revision);
    if (removed === 0) send({ type: "compacted", id, removed: removedSoFar });
    else setImmediate(() => compact(id, revision, removedSoFar + removed));
  } catch (err) {
    send({ type: "failed", id, message: String(err) });
  }
}

port.on("message", (msg: ToWriter) => {
  switch (msg.type) {
    case "batch":
      try {
        const results = writer.applyBatch(msg.ops);
        send({ type: "batch", id: msg.id, results, revision: writer.currentRevision });
      } catch (err) {
        send({ type: "failed", id: msg.id, message: err instanceof Error ? err.message : String(err) });
      }
      break;
    case "compact":
      compact(msg.id, msg.revision);
      break;
    case "close":
      writer.close();
      port.close();
      break;
  }
});
