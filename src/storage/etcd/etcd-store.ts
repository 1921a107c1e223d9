// The etcd backend of the store: the Store contract over a real etcd v3 cluster through the etcd3
// client's raw KV, Lease and Watch RPCs, using transactions for compare-and-swap.
import { Etcd3, EtcdLeaseInvalidError, GRPCDeadlineExceededError } from "etcd3";
import type { ICompare, IKeyValue, IOptions, IRangeRequest, IRangeResponse, ITxnResponse } from "etcd3";
import { MAX_VALUE_BYTES } from "../interface.ts";
import type { KeyValue, PutOptions, RangeOptions, RangeResult, Store, TryUpdate, Watch, WatchOptions } from "../interface.ts";
import { CompactedError, ConflictError, ExistsError, NotFoundError, StoreClosedError, TooLargeError, UnavailableError } from "../errors.ts";
import { guaranteedUpdate } from "../guaranteed-update.ts";
import { isCompacted, isUnavailable, neverSent, toStoreError } from "./classify.ts";
import { KeyCodec } from "./codec.ts";
import { EtcdWatch } from "./etcd-watch.ts";
import { LeaseManager } from "./lease-manager.ts";
import { MemberDownError, NO_RETRY, memberBreaker } from "./policies.ts";

export interface EtcdStoreOptions {
  /** Client URLs of the members, e.g. "http://127.0.0.1:2379" (https:// with `tls`). */
  endpoints: string[];
  /** PEM: the CA that signed the members' certificates, and the client certificate/key if etcd requires one. */
  tls?: { ca: string; cert?: string; key?: string };
  /** How long openEtcdStore keeps trying to reach the cluster before failing with UnavailableError (default 5 s). */
  dialTimeoutMs?: number;
  /** Deadline of each request (default 10 s; etcd itself gives up on a proposal after about 7 s). */
  requestTimeoutMs?: number;
  /** Prepended to every key on the wire and stripped from results: an isolated key space. */
  keyPrefix?: string;
  /** A watch that cannot reach any member for this long fails with UnavailableError (default 60 s). */
  watchRetryTimeoutMs?: number;
}

const MAX_ATTEMPTS = 8;
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Connects to etcd and checks that the cluster answers (a linearizable read) before returning. */
export async function openEtcdStore(opts: EtcdStoreOptions): Promise<EtcdStore> {
  const store = new EtcdStore(opts);
  try {
    await store.ping(opts.dialTimeoutMs ?? 5000);
    return store;
  } catch (err) {
    await store.close();
    throw err instanceof UnavailableError ? new UnavailableError(`cannot reach etcd at ${opts.endpoints.join(", ")}: ${err.message}`) : err;
  }
}

export class EtcdStore implements Store {
  private readonly client: Etcd3;
  private readonly codec: KeyCodec;
  private readonly leases: LeaseManager;
  private readonly watches = new Set<EtcdWatch>();
  private readonly watchRetryTimeoutMs: number;
  /** Newest revision any response has shown us: "now" for a watch without fromRevision. */
  private seenRevision = 0;
  /** Lower bound of the cluster's compacted revision (what we compacted or learned). */
  private knownCompacted = 0;
  private closed = false;

  constructor(opts: EtcdStoreOptions) {
    const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    const options: IOptions = {
      hosts: opts.endpoints,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
      // Retries are ours (see call()): etcd3's default re-sends writes whose outcome is unknown.
      faultHandling: { global: NO_RETRY, host: (member) => memberBreaker(member) },
      grpcOptions: {
        "grpc.max_receive_message_length": 2 ** 31 - 1,
        "grpc.max_send_message_length": 2 ** 31 - 1,
        "grpc.keepalive_time_ms": 30_000,
        "grpc.keepalive_timeout_ms": 10_000,
        "grpc.initial_reconnect_backoff_ms": 200,
        "grpc.max_reconnect_backoff_ms": 2000,
      },
    };
    if (opts.tls) {
      options.credentials = {
        rootCertificate: Buffer.from(opts.tls.ca),
        ...(opts.tls.key ? { privateKey: Buffer.from(opts.tls.key) } : {}),
        ...(opts.tls.cert ? { certChain: Buffer.from(opts.tls.cert) } : {}),
      };
    }
    this.client = new Etcd3(options);
    this.codec = new KeyCodec(opts.keyPrefix);
    this.watchRetryTimeoutMs = opts.watchRetryTimeoutMs ?? 60_000;
    this.leases = new LeaseManager(async (ttl) => {
      // Retried like a read: a duplicate grant only leaves an unused lease that expires.
      const res = await this.call("idempotent", () => this.client.leaseClient.leaseGrant({ TTL: ttl }));
      return res.ID;
    });
  }

