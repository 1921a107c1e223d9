// Writes a container's stdout/stderr to its log file in the CRI format the kubelet reads
// (`<RFC3339Nano> <stream> <F|P> <content>`), and rotates the file by size like kubelet's
// containerLogMaxSize / containerLogMaxFiles.
import { closeSync, fstatSync, openSync, readdirSync, renameSync, rmSync, writeSync, existsSync, mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export type LogStream = "stdout" | "stderr";

/** Longest line content written as one record; longer lines are split into P records (containerd's 16 KiB). */
export const MAX_LOG_LINE = 16 * 1024;

export interface CriLogWriterOptions {
  /** Rotate when the file would grow past this many bytes (default 10 MiB). */
  maxBytes?: number;
  /** Files kept including the live one (default 2: the log plus one rotated `<logPath>.<timestamp>`). */
  maxFiles?: number;
  /** Wall clock in nanoseconds since the epoch (tests inject it). */
  nowNs?: () => bigint;
}

const hrBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
/** Nanosecond wall clock, monotonic within the process. */
export function wallClockNs(): bigint {
  return hrBase + process.hrtime.bigint();
}

/** RFC3339 with nine fractional digits, UTC (Go parses it with time.RFC3339Nano). */
export function formatRfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return `${iso.slice(0, 19)}.${frac}Z`;
}

/** kubelet's rotated-file suffix: `20060102-150405` (UTC). */
function rotationStamp(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/**
 * Turns byte chunks of two streams into CRI log records. Chunks are written in the order `write`
 * is called, so the interleaving of stdout and stderr is the order they were read. A line without
 * its newline yet is held per stream until it completes, exceeds MAX_LOG_LINE (written as P
 * records), or `flush`/`close` writes it as a P record.
 */
export class CriLogWriter {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly nowNs: () => bigint;
  private fd: number | undefined;
  private size = 0;
  private readonly pending: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly pendingLen: Record<LogStream, number> = { stdout: 0, stderr: 0 };

  constructor(path: string, opts: CriLogWriterOptions = {}) {
    this.path = path;
    this.maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
    this.maxFiles = Math.max(1, opts.maxFiles ?? 2);
    this.nowNs = opts.nowNs ?? wallClockNs;
    this.open();
  }

  write(stream: LogStream, chunk: Buffer): void {
    if (this.fd === undefined) return;
    const records: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      this.take(stream, chunk.subarray(start, nl), true, records);
      start = nl + 1;
    }
    if (start < chunk.length) this.take(stream, chunk.subarray(start), false, records);
    this.emit(records);
  }

  /** Writes held partial lines as P records (at exit: output not newline-terminated). */
  flush(stream?: LogStream): void {
    const records: Buffer[] = [];
    for (const s of stream ? [stream] : (["stdout", "stderr"] as const)) {
      if (this.pendingLen[s] > 0) records.push(this.record(s, "P", this.drain(s)));
    }
    this.emit(records);
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Adds a piece of a line; `complete` when the piece ended with a newline. */
  private take(stream: LogStream, piece: Buffer, complete: boolean, out: Buffer[]): void {
    if (piece.length > 0) {
      this.pending[stream].push(piece);
      this.pendingLen[stream] += piece.length;
    }
    while (this.pendingLen[stream] > MAX_LOG_LINE) {
      const all = this.drain(stream);
      out.push(this.record(stream, "P", all.subarray(0, MAX_LOG_LINE)));
      const rest = all.subarray(MAX_LOG_LINE);
      if (rest.length > 0) {
        this.pending[stream].push(rest);
        this.pendingLen[stream] = rest.length;
      }
    }
    if (complete) out.push(this.record(stream, "F", this.drain(stream)));
  }

  private drain(stream: LogStream): Buffer {
    const b = Buffer.concat(this.pending[stream]);
    this.pending[stream] = [];
    this.pendingLen[stream] = 0;
    return b;
  }

  private record(stream: LogStream, tag: "F" | "P", content: Buffer): Buffer {
    return Buffer.concat([Buffer.from(`${formatRfc3339Nano(this.nowNs())} ${stream} ${tag} `), content, Buffer.from("\n")]);
  }

  private emit(records: Buffer[]): void {
    for (const r of records) {
      if (this.fd === undefined) return;
      if (this.size > 0 && this.size + r.length > this.maxBytes) this.rotate();
      if (this.fd === undefined) return;
      writeSync(this.fd, r);
      this.size += r.length;
    }
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, "a");
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.maxFiles > 1) {
      const stamp = rotationStamp(this.nowNs());
      let target = `${this.path}.${stamp}`;
      for (let i = 1; existsSync(target); i++) target = `${this.path}.${stamp}-${i}`;
      renameSync(this.path, target);
    } else {
      rmSync(this.path, { force: true });
    }
    for (const old of rotatedLogs(this.path).slice(0, -(this.maxFiles - 1) || undefined)) rmSync(old, { force: true });
    this.open();
  }
}

/** Rotated files of `logPath`, oldest first. */
export function rotatedLogs(logPath: string): string[] {
  const dir = dirname(logPath);
  const base = basename(logPath);
  const re = /^\d{8}-\d{6}(-\d+)?$/;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const rotated = names.filter((n) => n.startsWith(`${base}.`) && re.test(n.slice(base.length + 1)));
  const key = (n: string) => {
    const m = /^(\d{8}-\d{6})(?:-(\d+))?$/.exec(n.slice(base.length + 1))!;
    return [m[1], Number(m[2] ?? 0)] as const;
  };
  rotated.sort((a, b) => {
    const [sa, ia] = key(a);
    const [sb, ib] = key(b);
    return sa < sb ? -1 : sa > sb ? 1 : ia - ib;
  });
  return rotated.map((n) => join(dir, n));
}

/** Parses CRI log records (tests, `kubectl logs` style readers). */
export function parseCriLog(text: string): { time: string; stream: LogStream; tag: "F" | "P"; content: string }[] {
  const out: { time: string; stream: LogStream; tag: "F" | "P"; content: string }[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = /^(\S+) (stdout|stderr) (F|P) (.*)$/s.exec(line);
    if (!m) throw new Error(`not a CRI log line: ${JSON.stringify(line.slice(0, 80))}`);
    out.push({ time: m[1], stream: m[2] as LogStream, tag: m[3] as "F" | "P", content: m[4] });
  }
  return out;
}
