// Messages between the embedded store (main thread) and its SQLite writer thread.
import type { KeyValue } from "../interface.ts";

export type WriteOp =
  | { kind: "create"; key: string; value: string; expiresAt: number | null }
  | { kind: "update"; key: string; value: string; expected: number; expiresAt: number | null }
  | { kind: "delete"; key: string; expected: number | null };

export type WriteResult =
  | { ok: true; kv: KeyValue; prevKv: KeyValue | null }
  | { ok: false; code: "Exists" | "Conflict" | "NotFound"; current: KeyValue | null };

export type ToWriter =
  | { type: "batch"; id: number; ops: WriteOp[] }
  | { type: "compact"; id: number; revision: number }
  | { type: "close" };

export interface WriterReady {
  type: "ready";
  revision: number;
  compacted: number;
}

export type FromWriter =
  | { type: "batch"; id: number; results: WriteResult[]; revision: number }
  | { type: "compacted"; id: number; removed: number }
  | { type: "failed"; id: number; message: string };

export interface WriterInit {
  path: string;
}
