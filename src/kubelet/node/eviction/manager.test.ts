// The eviction manager under simulated pressure: conditions appear and (after the transition
// period) clear, one pod is evicted per pass in ranking order with Kubernetes' message, and
// admission refuses BestEffort pods under memory pressure.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.js";
import { FakeClock } from "../../../client/index.ts";
import { EvictionManager } from "./manager.ts";
import type { EvictionDetails } from "./manager.ts";
import type { Observations } from "./thresholds.ts";
import type { PodUsage } from "./ranking.ts";

const Mi = 2 ** 20;
const Gi = 2 ** 30;

function pod(name: string, qosClass: string, resources: Record<string, Record<string, string>> = {}): Pod {
  return { metadata: { name, namespace: "default", uid: name }, spec: { containers: [{ name: "app", image: "i", resources }] }, status: { phase: "Running", qosClass } };
}

function setup() {
  const clock = new FakeClock();
  let observations: Observations = { "memory.available": { available: 2 * Gi, capacity: 8 * Gi }, "nodefs.available": { available: 50 * Gi, capacity: 100 * Gi } };
  let pods = [
    pod("guaranteed", "Guaranteed", { requests: { memory: "512Mi", cpu: "1" }, limits: { memory: "512Mi", cpu: "1" } }),
    pod("burstable", "Burstable", { requests: { memory: "256Mi" } }),
    pod("besteffort", "BestEffort"),
  ];
  const usage: Record<string, PodUsage> = {
    guaranteed: { memoryBytes: 500 * Mi, containers: [{ name: "app", memoryBytes: 500 * Mi }] },
    burstable: { memoryBytes: 300 * Mi, containers: [{ name: "app", memoryBytes: 300 * Mi }] },
    besteffort: { memoryBytes: 200 * Mi, containers: [{ name: "app", memoryBytes: 200 * Mi }] },
  };
  const evicted: { pod: string; message: string; details: EvictionDetails }[] = [];
  const changes: string[][] = [];
  const manager = new EvictionManager({
    signals: async () => observations,
    activePods: () => pods,
    podStats: (p) => usage[p.metadata!.name!],
    evictPod: (p, message, details) => {
      evicted.push({ pod: p.metadata!.name!, message, details });
      pods = pods.filter((x) => x !== p);
      return true;
    },
    onPressureChange: (c) => changes.push([...c]),
    pressureTransitionPeriodMs: 60_000,
    clock,
  });
  return {
    clock, manager, evicted, changes,
    setMemory: (available: number) => (observations = { ...observations, "memory.available": { available, capacity: 8 * Gi } }),
    setDisk: (available: number) => (observations = { ...observations, "nodefs.available": { available, capacity: 100 * Gi } }),
  };
}

it("no pressure: no conditions, no evictions", async () => {
  const { manager, evicted, changes } = setup();
  assert.deepEqual(await manager.synchronize(), []);
  assert.equal(manager.isUnderMemoryPressure(), false);
  assert.deepEqual(evicted, []);
  assert.deepEqual(changes, []);
});

// Kubernetes ranks by "usage exceeds requests", priority, then usage above requests: a BestEffort pod
// always exceeds its (zero) request, so it goes before a Burstable pod using less above its request.
it("memory pressure: MemoryPressure, then the BestEffort pod first, one pod per pass, with Kubernetes' message", async () => {
  const { manager, evicted, changes, setMemory } = setup();
  setMemory(50 * Mi);
  await manager.synchronize();
  assert.equal(manager.isUnderMemoryPressure(), true);
  assert.equal(manager.isUnderDiskPressure(), false);
  assert.deepEqual(changes, [["MemoryPressure"]]);
  assert.equal(evicted.length, 1);
  assert.equal(evicted[0]!.pod, "besteffort");
  assert.equal(evicted[0]!.message, "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container app was using 200Mi, request is 0, has larger consumption of memory. ");
  assert.deepEqual(evicted[0]!.details.condition, { type: "DisruptionTarget", status: "True", reason: "TerminationByKubelet", message: evicted[0]!.message });
  assert.equal(evicted[0]!.details.reason, "Evicted");
  assert.equal(evicted[0]!.details.gracePeriodSeconds, 0);
  assert.deepEqual(evicted[0]!.details.annotations, { offending_containers: "app", offending_containers_usage: "200Mi", starved_resource: "memory" });
  // Still low: the Burstable pod over its request goes next; the Guaranteed one last.
  await manager.synchronize();
  assert.equal(evicted[1]!.pod, "burstable");
  assert.match(evicted[1]!.message, /Container app was using 300Mi, request is 256Mi, has larger consumption of memory\. $/);
  await manager.synchronize();
  assert.equal(evicted[2]!.pod, "guaranteed");
  assert.equal(evicted[2]!.message, "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. ");
});

it("the condition stays for the transition period after the last crossing, then clears", async () => {
  const { clock, manager, changes, setMemory } = setup();
  setMemory(50 * Mi);
  await manager.synchronize();
  setMemory(4 * Gi);
  clock.advance(30_000);
  await manager.synchronize();
  assert.equal(manager.isUnderMemoryPressure(), true, "within the transition period");
  clock.advance(30_000);
  await manager.synchronize();
  assert.equal(manager.isUnderMemoryPressure(), false);
  assert.deepEqual(changes, [["MemoryPressure"], []]);
});

it("disk pressure from a percentage threshold: DiskPressure, ephemeral-storage message", async () => {
  const { manager, evicted, setDisk } = setup();
  setDisk(5 * Gi);
  await manager.synchronize();
  assert.equal(manager.isUnderDiskPressure(), true);
  assert.equal(evicted.length, 1);
  assert.match(evicted[0]!.message, /^The node was low on resource: ephemeral-storage\. Threshold quantity: 10Gi, available: 5Gi\. $/);
});

it("admission: under memory pressure BestEffort pods are refused unless they tolerate it; other pods pass", async () => {
  const { manager, setMemory, setDisk } = setup();
  const be = pod("new", "BestEffort");
  assert.deepEqual(manager.admitPod(be), { admit: true });
  setMemory(50 * Mi);
  await manager.synchronize();
  assert.deepEqual(manager.admitPod(be), { admit: false, reason: "Evicted", message: "The node had condition: [MemoryPressure]. " });
  assert.deepEqual(manager.admitPod(pod("b", "Burstable", { requests: { memory: "1Mi" } })), { admit: true });
  const tolerant = pod("t", "BestEffort");
  tolerant.spec!.tolerations = [{ key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" }];
  assert.deepEqual(manager.admitPod(tolerant), { admit: true });
  const critical = pod("c", "BestEffort");
  critical.spec!.priority = 2_000_000_000;
  assert.deepEqual(manager.admitPod(critical), { admit: true });
  setDisk(1 * Gi);
  await manager.synchronize();
  assert.deepEqual(manager.admitPod(pod("b", "Burstable", { requests: { memory: "1Mi" } })), { admit: false, reason: "Evicted", message: "The node had condition: [MemoryPressure DiskPressure]. " });
});
