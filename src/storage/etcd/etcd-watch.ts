// One store Watch on etcd: a raw gRPC watch stream (prev_kv on) that reconnects to any member
// after a failure and resumes at the revision after the last delivered event, so none is lost or
// repeated; compaction ends it with CompactedError, as does an event whose prevKv was compacted.
import type { IDuplexStream, IEvent, IWatchRequest, IWatchResponse, WatchClient } from "etcd3";
import type { WatchEvent } from "../interface.ts";
import { CompactedError, UnavailableError } from "../errors.ts";
import { WatchQueue } from "../watch-queue.ts";
import type { KeyCodec } from "./codec.ts";

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;

export interface EtcdWatchOptions {
  watchClient: WatchClient;
  codec: KeyCodec;
  prefix: string;
  /** First revision to deliver (inclusive). */
  fromRevision: number;
  maxBuffered?: number;
  /** Gives up with UnavailableError after failing to reach any member for this long. */
  retryTimeoutMs: number;
  /** Finds the compacted revision (for an event whose prevKv is gone). */
  compactedRevision: () => Promise<number>;
  /** Tells the store about a compaction etcd reported. */
  onCompacted: (revision: number) => void;
  /** Tells the store about a revision etcd reported as current. */
  onRevision: (revision: number) => void;
  /** Called once when the watch has ended for any reason. */
  onEnd: () => void;
}

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

/**
 * Ends a watch stream from our side. end() first: etcd3 marks the member failed (its circuit
 * breaker counts it, and it resets every connection to that member) on any error of a stream
 * that is still writable — including the CANCELLED error our own cancel() causes.
 */
function closeStream(stream: WatchStream): void {
  stream.end();
  stream.cancel();
}

export class EtcdWatch {
  readonly queue: WatchQueue;
  private readonly opts: EtcdWatchOptions;
  private nextRevision: number;
  private stream: WatchStream | null = null;
  /** Identifies the current connection attempt; callbacks of older ones are ignored. */
  private attempt = 0;
  private backoffMs = INITIAL_BACKOFF_MS;
  private failingSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(opts: EtcdWatchOptions) {
    this.opts = opts;
    this.nextRevision = opts.fromRevision;
    this.queue = new WatchQueue(opts.prefix, opts.maxBuffered, () => this.stop());
    this.connect();
  }

  /** Ends the stream for good (the queue has ended: cancelled, failed or cut off). */
  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.disconnect();
    this.opts.onEnd();
  }

  private disconnect(): void {
    this.attempt++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const stream = this.stream;
    this.stream = null;
    if (stream) closeStream(stream);
  }

  private connect(): void {
    if (this.stopped) return;
    const attempt = ++this.attempt;
    this.opts.watchClient.watch().then(
      (stream) => {
        if (attempt !== this.attempt) return closeStream(stream);
        this.stream = stream;
        stream.on("data", (res) => attempt === this.attempt && this.onResponse(res));
        stream.on("error", (err) => attempt === this.attempt && this.reconnect(err));
        stream.on("end", () => attempt === this.attempt && this.reconnect(new Error("watch stream ended")));
        const { key, rangeEnd } = this.opts.codec.prefixRange(this.opts.prefix);
        stream.write({ create_request: { key, range_end: rangeEnd, start_revision: this.nextRevision, prev_kv: true, progress_notify: true } });
      },
      (err: unknown) => attempt === this.attempt && this.reconnect(err),
    );
  }

  /** After a failure: try again (any member) with jittered back-off, or give up after the retry timeout. */
  private reconnect(err: unknown): void {
    this.disconnect();
    if (this.stopped) return;
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.failingSince > this.opts.retryTimeoutMs) {
      const reason = err instanceof Error ? err.message : String(err);
      this.queue.fail(new UnavailableError(`watch on ${this.opts.prefix}: etcd unreachable for ${now - this.failingSince} ms: ${reason}`));
      return;
    }
    const delay = this.backoffMs * (0.5 + Math.random() * 0.5);
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref();
  }

  private onResponse(res: IWatchResponse): void {
    const headerRevision = Number(res.header.revision);
    if (headerRevision > 0) this.opts.onRevision(headerRevision);
    const compactRevision = Number(res.compact_revision);
    if (compactRevision > 0) {
      this.opts.onCompacted(compactRevision);
      return this.failCompacted(this.nextRevision, Promise.resolve(compactRevision));
    }
    if (res.canceled) return this.reconnect(new Error(`watch cancelled by etcd: ${res.cancel_reason || "no reason given"}`));
    if (res.created) {
      this.failingSince = null;
      this.backoffMs = INITIAL_BACKOFF_MS;
    } else if (res.events.length === 0) {
      // A progress notification: etcd sends one only to a caught-up watcher, so everything up to
      // its revision has been delivered. Resuming after it keeps an idle watch above compactions.
      this.nextRevision = Math.max(this.nextRevision, headerRevision + 1);
      return;
    }
    const events: WatchEvent[] = [];
    for (const raw of res.events) {
      const revision = Number(raw.kv.mod_revision);
      if (revision < this.nextRevision) continue; // delivered before a reconnect
      const event = this.toEvent(raw);
      if (!event) {
        this.queue.push(events);
        return this.failCompacted(revision - 1, this.opts.compactedRevision());
      }
      events.push(event);
    }
    if (events.length === 0) return;
    this.nextRevision = events[events.length - 1]!.kv.modRevision + 1;
    this.queue.push(events);
  }

  /** The store event, or null when etcd could not attach the previous version (compacted away). */
  private toEvent(raw: IEvent): WatchEvent | null {
    const { codec } = this.opts;
    const kv = codec.toKeyValue(raw.kv);
    const type = raw.type === "Delete" ? "delete" : "put";
    if (raw.prev_kv) return { type, kv, prevKv: codec.toKeyValue(raw.prev_kv) };
    if (type === "put" && kv.version === 1) return { type, kv };
    return null;
  }

  private failCompacted(requested: number, compacted: Promise<number>): void {
    this.disconnect();
    compacted.then(
      (revision) => this.queue.fail(new CompactedError(requested, revision)),
      () => this.queue.fail(new CompactedError(requested, requested + 1)),
    );
  }
}
