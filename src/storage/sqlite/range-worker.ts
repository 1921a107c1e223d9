// Serves the embedded store's range reads on a worker thread, so that listing thousands of keys
// does not hold the event loop; each request is one consistent snapshot.
import { parentPort, workerData } from "node:worker_threads";
import { Reader } from "./reader.ts";
import { toColumns } from "./range-columns.ts";
import type { RangeColumns } from "./range-columns.ts";

export interface RangeRequest {
  id: number;
  start: string;
  end: string;
  /** Rows to return at most; -1 for all. */
  limit: number;
  /** 0 for the snapshot's own revision. */
  revision: number;
}

export type RangeReply =
  | { id: number; ok: true; revision: number; rows: RangeColumns }
  | { id: number; ok: false; message: string; future?: boolean; current?: number };

const port = parentPort!;
const reader = new Reader((workerData as { path: string }).path);
port.postMessage({ ready: true });

port.on("message", (req: RangeRequest | "close") => {
  if (req === "close") {
    reader.close();
    port.close();
    return;
  }
  try {
    const reply = reader.snapshot((snap): RangeReply => {
      if (req.revision > snap) return { id: req.id, ok: false, future: true, current: snap, message: `required revision ${req.revision} is a future revision (current ${snap})` };
      const revision = req.revision || snap;
      return { id: req.id, ok: true, revision, rows: toColumns(reader.range(req.start, req.end, req.limit, revision, snap)) };
    });
    port.postMessage(reply);
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) } satisfies RangeReply);
  }
});
