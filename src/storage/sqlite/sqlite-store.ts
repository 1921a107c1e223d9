// The embedded store: etcd's API on node:sqlite. Writes from all callers are coalesced into one
// transaction and one fsync on a writer thread (group commit); reads and watches are served on the
// main thread from a second connection and from memory.
import { Worker } from "node:worker_threads";
import { MAX_VALUE_BYTES, prefixEnd } from "../interface.ts";
import type { KeyValue, PutOptions, RangeOptions, RangeResult, Store, TryUpdate, Watch, WatchEvent, WatchOptions } from "../interface.ts";
import { CompactedError, ConflictError, ExistsError, NotFoundError, StoreClosedError, TooLargeError, UnavailableError } from "../errors.ts";
import { guaranteedUpdate } from "../guaranteed-update.ts";
import { Reader } from "./reader.ts";
import { WatchHub } from "./watch-hub.ts";
import type { FromWriter, ToWriter, WriteOp, WriteResult, WriterInit } from "./protocol.ts";

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
  const worker = new Worker(new URL("./writer.ts", import.meta.url), { workerData: { path: opts.path } satisfies WriterInit });
  const ready = await new Promise<Extract<FromWriter, { type: "ready" }>>((resolve, reject) => {
    const onExit = (code: number) => reject(new UnavailableError(`store writer exited (code ${code}) while opening ${opts.path}`));
    worker.once("message", (msg: Extract<FromWriter, { type: "ready" }>) => {
      worker.off("error", reject).off("exit", onExit);
      resolve(msg);
    });
    worker.once("error", reject).once("exit", onExit);
  });
  return new SqliteStore(opts, worker, ready.revision, ready.compacted);
}

export class SqliteStore implements Store {
  private readonly worker: Worker;
  private readonly reader: Reader;
  private readonly hub: WatchHub;
  private readonly now: () => number;
  private readonly maxBatch: number;
  private readonly sweeper: NodeJS.Timeout;
  private dispatched: number;
  private compacted: number;
  private queue: PendingWrite[] = [];
  private batchInFlight = false;
  private nextId = 1;
  private readonly replies = new Map<number, (msg: FromWriter) => void>();
  private closed = false;
  private broken: Error | null = null;
  private readonly counters = { batches: 0, writes: 0 };

  constructor(opts: SqliteStoreOptions, worker: Worker, revision: number, compacted: number) {
    this.worker = worker;
    this.now = opts.now ?? Date.now;
    this.maxBatch = opts.maxBatch ?? 2000;
    this.dispatched = revision;
    this.compacted = compacted;
    this.reader = new Reader(opts.path);
    this.hub = new WatchHub(this.reader, { dispatchedRevision: () => this.dispatched, compactedRevision: () => this.compacted });
    worker.on("message", (msg: FromWriter) => this.onReply(msg));
    worker.on("error", (err) => this.breakDown(err));
    worker.on("exit", (code) => this.breakDown(new UnavailableError(`store writer exited (code ${code})`)));
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
    return this.reader.snapshot((snap) => {
      const revision = this.readRevision(opts.revision, snap);
      const kvs = this.reader.range(start, prefixEnd(prefix), limit > 0 ? limit + 1 : -1, revision, snap);
      if (limit > 0 && kvs.length > limit) {
        kvs.length = limit;
        return { kvs, revision, continue: kvs[limit - 1]!.key + "\u0000" };
      }
      return { kvs, revision };
    });
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
    const reply = await this.request({ type: "compact", id: this.nextId++, revision });
    if (reply.type === "failed") throw new UnavailableError(`compaction failed: ${reply.message}`);
  }

  /** Waits for queued writes, then closes the database; watches end cleanly. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    while ((this.batchInFlight || this.queue.length > 0) && !this.broken) await new Promise((r) => setTimeout(r, 1));
    this.hub.closeAll();
    if (!this.broken) {
      await this.request({ type: "close", id: this.nextId++ });
      this.worker.removeAllListeners("exit");
    }
    await this.worker.terminate();
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
    if (requested > snapshot) throw new Error(`required revision ${requested} is a future revision (current ${snapshot})`);
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
    this.request({ type: "batch", id: this.nextId++, ops: batch.map((p) => p.op) }).then((reply) => {
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

  private request(msg: ToWriter): Promise<FromWriter> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve) => {
      this.replies.set(msg.id, resolve);
      this.worker.postMessage(msg);
    });
  }

  private onReply(msg: FromWriter): void {
    if (msg.type === "ready") return;
    const resolve = this.replies.get(msg.id);
    this.replies.delete(msg.id);
    resolve?.(msg);
  }

  private breakDown(err: Error): void {
    if (this.broken) return;
    this.broken = err instanceof UnavailableError ? err : new UnavailableError(`store writer failed: ${err.message}`);
    for (const [id, resolve] of this.replies) resolve({ type: "failed", id, message: this.broken.message });
    this.replies.clear();
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
