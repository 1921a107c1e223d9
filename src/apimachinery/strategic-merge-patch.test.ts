// Strategic merge patch: the kubectl patch docs examples, directives, kubectl-apply shapes, errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyStrategicMergePatch, builtinPatchMeta, emptyPatchMeta } from "./patch.ts";
import { assertStatus } from "../testing/status.ts";


const deploymentMeta = builtinPatchMeta("Deployment");
const podMeta = builtinPatchMeta("Pod");
const withPodSpec = (spec: object) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "patch-demo" }, spec: { replicas: 2, template: { spec } } });
const podSpecOf = (d: object) => (d as { spec: { template: { spec: Record<string, unknown> } } }).spec.template.spec;

// ---- the examples of "Update API Objects in Place Using kubectl patch" ----

test("docs: containers merge by name; the patch's new container comes first, as kubectl shows", () => {
  const live = withPodSpec({
    containers: [{ name: "patch-demo-ctr", image: "nginx" }],
    tolerations: [{ effect: "NoSchedule", key: "dedicated", value: "test-team" }],
  });
  const patch = { spec: { template: { spec: { containers: [{ name: "patch-demo-ctr-2", image: "redis" }] } } } };
  const out = applyStrategicMergePatch(live, patch, deploymentMeta);
  assert.deepEqual(podSpecOf(out).containers, [{ name: "patch-demo-ctr-2", image: "redis" }, { name: "patch-demo-ctr", image: "nginx" }]);
  assert.deepEqual(podSpecOf(out).tolerations, [{ effect: "NoSchedule", key: "dedicated", value: "test-team" }]);
  assert.equal((out as { spec: { replicas: number } }).spec.replicas, 2);
});

test("docs: tolerations have no patch strategy, so the list is replaced", () => {
  const live = withPodSpec({ containers: [{ name: "c", image: "nginx" }], tolerations: [{ effect: "NoSchedule", key: "dedicated", value: "test-team" }] });
  const patch = { spec: { template: { spec: { tolerations: [{ effect: "NoSchedule", key: "disktype", value: "ssd" }] } } } };
  assert.deepEqual(podSpecOf(applyStrategicMergePatch(live, patch, deploymentMeta)).tolerations, [{ effect: "NoSchedule", key: "disktype", value: "ssd" }]);
});

test("docs: $retainKeys clears the keys not listed (strategy type Recreate drops rollingUpdate)", () => {
  const live = { spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "30%" } }, replicas: 1 } };
  const without = applyStrategicMergePatch(live, { spec: { strategy: { type: "Recreate" } } }, deploymentMeta);
  assert.deepEqual(without.spec, { strategy: { type: "Recreate", rollingUpdate: { maxSurge: "30%" } }, replicas: 1 });
  const withRetain = applyStrategicMergePatch(live, { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } }, deploymentMeta);
  assert.deepEqual(withRetain.spec, { strategy: { type: "Recreate" }, replicas: 1 });
});

test("$retainKeys must list every key the patch sets", () => {
  const live = { spec: { strategy: { type: "RollingUpdate" } } };
  assertStatus(() => applyStrategicMergePatch(live, { spec: { strategy: { $retainKeys: ["type"], rollingUpdate: {} } } }, deploymentMeta), 400, "BadRequest", "invalid patch format of retainKeys");
  assertStatus(() => applyStrategicMergePatch(live, { spec: { strategy: { $retainKeys: "type" } } }, deploymentMeta), 400, "BadRequest", "invalid patch format of retainKeys");
});

test("$patch: replace in a merging list replaces the whole list", () => {
  const live = withPodSpec({ containers: [{ name: "nginx", image: "nginx" }, { name: "log", image: "fluentd" }] });
  const patch = { spec: { template: { spec: { containers: [{ name: "nginx", image: "nginx-1.0" }, { $patch: "replace" }] } } } };
  assert.deepEqual(podSpecOf(applyStrategicMergePatch(live, patch, deploymentMeta)).containers, [{ name: "nginx", image: "nginx-1.0" }]);
});

test("$patch: delete removes list items by merge key", () => {
  const live = withPodSpec({ containers: [{ name: "a", image: "1" }, { name: "b", image: "2" }, { name: "c", image: "3" }] });
  const patch = { spec: { template: { spec: { containers: [{ name: "b", $patch: "delete" }, { name: "c", image: "4" }] } } } };
  assert.deepEqual(podSpecOf(applyStrategicMergePatch(live, patch, deploymentMeta)).containers, [{ name: "a", image: "1" }, { name: "c", image: "4" }]);
  assertStatus(() => applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ $patch: "delete" }] } } } }, deploymentMeta), 400, "BadRequest", "map: map[$patch:delete] does not contain declared merge key: name");
});

