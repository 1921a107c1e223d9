// Streams watch events to a client: chunked JSON lines (`{"type":…,"object":…}`) over HTTP, or
// one event per message over a WebSocket; bookmarks, timeouts, and cut-off of a slow client.
import type { ServerResponse } from "node:http";
import type { WebSocket } from "ws";
import type { Status } from "kubernetes-types/meta/v1.js";
import type { CacheEvent, CachedObject, CacheWatcher, EventType, WatchSink } from "../watchcache/index.ts";

/** A client further behind than this (bytes queued in the socket) is disconnected. */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

export type WatchEventType = EventType | "BOOKMARK" | "ERROR";

export interface WatchTransport {
  write(frame: Buffer): void;
  /** Bytes accepted but not yet sent. */
  queued(): number;
  end(): void;
  onClose(listener: () => void): void;
}

export function httpTransport(res: ServerResponse, contentType: string): WatchTransport {
  res.writeHead(200, { "Content-Type": contentType, "Transfer-Encoding": "chunked", "Cache-Control": "no-cache, private" });
  res.flushHeaders();
  return {
    write: (frame) => void res.write(frame),
    queued: () => res.writableLength,
    end: () => res.end(),
    onClose: (listener) => res.on("close", listener),
  };
}

export function webSocketTransport(ws: WebSocket): WatchTransport {
  return {
    write: (frame) => ws.send(frame),
    queued: () => ws.bufferedAmount,
    end: () => ws.close(1000),
    onClose: (listener) => ws.on("close", listener),
  };
}

export interface WatchStreamOptions {
  /** Encodes the object a client sees for one event (JSON object, or a Table with one row). */
  render: (type: WatchEventType, object: unknown) => unknown;
  /** A cache key for the encoded form of an event, shared between watchers asking the same. */
  encoding: string;
  bookmarks: boolean;
  timeoutMs: number;
  /** The current resourceVersion for bookmarks. */
  revision: () => number;
  apiVersion: string;
  kind: string;
}

/** Frames events onto a transport; the watch cache calls `send` for each event that passes the filter. */
export class WatchStream implements WatchSink {
  private readonly transport: WatchTransport;
  private readonly opts: WatchStreamOptions;
  private watcher: CacheWatcher | null = null;
  private timers: NodeJS.Timeout[] = [];
  private ended = false;

  constructor(transport: WatchTransport, opts: WatchStreamOptions) {
    this.transport = transport;
    this.opts = opts;
    transport.onClose(() => this.stop(false));
    this.timers.push(setTimeout(() => this.stop(true), opts.timeoutMs));
    if (opts.bookmarks) {
      // kube-apiserver sends a bookmark about once a minute; a little jitter spreads them.
      this.timers.push(setInterval(() => this.bookmark(), 55_000 + Math.random() * 10_000));
    }
  }

  attach(watcher: CacheWatcher): void {
    this.watcher = watcher;
    if (this.ended) watcher.close(false);
  }

  send(type: EventType, object: CachedObject, event: CacheEvent): void {
    if (this.ended) return;
    const cacheKey = `${this.opts.encoding}:${type}`;
    let frame = object === event.object ? event.encoded.get(cacheKey) : undefined;
    if (!frame) {
      frame = this.frame(type, object.object);
      if (object === event.object) event.encoded.set(cacheKey, frame);
    }
    this.write(frame);
  }

  /** A BOOKMARK carrying only the resourceVersion (and annotations, e.g. initial-events-end). */
  bookmark(annotations?: Record<string, string>, rv = this.opts.revision()): void {
    if (this.ended) return;
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (annotations) metadata.annotations = annotations;
    this.write(this.frame("BOOKMARK", { kind: this.opts.kind, apiVersion: this.opts.apiVersion, metadata }));
  }

  /** An ERROR event with a Status (e.g. 410 Gone), then the end of the stream. */
  error(status: Status): void {
    if (this.ended) return;
    this.write(Buffer.from(JSON.stringify({ type: "ERROR", object: status }) + "\n"));
    this.stop(true);
  }

  close(): void {
    this.stop(true);
  }

  private frame(type: WatchEventType, object: unknown): Buffer {
    return Buffer.from(JSON.stringify({ type, object: this.opts.render(type, object) }) + "\n");
  }

  private write(frame: Buffer): void {
    if (this.transport.queued() > MAX_QUEUED_BYTES) {
      this.stop(true);
      return;
    }
    this.transport.write(frame);
  }

  private stop(endTransport: boolean): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers) clearTimeout(t);
    this.watcher?.close(false);
    if (endTransport) this.transport.end();
  }
}
