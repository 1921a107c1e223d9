// The embedded store: etcd's API on node:sqlite. Writes from all callers are coalesced into one
// transaction and one fsync on a writer thread (group commit); reads and watches are served on the
// main thread from a second connection and from memory.
import { MAX_VALUE_BYTES, prefixEnd } from "../interface.ts";
import type { KeyValue, PutOptions, RangeOptions, RangeResult, Store, TryUpdate, Watch, WatchEvent, WatchOptions } from "../interface.ts";
import { CompactedError, FutureRevisionError, ConflictError, ExistsError, NotFoundError, StoreClosedError, TooLargeError, UnavailableError } from "../errors.ts";
import { guaranteedUpdate } from "../guaranteed-update.ts";
import { Reader } from "./reader.ts";
import { WatchHub } from "./watch-hub.ts";
import type { FromWriter, ToWriter, WriteOp, WriteResult, WriterInit, WriterReady } from "./protocol.ts";
import type { RangeReply, RangeRequest } from "./range-worker.ts";
import { WorkerRpc } from "./worker-rpc.ts";
import { fromColumns } from "./range-columns.ts";

export interface SqliteStoreOptions {
  /** Database file; created if missing, reopened (at its stored revision) if present. */
  path: string;
  /** Clock for TTLs, in ms since the epoch. */
  now?: () => number;
  /** How often expired keys are looked for. */
  ttlSweepIntervalMs?: number;
  /** Most operations in one transaction. */
  maxBatch?: number;
}

interface PendingWrite {
  op: WriteOp;
  resolve: (r: WriteResult) => void;
  reject: (e: Error) => void;
}

export interface SqliteStoreStats {
  batches: number;
  writes: number;
  watchers: number;
}

export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  const writer = await WorkerRpc.start<ToWriter & { id: number }, FromWriter, WriterReady>(
    "store writer", new URL("./writer.ts", import.meta.url), { path: opts.path } satisfies WriterInit);
  const ranges = await WorkerRpc.start<RangeRequest, RangeReply, unknown>("store range reader", new URL("./range-worker.ts", import.meta.url), { path: opts.path });
  return new SqliteStore(opts, writer.rpc, ranges.rpc, writer.ready);
}

export class SqliteStore implements Store {
  private readonly writer: WorkerRpc<ToWriter & { id: number }, FromWriter>;
  private readonly rangeReader: WorkerRpc<RangeRequest, RangeReply>;
  private readonly reader: Reader;
  private readonly hub: WatchHub;
  private readonly now: () => number;
  private readonly maxBatch: number;
  private readonly sweeper: NodeJS.Timeout;
  private dispatched: number;
  private compacted: number;
  private queue: PendingWrite[] = [];
  private batchInFlight = false;
  private closed = false;
  private broken: Error | null = null;
  private readonly counters = { batches: 0, writes: 0 };

  constructor(opts: SqliteStoreOptions, writer: WorkerRpc<ToWriter & { id: number }, FromWriter>, rangeReader: WorkerRpc<RangeRequest, RangeReply>, ready: WriterReady) {
    this.writer = writer;
    this.rangeReader = rangeReader;
    const { revision, compacted } = ready;
    this.now = opts.now ?? Date.now;
    this.maxBatch = opts.maxBatch ?? 2000;
    this.dispatched = revision;
    this.compacted = compacted;
    this.reader = new Reader(opts.path);
    this.hub = new WatchHub(this.reader, { dispatchedRevision: () => this.dispatched, compactedRevision: () => this.compacted });
    writer.onFailure = (err) => this.breakDown(err);
    rangeReader.onFailure = (err) => this.breakDown(err);
    this.sweeper = setInterval(() => this.sweepExpired(), opts.ttlSweepIntervalMs ?? 500);
    this.sweeper.unref();
  }

  stats(): SqliteStoreStats {
    return { ...this.counters, watchers: this.hub.size };
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.reader.snapshot((rev) => rev);
  }

  async compactedRevision(): Promise<number> {
    return this.compacted;
  }

  async get(key: string, opts: { revision?: number } = {}): Promise<KeyValue | null> {
    this.checkOpen();
    this.checkRevision(opts.revision);
    // The current version is one statement, atomic by itself: no transaction needed.
    if (!opts.revision) return this.reader.current(key);
    return this.reader.snapshot((snap) => {
      const rev = this.readRevision(opts.revision, snap);
      return this.reader.get(key, rev, snap);
    });
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    this.checkRevision(opts.revision);
    const start = opts.continue && opts.continue > prefix ? opts.continue : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    const reply = await this.rangeReader.request({ start, end: prefixEnd(prefix), limit: limit > 0 ? limit + 1 : -1, revision: opts.revision ?? 0 });
    if (!reply.ok) throw reply.future ? new FutureRevisionError(opts.revision ?? 0, reply.current ?? 0) : new Error(reply.message);
    const { revision } = reply;
    const kvs = fromColumns(reply.rows);
    if (revision < this.compacted && opts.revision) throw new CompactedError(revision, this.compacted);
    if (limit > 0 && kvs.length > limit) {
      kvs.length = limit;
      return { kvs, revision, continue: kvs[limit - 1]!.key + "\u0000" };
    }
    return { kvs, revision };
  }

