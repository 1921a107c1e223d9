// Node health, zone states and taint helpers without a server.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node } from "kubernetes-types/core/v1.js";
import { assessNodeHealth, computeZoneState, microsOf } from "./health.ts";
import { conditionTaintDiff, matchingTolerations, swapTaints } from "./taints.ts";
import { evictionTime } from "./taint-eviction.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const opts = { gracePeriodMs: 40_000, startupGracePeriodMs: 60_000 };

function node(ready?: { status: string; heartbeat: string; transition?: string }): Node {
  const c = (type: string, status: string) => ({ type, status, lastHeartbeatTime: ready!.heartbeat, lastTransitionTime: ready!.transition ?? "2026-01-01T00:00:00Z" });
  return {
    metadata: { name: "n", creationTimestamp: "2026-01-01T00:00:00Z" },
    status: ready ? { conditions: [c("MemoryPressure", "False"), c("DiskPressure", "False"), c("PIDPressure", "False"), c("Ready", ready.status)] } : {},
  };
}
const lease = (renewTime: string): Lease => ({ metadata: { name: "n", namespace: "kube-node-lease" }, spec: { renewTime } });

it("a node whose heartbeat and Lease stop for the grace period becomes Unknown", () => {
  const n = node({ status: "True", heartbeat: "2026-01-01T00:00:00Z" });
  let r = assessNodeHealth(n, undefined, lease("2026-01-01T00:00:00.000000Z"), T0, opts);
  assert.equal(r.update, undefined);
  r = assessNodeHealth(n, r.health, lease("2026-01-01T00:00:00.000000Z"), T0 + 40_000, opts);
  assert.equal(r.update, undefined, "exactly the grace period is still fine");
  r = assessNodeHealth(n, r.health, lease("2026-01-01T00:00:00.000000Z"), T0 + 40_001, opts);
  assert.equal(r.observedReady.status, "True");
  assert.deepEqual(r.update?.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message, c.lastTransitionTime]), [
    ["MemoryPressure", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", "2026-01-01T00:00:40Z"],
    ["DiskPressure", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", "2026-01-01T00:00:40Z"],
    ["PIDPressure", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", "2026-01-01T00:00:40Z"],
    ["Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", "2026-01-01T00:00:40Z"],
  ]);
  assert.equal(r.update?.status?.conditions?.[3]?.lastHeartbeatTime, "2026-01-01T00:00:00Z", "heartbeat untouched");
});

it("a renewed Lease alone keeps the node alive (the status need not change)", () => {
  const n = node({ status: "True", heartbeat: "2026-01-01T00:00:00Z" });
  let r = assessNodeHealth(n, undefined, lease("2026-01-01T00:00:00.000000Z"), T0, opts);
  r = assessNodeHealth(n, r.health, lease("2026-01-01T00:00:30.000000Z"), T0 + 30_000, opts);
  r = assessNodeHealth(n, r.health, lease("2026-01-01T00:00:30.000000Z"), T0 + 60_000, opts);
  assert.equal(r.update, undefined);
  assert.equal(r.health.probeTimestamp, T0 + 30_000);
});

it("a node that never posted status gets the startup grace period, then NodeStatusNeverUpdated", () => {
  const n = node();
  assert.equal(assessNodeHealth(n, undefined, undefined, T0 + 60_000, opts).update, undefined);
  const r = assessNodeHealth(n, undefined, undefined, T0 + 60_001, opts);
  assert.deepEqual(r.update?.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message, c.lastHeartbeatTime]), [
    ["Ready", "Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.", "2026-01-01T00:00:00Z"],
    ["MemoryPressure", "Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.", "2026-01-01T00:00:00Z"],
    ["DiskPressure", "Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.", "2026-01-01T00:00:00Z"],
    ["PIDPressure", "Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.", "2026-01-01T00:00:00Z"],
  ]);
});

it("an already Unknown node is not written again", () => {
  const n = node({ status: "Unknown", heartbeat: "2026-01-01T00:00:00Z" });
  for (const c of n.status!.conditions!) c.status = "Unknown";
  const r = assessNodeHealth(n, { probeTimestamp: T0, readyTransitionTimestamp: T0, ready: { lastHeartbeatTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z" } }, undefined, T0 + 100_000, opts);
  assert.equal(r.update, undefined);
});

it("zone states: full disruption with no ready node; partial with more than 2 and at least 55% not ready", () => {
  assert.equal(computeZoneState(["Unknown"], 0.55).state, "FullDisruption");
  assert.equal(computeZoneState(["True", "Unknown"], 0.55).state, "Normal");
  assert.equal(computeZoneState(["True", "Unknown", "False", "Unknown"], 0.55).state, "PartialDisruption");
  assert.equal(computeZoneState(["True", "True", "Unknown", "False", "Unknown"], 0.55).state, "PartialDisruption");
  assert.equal(computeZoneState(["True", "True", "True", "False", "Unknown", "Unknown"], 0.55).state, "Normal");
});

it("condition taints follow the conditions and spec.unschedulable; others are left alone", () => {
  const n = node({ status: "False", heartbeat: "2026-01-01T00:00:00Z" });
  n.status!.conditions![0]!.status = "True";
  n.spec = { unschedulable: true, taints: [{ key: "node.kubernetes.io/disk-pressure", effect: "NoSchedule" }, { key: "custom", effect: "NoSchedule" }] };
  const { add, remove } = conditionTaintDiff(n);
  assert.deepEqual(add.map((t) => t.key), ["node.kubernetes.io/memory-pressure", "node.kubernetes.io/not-ready", "node.kubernetes.io/unschedulable"]);
  assert.deepEqual(remove.map((t) => t.key), ["node.kubernetes.io/disk-pressure"]);
  const swapped = swapTaints(n.spec.taints, add, remove, "2026-01-01T00:01:00Z");
  assert.deepEqual(swapped.map((t) => [t.key, t.timeAdded]), [["custom", undefined], ["node.kubernetes.io/memory-pressure", "2026-01-01T00:01:00Z"], ["node.kubernetes.io/not-ready", "2026-01-01T00:01:00Z"], ["node.kubernetes.io/unschedulable", "2026-01-01T00:01:00Z"]]);
});

it("tolerations: every taint needs one; the earliest toleration deadline wins; no seconds = forever", () => {
  const taints = [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "2026-01-01T00:00:00Z" }, { key: "x", effect: "NoExecute", timeAdded: "2026-01-01T00:00:10Z" }];
  assert.equal(matchingTolerations(taints, [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" }]).allTolerated, false);
  const m = matchingTolerations(taints, [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }, { operator: "Exists", tolerationSeconds: 5 }]);
  assert.equal(m.allTolerated, true);
  const start = (t: { timeAdded?: string }) => Date.parse(t.timeAdded!);
  assert.equal(evictionTime(m.used, start), T0 + 15_000);
  assert.equal(evictionTime(matchingTolerations(taints, [{ operator: "Exists" }]).used, start), Infinity);
  assert.equal(evictionTime(matchingTolerations(taints, [{ operator: "Exists", tolerationSeconds: -3 }]).used, start), T0, "negative counts as zero");
  assert.equal(microsOf("2026-01-01T00:00:00.000123Z") - microsOf("2026-01-01T00:00:00Z"), 123);
});
