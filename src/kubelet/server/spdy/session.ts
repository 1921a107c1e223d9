// A SPDY/3.1 connection as moby/spdystream (client-go's httpstream) uses it: streams opened with
// SYN_STREAM and answered with SYN_REPLY, DATA with FIN for half-close, RST_STREAM, PING echo and
// GOAWAY. spdystream does no flow control (it ignores WINDOW_UPDATE), so neither does this; a
// stream whose reader falls behind pauses the whole connection instead, as spdystream's blocking
// frame workers do. Works over any Duplex: a TLS socket after an HTTP upgrade, or a WebSocket
// stream carrying "SPDY/3.1+portforward.k8s.io".
import { EventEmitter } from "node:events";
import { Duplex } from "node:stream";
import {
  FLAG_FIN, FrameParser, HeaderCompressor, HeaderDecompressor, MAX_DATA_FRAME, RstStatus,
  encodeData, encodeGoAway, encodePing, encodeRstStream, encodeSynReply, encodeSynStream,
} from "./framer.ts";
import type { Frame, SpdyHeaders } from "./framer.ts";

export interface SpdySessionOptions {
  /** The server side answers streams the peer opens (odd ids); the client side opens them. */
  server: boolean;
  /** A stream the peer opened: the handler must `reply()` (accept) or `reset()` (refuse) it. */
  onStream?: (stream: SpdyStream) => void;
}

/** One SPDY stream: a Duplex whose writable side sends DATA frames (end() sends FIN). */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: SpdyHeaders;
  private readonly session: SpdySession;
  private replied: boolean;
  private localFin = false;
  private remoteFin = false;
  private wasReset = false;

  constructor(session: SpdySession, id: number, headers: SpdyHeaders, replied: boolean) {
    super({ allowHalfOpen: true });
    this.session = session;
    this.id = id;
    this.headers = headers;
    this.replied = replied;
  }

  /** The first value of a (lower-case) header, or "". */
  header(name: string): string {
    return this.headers[name.toLowerCase()]?.[0] ?? "";
  }

  /** Accepts a stream the peer opened (SYN_REPLY); data written before this replies implicitly. */
  reply(headers: SpdyHeaders = {}): void {
    if (this.replied) return;
    this.replied = true;
    this.session.send(encodeSynReply(this.id, this.session.compressHeaders(headers)));
  }

  /** Aborts the stream in both directions (RST_STREAM). */
  reset(status: number = RstStatus.Cancel): void {
    if (!this.wasReset && !this.session.isClosed) this.session.send(encodeRstStream(this.id, status));
    this.wasReset = true;
    this.destroy();
  }

  override _read(): void {
    this.session.readerReady(this);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.reply();
    for (let off = 0; off < chunk.length; off += MAX_DATA_FRAME) {
      const last = off + MAX_DATA_FRAME >= chunk.length;
      this.session.send(encodeData(this.id, chunk.subarray(off, off + MAX_DATA_FRAME), false), last ? callback : undefined);
    }
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.reply();
    this.localFin = true;
    this.session.send(encodeData(this.id, Buffer.alloc(0), true));
    this.maybeDone();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.wasReset && !(this.localFin && this.remoteFin) && !this.session.isClosed) {
      this.wasReset = true;
      this.session.send(encodeRstStream(this.id, RstStatus.Cancel));
    }
    this.session.forget(this);
    callback(err);
  }

  /** @internal DATA from the peer. Returns false when the reader is full. */
  receive(data: Buffer, fin: boolean): boolean {
    if (this.remoteFin || this.destroyed) return true;
    const more = data.length === 0 || this.push(data);
    if (fin) this.finishRemote();
    return more;
  }

  /** @internal The peer will send no more (FIN, or the connection ended). */
  finishRemote(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    this.push(null);
    this.maybeDone();
  }

  /** @internal The connection is gone: the reader still gets what arrived, then the stream is destroyed. */
  connectionLost(): void {
    this.localFin = true;
    this.finishRemote();
    if (this.readableEnded) this.destroy();
    else this.once("end", () => this.destroy());
  }

  /** @internal The peer reset the stream. */
  resetByPeer(): void {
    this.wasReset = true;
    this.destroy();
  }

  private maybeDone(): void {
    if (this.localFin && this.remoteFin) this.session.forget(this);
  }
}

export class SpdySession extends EventEmitter {
  private readonly socket: Duplex;
  private readonly opts: SpdySessionOptions;
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly opening = new Map<number, { resolve: (s: SpdyStream) => void; reject: (err: Error) => void; stream: SpdyStream }>();
  private readonly pings = new Map<number, () => void>();
  /** Streams whose readable buffer is full: the connection is paused until they read. */
  private readonly blocked = new Set<SpdyStream>();
  private nextStreamId: number;
  private nextPingId: number;
  private lastPeerStreamId = 0;
  private goneAway = false;
  private pumping = false;
  private peerEnded = false;
  private closedFlag = false;
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(socket: Duplex, opts: SpdySessionOptions) {
    super();
    this.socket = socket;
    this.opts = opts;
    this.nextStreamId = opts.server ? 2 : 1;
    this.nextPingId = opts.server ? 2 : 1;
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    socket.on("data", (chunk: Buffer) => {
      this.parser.push(chunk);
      void this.pump();
    });
    // The peer is done: handle what it sent first (frames may wait behind a header inflate).
    const peerDone = () => {
      this.peerEnded = true;
      void this.pump();
    };
    socket.on("end", peerDone);
    socket.on("close", peerDone);
    socket.on("error", () => this.teardown());
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  /** Client side: opens a stream and resolves once the peer replied (rejects on RST). */
  openStream(headers: SpdyHeaders, opts: { fin?: boolean } = {}): Promise<SpdyStream> {
    if (this.closedFlag || this.goneAway) return Promise.reject(new Error("spdy: connection closed"));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers, true);
    this.streams.set(id, stream);
    return new Promise((resolve, reject) => {
      this.opening.set(id, { resolve, reject, stream });
      this.send(encodeSynStream(id, this.compressHeaders(headers), opts.fin ? FLAG_FIN : 0));
    });
  }

