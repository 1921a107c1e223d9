// exec into a process container: the command runs in the container's namespaces, cgroup,
// environment and working directory, with the image's command mapping (busybox `sh` →
// /bin/busybox sh). A tty is a pseudo-terminal from util-linux `script`.
import { spawn, execFile } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync, readlinkSync, readdirSync } from "node:fs";
import type { ExecResult, ExecStreams } from "../types.ts";
import { ttyArgv } from "./launch.ts";
import type { HostTools } from "./launch.ts";
import { killGroup } from "./supervisor.ts";

/** Cap on what execSync keeps of each stream (probes need little; memory stays bounded). */
export const EXEC_OUTPUT_LIMIT = 1024 * 1024;

/** execSync ran longer than its timeout (the kubelet fails the probe: "command timed out"). */
export class ExecTimeoutError extends Error {
  readonly code = "DeadlineExceeded";
  constructor(cmd: string[], timeoutSeconds: number) {
    super(`command ${JSON.stringify(cmd)} timed out after ${timeoutSeconds}s`);
    this.name = "ExecTimeoutError";
  }
}

/** What to run: the launch argv (already in the container's context) and its environment. */
export interface ExecPlan {
  argv: string[];
  env: Record<string, string>;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return signal === "SIGKILL" ? 137 : signal === "SIGTERM" ? 143 : 128;
}

export function execCollect(plan: ExecPlan, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(plan.argv[0], plan.argv.slice(1), { env: plan.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const keep = (into: Buffer[]) => {
      let size = 0;
      return (chunk: Buffer) => {
        if (size >= EXEC_OUTPUT_LIMIT) return;
        const piece = chunk.subarray(0, EXEC_OUTPUT_LIMIT - size);
        size += piece.length;
        into.push(piece);
      };
    };
    child.stdout!.on("data", keep(out));
    child.stderr!.on("data", keep(err));
    let timedOut = false;
    const timer =
      timeoutSeconds > 0
        ? setTimeout(() => {
            timedOut = true;
            if (child.pid) killGroup(child.pid, "SIGKILL");
          }, timeoutSeconds * 1000)
        : undefined;
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new ExecTimeoutError(cmd, timeoutSeconds));
      else resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: exitCodeOf(code, signal) });
    });
  });
}

/**
 * Interactive exec: pipes the streams (the caller's streams are not ended), resolves with the
 * exit code once the command exited and its output was delivered.
 */
export async function execStreams(plan: ExecPlan, streams: ExecStreams, tools: HostTools): Promise<number> {
  let argv = plan.argv;
  const env = { ...plan.env };
  if (streams.tty) {
    env.TERM ??= "xterm";
    const unsetShell = env.SHELL === undefined;
    env.SHELL ??= "/bin/sh";
    argv = ttyArgv(tools, argv, unsetShell);
  }
  const child = spawn(argv[0], argv.slice(1), {
    env,
    stdio: [streams.stdin ? "pipe" : "ignore", streams.stdout ? "pipe" : "ignore", streams.stderr && !streams.tty ? "pipe" : "ignore"],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  const stdin = streams.stdin;
  if (stdin && child.stdin) {
    child.stdin.on("error", () => undefined); // the command may exit without reading its input
    stdin.pipe(child.stdin);
  }
  if (streams.stdout && child.stdout) child.stdout.pipe(streams.stdout, { end: false });
  if (streams.stderr && child.stderr) child.stderr.pipe(streams.stderr, { end: false });
  if (streams.tty && streams.resize) void followResize(child, streams.resize, tools);
  const [code, signal] = (await new Promise((resolve) => child.once("close", (c, s) => resolve([c, s])))) as [number | null, NodeJS.Signals | null];
  if (stdin && child.stdin) stdin.unpipe(child.stdin);
  return exitCodeOf(code, signal);
}

/** Applies terminal size changes to the pty `script` created (stty on its slave side). */
async function followResize(child: ChildProcess, sizes: AsyncIterable<{ width: number; height: number }>, tools: HostTools): Promise<void> {
  if (!tools.stty || !child.pid) return;
  let exited = false;
  child.once("exit", () => (exited = true));
  try {
    for await (const { width, height } of sizes) {
      if (exited) return;
      const pts = await waitForPty(child.pid, () => exited);
      if (!pts) return;
      await new Promise<void>((resolve) => execFile(tools.stty!, ["-F", pts, "rows", String(height), "cols", String(width)], () => resolve()));
    }
  } catch {
    // the resize stream failed: the session goes on at its size
  }
}

/** The pty slave of script's child (its stdin), polled briefly while script starts it. */
async function waitForPty(scriptPid: number, gone: () => boolean): Promise<string | undefined> {
  for (let i = 0; i < 100 && !gone(); i++) {
    for (const pid of childrenOf(scriptPid)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/0`);
        if (target.startsWith("/dev/pts/")) return target;
      } catch {
        // not yet
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean).map(Number);
  } catch {
    const out: number[] = [];
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(name));
      } catch {
        // gone
      }
    }
    return out;
  }
}
