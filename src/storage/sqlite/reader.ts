// Main-thread reads of the embedded store: a second SQLite connection that, thanks to WAL, reads
// committed state while the writer thread commits. Each call is one consistent snapshot.
import { DatabaseSync } from "node:sqlite";
import type { StatementSync } from "node:sqlite";
import { configure, rowToKeyValue, ROW_COLUMNS } from "./schema.ts";
import type { LogRow } from "./schema.ts";
import type { KeyValue, WatchEvent } from "../interface.ts";

interface EventRow extends LogRow {
  p_rev: number | null;
  p_deleted: number | null;
  p_create_rev: number | null;
  p_version: number | null;
  p_value: string | null;
}

export class Reader {
  private readonly db: DatabaseSync;
  private readonly stmts: Record<"revision" | "current" | "atRevision" | "rangeCurrent" | "rangeAt" | "events" | "expired", StatementSync>;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    configure(this.db);
    const cols = ROW_COLUMNS;
    this.stmts = {
      revision: this.db.prepare("SELECT v FROM meta WHERE k = 'revision'"),
      current: this.db.prepare(`SELECT ${cols} FROM log WHERE name = ? AND superseded_at IS NULL AND deleted = 0`),
      atRevision: this.db.prepare(`SELECT ${cols} FROM log WHERE name = ? AND rev <= ? ORDER BY prev_rev DESC LIMIT 1`),
      rangeCurrent: this.db.prepare(
        `SELECT ${cols} FROM log WHERE superseded_at IS NULL AND name >= ? AND name < ? AND deleted = 0 ORDER BY name LIMIT ?`,
      ),
      rangeAt: this.db.prepare(
        `SELECT ${cols} FROM log WHERE name >= ? AND name < ? AND rev <= ? AND (superseded_at IS NULL OR superseded_at > ?) AND deleted = 0 ORDER BY name LIMIT ?`,
      ),
      events: this.db.prepare(
        `SELECT l.rev, l.name, l.deleted, l.create_rev, l.prev_rev, l.version, l.value,
                p.rev AS p_rev, p.deleted AS p_deleted, p.create_rev AS p_create_rev, p.version AS p_version, p.value AS p_value
         FROM log l LEFT JOIN log p ON p.rev = l.prev_rev
         WHERE l.rev >= ? AND l.rev <= ? AND l.name >= ? AND l.name < ? ORDER BY l.rev LIMIT ?`,
      ),
      expired: this.db.prepare(
        "SELECT name, rev FROM log WHERE superseded_at IS NULL AND deleted = 0 AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
      ),
    };
  }

  /** Runs `read` inside one read transaction, passing the revision that snapshot is at. */
  snapshot<T>(read: (revision: number) => T): T {
    this.db.exec("BEGIN");
    try {
      return read(Number((this.stmts.revision.get() as { v: number }).v));
    } finally {
      this.db.exec("COMMIT");
    }
  }

  /** The key as it is now. */
  current(key: string): KeyValue | null {
    const row = this.stmts.current.get(key) as LogRow | undefined;
    return row ? rowToKeyValue(row) : null;
  }

  /** The key at `revision`, or as it is in the snapshot when `revision` is the snapshot's own. */
  get(key: string, revision: number, snapshotRevision: number): KeyValue | null {
    const row = (revision >= snapshotRevision ? this.stmts.current.get(key) : this.stmts.atRevision.get(key, revision)) as LogRow | undefined;
    return row && !row.deleted ? rowToKeyValue(row) : null;
  }

  range(start: string, end: string, limit: number, revision: number, snapshotRevision: number): KeyValue[] {
    const rows = (revision >= snapshotRevision
      ? this.stmts.rangeCurrent.all(start, end, limit)
      : this.stmts.rangeAt.all(start, end, revision, revision, limit)) as unknown as LogRow[];
    return rows.map(rowToKeyValue);
  }

  /** Changes with from <= revision <= to under [start, end), in revision order, at most `limit`. */
  events(from: number, to: number, start: string, end: string, limit: number): WatchEvent[] {
    const rows = this.stmts.events.all(from, to, start, end, limit) as unknown as EventRow[];
    return rows.map((r) => {
      const prevKv: KeyValue | undefined =
        r.p_rev !== null && !r.p_deleted
          ? { key: r.name, value: r.p_value ?? "", createRevision: r.p_create_rev!, modRevision: r.p_rev, version: r.p_version! }
          : undefined;
      if (r.deleted) return { type: "delete", kv: { key: r.name, value: "", createRevision: 0, modRevision: r.rev, version: 0 }, prevKv };
      return { type: "put", kv: rowToKeyValue(r), prevKv };
    });
  }

  /** Live keys whose TTL ran out by `now` (ms since the epoch). */
  expired(now: number, limit: number): { name: string; rev: number }[] {
    return this.stmts.expired.all(now, limit) as unknown as { name: string; rev: number }[];
  }

  close(): void {
    this.db.close();
  }
}
