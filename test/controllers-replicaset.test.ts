// The ReplicaSet controller end to end: a real API server, the controller manager in-process and
// a tiny fake kubelet (an informer that marks every new pod Running and Ready via /status).
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { Event, Pod } from "kubernetes-types/core/v1.js";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { Client, SharedInformer, listWatcherFor, resources } from "../src/client/index.ts";
import { startControllerManager } from "../src/controllers/index.ts";
import type { ControllerManager } from "../src/controllers/index.ts";
import { silentLogger } from "../src/util/log.ts";
import { waitFor } from "../src/testing/wait.ts";

let api: TestApiServer;
let client: Client;
let manager: ControllerManager;
let kubelet: SharedInformer<Pod>;
const NS = "default";


/** Marks a pod Running and Ready, as a kubelet would once its containers started. */
async function markReady(pod: Pod): Promise<void> {
  if (pod.metadata?.deletionTimestamp || pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) return;
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const status = { ...pod.status, phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }] };
  await client.updateStatus<Pod>(resources.pods, { ...pod, status }).catch(() => undefined);
}

async function ownedPods(rs: string): Promise<Pod[]> {
  const list = await client.list<Pod>(resources.pods, { namespace: NS, labelSelector: { app: rs } });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

function replicaSet(name: string, replicas: number): ReplicaSet {
  return {
    apiVersion: "apps/v1", kind: "ReplicaSet",
    metadata: { name, namespace: NS },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "nginx" }] } },
    },
  };
}

async function rsStatus(name: string): Promise<ReplicaSet> {
  return client.get<ReplicaSet>(resources.replicasets, name, { namespace: NS });
}

before(async () => {
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
  kubelet = new SharedInformer<Pod>(listWatcherFor<Pod>(client, resources.pods), { name: "fake-kubelet", log: silentLogger });
  kubelet.addEventHandler({ onAdd: (p) => void markReady(p), onUpdate: (_o, p) => void markReady(p) });
  kubelet.start();
  manager = await startControllerManager({ kubeconfig: api.kubeconfig, log: silentLogger });
});

after(async () => {
  await manager?.stop();
  await kubelet?.stop();
  client?.close();
  await api?.close();
});

it("creates pods for a ReplicaSet, owned and labelled, and reports them ready", async () => {
  await client.create(resources.replicasets, replicaSet("web", 3));
  const rs = await waitFor("readyReplicas 3", async () => {
    const r = await rsStatus("web");
    return r.status?.readyReplicas === 3 && r.status.availableReplicas === 3 && r.status.replicas === 3 ? r : undefined;
  });
  assert.equal(rs.status?.fullyLabeledReplicas, 3);
  assert.equal(rs.status?.observedGeneration, rs.metadata?.generation);
  const pods = await ownedPods("web");
  assert.equal(pods.length, 3);
  for (const p of pods) {
    assert.match(p.metadata!.name!, /^web-[a-z0-9]{5}$/);
    const ref = p.metadata?.ownerReferences?.[0];
    assert.deepEqual(ref, { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true });
    assert.deepEqual(p.metadata?.labels, { app: "web" });
  }
  const events = await waitFor("SuccessfulCreate events", async () => {
    const list = await client.list<Event>(resources.events, { namespace: NS });
    const created = list.items.filter((e) => e.reason === "SuccessfulCreate" && e.involvedObject.name === "web");
    return created.length > 0 ? created : undefined;
  });
  assert.equal(events.reduce((n, e) => n + (e.count ?? 1), 0), 3);
});

it("scales up to 5 and down to 1", async () => {
  await client.patch(resources.replicasets, "web", { spec: { replicas: 5 } }, { type: "merge", namespace: NS });
  await waitFor("5 ready", async () => (await rsStatus("web")).status?.readyReplicas === 5);
  assert.equal((await ownedPods("web")).length, 5);
  await client.patch(resources.replicasets, "web", { spec: { replicas: 1 } }, { type: "merge", namespace: NS });
  await waitFor("1 pod and status replicas 1", async () => (await ownedPods("web")).length === 1 && (await rsStatus("web")).status?.replicas === 1);
  const rs = await rsStatus("web");
  assert.equal(rs.status?.readyReplicas, 1);
  assert.equal(rs.status?.observedGeneration, rs.metadata?.generation);
});

it("replaces a deleted pod with a new one", async () => {
  const [before] = await ownedPods("web");
  const oldName = before!.metadata!.name!;
  await client.delete(resources.pods, oldName, { namespace: NS });
  const replacement = await waitFor("a replacement pod", async () => {
    const pods = await ownedPods("web");
    return pods.length === 1 && pods[0]!.metadata!.name !== oldName ? pods[0] : undefined;
  });
  assert.match(replacement.metadata!.name!, /^web-/);
  await waitFor("ready again", async () => (await rsStatus("web")).status?.readyReplicas === 1);
  // Never more than one: the controller did not double-create while its cache caught up.
  assert.equal((await ownedPods("web")).length, 1);
});

it("adopts a matching orphan and releases a pod whose labels stop matching", async () => {
  await client.create<Pod>(resources.pods, { apiVersion: "v1", kind: "Pod", metadata: { name: "orphan", namespace: NS, labels: { app: "api" } }, spec: { containers: [{ name: "c", image: "nginx" }] } });
  await client.create(resources.replicasets, replicaSet("api", 2));
  const rs = await waitFor("2 replicas", async () => {
    const r = await rsStatus("api");
    return r.status?.replicas === 2 && r.status.readyReplicas === 2 ? r : undefined;
  });
  const orphan = await client.get<Pod>(resources.pods, "orphan", { namespace: NS });
  assert.equal(orphan.metadata?.ownerReferences?.[0]?.uid, rs.metadata?.uid);
  assert.equal((await ownedPods("api")).length, 2);

  await client.patch(resources.pods, "orphan", { metadata: { labels: { app: "other" } } }, { type: "merge", namespace: NS });
  await waitFor("released and replaced", async () => {
    const p = await client.get<Pod>(resources.pods, "orphan", { namespace: NS });
    return (p.metadata?.ownerReferences ?? []).length === 0 && (await ownedPods("api")).length === 2;
  });
  await client.delete(resources.pods, "orphan", { namespace: NS });
});
