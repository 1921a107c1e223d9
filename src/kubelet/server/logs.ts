// Container logs as the kubelet serves them (pkg/kubelet/kuberuntime/logs): CRI-format files
// (`<RFC3339Nano> stdout|stderr F|P <content>`) read with tailLines, sinceTime, limitBytes and
// timestamps; a partial (P) record is written without its newline, so it joins the next one.
// follow keeps reading as the file grows and across rotation (the runtime renames the file and
// opens a new one at the same path) until the container is no longer running.
// One deliberate difference: tailLines counts complete lines (F records), not file records.
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { open, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname } from "node:path";

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  /** Last N complete lines; undefined = all. */
  tailLines?: number;
  limitBytes?: number;
  /** Skip records older than this (nanoseconds since the epoch). */
  sinceNs?: bigint;
  /** Only this stream (PodLogOptions.stream); undefined = both. */
  stream?: "stdout" | "stderr";
}

/** A bad query: the kubelet answers `code` with this message. */
export class LogOptionsError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** Go's query bool: absent, "", "0" and "false" are false; anything else is true. */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v !== null && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

function queryInt(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw new LogOptionsError(400, `{"message": "Unable to decode query."}`);
  return Number(v);
}

/** PodLogOptions from the kubelet's query (with the legacy `tail`), validated as the kubelet does. */
export function parseLogOptions(query: URLSearchParams, now: Date = new Date()): LogOptions {
  const q = new URLSearchParams(query);
  const tail = q.get("tail");
  if (tail !== null && tail !== "") {
    if (tail === "all") q.delete("tailLines");
    else q.set("tailLines", tail);
  }
  const tailLines = queryInt(q, "tailLines");
  const limitBytes = queryInt(q, "limitBytes");
  const sinceSeconds = queryInt(q, "sinceSeconds");
  const sinceTime = q.get("sinceTime");
  let sinceTimeNs: bigint | undefined;
  if (sinceTime !== null && sinceTime !== "") {
    sinceTimeNs = parseTimestampNs(sinceTime);
    if (sinceTimeNs === undefined) throw new LogOptionsError(400, `{"message": "Unable to decode query."}`);
  }
  const invalid = (tailLines !== undefined && tailLines < 0) || (limitBytes !== undefined && limitBytes < 1)
    || (sinceSeconds !== undefined && sinceSeconds < 1) || (sinceSeconds !== undefined && sinceTimeNs !== undefined);
  if (invalid) throw new LogOptionsError(422, `{"message": "Invalid request."}`);
  const streamParam = q.get("stream");
  if (streamParam !== null && !["Stdout", "Stderr", "All"].includes(streamParam)) throw new LogOptionsError(422, `{"message": "Invalid request."}`);
  let sinceNs: bigint | undefined;
  if (sinceSeconds !== undefined) sinceNs = (BigInt(now.getTime()) - BigInt(sinceSeconds) * 1000n) * 1_000_000n;
  if (sinceTimeNs !== undefined && (sinceNs === undefined || sinceTimeNs > sinceNs)) sinceNs = sinceTimeNs;
  return {
    follow: queryBool(q, "follow"),
    previous: queryBool(q, "previous"),
    timestamps: queryBool(q, "timestamps"),
    tailLines, limitBytes, sinceNs,
    stream: streamParam === "Stdout" ? "stdout" : streamParam === "Stderr" ? "stderr" : undefined,
  };
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** RFC 3339 (with up to nanoseconds) as nanoseconds since the epoch; undefined when malformed. */
export function parseTimestampNs(text: string): bigint | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** Go's time.RFC3339Nano rendering of a CRI timestamp: trailing zeros of the fraction dropped. */
function goRfc3339Nano(text: string): string {
  const m = TIMESTAMP.exec(text)!;
  const frac = (m[2] ?? "").replace(/0+$/, "");
  return `${m[1]}${frac ? `.${frac}` : ""}${m[3]}`;
}

export interface CriRecord {
  timestamp: string;
  ns: bigint;
  stream: "stdout" | "stderr";
  partial: boolean;
  /** The content; a full record keeps its newline, a partial one has none. */
  content: Buffer;
}

/** Parses one record (a file line, with its newline if it had one); null when malformed. */
export function parseCriRecord(line: Buffer): CriRecord | null {
  const s1 = line.indexOf(0x20);
  if (s1 < 0) return null;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return null;
  const s3 = line.indexOf(0x20, s2 + 1);
  if (s3 < 0) return null;
  const timestamp = line.toString("latin1", 0, s1);
  const ns = parseTimestampNs(timestamp);
  const stream = line.toString("latin1", s1 + 1, s2);
  if (ns === undefined || (stream !== "stdout" && stream !== "stderr")) return null;
  const partial = line.toString("latin1", s2 + 1, s3).split(":")[0] === "P";
  let content = line.subarray(s3 + 1);
  if (partial && content.length > 0 && content[content.length - 1] === 0x0a) content = content.subarray(0, -1);
  return { timestamp, ns, stream, partial, content };
}

/** The record's tag is F (it ends a line) and it is of the wanted stream. */
function endsLine(line: Buffer, stream: LogOptions["stream"]): boolean {
  const rec = parseCriRecord(line);
  return rec !== null && !rec.partial && (stream === undefined || rec.stream === stream);
}

const BLOCK = 64 * 1024;

/**
 * Offset of the first record of the last `n` complete lines (0 = the start of the file when there
 * are fewer); a trailing incomplete record is not counted, as the kubelet's tail does not.
 */
export async function tailStart(fh: FileHandle, n: number | undefined, stream?: LogOptions["stream"]): Promise<number> {
  if (n === undefined) return 0;
  let base = (await fh.stat()).size;
  let data = Buffer.alloc(0); // the file's bytes from `base` on, not yet looked at
  const readMore = async () => {
    const left = Math.max(0, base - BLOCK);
    const block = Buffer.alloc(base - left);
    await fh.read(block, 0, block.length, left);
    data = Buffer.concat([block, data]);
    base = left;
  };
  // Bytes after the last newline are an incomplete record.
  let lineEnd = -1;
  while (lineEnd < 0) {
    if (base === 0) return 0;
    await readMore();
    const nl = data.lastIndexOf(0x0a);
    if (nl >= 0) lineEnd = base + nl + 1;
  }
  let seen = 0;
  for (;;) {
    const rel = lineEnd - base;
    const nl = rel >= 2 ? data.lastIndexOf(0x0a, rel - 2) : -1;
    if (nl < 0 && base > 0) {
      await readMore();
      continue;
    }
    const lineStart = nl + 1;
    if (endsLine(data.subarray(lineStart, rel), stream) && ++seen > n) return lineEnd;
    if (lineStart === 0) return 0;
    lineEnd = base + lineStart;
    data = data.subarray(0, lineStart);
  }
}

/** Where log bytes go; resolves when the consumer can take more. */
export type LogSink = (chunk: Buffer) => Promise<void>;

export interface FollowContext {
  isRunning(): Promise<boolean>;
  signal: AbortSignal;
  pollIntervalMs: number;
}

/** Applies since, stream, timestamps and limitBytes to records, as the kubelet's logWriter. */
class RecordWriter {
  private remain: number;
  private newLine = true;
  private readonly opts: LogOptions;
  private readonly sink: LogSink;

  constructor(opts: LogOptions, sink: LogSink) {
    this.opts = opts;
    this.sink = sink;
    this.remain = opts.limitBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Writes one record; false once limitBytes is used up. */
  async write(rec: CriRecord): Promise<boolean> {
    const addPrefix = this.newLine;
    this.newLine = rec.content.length === 0 || rec.content[rec.content.length - 1] === 0x0a;
    if (this.opts.stream && rec.stream !== this.opts.stream) return true;
    if (this.opts.sinceNs !== undefined && rec.ns < this.opts.sinceNs) return true;
    let line = rec.content;
    if (this.opts.timestamps && addPrefix) line = Buffer.concat([Buffer.from(`${goRfc3339Nano(rec.timestamp)} `), line]);
    if (line.length > this.remain) line = line.subarray(0, this.remain);
    if (line.length > 0) await this.sink(line);
    this.remain -= line.length;
    return this.remain > 0;
  }
}

/**
 * Writes the logs of one container instance from `path`. Without `follow` it stops at the end of
 * the file; with it, it waits for more until the container stops running (then reads what is
 * left) or the signal aborts. Resolves when done; a missing file is an empty log.
 */
export async function readLogs(path: string, opts: LogOptions, sink: LogSink, follow?: FollowContext): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  const writer = new RecordWriter(opts, sink);
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  let changed = false;
  try {
    let ino = (await fh.stat()).ino;
    let pos = await tailStart(fh, opts.tailLines, opts.stream);
    let carry = Buffer.alloc(0);
    let exited = false;
    const buf = Buffer.alloc(BLOCK);
    for (;;) {
      if (follow?.signal.aborted) return;
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        const data = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
        let start = 0;
        for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
          const rec = parseCriRecord(data.subarray(start, nl + 1));
          start = nl + 1;
          if (rec && !(await writer.write(rec))) return;
        }
        carry = Buffer.from(data.subarray(start));
        continue;
      }
      if (!opts.follow || !follow) {
        // The last record has no newline: written as it is (the kubelet's stop mode).
        const rec = carry.length > 0 ? parseCriRecord(carry) : null;
        if (rec) await writer.write(rec);
        return;
      }
      // End of file while following: rotated? exited? else wait for a change.
      const current = await stat(path).catch(() => undefined);
      if (current && current.ino !== ino) {
        const next = await open(path, "r").catch(() => undefined);
        if (next) {
          await fh.close();
          fh = next;
          ino = (await fh.stat()).ino;
          pos = 0;
          carry = Buffer.alloc(0);
          continue;
        }
      }
      if (exited) return;
      if (!watcher) {
        try {
          watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
            if (name === null || String(name).startsWith(basename(path))) {
              changed = true;
              wake?.();
            }
          });
          watcher.on("error", () => undefined);
        } catch {
          // No watcher (directory gone…): polling still works.
        }
        continue;
      }
      if (!(await follow.isRunning())) {
        exited = true;
        continue;
      }
      if (!changed) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            follow.signal.removeEventListener("abort", done);
            wake = undefined;
            resolve();
          };
          const timer = setTimeout(done, follow.pollIntervalMs);
          follow.signal.addEventListener("abort", done);
          wake = done;
        });
      }
      changed = false;
    }
  } finally {
    watcher?.close();
    await fh.close();
  }
}
