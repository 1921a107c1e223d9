// The node IPAM controller against a real API server: existing CIDRs are occupied on start, new
// nodes get the free ones, exhaustion records CIDRNotAvailable, a deleted node's CIDR is reused,
// and a restarted allocator rebuilds its view from the nodes.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { Event, Node } from "kubernetes-types/core/v1.js";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { Client, resources } from "../src/client/index.ts";
import { startControllerManager } from "../src/controllers/index.ts";
import type { ControllerManager } from "../src/controllers/index.ts";
import { silentLogger } from "../src/util/log.ts";
import { waitFor } from "../src/testing/wait.ts";

let api: TestApiServer;
let client: Client;
let manager: ControllerManager | undefined;

const start = () => startControllerManager({ client, controllers: ["nodeipam"], nodeIpam: { clusterCIDR: "10.99.0.0/23", nodeCIDRMaskSizeIPv4: 24 }, log: silentLogger });
const createNode = (name: string, podCIDR?: string) =>
  client.create<Node>(resources.nodes, { metadata: { name }, ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}) });
const cidrOf = async (name: string) => (await client.get<Node>(resources.nodes, name)).spec?.podCIDRs;

before(async () => {
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
  await createNode("pre", "10.99.0.0/24");
  manager = await start();
});

after(async () => {
  await manager?.stop();
  client?.close();
  await api?.close();
});

it("a new node gets the CIDR nobody holds, with podCIDR mirroring podCIDRs[0]", async () => {
  await createNode("n1");
  const cidrs = await waitFor("n1 CIDR", () => cidrOf("n1"));
  assert.deepEqual(cidrs, ["10.99.1.0/24"]);
  assert.equal((await client.get<Node>(resources.nodes, "n1")).spec?.podCIDR, "10.99.1.0/24");
});

it("an exhausted range records CIDRNotAvailable; a deleted node's CIDR goes to the waiting node", async () => {
  const n2 = await createNode("n2");
  const event = await waitFor("CIDRNotAvailable", async () => {
    const events = await client.list<Event>(resources.events, { namespace: "default" });
    return events.items.find((e) => e.reason === "CIDRNotAvailable" && e.involvedObject.name === "n2");
  });
  assert.equal(event.message, "Node n2 status is now: CIDRNotAvailable");
  assert.deepEqual(event.involvedObject, { kind: "Node", name: "n2", uid: n2.metadata?.uid });
  assert.equal(await cidrOf("n2"), undefined);
  await client.delete(resources.nodes, "pre");
  assert.deepEqual(await waitFor("n2 CIDR", () => cidrOf("n2")), ["10.99.0.0/24"]);
});

it("a restarted allocator rebuilds the allocated set from the nodes and never hands out a CIDR twice", async () => {
  await manager?.stop();
  manager = await start();
  await createNode("n3");
  await waitFor("CIDRNotAvailable for n3", async () => {
    const events = await client.list<Event>(resources.events, { namespace: "default" });
    return events.items.some((e) => e.reason === "CIDRNotAvailable" && e.involvedObject.name === "n3");
  });
  const nodes = await client.list<Node>(resources.nodes);
  const held = nodes.items.flatMap((n) => n.spec?.podCIDRs ?? []);
  assert.deepEqual(held.sort(), ["10.99.0.0/24", "10.99.1.0/24"]);
  await client.delete(resources.nodes, "n1");
  assert.deepEqual(await waitFor("n3 CIDR", () => cidrOf("n3")), ["10.99.1.0/24"]);
});
