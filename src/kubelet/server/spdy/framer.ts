// SPDY/3.1 frames as Go's spdystream (client-go, kubectl) writes and reads them: a parser for the
// byte stream, encoders for the frames a kubelet sends, and header blocks (name/value pairs,
// zlib-compressed with the SPDY dictionary; one zlib stream per direction for the connection).
import { constants as zlibConstants, createInflate } from "node:zlib";
import type { Inflate } from "node:zlib";
import { SPDY_DICTIONARY, adler32 } from "./dictionary.ts";

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
/** Largest data frame payload we send (Go accepts up to 16 MiB; smaller frames interleave streams). */
export const MAX_DATA_FRAME = 32 * 1024;

export const ControlType = { SynStream: 1, SynReply: 2, RstStream: 3, Settings: 4, Ping: 6, GoAway: 7, Headers: 8, WindowUpdate: 9 } as const;

export const RstStatus = {
  ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, UnsupportedVersion: 4, Cancel: 5, InternalError: 6,
  FlowControlError: 7, StreamInUse: 8, StreamAlreadyClosed: 9,
} as const;

/** Header names are lower-case (SPDY requires it); a value list is sent NUL-joined. */
export type SpdyHeaders = Record<string, string[]>;

export type Frame =
  | { kind: "data"; streamId: number; flags: number; data: Buffer }
  | { kind: "syn_stream"; streamId: number; associatedId: number; priority: number; flags: number; block: Buffer }
  | { kind: "syn_reply" | "headers"; streamId: number; flags: number; block: Buffer }
  | { kind: "rst_stream"; streamId: number; status: number }
  | { kind: "ping"; id: number }
  | { kind: "goaway"; lastGoodStreamId: number; status: number }
  | { kind: "other"; type: number };

/** Largest frame accepted from a peer (a frame's length field is 24 bits). */
const MAX_FRAME = 0xffffff + 8;

/** Splits a byte stream into frames; header blocks are left compressed (see HeaderDecompressor). */
export class FrameParser {
  private chunks: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Bytes received but not yet parsed into frames. */
  get buffered(): number {
    return this.length;
  }

