// The embedded store's SQLite layout (kine's log-table idea): one row per version of a key, the
// row's primary key is the revision; shared by the writer thread and the main-thread reader.
import type { DatabaseSync } from "node:sqlite";
import type { KeyValue } from "../interface.ts";

/**
 * `log`: every version of every key. A delete is a tombstone row (deleted = 1). `superseded_at`
 * is the revision of the key's next version, NULL while the row is the newest, so the current
 * state is the partial index `log_current` and the state at revision R is the rows with
 * rev <= R < superseded_at. `(name, prev_rev)` is unique: two writers can never both replace
 * the same version, whatever the code above does.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  rev INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  create_rev INTEGER NOT NULL,
  prev_rev INTEGER NOT NULL,
  version INTEGER NOT NULL,
  value TEXT,
  expires_at INTEGER,
  superseded_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS log_name_prev ON log(name, prev_rev);
CREATE UNIQUE INDEX IF NOT EXISTS log_current ON log(name) WHERE superseded_at IS NULL;
CREATE INDEX IF NOT EXISTS log_superseded ON log(superseded_at) WHERE superseded_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS log_expiry ON log(expires_at) WHERE superseded_at IS NULL AND deleted = 0 AND expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (k, v) VALUES ('revision', 0), ('compacted', 0);
`;

/** Connection settings: WAL, and a commit is fsync'd before it returns (synchronous=FULL). */
export function configure(db: DatabaseSync): void {
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA busy_timeout = 10000");
  db.exec("PRAGMA cache_size = -65536");
}

export interface LogRow {
  rev: number;
  name: string;
  deleted: number;
  create_rev: number;
  prev_rev: number;
  version: number;
  value: string | null;
}

export const ROW_COLUMNS = "rev, name, deleted, create_rev, prev_rev, version, value";

export function rowToKeyValue(row: LogRow): KeyValue {
  return { key: row.name, value: row.value ?? "", createRevision: row.create_rev, modRevision: row.rev, version: row.version };
}

export function readMeta(db: DatabaseSync): { revision: number; compacted: number } {
  const rows = db.prepare("SELECT k, v FROM meta").all() as { k: string; v: number }[];
  const get = (k: string) => Number(rows.find((r) => r.k === k)?.v ?? 0);
  return { revision: get("revision"), compacted: get("compacted") };
}
