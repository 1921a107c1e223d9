// Unit tests: revision annotations on new and rolled-back-to ReplicaSets.
import { it } from "node:test";
import assert from "node:assert/strict";
import { appendHistory, maxRevision, setDeploymentRevision, setNewReplicaSetAnnotations } from "./rollback.ts";
import { deployment, replicaSet } from "./testdata.ts";

it("a new ReplicaSet gets the revision, replicas annotations and the deployment's change-cause", () => {
  const d = deployment({ replicas: 4 });
  d.metadata!.annotations = { "kubernetes.io/change-cause": "v2", "kubectl.kubernetes.io/last-applied-configuration": "{}", "deployment.kubernetes.io/revision": "1" };
  const rs = replicaSet("n", { replicas: 0 });
  assert.ok(setNewReplicaSetAnnotations(d, rs, 2, false));
  assert.deepEqual(rs.metadata?.annotations, {
    "kubernetes.io/change-cause": "v2",
    "deployment.kubernetes.io/revision": "2",
    "deployment.kubernetes.io/desired-replicas": "4",
    "deployment.kubernetes.io/max-replicas": "5",
  });
  assert.ok(!setNewReplicaSetAnnotations(d, rs, 2, true), "nothing more to change");
});

it("rolling back to an old ReplicaSet bumps its revision and records the old one", () => {
  const d = deployment();
  const rs = replicaSet("old", { replicas: 0, revision: 1 });
  assert.ok(setNewReplicaSetAnnotations(d, rs, 3, true));
  assert.equal(rs.metadata?.annotations?.["deployment.kubernetes.io/revision"], "3");
  assert.equal(rs.metadata?.annotations?.["deployment.kubernetes.io/revision-history"], "1");
  assert.ok(setNewReplicaSetAnnotations(d, rs, 5, true));
  assert.equal(rs.metadata?.annotations?.["deployment.kubernetes.io/revision-history"], "1,3");
  assert.ok(!setNewReplicaSetAnnotations(d, rs, 4, true), "a lower revision changes nothing");
});

it("revision history drops the oldest entries past the length limit", () => {
  assert.equal(appendHistory("", "4"), "4");
  assert.equal(appendHistory("1,2", "3", 4), "2,3");
  assert.equal(appendHistory("1,2", "3", 5), "1,2,3");
  assert.equal(appendHistory("1,2", "3"), "1,2,3");
});

it("maxRevision and setDeploymentRevision", () => {
  assert.equal(maxRevision([replicaSet("a", { replicas: 0, revision: 2 }), replicaSet("b", { replicas: 0, revision: 7 }), replicaSet("c", { replicas: 0 })]), 7);
  assert.equal(maxRevision([]), 0);
  const d = deployment();
  assert.ok(setDeploymentRevision(d, "3"));
  assert.ok(!setDeploymentRevision(d, "3"));
});
