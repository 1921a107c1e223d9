// /proc readers for supervising processes the runtime did not spawn itself (after a kubelet
// restart): identity by pid + start time, liveness, CPU and memory of a process group.
import { readFileSync, readdirSync, accessSync, statSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** USER_HZ: /proc times are in these ticks on every Linux architecture Node supports. */
export const CLOCK_TICKS = 100;

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), T, X… */
  state: string;
  ppid: number;
  pgrp: number;
  utimeTicks: number;
  stimeTicks: number;
  /** Start time in clock ticks after boot: with the pid, identifies a process across pid reuse. */
  startTime: number;
  rssPages: number;
}

/** Reads /proc/<pid>/stat; undefined when the process does not exist. */
export function readProcStat(pid: number, procRoot = "/proc"): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const f = (n: number) => Number(rest[n - 3]);
  return { pid, state: rest[0], ppid: f(4), pgrp: f(5), utimeTicks: f(14), stimeTicks: f(15), startTime: f(22), rssPages: f(24) };
}

/** True when `pid` runs and is the process that started at `startTime` (not a reused pid). */
export function isAlive(pid: number, startTime: number | undefined, procRoot = "/proc"): boolean {
  const st = readProcStat(pid, procRoot);
  if (!st || st.state === "Z" || st.state === "X") return false;
  return startTime === undefined || st.startTime === startTime;
}

/** Processes whose process group is `pgid` (a container's process and its children). */
export function processGroupMembers(pgid: number, procRoot = "/proc"): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const st = readProcStat(Number(name), procRoot);
    if (st && st.pgrp === pgid && st.state !== "Z") out.push(st);
  }
  return out;
}

/** CPU time (ns) and resident memory (bytes) summed over a process group. */
export function groupUsage(pgid: number, pageSize = 4096, procRoot = "/proc"): { cpuNs: number; rssBytes: number } | undefined {
  const members = processGroupMembers(pgid, procRoot);
  if (members.length === 0) return undefined;
  let ticks = 0;
  let pages = 0;
  for (const m of members) {
    ticks += m.utimeTicks + m.stimeTicks;
    pages += m.rssPages;
  }
  return { cpuNs: (ticks * 1e9) / CLOCK_TICKS, rssBytes: pages * pageSize };
}

/** The NUL-separated environment of a process (empty when unreadable). */
export function readEnviron(pid: number, procRoot = "/proc"): string[] {
  try {
    return readFileSync(`${procRoot}/${pid}/environ`, "latin1").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** Looks `cmd` up in a PATH string; undefined when no executable file matches. */
export function lookPath(cmd: string, path: string): string | undefined {
  if (cmd.includes("/")) return isExecutable(cmd) ? cmd : undefined;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
