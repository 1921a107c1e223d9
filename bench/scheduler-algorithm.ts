// `--mode algorithm` of bench/scheduler.ts: the scheduling cycle alone, no API server. A Scheduler
// whose cache is fed directly with the benchmark's nodes; each pod is queued, popped, filtered and
// scored (schedulePod), assumed, reserved, and confirmed as the informer would (a JSON copy with
// spec.nodeName replaces the assumed pod). What it measures is the CPU of the algorithm and the
// cache/queue bookkeeping per pod, the part of the end-to-end cost the scheduler itself owns.
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import type { Client } from "../src/client/index.ts";
import { Scheduler } from "../src/scheduler/index.ts";
import { silentLogger } from "../src/util/log.ts";

export interface AlgorithmResult {
  /** Per measured pod: µs of wall time and of process CPU time. */
  wallMicros: number;
  cpuMicros: number;
  nodesOf: string[];
}

/** Schedules `initPods` (unmeasured), then `pods` (measured); throws if a pod does not fit. */
export function runAlgorithm(nodes: readonly Node[], initPods: readonly Pod[], pods: readonly Pod[]): AlgorithmResult {
  // Never used: the scheduler is not run, so it makes no API call.
  const client = {} as unknown as Client;
  const s = new Scheduler({ client, log: silentLogger });
  for (const n of nodes) s.cache.addNode(JSON.parse(JSON.stringify(n)) as Node);
  const schedule = (list: readonly Pod[], nodesOf: string[]) => {
    for (const pod of list) {
      s.queue.add(JSON.parse(JSON.stringify({ ...pod, metadata: { ...pod.metadata, uid: pod.metadata?.name } })) as Pod);
      const qp = s.queue.popNow()!;
      const state = s.framework.newCycleState();
      const node = s.schedulePod(state, qp.podInfo.pod);
      const assumed: Pod = { ...qp.podInfo.pod, spec: { ...qp.podInfo.pod.spec!, nodeName: node } };
      s.cache.assumePod(assumed);
      const r = s.framework.runReservePlugins(state, assumed, node);
      if (r.code !== "Success") throw new Error(`reserve failed: ${r.reasons.join(", ")}`);
      s.queue.done(qp.podInfo.key);
      s.cache.addPod(JSON.parse(JSON.stringify(assumed)) as Pod);
      nodesOf.push(node);
    }
  };
  schedule(initPods, []);
  const nodesOf: string[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  schedule(pods, nodesOf);
  const cpu = process.cpuUsage(c0);
  return { wallMicros: ((performance.now() - t0) * 1000) / pods.length, cpuMicros: (cpu.user + cpu.system) / pods.length, nodesOf };
}