  /** Waits up to `timeoutMs` for the cluster to answer a linearizable read; returns its revision. */
  async ping(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const res = await this.call("idempotent", () => this.client.kv.range({ key: this.codec.encode(""), count_only: true }, { deadline }), deadline);
    return Number(res.header.revision);
  }

  async currentRevision(): Promise<number> {
    const res = await this.call("idempotent", () => this.client.kv.range({ key: this.codec.encode(""), count_only: true }));
    return Number(res.header.revision);
  }

  async get(key: string, opts: { revision?: number } = {}): Promise<KeyValue | null> {
    const res = await this.read({ key: this.codec.encode(key), revision: opts.revision || 0 });
    return res.kvs.length > 0 ? this.codec.toKeyValue(res.kvs[0]!) : null;
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    const { key, rangeEnd } = this.codec.prefixRange(prefix);
    let start = key;
    if (opts.continue) {
      const from = this.codec.encode(opts.continue);
      if (Buffer.compare(from, key) > 0) start = from;
    }
    const res = await this.read({ key: start, range_end: rangeEnd, limit: opts.limit && opts.limit > 0 ? opts.limit : 0, revision: opts.revision || 0 });
    const kvs = res.kvs.map((kv) => this.codec.toKeyValue(kv));
    const result: RangeResult = { kvs, revision: opts.revision || Number(res.header.revision) };
    if (res.more && kvs.length > 0) result.continue = kvs[kvs.length - 1]!.key + "\u0000";
    return result;
  }

