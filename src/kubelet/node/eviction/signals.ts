// Where eviction signals come from on a real host: memory.available from the cgroup v2 root (or
// /proc/meminfo MemAvailable), nodefs/imagefs from statfs, pid.available from /proc. Tests and
// simulated nodes inject their own SignalSource instead.
import { readFile, readdir } from "node:fs/promises";
import { filesystemStats } from "../host.ts";
import type { Observations } from "./thresholds.ts";

/** One observation of every signal it can measure (a signal it cannot measure is left out). */
export type SignalSource = () => Promise<Observations>;

export interface HostSignalOptions {
  /** The kubelet's data directory (nodefs). */
  dataDir?: string;
  /** A separate image filesystem, if the runtime has one (imagefs); none = imagefs is not observed. */
  imageFsPath?: string;
  /** For tests: another /proc/meminfo. */
  meminfoPath?: string;
}

/** MemTotal and MemAvailable from /proc/meminfo, in bytes. */
export function parseMeminfo(text: string): { total?: number; available?: number } {
  const kb = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, "m").exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  return { total: kb("MemTotal"), available: kb("MemAvailable") };
}

async function readNumber(path: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(path, "utf8")).trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The host's signals, measured afresh on every call. */
export function hostSignalSource(opts: HostSignalOptions = {}): SignalSource {
  return async () => {
    const out: Observations = {};
    try {
      const mem = parseMeminfo(await readFile(opts.meminfoPath ?? "/proc/meminfo", "utf8"));
      if (mem.total !== undefined && mem.available !== undefined) out["memory.available"] = { available: mem.available, capacity: mem.total };
    } catch {
      // not Linux: no memory signal
    }
    if (opts.dataDir) {
      const fs = await filesystemStats(opts.dataDir);
      if (fs) {
        out["nodefs.available"] = { available: fs.availableBytes, capacity: fs.capacityBytes };
        if (fs.inodes > 0) out["nodefs.inodesFree"] = { available: fs.inodesFree, capacity: fs.inodes };
      }
    }
    if (opts.imageFsPath) {
      const fs = await filesystemStats(opts.imageFsPath);
      if (fs) {
        out["imagefs.available"] = { available: fs.availableBytes, capacity: fs.capacityBytes };
        if (fs.inodes > 0) out["imagefs.inodesFree"] = { available: fs.inodesFree, capacity: fs.inodes };
      }
    }
    const pidMax = await readNumber("/proc/sys/kernel/pid_max");
    if (pidMax !== undefined) {
      try {
        const running = (await readdir("/proc")).filter((name) => /^\d+$/.test(name)).length;
        out["pid.available"] = { available: pidMax - running, capacity: pidMax };
      } catch {
        // no /proc
      }
    }
    return out;
  };
}