test("$patch directives in maps: replace, delete; merge is refused as Kubernetes does", () => {
  const live = { metadata: { labels: { a: "1", b: "2" }, annotations: { x: "y" } }, spec: { nodeSelector: { disk: "ssd" } } };
  const replaced = applyStrategicMergePatch(live, { metadata: { labels: { $patch: "replace", c: "3" } } }, podMeta);
  assert.deepEqual(replaced.metadata, { labels: { c: "3" }, annotations: { x: "y" } });
  const deleted = applyStrategicMergePatch(live, { spec: { nodeSelector: { $patch: "delete" } }, metadata: { other: { $patch: "delete" } } }, podMeta);
  assert.deepEqual(deleted.spec, { nodeSelector: {} });
  assert.deepEqual(deleted.metadata, live.metadata);
  assert.deepEqual(applyStrategicMergePatch(live, { $patch: "replace", kind: "X" }, podMeta), { kind: "X" });
  assertStatus(() => applyStrategicMergePatch(live, { metadata: { labels: { $patch: "merge" } } }, podMeta), 400, "BadRequest", "unknown patch type: merge in map: map[$patch:merge]");
  const withList = withPodSpec({ containers: [{ name: "a" }] });
  assertStatus(() => applyStrategicMergePatch(withList, { spec: { template: { spec: { containers: [{ $patch: "merge" }] } } } }, deploymentMeta), 400, "BadRequest", "merging lists cannot yet be specified in the patch");
  assertStatus(() => applyStrategicMergePatch(withList, { spec: { template: { spec: { containers: [{ name: "a", $patch: "bogus" }] } } } }, deploymentMeta), 400, "BadRequest", "unknown patch type: bogus in map: map[$patch:bogus name:a]");
});

test("null deletes a field; nulls for absent fields and inside new values are dropped", () => {
  const live = { metadata: { labels: { a: "1", b: "2" } }, spec: { x: 1 } };
  const out = applyStrategicMergePatch(live, { metadata: { labels: { a: null, z: null } }, spec: { x: null, y: { k: null, v: 1 } } }, podMeta);
  assert.deepEqual(out, { metadata: { labels: { b: "2" } }, spec: { y: { v: 1 } } });
});

test("primitive lists with merge strategy are unions; $deleteFromPrimitiveList removes", () => {
  const live = { metadata: { name: "x", finalizers: ["a", "b"] } };
  assert.deepEqual(applyStrategicMergePatch(live, { metadata: { finalizers: ["c", "a"] } }, podMeta).metadata, { name: "x", finalizers: ["c", "a", "b"] });
  assert.deepEqual(applyStrategicMergePatch(live, { metadata: { "$deleteFromPrimitiveList/finalizers": ["b"] } }, podMeta).metadata, { name: "x", finalizers: ["a"] });
  assert.deepEqual(applyStrategicMergePatch({ metadata: {} }, { metadata: { "$deleteFromPrimitiveList/finalizers": ["b"] } }, podMeta).metadata, {});
  assertStatus(() => applyStrategicMergePatch(live, { metadata: { $deleteFromPrimitiveList: ["b"] } }, podMeta), 400, "BadRequest", "invalid patch format of primitive list");
});

test("kubectl apply: $setElementOrder orders the merged list", () => {
  const live = withPodSpec({
    containers: [
      { name: "a", image: "a1", env: [{ name: "X", value: "1" }, { name: "Y", value: "2" }] },
      { name: "b", image: "b1" },
      { name: "c", image: "c1" },
    ],
  });
  const patch = {
    metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...}" } },
    spec: { template: { spec: {
      "$setElementOrder/containers": [{ name: "c" }, { name: "a" }, { name: "b" }],
      containers: [{ name: "a", image: "a2", "$setElementOrder/env": [{ name: "Y" }, { name: "Z" }, { name: "X" }], env: [{ name: "Z", value: "3" }] }],
    } } },
  };
  const out = applyStrategicMergePatch(live, patch, deploymentMeta);
  assert.deepEqual(podSpecOf(out).containers, [
    { name: "c", image: "c1" },
    { name: "a", image: "a2", env: [{ name: "Y", value: "2" }, { name: "Z", value: "3" }, { name: "X", value: "1" }] },
    { name: "b", image: "b1" },
  ]);
  assert.deepEqual((out as { metadata: object }).metadata, { name: "patch-demo", annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...}" } });
});

