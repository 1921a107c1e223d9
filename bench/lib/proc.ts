// Process figures the benchmarks report, read from /proc (Linux).
import { readFileSync } from "node:fs";

/** CPU seconds (user + system) of a process and of its reaped children; NaN when unreadable. */
export function procCpuSeconds(pid: number): { self: number; children: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
    // utime, stime, cutime, cstime in clock ticks (USER_HZ = 100)
    return { self: (Number(fields[11]) + Number(fields[12])) / 100, children: (Number(fields[13]) + Number(fields[14])) / 100 };
  } catch {
    return { self: NaN, children: NaN };
  }
}