  async create(key: string, value: string, opts: PutOptions = {}): Promise<KeyValue> {
    const k = this.codec.encode(key);
    const v = this.encodeValue(key, value);
    const res = await this.leased(opts, (lease) =>
      this.client.kv.txn({
        compare: [{ key: k, target: "Create", result: "Equal", create_revision: 0 }],
        success: [{ request_put: { key: k, value: v, lease } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) throw new ExistsError(key, this.failureKv(res));
    const revision = Number(res.header.revision);
    return { key, value, createRevision: revision, modRevision: revision, version: 1 };
  }

  async update(key: string, value: string, expectedModRevision: number, opts: PutOptions = {}): Promise<KeyValue> {
    const k = this.codec.encode(key);
    const v = this.encodeValue(key, value);
    const res = await this.leased(opts, (lease) =>
      this.client.kv.txn({
        compare: [
          { key: k, target: "Mod", result: "Equal", mod_revision: expectedModRevision },
          { key: k, target: "Version", result: "Greater", version: 0 },
        ],
        success: [{ request_put: { key: k, value: v, lease, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) throw this.mismatch(key, expectedModRevision, this.failureKv(res));
    const prev = res.responses[0]!.response_put.prev_kv;
    return { key, value, createRevision: Number(prev.create_revision), modRevision: Number(res.header.revision), version: Number(prev.version) + 1 };
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    const k = this.codec.encode(key);
    const compare: ICompare[] = [{ key: k, target: "Version", result: "Greater", version: 0 }];
    if (expectedModRevision !== undefined) compare.push({ key: k, target: "Mod", result: "Equal", mod_revision: expectedModRevision });
    const res = await this.call("mutation", () =>
      this.client.kv.txn({
        compare,
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) throw this.mismatch(key, expectedModRevision, this.failureKv(res));
    const prev = res.responses[0]!.response_delete_range.prev_kvs[0];
    if (!prev) throw new NotFoundError(key);
    return this.codec.toKeyValue(prev);
  }

  guaranteedUpdate(key: string, tryUpdate: TryUpdate, opts?: PutOptions): Promise<KeyValue | null> {
    return guaranteedUpdate(this, key, tryUpdate, opts);
  }

  /**
   * Without `fromRevision`, the watch starts after the newest revision this store has seen (it
   * reads the cluster's when opened; every response, watch responses included, moves it on), so
   * every change made through it after watch() returns is delivered — and perhaps a few changes
   * by other clients just before, which this store had not seen yet.
   */
  watch(prefix: string, opts: WatchOptions = {}): Watch {
    this.checkOpen();
    const watch: EtcdWatch = new EtcdWatch({
      watchClient: this.client.watchClient,
      codec: this.codec,
      prefix,
      fromRevision: opts.fromRevision || this.seenRevision + 1,
      maxBuffered: opts.maxBuffered,
      retryTimeoutMs: this.watchRetryTimeoutMs,
      compactedRevision: () => this.compactedRevision(),
      onCompacted: (revision) => (this.knownCompacted = Math.max(this.knownCompacted, revision)),
      onRevision: (revision) => (this.seenRevision = Math.max(this.seenRevision, revision)),
      onEnd: () => this.watches.delete(watch),
    });
    this.watches.add(watch);
    return watch.queue;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision <= this.knownCompacted) return;
    try {
      // Safe to repeat: compacting again to the same revision fails as "compacted", i.e. done.
      await this.call("idempotent", () => this.client.kv.compact({ revision, physical: true }));
    } catch (err) {
      if (!isCompacted(err)) throw err; // e.g. "required revision is a future revision"
    }
    this.knownCompacted = Math.max(this.knownCompacted, revision);
  }

  /**
   * etcd has no API for it, so: the smallest revision a read at succeeds (every revision at or
   * above the compacted one is readable), found by binary search from the last known bound.
   */
  async compactedRevision(): Promise<number> {
    const floor = Math.max(this.knownCompacted, 1);
    if (await this.readableAt(floor)) return this.knownCompacted;
    let bad = floor;
    let good = await this.currentRevision();
    while (good - bad > 1) {
      const mid = Math.floor((bad + good) / 2);
      if (await this.readableAt(mid)) good = mid;
      else bad = mid;
    }
    this.knownCompacted = Math.max(this.knownCompacted, good);
    return this.knownCompacted;
  }

  /** Cancels every watch (each ends normally) and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watch of [...this.watches]) watch.queue.cancel();
    this.client.close();
  }

  private async readableAt(revision: number): Promise<boolean> {
    try {
      await this.call("idempotent", () => this.client.kv.range({ key: this.codec.encode(""), revision, count_only: true }));
      return true;
    } catch (err) {
      if (isCompacted(err)) return false;
      throw err;
    }
  }

  /** A linearizable range; a read below the compacted revision throws CompactedError. */
  private async read(req: IRangeRequest): Promise<IRangeResponse> {
    try {
      return await this.call("idempotent", () => this.client.kv.range(req));
    } catch (err) {
      if (!isCompacted(err)) throw err;
      const compacted = await this.compactedRevision();
      throw new CompactedError(Number(req.revision), compacted);
    }
  }

  /** Runs a write with the lease its TTL needs; a lease etcd forgot is replaced once. */
  private async leased(opts: PutOptions, write: (lease: string | undefined) => Promise<ITxnResponse>): Promise<ITxnResponse> {
    for (let attempt = 0; ; attempt++) {
      const lease = opts.ttlSeconds && opts.ttlSeconds > 0 ? await this.leases.leaseFor(opts.ttlSeconds) : undefined;
      try {
        return await this.call("mutation", () => write(lease));
      } catch (err) {
        if (!(err instanceof EtcdLeaseInvalidError) || lease === undefined || attempt > 0) throw err;
        this.leases.forget(lease);
      }
    }
  }

  /**
   * Calls etcd, retrying with back-off while it is unreachable: idempotent calls on any transient
   * failure, mutations only when the request cannot have reached etcd (as etcd's clientv3 does) —
   * a few times, or until `deadline`.
   * Connectivity failures that remain become UnavailableError.
   */
  private async call<T>(kind: "idempotent" | "mutation", fn: () => Promise<T>, deadline?: number): Promise<T> {
    let telling: unknown = null; // the last failure that says more than "timed out" or "member skipped"
    for (let attempt = 1; ; attempt++) {
      this.checkOpen();
      try {
        const res = await fn();
        this.observe(res);
        return res;
      } catch (err) {
        if (this.closed) throw new StoreClosedError();
        if (!(err instanceof MemberDownError || err instanceof GRPCDeadlineExceededError)) telling = err;
        const retry = kind === "idempotent" ? isUnavailable(err) : neverSent(err);
        const pause = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() * 0.5);
        const giveUp = deadline === undefined ? attempt >= MAX_ATTEMPTS : Date.now() + pause >= deadline;
        if (!retry || giveUp) throw toStoreError(err, telling);
        await sleep(pause);
      }
    }
  }

  private observe(res: unknown): void {
    const header = (res as { header?: { revision?: string } } | undefined)?.header;
    if (header?.revision) this.seenRevision = Math.max(this.seenRevision, Number(header.revision));
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private encodeValue(key: string, value: string): Buffer {
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes > MAX_VALUE_BYTES) throw new TooLargeError(key, bytes, MAX_VALUE_BYTES);
    return Buffer.from(value, "utf8");
  }

  /** The key as the failed transaction's range read it (null when it does not exist). */
  private failureKv(res: ITxnResponse): KeyValue | null {
    const kv: IKeyValue | undefined = res.responses[0]?.response_range?.kvs[0];
    return kv ? this.codec.toKeyValue(kv) : null;
  }

  private mismatch(key: string, expected: number | undefined, current: KeyValue | null): Error {
    if (!current) return new NotFoundError(key);
    return new ConflictError(key, expected ?? 0, current);
  }
}