  /** Sends a PING and resolves when the peer echoes it. */
  ping(): Promise<void> {
    const id = this.nextPingId;
    this.nextPingId += 2;
    return new Promise((resolve) => {
      this.pings.set(id, resolve);
      this.send(encodePing(id));
    });
  }

  /** Says GOAWAY and ends the connection once what was written is flushed. */
  close(): void {
    if (this.closedFlag) return;
    if (!this.goneAway) this.send(encodeGoAway(this.lastPeerStreamId));
    this.goneAway = true;
    this.socket.end();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.socket.destroy();
    this.teardown();
  }

  /** @internal */
  compressHeaders(headers: SpdyHeaders): Buffer {
    return this.compressor.compress(headers);
  }

  /**
   * @internal Writes one whole frame (one write, so a WebSocket carries it in one message). On a
   * closed connection the frame is dropped, as bytes written to a dead socket are.
   */
  send(frame: Buffer, callback?: (err?: Error | null) => void): void {
    if (this.closedFlag || this.socket.destroyed || this.socket.writableEnded) {
      if (callback) queueMicrotask(() => callback());
      return;
    }
    this.socket.write(frame, () => callback?.());
  }

  /** @internal */
  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.readerReady(stream);
    if (this.goneAway && this.streams.size === 0) this.socket.end();
  }

  /** @internal A stream's reader wants more: resume the connection if nothing else is full. */
  readerReady(stream: SpdyStream): void {
    if (!this.blocked.delete(stream) || this.blocked.size > 0) return;
    this.socket.resume();
    void this.pump();
  }

  /** Parses and handles buffered frames in order; header blocks are inflated one at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closedFlag && this.blocked.size === 0) {
        const frame = this.parser.next();
        if (!frame) {
          if (this.peerEnded) this.teardown();
          break;
        }
        await this.handle(frame);
      }
    } catch {
      this.destroy();
    } finally {
      this.pumping = false;
    }
  }

  private async handle(frame: Frame): Promise<void> {
    switch (frame.kind) {
      case "data": {
        const stream = this.streams.get(frame.streamId);
        if (!stream) return;
        if (!stream.receive(frame.data, (frame.flags & FLAG_FIN) !== 0)) {
          this.blocked.add(stream);
          this.socket.pause();
        }
        return;
      }
      case "syn_stream": {
        const headers = await this.decompressor.decompress(frame.block);
        return this.peerStream(frame.streamId, headers, (frame.flags & FLAG_FIN) !== 0);
      }
      case "syn_reply": {
        await this.decompressor.decompress(frame.block);
        const pending = this.opening.get(frame.streamId);
        if (!pending) return;
        this.opening.delete(frame.streamId);
        pending.resolve(pending.stream);
        if (frame.flags & FLAG_FIN) pending.stream.finishRemote();
        return;
      }
      case "headers": {
        await this.decompressor.decompress(frame.block);
        if (frame.flags & FLAG_FIN) this.streams.get(frame.streamId)?.finishRemote();
        return;
      }
      case "rst_stream": {
        const pending = this.opening.get(frame.streamId);
        if (pending) {
          this.opening.delete(frame.streamId);
          pending.reject(new Error(`spdy: stream ${frame.streamId} reset (status ${frame.status})`));
        }
        this.streams.get(frame.streamId)?.resetByPeer();
        return;
      }
      case "ping": {
        // Ids of our own pings have our parity; the peer's are echoed back unchanged.
        if ((frame.id & 1) === (this.nextPingId & 1)) {
          this.pings.get(frame.id)?.();
          this.pings.delete(frame.id);
        } else {
          this.send(encodePing(frame.id));
        }
        return;
      }
      case "goaway":
        this.goneAway = true;
        if (this.streams.size === 0) this.socket.end();
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE: spdystream sends none that matter.
    }
  }

  private peerStream(id: number, headers: SpdyHeaders, fin: boolean): void {
    const expectedParity = this.opts.server ? 1 : 0;
    if (id === 0 || (id & 1) !== expectedParity || id <= this.lastPeerStreamId || this.streams.has(id)) {
      this.send(encodeRstStream(id, RstStatus.ProtocolError));
      return;
    }
    this.lastPeerStreamId = id;
    if (this.goneAway || !this.opts.onStream) {
      this.send(encodeRstStream(id, RstStatus.RefusedStream));
      return;
    }
    const stream = new SpdyStream(this, id, headers, false);
    this.streams.set(id, stream);
    if (fin) stream.finishRemote();
    this.opts.onStream(stream);
  }

  private teardown(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const { reject } of this.opening.values()) reject(new Error("spdy: connection closed"));
    this.opening.clear();
    for (const stream of [...this.streams.values()]) stream.connectionLost();
    this.streams.clear();
    this.blocked.clear();
    this.decompressor.close();
    if (!this.socket.destroyed) this.socket.destroy();
    this.markClosed();
    this.emit("close");
  }
}