test("kubectl apply: removing a container from the config", () => {
  const live = withPodSpec({ containers: [{ name: "a", image: "1" }, { name: "b", image: "2" }] });
  const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "a" }], containers: [{ $patch: "delete", name: "b" }] } } } };
  assert.deepEqual(podSpecOf(applyStrategicMergePatch(live, patch, deploymentMeta)).containers, [{ name: "a", image: "1" }]);
  // and adding a list the live object does not have yet
  const fresh = applyStrategicMergePatch(withPodSpec({}), { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "n" }], containers: [{ name: "n", image: "x" }] } } } }, deploymentMeta);
  assert.deepEqual(podSpecOf(fresh).containers, [{ name: "n", image: "x" }]);
  // only reordering
  const reordered = applyStrategicMergePatch(live, { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "b" }, { name: "a" }] } } } }, deploymentMeta);
  assert.deepEqual(podSpecOf(reordered).containers, [{ name: "b", image: "2" }, { name: "a", image: "1" }]);
});

test("kubectl apply: delete + add next to server-only items lands where a real API server puts it", () => {
  // live y and z were not in the last applied config of z; the patch deletes x and adds w.
  const live = withPodSpec({ containers: [{ name: "x" }, { name: "y", image: "1" }, { name: "z", image: "server-only" }] });
  const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "y" }, { name: "w" }], containers: [{ name: "w", image: "2" }, { name: "x", $patch: "delete" }] } } } };
  // Kubernetes sorts by the live list as mutated in place ([y, z, w]), so z stays before w.
  const names = (podSpecOf(applyStrategicMergePatch(live, patch, deploymentMeta)).containers as Array<{ name: string }>).map((c) => c.name);
  assert.deepEqual(names, ["y", "z", "w"]);
});

test("kubectl apply: $setElementOrder and $deleteFromPrimitiveList on a primitive list", () => {
  const live = { metadata: { finalizers: ["a/x", "a/y", "a/z"] } };
  const patch = { metadata: { "$setElementOrder/finalizers": ["a/z", "a/x"], "$deleteFromPrimitiveList/finalizers": ["a/y"] } };
  assert.deepEqual(applyStrategicMergePatch(live, patch, podMeta).metadata, { finalizers: ["a/z", "a/x"] });
});

test("$setElementOrder must agree with the patch list", () => {
  const live = withPodSpec({ containers: [{ name: "a" }, { name: "b" }] });
  const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "a" }], containers: [{ name: "b", image: "x" }] } } } };
  assertStatus(() => applyStrategicMergePatch(live, patch, deploymentMeta), 400, "BadRequest", /^The order in patch list:\n\[map\[image:x name:b\]\]\n doesn't match \$setElementOrder list:\n\[map\[name:a\]\]\n$/);
  assertStatus(() => applyStrategicMergePatch(live, { spec: { template: { spec: { "$setElementOrder/containers": "a" } } } }, deploymentMeta), 400, "BadRequest", "expected a []interface {}, but received a string");
});

test("volumes: merge by name, $retainKeys inside an item switches the volume source", () => {
  const live = withPodSpec({ volumes: [{ name: "data", emptyDir: {} }, { name: "cfg", configMap: { name: "a" } }] });
  const patch = { spec: { template: { spec: {
    "$setElementOrder/volumes": [{ name: "data" }, { name: "cfg" }],
    volumes: [{ $retainKeys: ["configMap", "name"], name: "data", configMap: { name: "b" } }],
  } } } };
  assert.deepEqual(podSpecOf(applyStrategicMergePatch(live, patch, deploymentMeta)).volumes, [{ name: "data", configMap: { name: "b" } }, { name: "cfg", configMap: { name: "a" } }]);
});

test("other kinds: Service ports by port, Node taints replaced, ownerReferences by uid, status conditions by type", () => {
  const svc = { spec: { ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }, { port: 443, targetPort: 8443 }] } };
  assert.deepEqual(applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, builtinPatchMeta("Service")).spec, {
    ports: [{ port: 80, targetPort: 9090, protocol: "TCP" }, { port: 443, targetPort: 8443 }],
  });
  const node = { spec: { taints: [{ key: "a", effect: "NoSchedule" }], podCIDRs: ["10.0.0.0/24"] } };
  assert.deepEqual(applyStrategicMergePatch(node, { spec: { taints: [{ key: "b", effect: "NoExecute" }] } }, builtinPatchMeta("Node")).spec, {
    taints: [{ key: "b", effect: "NoExecute" }], podCIDRs: ["10.0.0.0/24"],
  });
  const owned = { metadata: { ownerReferences: [{ uid: "1", name: "a", kind: "ReplicaSet", apiVersion: "apps/v1" }] } };
  const ownedOut = applyStrategicMergePatch(owned, { metadata: { ownerReferences: [{ uid: "1", controller: true }, { uid: "2", name: "b", kind: "X", apiVersion: "v1" }] } }, builtinPatchMeta("ConfigMap"));
  assert.deepEqual(ownedOut.metadata, { ownerReferences: [{ uid: "1", name: "a", kind: "ReplicaSet", apiVersion: "apps/v1", controller: true }, { uid: "2", name: "b", kind: "X", apiVersion: "v1" }] });
  const pod = { status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "True" }, { type: "Ready", status: "False" }] } };
  const statusPatch = { status: { "$setElementOrder/conditions": [{ type: "PodScheduled" }, { type: "Ready" }, { type: "Initialized" }], conditions: [{ type: "Ready", status: "True" }, { type: "Initialized", status: "True" }], phase: "Running" } };
  assert.deepEqual(applyStrategicMergePatch(pod, statusPatch, podMeta).status, {
    phase: "Running",
    conditions: [{ type: "PodScheduled", status: "True" }, { type: "Ready", status: "True" }, { type: "Initialized", status: "True" }],
  });
});