  async create(key: string, value: string, opts: PutOptions = {}): Promise<KeyValue> {
    checkSize(key, value);
    const r = await this.submit({ kind: "create", key, value, expiresAt: this.expiry(opts) });
    if (r.ok) return r.kv;
    throw new ExistsError(key, r.current);
  }

  async update(key: string, value: string, expectedModRevision: number, opts: PutOptions = {}): Promise<KeyValue> {
    checkSize(key, value);
    const r = await this.submit({ kind: "update", key, value, expected: expectedModRevision, expiresAt: this.expiry(opts) });
    if (r.ok) return r.kv;
    throw r.code === "NotFound" ? new NotFoundError(key) : new ConflictError(key, expectedModRevision, r.current);
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    const r = await this.submit({ kind: "delete", key, expected: expectedModRevision ?? null });
    if (r.ok) return r.prevKv!;
    throw r.code === "NotFound" ? new NotFoundError(key) : new ConflictError(key, expectedModRevision ?? 0, r.current);
  }

  guaranteedUpdate(key: string, tryUpdate: TryUpdate, opts?: PutOptions): Promise<KeyValue | null> {
    return guaranteedUpdate(this, key, tryUpdate, opts);
  }

  watch(prefix: string, opts?: WatchOptions): Watch {
    this.checkOpen();
    return this.hub.watch(prefix, opts);
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision <= this.compacted) return;
    if (revision > this.dispatched) throw new Error(`cannot compact to future revision ${revision} (current ${this.dispatched})`);
    this.compacted = revision;
    const reply = await this.writer.request({ type: "compact", revision });
    if (reply.type === "failed") throw new UnavailableError(`compaction failed: ${reply.message}`);
  }

  /** Waits for queued writes, then closes the database; watches end cleanly. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    while ((this.batchInFlight || this.queue.length > 0) && !this.broken) await new Promise((r) => setTimeout(r, 1));
    this.hub.closeAll();
    await Promise.all([this.writer.close({ type: "close" }), this.rangeReader.close("close")]);
    this.reader.close();
  }

  private checkOpen(): void {
    if (this.broken) throw this.broken;
    if (this.closed) throw new StoreClosedError();
  }

  private checkRevision(revision: number | undefined): void {
    if (revision !== undefined && revision > 0 && revision < this.compacted) throw new CompactedError(revision, this.compacted);
  }

  private readRevision(requested: number | undefined, snapshot: number): number {
    if (!requested) return snapshot;
    if (requested > snapshot) throw new FutureRevisionError(requested, snapshot);
    return requested;
  }

  private expiry(opts: PutOptions): number | null {
    return opts.ttlSeconds && opts.ttlSeconds > 0 ? this.now() + opts.ttlSeconds * 1000 : null;
  }

  private submit(op: WriteOp): Promise<WriteResult> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.batchInFlight) {
        this.batchInFlight = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  /** Sends everything queued as one transaction; the next batch gathers while this one commits. */
  private flush(): void {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0 || this.broken) {
      this.batchInFlight = false;
      return;
    }
    this.counters.batches++;
    this.counters.writes += batch.length;
    this.writer.request({ type: "batch", ops: batch.map((p) => p.op) }).then((reply) => {
      if (reply.type === "batch") this.commit(batch, reply.results, reply.revision);
      else {
        const err = new UnavailableError(reply.type === "failed" ? `write failed: ${reply.message}` : "unexpected writer reply");
        for (const p of batch) p.reject(err);
      }
      this.flush();
    }, (err: Error) => {
      for (const p of batch) p.reject(err);
      this.batchInFlight = false;
    });
  }

  private commit(batch: PendingWrite[], results: WriteResult[], revision: number): void {
    const events: WatchEvent[] = [];
    for (const r of results) {
      if (!r.ok) continue;
      events.push(r.prevKv ? { type: r.kv.version === 0 ? "delete" : "put", kv: r.kv, prevKv: r.prevKv } : { type: "put", kv: r.kv });
    }
    this.dispatched = revision;
    if (events.length > 0) this.hub.dispatch(events);
    batch.forEach((p, i) => p.resolve(results[i]!));
  }

  private breakDown(err: Error): void {
    if (this.broken) return;
    this.broken = err instanceof UnavailableError ? err : new UnavailableError(`store writer failed: ${err.message}`);
    for (const p of this.queue.splice(0)) p.reject(this.broken);
    this.hub.closeAll();
  }

  private sweepExpired(): void {
    if (this.closed || this.broken) return;
    for (const { name, rev } of this.reader.expired(this.now(), 1000)) this.delete(name, rev).catch(() => undefined);
  }
}

function checkSize(key: string, value: string): void {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_VALUE_BYTES) throw new TooLargeError(key, bytes, MAX_VALUE_BYTES);
}
