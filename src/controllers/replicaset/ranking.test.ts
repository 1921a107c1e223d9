// The scale-down order of pods (ActivePodsWithRanks) and slow-start batches, without a server.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.js";
import { compareForDeletion, podsToDelete, POD_DELETION_COST } from "./ranking.ts";
import { slowStartBatch } from "./controller.ts";

interface P { node?: string; phase?: string; ready?: string; created?: string; restarts?: number; cost?: number }

function pod(name: string, p: P = {}): Pod {
  return {
    metadata: { name, creationTimestamp: p.created ?? "2026-01-01T00:00:00Z", ...(p.cost !== undefined ? { annotations: { [POD_DELETION_COST]: String(p.cost) } } : {}) },
    spec: { containers: [], ...(p.node ? { nodeName: p.node } : {}) },
    status: {
      phase: p.phase ?? "Running",
      conditions: p.ready ? [{ type: "Ready", status: "True", lastTransitionTime: p.ready }] : [],
      containerStatuses: [{ name: "c", image: "i", imageID: "", ready: !!p.ready, restartCount: p.restarts ?? 0 }],
    },
  };
}

const order = (pods: Pod[]) => [...pods].sort((a, b) => compareForDeletion(a, b)).map((p) => p.metadata!.name);

it("unassigned before assigned", () => {
  assert.deepEqual(order([pod("assigned", { node: "n1" }), pod("unassigned")]), ["unassigned", "assigned"]);
});

it("Pending before Unknown before Running", () => {
  assert.deepEqual(order([pod("running", { node: "n" }), pod("unknown", { node: "n", phase: "Unknown" }), pod("pending", { node: "n", phase: "Pending" })]), ["pending", "unknown", "running"]);
});

it("not ready before ready", () => {
  assert.deepEqual(order([pod("ready", { node: "n", ready: "2026-01-01T00:00:00Z" }), pod("notready", { node: "n" })]), ["notready", "ready"]);
});

it("lower deletion cost first", () => {
  assert.deepEqual(order([pod("expensive", { node: "n", cost: 100 }), pod("cheap", { node: "n", cost: -5 }), pod("default", { node: "n" })]), ["cheap", "default", "expensive"]);
});

it("ready for less time first, then more restarts, then newer first", () => {
  assert.deepEqual(order([pod("long", { node: "n", ready: "2026-01-01T00:00:00Z" }), pod("short", { node: "n", ready: "2026-01-01T01:00:00Z" })]), ["short", "long"]);
  assert.deepEqual(order([pod("calm", { node: "n" }), pod("crashy", { node: "n", restarts: 7 })]), ["crashy", "calm"]);
  assert.deepEqual(order([pod("older", { node: "n", created: "2026-01-01T00:00:00Z" }), pod("newer", { node: "n", created: "2026-01-02T00:00:00Z" })]), ["newer", "older"]);
});

it("podsToDelete prefers pods on crowded nodes", () => {
  const pods = [pod("alone", { node: "n1" }), pod("crowd1", { node: "n2" }), pod("crowd2", { node: "n2" })];
  assert.deepEqual(podsToDelete(pods, pods, 1).map((p) => p.metadata!.name), ["crowd1"]);
  assert.equal(podsToDelete(pods, pods, 5).length, 3);
});

it("slowStartBatch runs 1, 2, 4 … and stops after a failing batch", async () => {
  let calls = 0;
  const ok = await slowStartBatch(10, 1, async () => {
    calls++;
  });
  assert.deepEqual(ok, { successes: 10 });
  assert.equal(calls, 10);
  let n = 0;
  const res = await slowStartBatch(10, 1, async () => {
    if (++n === 3) throw new Error("quota");
  });
  // Batches 1 then 2: the second has the failure, so 3 calls were made and 2 succeeded.
  assert.equal(n, 3);
  assert.equal(res.successes, 2);
  assert.match(String(res.error), /quota/);
});
