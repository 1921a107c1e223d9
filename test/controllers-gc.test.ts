// The garbage collector end to end: deleting a ReplicaSet in the background, orphaning and in the
// foreground, against a real API server with the controller manager in-process.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { ConfigMap, Pod } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../src/apimachinery/status.ts";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { Client, resources } from "../src/client/index.ts";
import { startControllerManager } from "../src/controllers/index.ts";
import type { ControllerManager } from "../src/controllers/index.ts";
import { silentLogger } from "../src/util/log.ts";
import { waitFor } from "../src/testing/wait.ts";

let api: TestApiServer;
let client: Client;
let manager: ControllerManager;
const NS = "default";


const podsOf = async (app: string) => (await client.list<Pod>(resources.pods, { namespace: NS, labelSelector: { app } })).items;

async function gone(r: Parameters<Client["get"]>[0], name: string): Promise<boolean> {
  try {
    await client.get(r, name, { namespace: NS });
    return false;
  } catch (err) {
    return isStatusError(err, "NotFound");
  }
}

async function replicaSetWithPods(name: string, replicas: number): Promise<ReplicaSet> {
  const rs = await client.create<ReplicaSet>(resources.replicasets, {
    apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name, namespace: NS },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "nginx" }] } } },
  });
  await waitFor(`${replicas} pods of ${name}`, async () => (await podsOf(name)).length === replicas);
  return rs;
}

before(async () => {
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
  manager = await startControllerManager({ kubeconfig: api.kubeconfig, log: silentLogger });
});

after(async () => {
  await manager?.stop();
  client?.close();
  await api?.close();
});

it("background: deleting a ReplicaSet deletes its pods", async () => {
  await replicaSetWithPods("bg", 3);
  await client.delete(resources.replicasets, "bg", { namespace: NS, propagationPolicy: "Background" });
  await waitFor("pods collected", async () => (await podsOf("bg")).length === 0);
});

it("a dependent created with an owner that does not exist is collected", async () => {
  await client.create<ConfigMap>(resources.configmaps, {
    apiVersion: "v1", kind: "ConfigMap",
    metadata: { name: "stray", namespace: NS, ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "nobody", uid: "00000000-0000-0000-0000-000000000000" }] },
  });
  await waitFor("stray collected", () => gone(resources.configmaps, "stray"));
});

it("orphan: the pods stay, without the owner reference, and the finalizer goes", async () => {
  await replicaSetWithPods("orph", 2);
  await client.delete(resources.replicasets, "orph", { namespace: NS, propagationPolicy: "Orphan" });
  await waitFor("ReplicaSet gone", () => gone(resources.replicasets, "orph"));
  const pods = await podsOf("orph");
  assert.equal(pods.length, 2);
  for (const p of pods) assert.deepEqual(p.metadata?.ownerReferences ?? [], []);
  for (const p of pods) await client.delete(resources.pods, p.metadata!.name!, { namespace: NS });
});

it("foreground: the pods go first, then the ReplicaSet", async () => {
  await replicaSetWithPods("fg", 2);
  const deleting = await client.delete<ReplicaSet>(resources.replicasets, "fg", { namespace: NS, propagationPolicy: "Foreground" });
  assert.ok(deleting.metadata?.finalizers?.includes("foregroundDeletion"));
  await waitFor("ReplicaSet gone", () => gone(resources.replicasets, "fg"));
  assert.equal((await podsOf("fg")).length, 0);
});