  /** The next complete frame, or null until more bytes arrive. Throws on a malformed frame. */
  next(): Frame | null {
    if (this.length < 8) return null;
    const head = this.peek(8);
    const payloadLength = head.readUIntBE(5, 3);
    if (payloadLength + 8 > MAX_FRAME) throw new Error("spdy: frame too large");
    if (this.length < 8 + payloadLength) return null;
    const frame = this.take(8 + payloadLength);
    const payload = frame.subarray(8);
    const flags = frame[4]!;
    if ((frame[0]! & 0x80) === 0) return { kind: "data", streamId: frame.readUInt32BE(0) & 0x7fffffff, flags, data: payload };
    const version = frame.readUInt16BE(0) & 0x7fff;
    if (version !== SPDY_VERSION) throw new Error(`spdy: unsupported version ${version}`);
    const type = frame.readUInt16BE(2);
    const need = (n: number) => {
      if (payload.length < n) throw new Error(`spdy: control frame ${type} too short`);
    };
    switch (type) {
      case ControlType.SynStream:
        need(10);
        return {
          kind: "syn_stream", streamId: payload.readUInt32BE(0) & 0x7fffffff, associatedId: payload.readUInt32BE(4) & 0x7fffffff,
          priority: payload[8]! >> 5, flags, block: payload.subarray(10),
        };
      case ControlType.SynReply:
      case ControlType.Headers:
        need(4);
        return { kind: type === ControlType.SynReply ? "syn_reply" : "headers", streamId: payload.readUInt32BE(0) & 0x7fffffff, flags, block: payload.subarray(4) };
      case ControlType.RstStream:
        need(8);
        return { kind: "rst_stream", streamId: payload.readUInt32BE(0) & 0x7fffffff, status: payload.readUInt32BE(4) };
      case ControlType.Ping:
        need(4);
        return { kind: "ping", id: payload.readUInt32BE(0) };
      case ControlType.GoAway:
        need(8);
        return { kind: "goaway", lastGoodStreamId: payload.readUInt32BE(0) & 0x7fffffff, status: payload.readUInt32BE(4) };
      default:
        return { kind: "other", type };
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    const out = this.peek(n);
    const first = this.chunks[0]!;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.length -= n;
    return out;
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const frame = Buffer.alloc(8 + payload.length);
  frame.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  frame.writeUInt16BE(type, 2);
  frame.writeUInt32BE(payload.length, 4);
  frame[4] = flags;
  payload.copy(frame, 8);
  return frame;
}

export function encodeData(streamId: number, data: Buffer, fin: boolean): Buffer {
  const frame = Buffer.alloc(8 + data.length);
  frame.writeUInt32BE(streamId & 0x7fffffff, 0);
  frame.writeUInt32BE(data.length, 4);
  frame[4] = fin ? FLAG_FIN : 0;
  data.copy(frame, 8);
  return frame;
}

export function encodeSynStream(streamId: number, block: Buffer, flags = 0): Buffer {
  const head = Buffer.alloc(10);
  head.writeUInt32BE(streamId, 0);
  return controlFrame(ControlType.SynStream, flags, Buffer.concat([head, block]));
}

export function encodeSynReply(streamId: number, block: Buffer, flags = 0): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(streamId, 0);
  return controlFrame(ControlType.SynReply, flags, Buffer.concat([head, block]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(streamId, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(ControlType.RstStream, 0, payload);
}

export function encodePing(id: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(id >>> 0, 0);
  return controlFrame(ControlType.Ping, 0, payload);
}

export function encodeGoAway(lastGoodStreamId: number, status = 0): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastGoodStreamId, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(ControlType.GoAway, 0, payload);
}

/** The uncompressed name/value block: count, then length-prefixed names and NUL-joined values. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, values] of entries) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(values.join("\0"));
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  let pos = 0;
  const read = (n: number) => {
    if (pos + n > block.length) throw new Error("spdy: truncated header block");
    const out = block.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const count = read(4).readUInt32BE(0);
  for (let i = 0; i < count; i++) {
    const name = read(read(4).readUInt32BE(0)).toString().toLowerCase();
    const values = read(read(4).readUInt32BE(0)).toString().split("\0");
    (headers[name] ??= []).push(...values);
  }
  return headers;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/**
 * Compresses header blocks into one zlib stream made of stored (uncompressed) deflate blocks,
 * each followed by an empty stored block, which is exactly a zlib sync flush: a reader of the
 * stream (Go's framer) gets each frame's headers from that frame's bytes alone. Synchronous, so
 * frames can be written in order without waiting on a compressor.
 */
export class HeaderCompressor {
  private started = false;

  compress(headers: SpdyHeaders): Buffer {
    const raw = encodeHeaderBlock(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32K window), FLG 0xBB (FDICT set, FCHECK valid), then the dictionary id.
      parts.push(Buffer.from([0x78, 0xbb]), u32(adler32(SPDY_DICTIONARY)));
    }
    for (let off = 0; off < raw.length; off += 0xffff) {
      const piece = raw.subarray(off, off + 0xffff);
      const head = Buffer.from([0x00, piece.length & 0xff, piece.length >> 8, ~piece.length & 0xff, (~piece.length >> 8) & 0xff]);
      parts.push(head, piece);
    }
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

/**
 * Decompresses the peer's header blocks: one zlib inflate stream (primed with the SPDY
 * dictionary) for the whole connection. Blocks must be passed in the order they arrived; each
 * resolves once the peer's sync flush at the end of the block has been decoded.
 */
export class HeaderDecompressor {
  private readonly inflate: Inflate = createInflate({ dictionary: SPDY_DICTIONARY });
  private output: Buffer[] = [];
  private failure: Error | null = null;
  private readonly pending = new Set<(err: Error) => void>();

  constructor() {
    this.inflate.on("data", (chunk: Buffer) => this.output.push(chunk));
    this.inflate.on("error", (err: Error) => {
      this.failure = err;
      for (const reject of this.pending) reject(err);
      this.pending.clear();
    });
  }

  decompress(block: Buffer): Promise<SpdyHeaders> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.pending.add(reject);
      this.inflate.write(block);
      this.inflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        if (!this.pending.delete(reject)) return;
        if (this.failure) return reject(this.failure);
        const raw = Buffer.concat(this.output);
        this.output = [];
        try {
          resolve(decodeHeaderBlock(raw));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  close(): void {
    this.inflate.destroy();
  }
}
