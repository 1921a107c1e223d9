// Namespace deletion end to end: `kubectl delete ns` of a namespace holding pods (unbound, bound
// with a short grace period, owned by a ReplicaSet) and configmaps → the namespace goes away;
// one held by a pod's finalizer shows Kubernetes' NamespaceFinalizersRemaining/ContentRemaining.
// Also the controller manager's leader election on the kube-system/kube-controller-manager Lease.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Namespace, Pod } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../src/apimachinery/status.ts";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { Client, resources } from "../src/client/index.ts";
import { LEADER_LEASE, startControllerManager } from "../src/controllers/index.ts";
import type { ControllerManager } from "../src/controllers/index.ts";
import { silentLogger } from "../src/util/log.ts";
import { waitFor } from "../src/testing/wait.ts";

let api: TestApiServer;
let client: Client;
let manager: ControllerManager;


const pod = (name: string, ns: string, grace?: number): Pod => ({
  apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns, labels: { app: name } },
  spec: { containers: [{ name: "c", image: "nginx" }], ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}) },
});

before(async () => {
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
  manager = await startControllerManager({
    kubeconfig: api.kubeconfig, log: silentLogger, leaderElect: true, identity: "test-manager",
    leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500,
  });
});

after(async () => {
  await manager?.stop();
  client?.close();
  await api?.close();
});

it("holds the controller manager Lease while leading", async () => {
  const lease = await waitFor("the lease", () => client.get<Lease>(resources.leases, LEADER_LEASE.name, { namespace: LEADER_LEASE.namespace }));
  assert.equal(lease.spec?.holderIdentity, "test-manager");
  await waitFor("isLeader", () => manager.isLeader());
});

it("kubectl delete ns removes everything in the namespace, then the namespace", async () => {
  const ns = "doomed";
  await client.create<Namespace>(resources.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  for (let i = 0; i < 3; i++) {
    await client.create(resources.configmaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}`, namespace: ns }, data: { i: String(i) } });
  }
  await client.create(resources.pods, pod("unbound", ns));
  await client.create(resources.pods, pod("bound", ns, 1));
  await client.request("POST", `/api/v1/namespaces/${ns}/pods/bound/binding`, { apiVersion: "v1", kind: "Binding", metadata: { name: "bound" }, target: { kind: "Node", name: "node-1" } });
  const bound = await client.get<Pod>(resources.pods, "bound", { namespace: ns });
  assert.equal(bound.spec?.nodeName, "node-1");
  await client.create(resources.replicasets, {
    apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "rs", namespace: ns },
    spec: { replicas: 2, selector: { matchLabels: { app: "rs" } }, template: { metadata: { labels: { app: "rs" } }, spec: { containers: [{ name: "c", image: "nginx" }] } } },
  });
  await waitFor("the ReplicaSet's pods", async () => (await client.list<Pod>(resources.pods, { namespace: ns, labelSelector: { app: "rs" } })).items.length === 2);

  const res = await api.kubectl(["delete", "namespace", ns, "--wait=false"]);
  assert.equal(res.code, 0, res.stderr);
  await waitFor("namespace gone", async () => {
    try {
      await client.get(resources.namespaces, ns);
      return false;
    } catch (err) {
      return isStatusError(err, "NotFound");
    }
  });
  assert.equal((await client.list(resources.configmaps, { namespace: ns })).items.length, 0);
  assert.equal((await client.list(resources.pods, { namespace: ns })).items.length, 0);
  assert.equal((await client.list(resources.replicasets, { namespace: ns })).items.length, 0);
  const get = await api.kubectl(["get", "namespace", ns]);
  assert.notEqual(get.code, 0);
});

it("leaves Active namespaces alone", async () => {
  await client.create(resources.configmaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "keep", namespace: "default" } });
  const ns = await client.get<Namespace>(resources.namespaces, "default");
  assert.equal(ns.status?.phase, "Active");
  assert.ok((await client.get(resources.configmaps, "keep", { namespace: "default" })).metadata);
});

it("a namespace held by a pod's finalizer reports Kubernetes' deletion conditions, then goes", async () => {
  const ns = "held";
  await client.create<Namespace>(resources.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const held = pod("held", ns);
  held.metadata!.finalizers = ["example.com/hold"];
  await client.create(resources.pods, held);
  await client.create(resources.configmaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: ns } });
  const res = await api.kubectl(["delete", "namespace", ns, "--wait=false"]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /namespace "held" deleted/);

  const conditions = await waitFor("the finalizer condition", async () => {
    const out = await api.kubectl(["get", "namespace", ns, "-o", "json"]);
    const got = JSON.parse(out.stdout) as Namespace;
    const by = Object.fromEntries((got.status?.conditions ?? []).map((c) => [c.type, c]));
    return by.NamespaceFinalizersRemaining?.status === "True" && got.status?.phase === "Terminating" ? by : undefined;
  });
  assert.deepEqual([conditions.NamespaceFinalizersRemaining?.reason, conditions.NamespaceFinalizersRemaining?.message],
    ["SomeFinalizerRemain", "Some finalizers are remaining: example.com/hold in 1 resource instances"]);
  assert.deepEqual([conditions.NamespaceContentRemaining?.status, conditions.NamespaceContentRemaining?.reason, conditions.NamespaceContentRemaining?.message],
    ["True", "SomeResourcesRemain", "Some resources are remaining: pods. has 1 resource instances"]);
  for (const [type, reason] of [["NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered"], ["NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions"], ["NamespaceDeletionContentFailure", "ContentDeleted"]]) {
    assert.equal(conditions[type!]?.status, "False", type);
    assert.equal(conditions[type!]?.reason, reason, type);
    assert.ok(conditions[type!]?.lastTransitionTime, type);
  }
  // The rest of the content is gone; the pod waits on its finalizer.
  assert.equal((await client.list(resources.configmaps, { namespace: ns })).items.length, 0);
  const waiting = await client.get<Pod>(resources.pods, "held", { namespace: ns });
  assert.ok(waiting.metadata?.deletionTimestamp);

  await client.patch(resources.pods, "held", { metadata: { finalizers: null } }, { type: "merge", namespace: ns });
  await waitFor("namespace gone", async () => {
    try {
      await client.get(resources.namespaces, ns);
      return false;
    } catch (err) {
      return isStatusError(err, "NotFound");
    }
  });
});
