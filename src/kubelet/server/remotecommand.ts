// exec and attach streams (kubelet cri/streaming/remotecommand): over a WebSocket with a channel
// protocol (kubectl ≥ 1.30 sends v5.channel.k8s.io), or over SPDY/3.1 after an upgrade with
// X-Stream-Protocol-Version (kubectl's fallback; v4 down to v1), one SPDY stream per stdio
// stream plus "error" and, with a TTY, "resize". The result is a metav1.Status on the error
// stream: Success, or Failure/NonZeroExitCode with the exit code as an ExitCode cause (v4+).
import type { Status } from "kubernetes-types/meta/v1.js";
import type { Duplex, Readable, Writable } from "node:stream";
import type WebSocket from "ws";
import type { ExecStreams } from "../runtime/types.ts";
import { ChannelConnection } from "./channels.ts";
import { SpdySession } from "./spdy/session.ts";
import type { SpdyStream } from "./spdy/session.ts";
import { queryBool } from "./logs.ts";

export const WEBSOCKET_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io"] as const;
export const SPDY_PROTOCOLS = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] as const;

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** stdin/stdout/stderr/tty from the query ("1"); stderr is dropped with a TTY, as the kubelet does. */
export function remoteCommandOptions(query: URLSearchParams): RemoteCommandOptions {
  const tty = queryBool(query, "tty");
  const opts = { stdin: queryBool(query, "stdin"), stdout: queryBool(query, "stdout"), stderr: queryBool(query, "stderr") && !tty, tty };
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw new Error("you must specify at least 1 of stdin, stdout, stderr");
  return opts;
}

/** Runs the command on the streams; resolves with its exit code (exec) or nothing (attach). */
export type RemoteCommand = (streams: ExecStreams) => Promise<number | void>;

export interface TerminalSize {
  width: number;
  height: number;
}

/** An async iterable fed by push(); ends on close(). Bounded: a flood keeps only the newest sizes. */
class SizeQueue implements AsyncIterable<TerminalSize> {
  private items: TerminalSize[] = [];
  private waiter: (() => void) | undefined;
  private done = false;

  push(size: TerminalSize): void {
    if (this.done) return;
    this.items.push(size);
    if (this.items.length > 16) this.items.shift();
    this.waiter?.();
  }

  close(): void {
    this.done = true;
    this.waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TerminalSize> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.done) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }
}

/** Parses `{"Width":80,"Height":24}` objects (one per message, or concatenated on a stream). */
function parseSizes(text: string, queue: SizeQueue): string {
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && depth > 0 && --depth === 0) {
      try {
        const v = JSON.parse(text.slice(start, i + 1)) as { Width?: unknown; Height?: unknown };
        if (typeof v.Width === "number" && typeof v.Height === "number") queue.push({ width: v.Width, height: v.Height });
      } catch {
        // Not a size: ignored, as the kubelet's decoder stops on garbage.
      }
      start = -1;
    }
  }
  return start >= 0 ? text.slice(start) : "";
}

export function successStatus(): Status {
  return { metadata: {}, status: "Success" };
}

export function exitCodeStatus(code: number, cmd: string[]): Status {
  return {
    metadata: {}, status: "Failure", reason: "NonZeroExitCode",
    message: `command terminated with non-zero exit code: error executing command [${cmd.join(" ")}], exit code ${code}`,
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  };
}

export function internalErrorStatus(message: string): Status {
  return { metadata: {}, status: "Failure", message: `Internal error occurred: ${message}`, reason: "InternalError", details: { causes: [{ message }] }, code: 500 };
}

/** Runs `run` and turns the outcome into the Status the error stream carries. */
async function runToStatus(run: RemoteCommand, streams: ExecStreams, what: { cmd?: string[]; attach?: boolean }): Promise<Status> {
  try {
    const code = await run(streams);
    if (typeof code === "number" && code !== 0) return exitCodeStatus(code & 0xff || 1, what.cmd ?? []);
    return successStatus();
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return internalErrorStatus(what.attach ? `error attaching to container: ${msg}` : `error executing command in container: ${msg}`);
  }
}

/** v4+ sends the Status as JSON; older protocols send the message of a failure only. */
function statusBytes(status: Status, version: number): Buffer | null {
  if (version >= 4) return Buffer.from(JSON.stringify(status));
  return status.status === "Success" ? null : Buffer.from(status.message ?? "");
}