test("without patch metadata every list is replaced, like a merge patch", () => {
  const live = withPodSpec({ containers: [{ name: "a", image: "1" }] });
  const patch = { spec: { template: { spec: { containers: [{ name: "b", image: "2" }] } } } };
  assert.deepEqual(podSpecOf(applyStrategicMergePatch(live, patch, emptyPatchMeta)).containers, [{ name: "b", image: "2" }]);
  assert.deepEqual(podSpecOf(applyStrategicMergePatch(live, patch)).containers, [{ name: "b", image: "2" }]);
  // unknown kinds still know ObjectMeta
  assert.deepEqual(applyStrategicMergePatch({ metadata: { finalizers: ["a"] } }, { metadata: { finalizers: ["b"] } }, builtinPatchMeta("Widget")).metadata, { finalizers: ["b", "a"] });
});

test("values of another type replace; new values are copied without directives", () => {
  const live = { spec: { a: "string", b: { c: 1 }, list: [1] } };
  const out = applyStrategicMergePatch(live, { spec: { a: { now: "map" }, b: ["x"], list: { k: 1 }, n: { $patch: "delete" }, m: { d: { $patch: "replace" }, e: 1 } } }, podMeta);
  assert.deepEqual(out.spec, { a: { now: "map" }, b: ["x"], list: { k: 1 }, m: { e: 1 } });
});

test("merge-key problems, lists of lists and mixed lists are errors, never crashes", () => {
  const live = withPodSpec({ containers: [{ name: "a", image: "1" }] });
  assertStatus(() => applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ image: "foo" }] } } } }, deploymentMeta), 400, "BadRequest", "map: map[image:foo] does not contain declared merge key: name");
  assertStatus(() => applyStrategicMergePatch(withPodSpec({ containers: [] }), { spec: { template: { spec: { containers: [["x"]] } } } }, deploymentMeta), 422, "Invalid", "lists of lists are not supported");
  assertStatus(() => applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [["x"]] } } } }, deploymentMeta), 400, "BadRequest", "list element types are not identical: [[map[image:1 name:a]] [[x]]]");
  assertStatus(() => applyStrategicMergePatch(live, { spec: { template: { spec: { containers: ["x"] } } } }, deploymentMeta), 400, "BadRequest", "list element types are not identical: [[map[image:1 name:a]] [x]]");
  assertStatus(() => applyStrategicMergePatch({ spec: { containers: [{ name: "a", ports: [{ containerPort: 1e6 }] }] } }, { spec: { containers: [{ name: "a", ports: [{ name: "x" }] }] } }, podMeta), 400, "BadRequest", "map: map[name:x] does not contain declared merge key: containerPort");
  assertStatus(() => applyStrategicMergePatch(live, [1]), 400, "BadRequest", "json: cannot unmarshal array into Go value of type map[string]interface {}");
  assertStatus(() => applyStrategicMergePatch("x" as unknown as object, {}), 400, "BadRequest", "invalid JSON document");
});

test("a __proto__ key in the body never re-parents objects", () => {
  const out = applyStrategicMergePatch({ spec: {} }, JSON.parse('{"__proto__": {"polluted": true}, "spec": {"__proto__": {"x": 1}, "new": {"__proto__": {"y": 1}}}}'), podMeta);
  assert.deepEqual(out, { spec: { new: {} } });
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(Object.getPrototypeOf(out.spec), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("the inputs are not mutated; a null patch changes nothing", () => {
  const live = withPodSpec({ containers: [{ name: "a", image: "1" }], volumes: [{ name: "v", emptyDir: {} }] });
  const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "b" }, { name: "a" }], containers: [{ name: "b", image: "2" }, { name: "a", image: null }], volumes: [{ name: "v", $patch: "delete" }] } } } };
  const liveBefore = structuredClone(live);
  const patchBefore = structuredClone(patch);
  const out = applyStrategicMergePatch(live, patch, deploymentMeta);
  assert.deepEqual(podSpecOf(out), { containers: [{ name: "b", image: "2" }, { name: "a" }], volumes: [] });
  assert.deepEqual(live, liveBefore);
  assert.deepEqual(patch, patchBefore);
  assert.deepEqual(applyStrategicMergePatch(live, null, deploymentMeta), live);
});
