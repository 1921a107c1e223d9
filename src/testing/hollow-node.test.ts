// Hollow nodes against a real API server: nodes registered Ready, pending pods bound round-robin
// within capacity, bound pods made Running/Ready once with unique IPs, deletions finished.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import { Client, resources } from "../client/index.ts";
import { startTestApiServer } from "./apiserver.ts";
import type { TestApiServer } from "./apiserver.ts";
import { startHollowNodes } from "./hollow-node.ts";
import type { HollowNodes } from "./hollow-node.ts";
import { waitFor } from "./wait.ts";

const NS = "default";
let api: TestApiServer;
let client: Client;
let hollow: HollowNodes;

const pod = (name: string, extra: Partial<NonNullable<Pod["spec"]>> = {}): Pod => ({
  apiVersion: "v1", kind: "Pod", metadata: { name, namespace: NS, labels: { app: "h" } },
  spec: { containers: [{ name: "c", image: "busybox" }], ...extra },
});
const listPods = async () => (await client.list<Pod>(resources.pods, { namespace: NS })).items;
const isReady = (p: Pod) => p.status?.phase === "Running" && !!p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");

before(async () => {
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
  hollow = await startHollowNodes({ client, count: 3, bind: true, pods: 4, cpu: "2", memory: "8Gi", heartbeatMs: 200 });
});

after(async () => {
  await hollow?.stop();
  client?.close();
  await api?.close();
});

it("registers Ready nodes with capacity, labels, addresses and pod CIDRs", async () => {
  assert.deepEqual(hollow.nodeNames, ["hollow-0", "hollow-1", "hollow-2"]);
  const nodes = (await client.list<Node>(resources.nodes)).items;
  assert.deepEqual(nodes.map((n) => n.metadata?.name).sort(), ["hollow-0", "hollow-1", "hollow-2"]);
  const n1 = nodes.find((n) => n.metadata?.name === "hollow-1")!;
  assert.equal(n1.metadata?.labels?.["kubernetes.io/hostname"], "hollow-1");
  assert.equal(n1.metadata?.labels?.["kubernetes.io/os"], "linux");
  assert.deepEqual({ ...n1.status?.allocatable }, { cpu: "2", memory: "8Gi", pods: "4", "ephemeral-storage": "100Gi" });
  assert.equal(n1.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
  assert.equal(n1.spec?.podCIDR, "10.244.1.0/24");
  assert.deepEqual(n1.status?.addresses?.[0], { type: "InternalIP", address: "172.16.0.2" });
  const out = await api.kubectl(["get", "nodes", "--no-headers"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim().split("\n").filter((l) => /^hollow-\d\s+Ready\s/.test(l)).length, 3, out.stdout);
});

it("renews each node's Lease in kube-node-lease, owned by the Node", async () => {
  const leases = async () => (await client.list<Lease>(resources.leases, { namespace: "kube-node-lease" })).items;
  const first = await waitFor("three leases", async () => {
    const l = await leases();
    return l.length === 3 ? l : undefined;
  });
  const nodes = (await client.list<Node>(resources.nodes)).items;
  for (const lease of first) {
    const node = nodes.find((n) => n.metadata?.name === lease.metadata?.name);
    assert.ok(node, `lease ${lease.metadata?.name} is a node's`);
    assert.equal(lease.spec?.holderIdentity, node.metadata?.name);
    assert.equal(lease.spec?.leaseDurationSeconds, 40);
    assert.equal(lease.metadata?.ownerReferences?.[0]?.uid, node.metadata?.uid);
  }
  const renewed = (l: Lease[]) => l.every((x) => x.spec?.renewTime !== first.find((f) => f.metadata?.name === x.metadata?.name)?.spec?.renewTime);
  await waitFor("every lease renewed again", async () => renewed(await leases()));
});

it("binds pending pods round-robin up to capacity and runs them once, with unique IPs", async () => {
  for (let i = 0; i < 14; i++) await client.create(resources.pods, pod(`p-${i}`));
  await client.create(resources.pods, pod("other-scheduler", { schedulerName: "my-scheduler" }));
  const pods = await waitFor("12 pods Running", async () => {
    const list = await listPods();
    return list.filter(isReady).length === 12 ? list : undefined;
  });
  const running = pods.filter(isReady);
  const perNode = new Map<string, number>();
  for (const p of running) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
  assert.deepEqual([...perNode.entries()].sort(), [["hollow-0", 4], ["hollow-1", 4], ["hollow-2", 4]]);
  const ips = running.map((p) => p.status?.podIP);
  assert.equal(new Set(ips).size, 12, "pod IPs are unique");
  for (const p of running) {
    const i = Number(p.spec!.nodeName!.slice("hollow-".length));
    assert.ok(p.status?.podIP?.startsWith(`10.244.${i}.`), `${p.status?.podIP} in the node's CIDR`);
    assert.equal(p.status?.hostIP, `172.16.0.${i + 1}`);
    assert.deepEqual(p.status?.conditions?.map((c) => `${c.type}=${c.status}`).sort(), ["ContainersReady=True", "Initialized=True", "PodScheduled=True", "Ready=True"]);
    assert.ok(p.status?.startTime);
    assert.equal(p.status?.containerStatuses?.[0]?.ready, true);
    assert.ok(p.status?.containerStatuses?.[0]?.state?.running?.startedAt);
  }
  // Two pods stay pending (no room), and so does the pod of another scheduler.
  const pending = pods.filter((p) => !p.spec?.nodeName).map((p) => p.metadata?.name).sort();
  assert.equal(pending.length, 3);
  assert.ok(pending.includes("other-scheduler"));
  assert.equal(hollow.stats.bound, 12);
  assert.equal(hollow.stats.started, 12);

  // An unrelated change to a running pod does not make it start again.
  const victim = running[0]!;
  await client.patch(resources.pods, victim.metadata!.name!, { metadata: { labels: { touched: "yes" } } }, { type: "merge", namespace: NS });
  await waitFor("the informer to see the change", async () => (await listPods()).some((p) => p.metadata?.labels?.touched === "yes"));
  const again = await client.get<Pod>(resources.pods, victim.metadata!.name!, { namespace: NS });
  assert.equal(again.status?.podIP, victim.status?.podIP);
  assert.equal(hollow.stats.started, 12);
});

it("finishes graceful deletions at once, and binds waiting pods into the freed room", async () => {
  const running = (await listPods()).filter(isReady);
  const gone = running.slice(0, 2).map((p) => p.metadata!.name!);
  for (const name of gone) {
    const res = await api.kubectl(["delete", "pod", name, "-n", NS, "--wait=false"]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`pod "${name}" deleted`));
  }
  await waitFor("the deleted pods gone", async () => {
    const names = (await listPods()).map((p) => p.metadata?.name);
    return gone.every((n) => !names.includes(n));
  }, 10_000);
  const list = await waitFor("the waiting pods running", async () => {
    const l = await listPods();
    return l.filter(isReady).length === 12 && l.filter((p) => !p.spec?.nodeName).length === 1 ? l : undefined;
  });
  assert.equal(list.find((p) => !p.spec?.nodeName)?.metadata?.name, "other-scheduler");
  assert.equal(new Set(list.filter(isReady).map((p) => p.status?.podIP)).size, 12);
  assert.equal(hollow.stats.deleted, 2);
  assert.equal(hollow.stats.started, 14, "each pod started once");
});