export interface RemoteCommandRequest {
  opts: RemoteCommandOptions;
  run: RemoteCommand;
  cmd?: string[];
  attach?: boolean;
}

/** Serves one exec/attach over an accepted WebSocket; resolves when the socket is closed. */
export async function serveRemoteCommandWebSocket(ws: WebSocket, protocol: string, request: RemoteCommandRequest): Promise<void> {
  const conn = new ChannelConnection(ws, protocol);
  const { opts } = request;
  const stdin = opts.stdin ? conn.input(0) : undefined;
  const resize = opts.tty ? new SizeQueue() : undefined;
  let pending = "";
  conn.onMessage((channel, data) => {
    if (channel === 4 && resize) pending = parseSizes(pending + data.toString(), resize);
  });
  const closed = new Promise<void>((resolve) => conn.onClose(resolve));
  conn.onClose(() => resize?.close());
  // An empty message on the first writable channel tells the client the streams are ready.
  await conn.send(opts.stdout ? 1 : opts.stderr ? 2 : 3, Buffer.alloc(0));
  const stdout = opts.stdout ? conn.output(1) : undefined;
  const stderr = opts.stderr ? conn.output(2) : undefined;
  const status = await runToStatus(request.run, { stdin, stdout, stderr, tty: opts.tty, resize }, request);
  resize?.close();
  await Promise.all([finish(stdout), finish(stderr)]);
  const bytes = statusBytes(status, conn.protocol.version);
  if (bytes) await conn.send(3, bytes);
  conn.close(1000);
  await closed;
}

function finish(stream: Writable | undefined): Promise<void> {
  if (!stream || stream.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once("finish", resolve);
    stream.once("close", resolve);
    stream.end();
  });
}

/**
 * Serves one exec/attach over a connection already upgraded to SPDY/3.1 with `protocol`: waits
 * (at most `creationTimeoutMs`) for the client's streams, runs the command, writes the status,
 * half-closes the output streams and ends the connection.
 */
export async function serveRemoteCommandSpdy(socket: Duplex, protocol: string, request: RemoteCommandRequest, creationTimeoutMs: number): Promise<void> {
  const version = protocol.startsWith("v") ? Number(protocol[1]) : 1;
  const { opts } = request;
  const expected = 1 + Number(opts.stdin) + Number(opts.stdout) + Number(opts.stderr) + Number(opts.tty && version >= 3);
  const streams = new Map<string, SpdyStream>();
  let ready!: () => void;
  const allThere = new Promise<void>((resolve) => (ready = resolve));
  let received = 0;
  const session = new SpdySession(socket, {
    server: true,
    onStream: (stream) => {
      stream.reply();
      const type = stream.header("streamtype");
      if (["error", "stdin", "stdout", "stderr", "resize"].includes(type) && !streams.has(type)) streams.set(type, stream);
      else stream.resume();
      if (++received === expected) ready();
    },
  });
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), creationTimeoutMs).unref());
  const closed = session.closed.then(() => "closed" as const);
  const outcome = await Promise.race([allThere.then(() => "ready" as const), timeout, closed]);
  if (outcome !== "ready") {
    session.destroy();
    return;
  }
  const error = streams.get("error");
  // Streams the client only reads from: drain whatever arrives so the connection never blocks.
  for (const type of ["error", "stdout", "stderr"]) streams.get(type)?.resume();
  let resize: SizeQueue | undefined;
  const resizeStream = streams.get("resize");
  if (resizeStream) {
    const queue = (resize = new SizeQueue());
    let pending = "";
    resizeStream.on("data", (chunk: Buffer) => (pending = parseSizes(pending + chunk.toString(), queue)));
    resizeStream.on("end", () => queue.close());
  }
  const stdin: Readable | undefined = streams.get("stdin");
  const stdout = streams.get("stdout");
  const stderr = streams.get("stderr");
  session.once("close", () => resize?.close());
  const status = await runToStatus(request.run, { stdin, stdout, stderr, tty: opts.tty, resize }, request);
  resize?.close();
  await Promise.all([finish(stdout), finish(stderr)]);
  const bytes = statusBytes(status, version);
  if (error) {
    if (bytes) error.write(bytes);
    await finish(error);
  }
  session.close();
  setTimeout(() => session.destroy(), 5000).unref();
  await session.closed;
}
