// Container CPU and memory figures: from the container's cgroup when it has one, else summed
// over its process group from /proc (best effort: processes that left the group are missed).
import type { ContainerStats } from "../types.ts";
import type { CgroupDriver } from "./cgroups.ts";
import { groupUsage } from "./proc.ts";

export class StatsReader {
  private readonly samples = new Map<string, { cpuNs: number; at: number }>();

  /** Stats of a running container; the CPU rate needs two calls (it is the change since the last). */
  read(id: string, pid: number, cgroupPath: string | undefined, cgroups: CgroupDriver | undefined, now = Date.now()): ContainerStats {
    const stats: ContainerStats = { id, timestamp: now };
    const cg = cgroupPath ? cgroups?.usage(cgroupPath) : undefined;
    const proc = cg?.cpuNs === undefined || cg.memoryWorkingSetBytes === undefined ? groupUsage(pid) : undefined;
    const cpuNs = cg?.cpuNs ?? proc?.cpuNs;
    stats.memoryWorkingSetBytes = cg?.memoryWorkingSetBytes ?? proc?.rssBytes;
    if (cpuNs !== undefined) {
      stats.cpuUsageCoreNanoSeconds = Math.round(cpuNs);
      const prev = this.samples.get(id);
      if (prev && now > prev.at) stats.cpuUsageNanoCores = Math.max(0, Math.round(((cpuNs - prev.cpuNs) / (now - prev.at)) * 1e6));
      this.samples.set(id, { cpuNs, at: now });
    }
    return stats;
  }

  forget(id: string): void {
    this.samples.delete(id);
  }
}
