// calculateStatus without a server: counts, template labels, readiness, minReadySeconds, generation.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import { calculateStatus, statusChanged } from "./status.ts";

const NOW = Date.parse("2026-01-01T00:01:00Z");

function rs(minReadySeconds = 0): ReplicaSet {
  return {
    metadata: { name: "web", namespace: "default", generation: 3 },
    spec: { replicas: 3, minReadySeconds, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web", tier: "fe" } } } },
  };
}

function pod(name: string, o: { labels?: Record<string, string>; readySince?: string; phase?: string; deleting?: boolean } = {}): Pod {
  return {
    metadata: { name, labels: o.labels ?? { app: "web", tier: "fe" }, ...(o.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    status: {
      phase: o.phase ?? "Running",
      conditions: o.readySince ? [{ type: "Ready", status: "True", lastTransitionTime: o.readySince }] : [{ type: "Ready", status: "False" }],
    },
  };
}

it("counts replicas, fully labeled, ready and available pods", () => {
  const pods = [
    pod("a", { readySince: "2026-01-01T00:00:00Z" }),
    pod("b", { labels: { app: "web" }, readySince: "2026-01-01T00:00:00Z" }),
    pod("c"),
  ];
  assert.deepEqual(calculateStatus(rs(), pods, { now: NOW }), { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 3 });
});

it("ignores terminating and finished pods", () => {
  const pods = [pod("a", { deleting: true, readySince: "2026-01-01T00:00:00Z" }), pod("b", { phase: "Succeeded" }), pod("c", { phase: "Failed" }), pod("d")];
  const s = calculateStatus(rs(), pods, { now: NOW });
  assert.equal(s.replicas, 1);
  assert.equal(s.readyReplicas, 0);
});

it("honours minReadySeconds for availability", () => {
  const pods = [pod("old", { readySince: "2026-01-01T00:00:00Z" }), pod("new", { readySince: "2026-01-01T00:00:50Z" })];
  const s = calculateStatus(rs(30), pods, { now: NOW });
  assert.equal(s.readyReplicas, 2);
  assert.equal(s.availableReplicas, 1);
  assert.equal(calculateStatus(rs(30), pods, { now: NOW + 30_000 }).availableReplicas, 2);
});

it("reports a ReplicaFailure condition and keeps its first transition time", () => {
  const failed = calculateStatus(rs(), [], { now: NOW, manageReplicasError: { reason: "FailedCreate", message: "quota" } });
  assert.equal(failed.conditions?.[0]?.type, "ReplicaFailure");
  assert.equal(failed.conditions?.[0]?.reason, "FailedCreate");
  const again = calculateStatus({ ...rs(), status: failed }, [], { now: NOW + 5000, manageReplicasError: { reason: "FailedCreate", message: "quota" } });
  assert.deepEqual(again.conditions, failed.conditions);
  assert.equal(calculateStatus({ ...rs(), status: failed }, [], { now: NOW }).conditions, undefined);
});

it("statusChanged sees only real differences", () => {
  const s = calculateStatus(rs(), [pod("a")], { now: NOW });
  assert.equal(statusChanged(structuredClone(s), s), false);
  assert.equal(statusChanged({ ...s, readyReplicas: 1 }, s), true);
  assert.equal(statusChanged({ ...s, observedGeneration: 2 }, s), true);
  assert.equal(statusChanged(undefined, s), true);
});
