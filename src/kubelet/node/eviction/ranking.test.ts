// Eviction order (helpers.go rankMemoryPressure / rankDiskPressureFunc / rankPIDPressure) and
// threshold parsing, without a node.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.js";
import { podRequest, rankPods } from "./ranking.ts";
import type { PodUsage } from "./ranking.ts";
import { formatThreshold, parseThresholds, thresholdsMet } from "./thresholds.ts";

const Mi = 2 ** 20;

function pod(name: string, o: { memReq?: string; diskReq?: string; priority?: number } = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.memReq) requests.memory = o.memReq;
  if (o.diskReq) requests["ephemeral-storage"] = o.diskReq;
  return {
    metadata: { name, namespace: "default" },
    spec: { containers: [{ name: "c", image: "i", resources: Object.keys(requests).length ? { requests } : {} }], ...(o.priority !== undefined ? { priority: o.priority } : {}) },
  };
}

const names = (pods: Pod[]) => pods.map((p) => p.metadata!.name);

it("memory: pods over their requests first (BestEffort included), then lower priority, then larger excess", () => {
  const pods = [
    pod("guaranteed-under", { memReq: "200Mi" }),
    pod("burstable-over", { memReq: "100Mi" }),
    pod("besteffort-small"),
    pod("besteffort-big"),
    pod("besteffort-high-priority", { priority: 1000 }),
  ];
  const usage: Record<string, PodUsage> = {
    "guaranteed-under": { memoryBytes: 150 * Mi },
    "burstable-over": { memoryBytes: 400 * Mi },
    "besteffort-small": { memoryBytes: 10 * Mi },
    "besteffort-big": { memoryBytes: 50 * Mi },
    "besteffort-high-priority": { memoryBytes: 500 * Mi },
  };
  const ranked = rankPods("memory.available", pods, (p) => usage[p.metadata!.name!]);
  assert.deepEqual(names(ranked), ["burstable-over", "besteffort-big", "besteffort-small", "besteffort-high-priority", "guaranteed-under"]);
});

it("memory without stats: pods without stats first, then by priority", () => {
  const ranked = rankPods("memory.available", [pod("a", { priority: 10 }), pod("b", { priority: 5 }), pod("c", { priority: 7 })]);
  assert.deepEqual(names(ranked), ["b", "c", "a"]);
});

it("disk ranks by ephemeral-storage; pid by priority then process count", () => {
  const pods = [pod("under", { diskReq: "1Gi" }), pod("over", { diskReq: "10Mi" })];
  const usage: Record<string, PodUsage> = { under: { ephemeralStorageBytes: 100 * Mi, processes: 50 }, over: { ephemeralStorageBytes: 20 * Mi, processes: 5 } };
  assert.deepEqual(names(rankPods("nodefs.available", pods, (p) => usage[p.metadata!.name!])), ["over", "under"]);
  assert.deepEqual(names(rankPods("pid.available", pods, (p) => usage[p.metadata!.name!])), ["under", "over"]);
});

it("requests: containers summed, or the largest init container if larger", () => {
  const p = pod("p", { memReq: "100Mi" });
  p.spec!.containers.push({ name: "d", image: "i", resources: { requests: { memory: "50Mi" } } });
  assert.equal(podRequest(p, "memory"), 150 * Mi);
  p.spec!.initContainers = [{ name: "init", image: "i", resources: { requests: { memory: "1Gi" } } }];
  assert.equal(podRequest(p, "memory"), 1024 * Mi);
});

it("thresholds: map and flag forms, percentages of capacity, the quantity as messages print it", () => {
  const t = parseThresholds("memory.available<100Mi,nodefs.available<10%");
  assert.deepEqual(t, [
    { signal: "memory.available", quantity: 100 * Mi, text: "100Mi" },
    { signal: "nodefs.available", percentage: 0.1, text: "10%" },
  ]);
  assert.throws(() => parseThresholds({ "memory.free": "1Mi" }), /unsupported eviction signal/);
  assert.throws(() => parseThresholds({ "nodefs.available": "120%" }), /<= 100%/);
  const met = thresholdsMet(t, { "memory.available": { available: 50 * Mi, capacity: 1024 * Mi }, "nodefs.available": { available: 11 * Mi, capacity: 100 * Mi } });
  assert.deepEqual(met.map((x) => x.signal), ["memory.available"]);
  assert.equal(formatThreshold(t[0]!, 0), "100Mi");
  assert.equal(formatThreshold(t[1]!, 100 * Mi), "10Mi");
});
