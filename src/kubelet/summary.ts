// The kubelet's stats summary (/stats/summary, /metrics/resource): node cpu/memory/filesystem from
// the host, and per pod and container what the runtime reports.
import os from "node:os";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Runtime } from "./runtime/types.ts";
import type { PodStatsSummary, StatsSummary } from "./server/index.ts";
import { filesystemStats } from "./node/index.ts";

const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export async function statsSummary(opts: { nodeName: string; startTime: number; dataDir: string; runtime: Runtime; pods: readonly Pod[] }): Promise<StatsSummary> {
  const now = rfc3339(Date.now());
  const fs = await filesystemStats(opts.dataDir).catch(() => undefined);
  const containers = await opts.runtime.listContainers();
  const allSandboxes = await opts.runtime.listPodSandboxes();
  const podStats: PodStatsSummary[] = [];
  for (const pod of opts.pods) {
    const uid = pod.metadata?.uid ?? "";
    const sandboxes = new Set(allSandboxes.filter((s) => s.config.uid === uid).map((s) => s.id));
    const mine = containers.filter((c) => sandboxes.has(c.sandboxId) && c.state === "running");
    const entries = await Promise.all(mine.map(async (c) => ({ c, s: await opts.runtime.containerStats(c.id).catch(() => undefined) })));
    let cpu = 0;
    let mem = 0;
    podStats.push({
      podRef: { name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "", uid },
      startTime: pod.status?.startTime ?? now,
      containers: entries.map(({ c, s }) => {
        cpu += s?.cpuUsageNanoCores ?? 0;
        mem += s?.memoryWorkingSetBytes ?? 0;
        return {
          name: c.name, startTime: rfc3339(c.startedAt ?? c.createdAt),
          cpu: { time: now, usageNanoCores: s?.cpuUsageNanoCores, usageCoreNanoSeconds: s?.cpuUsageCoreNanoSeconds },
          memory: { time: now, workingSetBytes: s?.memoryWorkingSetBytes, usageBytes: s?.memoryWorkingSetBytes },
        };
      }),
      cpu: { time: now, usageNanoCores: cpu },
      memory: { time: now, workingSetBytes: mem, usageBytes: mem },
    });
  }
  const total = os.totalmem();
  const free = os.freemem();
  return {
    node: {
      nodeName: opts.nodeName, startTime: rfc3339(opts.startTime),
      memory: { time: now, availableBytes: free, usageBytes: total - free, workingSetBytes: total - free },
      fs: fs ? { time: now, availableBytes: fs.availableBytes, capacityBytes: fs.capacityBytes, usedBytes: fs.capacityBytes - fs.availableBytes, inodes: fs.inodes, inodesFree: fs.inodesFree } : undefined,
    },
    pods: podStats,
  };
}
