// Supervises one container process: pumps its stdout/stderr FIFOs into the CRI log and reports
// its exit — from wait() when this kubelet spawned it, by polling /proc when it was adopted
// from a previous kubelet (a non-child cannot be waited for, so its exit status is lost).
//
// The process writes to FIFOs it holds open read-write, so it never gets SIGPIPE while no kubelet
// reads them (it blocks once 64 KiB are buffered); a restarted kubelet reopens them and goes on.
import { spawn, execFile } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, constants, existsSync, openSync } from "node:fs";
import { Socket } from "node:net";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CriLogWriter } from "./logwriter.ts";
import type { CriLogWriterOptions, LogStream } from "./logwriter.ts";
import { isAlive, processGroupMembers, readEnviron, readProcStat } from "./proc.ts";

const run = promisify(execFile);

export interface ProcessExit {
  /** The exit code (128+n for signal n); undefined when it could not be read (adopted process). */
  code: number | undefined;
  at: number;
}

export interface SuperviseOptions {
  /** Directory holding the `stdout` and `stderr` FIFOs. */
  fifoDir: string;
  logPath: string;
  log?: CriLogWriterOptions;
  /** Called once, after the process exited and its output was written to the log. */
  onExit(exit: ProcessExit): void;
  /** /proc polling interval for adopted processes (default 250 ms). */
  pollMs?: number;
  /** An environment entry every process of the container has (`K8TS_SANDBOX=…`). */
  marker?: string;
  /** How long to wait for the log pipes to drain after the exit (default 2 s). */
  drainMs?: number;
}

const STREAMS: LogStream[] = ["stdout", "stderr"];

/** Creates the two FIFOs (idempotent). */
export async function makeFifos(dir: string): Promise<void> {
  const missing = STREAMS.map((s) => join(dir, s)).filter((p) => !existsSync(p));
  if (missing.length) await run("mkfifo", ["-m", "600", ...missing]);
}

/** Non-blocking read ends of the FIFOs (undefined where one is missing). */
function openReaders(dir: string): (number | undefined)[] {
  return STREAMS.map((s) => {
    try {
      return openSync(join(dir, s), constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return undefined;
    }
  });
}

function signalExitCode(signal: NodeJS.Signals | null): number {
  const n = signal ? (osConstants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (n ?? 9);
}

/** Sends `sig` to a process group; false when it no longer exists. */
export function killGroup(pgid: number, sig: NodeJS.Signals): boolean {
  return killPid(-pgid, sig);
}

function killPid(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

export class ContainerProcess {
  readonly pid: number;
  readonly startTime: number | undefined;
  private readonly opts: SuperviseOptions;
  private readonly writer: CriLogWriter;
  private readonly readers: Socket[] = [];
  private child: ChildProcess | undefined;
  private poller: NodeJS.Timeout | undefined;
  private openStreams = 0;
  private exit: ProcessExit | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private finished = false;
  private detached = false;

  /**
   * Spawns `argv` as a new process group with its output on the FIFOs. Resolves once the
   * process exists; rejects if it could not be spawned.
   */
  static async spawn(argv: string[], env: Record<string, string>, opts: SuperviseOptions): Promise<ContainerProcess> {
    await makeFifos(opts.fifoDir);
    const writer = new CriLogWriter(opts.logPath, opts.log); // fails before anything runs
    // Readers first: a FIFO whose last writer closes before anyone read it loses its data, and a
    // reader that never saw a writer is never told the writers left.
    const readFds = openReaders(opts.fifoDir);
    let child: ChildProcess;
    let early: ProcessExit | undefined;
    let cp: ContainerProcess | undefined;
    const fds = STREAMS.map((s) => openSync(join(opts.fifoDir, s), constants.O_RDWR));
    try {
      child = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", fds[0], fds[1]], detached: true });
      child.once("exit", (code, signal) => {
        const exit = { code: code ?? signalExitCode(signal), at: Date.now() };
        if (cp) cp.exited(exit);
        else early = exit;
      });
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      });
    } catch (err) {
      for (const fd of readFds) if (fd !== undefined) closeSync(fd);
      writer.close();
      throw err;
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    cp = new ContainerProcess(child.pid!, readProcStat(child.pid!)?.startTime, opts, writer, readFds);
    cp.child = child;
    if (early) cp.exited(early);
    return cp;
  }

  /** Watches a process started by an earlier runtime instance; it may already be gone. */
  static adopt(pid: number, startTime: number | undefined, opts: SuperviseOptions): ContainerProcess {
    // Output left in the FIFOs of a process that is gone was discarded with its last writer.
    const alive = isAlive(pid, startTime);
    const cp = new ContainerProcess(pid, startTime, opts, new CriLogWriter(opts.logPath, opts.log), alive ? openReaders(opts.fifoDir) : []);
    const check = () => {
      if (!isAlive(pid, startTime)) cp.exited({ code: undefined, at: Date.now() });
    };
    cp.poller = setInterval(check, opts.pollMs ?? 250);
    check();
    return cp;
  }

  private constructor(pid: number, startTime: number | undefined, opts: SuperviseOptions, writer: CriLogWriter, readFds: (number | undefined)[]) {
    this.pid = pid;
    this.startTime = startTime;
    this.opts = opts;
    this.writer = writer;
    STREAMS.forEach((stream, i) => {
      if (readFds[i] !== undefined) this.pump(stream, readFds[i]!);
    });
  }

  /** Signals the container's process group (only while it is the process we started). */
  signal(sig: NodeJS.Signals): boolean {
    if (this.exit || !isAlive(this.pid, this.startTime)) return false;
    return killGroup(this.pid, sig);
  }

  /** Stops watching and logging; the process keeps running (kubelet shutdown). */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.stopWatching();
    for (const r of this.readers) r.destroy();
    this.writer.close();
    this.child?.removeAllListeners("exit");
    this.child?.unref();
  }

  private pump(stream: LogStream, fd: number): void {
    const sock = new Socket({ fd, readable: true, writable: false });
    this.openStreams++;
    sock.on("data", (chunk: Buffer) => this.writer.write(stream, chunk));
    sock.on("error", () => sock.destroy());
    sock.once("close", () => {
      if (this.detached) return;
      this.writer.flush(stream);
      this.openStreams--;
      this.maybeFinish();
    });
    this.readers.push(sock);
  }

  private exited(exit: ProcessExit): void {
    if (this.exit || this.detached) return;
    this.exit = exit;
    this.stopWatching();
    // Like a container's PID 1 exiting: whatever it left behind in its group goes too (and
    // releases the log pipes). The pid of an adopted process may have been reused since it
    // exited, so then only group members carrying the container's marker are killed.
    if (this.child) killGroup(this.pid, "SIGKILL");
    else if (this.opts.marker) {
      for (const m of processGroupMembers(this.pid)) {
        if (readEnviron(m.pid).includes(this.opts.marker)) killPid(m.pid, "SIGKILL");
      }
    }
    this.drainTimer = setTimeout(() => this.finish(), this.opts.drainMs ?? 2000);
    this.drainTimer.unref();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.exit && this.openStreams <= 0) this.finish();
  }

  private finish(): void {
    if (this.finished || this.detached || !this.exit) return;
    this.finished = true;
    clearTimeout(this.drainTimer);
    for (const r of this.readers) r.destroy();
    this.writer.close();
    this.opts.onExit(this.exit);
  }

  private stopWatching(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }
}
