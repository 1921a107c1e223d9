// Unit tests: the rolling-update step (pure), whole simulated rollouts within their bounds, Recreate.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import { newRSNewReplicas, reconcileOldReplicaSets, rollingStep } from "./rolling.ts";
import { recreateStep } from "./recreate.ts";
import { deployment, replicaSet } from "./testdata.ts";

const sizes = (steps: { rs: ReplicaSet; replicas: number }[]) => steps.map((s) => [s.rs.metadata!.name, s.replicas]);

/** Applies steps; the simulated pods become available at once unless `lag` says otherwise. */
function apply(rss: ReplicaSet[], steps: { rs: ReplicaSet; replicas: number }[]): ReplicaSet[] {
  return rss.map((rs) => {
    const s = steps.find((x) => x.rs.metadata!.name === rs.metadata!.name);
    const n = s ? s.replicas : rs.spec!.replicas!;
    return { ...rs, spec: { ...rs.spec!, replicas: n }, status: { replicas: n, availableReplicas: n, readyReplicas: n } };
  });
}

it("newRSNewReplicas: room under maxSurge, at most the desired count", () => {
  const d = deployment({ replicas: 5 }); // surge 2
  const old = replicaSet("old", { replicas: 5 });
  assert.equal(newRSNewReplicas(d, [old, replicaSet("new", { replicas: 0 })], replicaSet("new", { replicas: 0 })), 2);
  assert.equal(newRSNewReplicas(d, [replicaSet("old", { replicas: 4 }), replicaSet("new", { replicas: 2 })], replicaSet("new", { replicas: 2 })), 3);
  assert.equal(newRSNewReplicas(d, [replicaSet("new", { replicas: 0 })], replicaSet("new", { replicas: 0 })), 5);
  assert.equal(newRSNewReplicas(deployment({ recreate: true, replicas: 4 }), [old], replicaSet("new", { replicas: 0 })), 4);
});

it("the first steps of 5 replicas at 25%/25%: surge to 2 new, then one old down", () => {
  const d = deployment({ replicas: 5 });
  const old = replicaSet("old", { replicas: 5 });
  const fresh = replicaSet("new", { replicas: 0, image: "img:2" });
  assert.deepEqual(sizes(rollingStep(d, fresh, [old])), [["new", 2]]);
  const unavailableNew = replicaSet("new", { replicas: 2, available: 0, image: "img:2" });
  // 7 pods, min available 4, 2 new unavailable: one old pod may go.
  assert.deepEqual(sizes(rollingStep(d, unavailableNew, [old])), [["old", 4]]);
});

it("a whole rolling update keeps within maxSurge and maxUnavailable and converges", () => {
  for (const [maxSurge, maxUnavailable] of [["25%", "25%"], [0, 1], [1, 0], ["50%", "0%"], [3, 2]] as const) {
    const d = deployment({ replicas: 5, maxSurge, maxUnavailable });
    let rss = [replicaSet("old", { replicas: 5 }), replicaSet("new", { replicas: 0, image: "img:2" })];
    for (let i = 0; i < 50; i++) {
      const steps = rollingStep(d, rss[1], [rss[0]]);
      if (steps.length === 0) break;
      rss = apply(rss, steps);
      const total = rss[0].spec!.replicas! + rss[1].spec!.replicas!;
      assert.ok(total <= 5 + (maxSurge === "25%" ? 2 : maxSurge === "50%" ? 3 : maxSurge), `surge bound (${maxSurge}/${maxUnavailable})`);
      const unavailable = maxUnavailable === "25%" ? 1 : maxUnavailable === "0%" ? 0 : maxUnavailable;
      const available = rss.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
      assert.ok(available >= 5 - unavailable, `availability bound (${maxSurge}/${maxUnavailable})`);
    }
    assert.deepEqual(rss.map((rs) => rs.spec!.replicas), [0, 5], `converged (${maxSurge}/${maxUnavailable})`);
  }
});

it("with maxSurge 0 the old ReplicaSet goes down first", () => {
  const d = deployment({ replicas: 5, maxSurge: 0, maxUnavailable: 1 });
  assert.deepEqual(sizes(rollingStep(d, replicaSet("new", { replicas: 0 }), [replicaSet("old", { replicas: 5 })])), [["old", 4]]);
});

it("unhealthy old replicas are scaled down before healthy ones", () => {
  const d = deployment({ replicas: 5, maxSurge: 0, maxUnavailable: 2 });
  const olds = [
    replicaSet("a", { replicas: 2, available: 2, created: "2026-01-01T00:00:00Z" }),
    replicaSet("b", { replicas: 3, available: 1, created: "2026-01-02T00:00:00Z" }),
  ];
  // 5 pods, min available 3, nothing new unavailable: 2 may go, both b's unavailable ones.
  assert.deepEqual(sizes(reconcileOldReplicaSets(d, olds, replicaSet("new", { replicas: 0 }))), [["b", 1]]);
});

it("a new ReplicaSet bigger than desired is scaled down to it", () => {
  const d = deployment({ replicas: 3 });
  assert.deepEqual(sizes(rollingStep(d, replicaSet("new", { replicas: 5 }), [])), [["new", 3]]);
});

it("Recreate: scale old to 0, wait for their pods, then scale the new one up", () => {
  const d = deployment({ replicas: 3, recreate: true });
  const step1 = recreateStep(d, [replicaSet("old", { replicas: 3 })]);
  assert.equal(step1.kind, "scaleDownOld");
  assert.deepEqual(step1.kind === "scaleDownOld" && sizes(step1.steps), [["old", 0]]);
  assert.equal(recreateStep(d, [replicaSet("old", { replicas: 0, actual: 2 })]).kind, "waitForOldPods");
  assert.deepEqual(recreateStep(d, [replicaSet("old", { replicas: 0, actual: 0 })]), { kind: "scaleUpNew", replicas: 3 });
});
