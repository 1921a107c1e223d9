// The Kubernetes WebSocket channel protocols (apimachinery wsstream): every message starts with a
// channel byte (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize for remote commands; 2n/2n+1 for
// port-forward). `base64.` variants send text: the channel as a digit, then base64. v5 adds the
// CLOSE signal: channel 255 with the number of the channel the peer is done writing to.
import { PassThrough, Writable } from "node:stream";
import type WebSocket from "ws";

export const CLOSE_CHANNEL = 255;

export interface ChannelProtocol {
  name: string;
  base64: boolean;
  /** 1 (channel.k8s.io) … 5 (v5.channel.k8s.io). */
  version: number;
}

export function channelProtocol(name: string): ChannelProtocol {
  const m = /^(?:v(\d)\.)?(base64\.)?channel\.k8s\.io$/.exec(name);
  return { name, base64: !!m?.[2], version: m?.[1] ? Number(m[1]) : 1 };
}

/** The offered subprotocols (Sec-WebSocket-Protocol), in the client's order. */
export function offeredProtocols(header: string | undefined): string[] {
  return (header ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "");
}

/**
 * The first protocol the client offers that the server supports (the client's preference wins,
 * as wsstream's handshake); "" when the client offered none; null when nothing matches.
 */
export function negotiate(offered: string[], supported: readonly string[]): string | null {
  if (offered.length === 0) return "";
  return offered.find((p) => supported.includes(p)) ?? null;
}

/** A WebSocket carrying channels: send per channel, receive per channel, close with a code. */
export class ChannelConnection {
  readonly protocol: ChannelProtocol;
  private readonly ws: WebSocket;
  private readonly inputs = new Map<number, PassThrough>();
  private closeHandlers: (() => void)[] = [];
  private handler: ((channel: number, data: Buffer) => void) | undefined;

  constructor(ws: WebSocket, protocol: string) {
    this.ws = ws;
    this.protocol = channelProtocol(protocol);
    ws.on("message", (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    ws.on("close", () => {
      for (const input of this.inputs.values()) input.end();
      for (const h of this.closeHandlers) h();
      this.closeHandlers = [];
    });
    ws.on("error", () => ws.terminate());
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Messages of channels not claimed by `input()`. */
  onMessage(handler: (channel: number, data: Buffer) => void): void {
    this.handler = handler;
  }

  onClose(handler: () => void): void {
    if (this.ws.readyState === this.ws.CLOSED) handler();
    else this.closeHandlers.push(handler);
  }

  /** A Readable of what the client sends on `channel`; ends on CLOSE (v5) or when the socket closes. */
  input(channel: number): PassThrough {
    const stream = new PassThrough();
    stream.on("drain", () => this.ws.resume());
    this.inputs.set(channel, stream);
    return stream;
  }

  /** A Writable that sends each chunk as one message on `channel` (ending it sends nothing). */
  output(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, callback) => this.send(channel, chunk).then(() => callback(), () => callback()),
    });
  }

  /** Sends one message; resolves when it was handed to the socket (never rejects once closed). */
  send(channel: number, data: Buffer): Promise<void> {
    if (!this.open) return Promise.resolve();
    const message = this.protocol.base64 ? `${String.fromCharCode(48 + channel)}${data.toString("base64")}` : Buffer.concat([Buffer.from([channel]), data]);
    return new Promise((resolve) => this.ws.send(message, { binary: !this.protocol.base64 }, () => resolve()));
  }

  close(code = 1000, reason = ""): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (data.length === 0) return;
    let channel = data[0]!;
    let payload = data.subarray(1);
    if (this.protocol.base64 && !isBinary) {
      channel -= 48;
      payload = Buffer.from(payload.toString("latin1"), "base64");
    }
    if (channel === CLOSE_CHANNEL && this.protocol.version >= 5) {
      if (payload.length > 0) this.inputs.get(payload[0]!)?.end();
      return;
    }
    const input = this.inputs.get(channel);
    if (input) {
      if (!input.writableEnded && !input.write(payload)) this.ws.pause();
      return;
    }
    this.handler?.(channel, payload);
  }
}
