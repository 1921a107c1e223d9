// Unit tests: scaling events, proportional scaling, and revisionHistoryLimit clean-up.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import { cleanupCandidates, findActiveOrLatest, isScalingEvent, scaleSteps } from "./sync.ts";
import { deployment, replicaSet } from "./testdata.ts";

const sizes = (steps: { rs: ReplicaSet; replicas: number }[]) => Object.fromEntries(steps.map((s) => [s.rs.metadata!.name, s.replicas]));

it("isScalingEvent: an active ReplicaSet annotated for another size", () => {
  const d = deployment({ replicas: 5 });
  assert.ok(isScalingEvent(d, [replicaSet("a", { replicas: 3, desired: 3 })]));
  assert.ok(!isScalingEvent(d, [replicaSet("a", { replicas: 3, desired: 5 })]));
  assert.ok(!isScalingEvent(d, [replicaSet("a", { replicas: 0, desired: 3 })]), "inactive ones do not count");
  assert.ok(!isScalingEvent(d, [replicaSet("a", { replicas: 3 })]), "unannotated ones do not count");
});

it("one active ReplicaSet takes the new size", () => {
  const d = deployment({ replicas: 5 });
  const a = replicaSet("a", { replicas: 3, desired: 3 });
  assert.equal(findActiveOrLatest(a, [replicaSet("b", { replicas: 0 })]), a);
  assert.deepEqual(sizes(scaleSteps(d, a, [replicaSet("b", { replicas: 0 })])), { a: 5 });
});

it("during a rollout a resize is spread in proportion (leftovers to the largest)", () => {
  // 10 replicas, surge 3 → 13 allowed; now 20, surge 5 → 25 allowed: 12 more.
  const d = deployment({ replicas: 20 });
  d.status = { replicas: 13 };
  const old = replicaSet("old", { replicas: 8, max: 13, created: "2026-01-01T00:00:00Z" });
  const fresh = replicaSet("new", { replicas: 5, max: 13, created: "2026-01-02T00:00:00Z" });
  assert.deepEqual(sizes(scaleSteps(d, fresh, [old])), { old: 15, new: 10 });
  // and back down to 10 (allowed 13): −12, taken from the largest first.
  const d2 = deployment({ replicas: 10 });
  const old2 = replicaSet("old", { replicas: 15, max: 25, created: "2026-01-01T00:00:00Z" });
  const new2 = replicaSet("new", { replicas: 10, max: 25, created: "2026-01-02T00:00:00Z" });
  const down = sizes(scaleSteps(d2, new2, [old2]));
  assert.equal(down.old + down.new, 13);
  assert.deepEqual(down, { old: 8, new: 5 });
});

it("a saturated new ReplicaSet scales the old ones to 0", () => {
  const d = deployment({ replicas: 3 });
  const fresh = replicaSet("new", { replicas: 3, desired: 3 });
  assert.deepEqual(sizes(scaleSteps(d, fresh, [replicaSet("old", { replicas: 1 })])), { old: 0 });
});

it("cleanup deletes the lowest revisions beyond the limit, never ones with pods", () => {
  const d = deployment();
  d.spec!.revisionHistoryLimit = 1;
  const olds = [
    replicaSet("r3", { replicas: 0, revision: 3 }),
    replicaSet("r1", { replicas: 0, revision: 1 }),
    replicaSet("r2", { replicas: 0, actual: 1, revision: 2 }),
  ];
  assert.deepEqual(cleanupCandidates(d, olds).map((rs) => rs.metadata!.name), ["r1"]);
  d.spec!.revisionHistoryLimit = 3;
  assert.deepEqual(cleanupCandidates(d, olds), []);
});
