// The scheduler against a real API server with Node objects: pods get bound (pods/binding) and a
// Scheduled event; filling nodes up leaves the next pod Pending with Kubernetes' message until a
// node is added; taints and tolerations; anti-affinity spreads replicas; preemption; pods of
// another scheduler are left alone; a restarted scheduler does not bind twice.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { Event, Node, Pod } from "kubernetes-types/core/v1.js";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { Client, resources } from "../src/client/index.ts";
import { startScheduler } from "../src/scheduler/index.ts";
import type { SchedulerServer } from "../src/scheduler/index.ts";
import { makeNode, makePod } from "../src/scheduler/testing.ts";
import type { NodeSpec, PodSpecLite } from "../src/scheduler/testing.ts";
import { silentLogger } from "../src/util/log.ts";
import { waitFor } from "../src/testing/wait.ts";

let api: TestApiServer;
let client: Client;
let scheduler: SchedulerServer;

before(async () => {
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
  scheduler = await startScheduler({ client, log: silentLogger, initialBackoffMs: 100, maxBackoffMs: 400 });
});

after(async () => {
  await scheduler?.stop();
  client?.close();
  await api?.close();
});

const strip = <T extends { metadata?: { uid?: string } }>(o: T): T => ({ ...o, metadata: { ...o.metadata, uid: undefined } });
async function addNode(name: string, s: NodeSpec = {}): Promise<Node> {
  return client.create<Node>(resources.nodes, strip(makeNode(name, s)));
}
async function addPod(name: string, s: PodSpecLite = {}): Promise<Pod> {
  return client.create<Pod>(resources.pods, strip(makePod(name, s)), { namespace: s.namespace ?? "default" });
}
const getPod = (name: string, ns = "default") => client.get<Pod>(resources.pods, name, { namespace: ns });
const boundNode = (name: string) => waitFor(`${name} to be bound`, async () => (await getPod(name)).spec?.nodeName);

it("binds a pod to a node and records Scheduled", async () => {
  await addNode("basic-1");
  await addPod("basic-pod");
  assert.equal(await boundNode("basic-pod"), "basic-1");
  const pod = await getPod("basic-pod");
  assert.equal(pod.status?.conditions?.find((c) => c.type === "PodScheduled")?.status, "True");
  const ev = await waitFor("Scheduled event", async () => {
    const list = await client.list<Event>(resources.events, { namespace: "default", fieldSelector: "involvedObject.name=basic-pod" });
    return list.items.find((e) => e.reason === "Scheduled");
  });
  assert.equal(ev.message, "Successfully assigned default/basic-pod to basic-1");
  assert.equal(ev.source?.component, "default-scheduler");
});
