// Unit tests: status calculation, Progressing/Available conditions, deadlines, paused.
import { it } from "node:test";
import assert from "node:assert/strict";
import {
  calculateStatus, deploymentTimedOut, getCondition, newCondition, pausedCondition, rolloutStatus, setCondition, stuckRequeueAfter,
} from "./progress.ts";
import type { DeploymentStatus } from "kubernetes-types/apps/v1.js";
import { deployment, replicaSet } from "./testdata.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");

it("calculateStatus counts replicas over all ReplicaSets and sets Available", () => {
  const d = deployment({ replicas: 4, generation: 7 });
  const fresh = replicaSet("new", { replicas: 3, available: 1, actual: 2 });
  const old = replicaSet("old", { replicas: 2, available: 2 });
  const s = calculateStatus(d, [old, fresh], fresh, T0);
  assert.deepEqual({ ...s, conditions: undefined }, {
    observedGeneration: 7, replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 2, conditions: undefined,
  });
  // 4 desired − maxUnavailable 1 = 3 available needed.
  assert.equal(getCondition(s, "Available")?.reason, "MinimumReplicasAvailable");
  const s2 = calculateStatus(d, [replicaSet("new", { replicas: 4, available: 2 })], undefined, T0);
  assert.equal(getCondition(s2, "Available")?.status, "False");
  assert.equal(getCondition(s2, "Available")?.reason, "MinimumReplicasUnavailable");
});

it("setCondition: same status and reason change nothing; same status keeps the transition time", () => {
  const s: DeploymentStatus = {};
  setCondition(s, newCondition("Progressing", "True", "A", "a", T0));
  setCondition(s, newCondition("Progressing", "True", "A", "again", T0 + 5000));
  assert.equal(getCondition(s, "Progressing")?.message, "a");
  setCondition(s, newCondition("Progressing", "True", "B", "b", T0 + 9000));
  assert.equal(getCondition(s, "Progressing")?.reason, "B");
  assert.equal(getCondition(s, "Progressing")?.lastTransitionTime, "2026-01-01T00:00:00Z");
  assert.equal(getCondition(s, "Progressing")?.lastUpdateTime, "2026-01-01T00:00:09Z");
  assert.equal(s.conditions?.length, 1);
});

it("rolloutStatus: progressing, complete, and timed out", () => {
  const d = deployment({ replicas: 2 });
  d.status = { replicas: 2, updatedReplicas: 0, availableReplicas: 2, conditions: [newCondition("Progressing", "True", "NewReplicaSetCreated", "", T0)] };
  const fresh = replicaSet("new", { replicas: 1, available: 0 });
  const progressing = rolloutStatus(d, [replicaSet("old", { replicas: 2 }), fresh], fresh, T0 + 1000);
  assert.equal(getCondition(progressing, "Progressing")?.reason, "ReplicaSetUpdated");
  assert.equal(getCondition(progressing, "Progressing")?.message, `ReplicaSet "new" is progressing.`);

  const done = replicaSet("new", { replicas: 2 });
  const complete = rolloutStatus(d, [replicaSet("old", { replicas: 0, actual: 0 }), done], done, T0 + 2000);
  assert.equal(getCondition(complete, "Progressing")?.reason, "NewReplicaSetAvailable");
  assert.equal(getCondition(complete, "Progressing")?.status, "True");

  // No change in the counts and the deadline (600 s) passed.
  d.status = { ...progressing };
  const stuck = rolloutStatus(d, [replicaSet("old", { replicas: 2 }), fresh], fresh, T0 + 700_000);
  assert.equal(getCondition(stuck, "Progressing")?.status, "False");
  assert.equal(getCondition(stuck, "Progressing")?.reason, "ProgressDeadlineExceeded");
  assert.ok(!deploymentTimedOut(d, T0 + 500_000));
  assert.ok(deploymentTimedOut(d, T0 + 700_000));
});

it("stuckRequeueAfter: re-check a second after the deadline", () => {
  const d = deployment({ replicas: 2 });
  d.status = { conditions: [newCondition("Progressing", "True", "ReplicaSetUpdated", "", T0)] };
  assert.equal(stuckRequeueAfter(d, { replicas: 1 }, T0 + 100_000), 501_000);
  assert.equal(stuckRequeueAfter(d, { replicas: 1 }, T0 + 600_000), 0);
  assert.equal(stuckRequeueAfter(d, { replicas: 2, updatedReplicas: 2, availableReplicas: 2, observedGeneration: 1 }, T0), undefined, "complete");
});

it("paused and resumed deployments get an Unknown Progressing condition", () => {
  const d = deployment();
  d.spec!.paused = true;
  const s: DeploymentStatus = {};
  assert.ok(pausedCondition(d, s, T0));
  assert.deepEqual([getCondition(s, "Progressing")?.status, getCondition(s, "Progressing")?.reason], ["Unknown", "DeploymentPaused"]);
  assert.ok(!pausedCondition(d, s, T0), "already paused");
  d.spec!.paused = false;
  assert.ok(pausedCondition(d, s, T0));
  assert.equal(getCondition(s, "Progressing")?.reason, "DeploymentResumed");
});
