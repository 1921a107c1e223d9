// The scheduler against a real API server with Node objects: pods get bound (pods/binding) and a
// Scheduled event; filling nodes up leaves the next pod Pending with Kubernetes' message until a
// node is added; taints and tolerations; anti-affinity spreads replicas; preemption; pods of
// another scheduler are left alone; a restarted scheduler does not bind twice; two schedulers
// with leader election run one at a time. Each test gets its own API server and scheduler.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Event, Node, Pod } from "kubernetes-types/core/v1.js";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { Client, resources } from "../src/client/index.ts";
import { startScheduler } from "../src/scheduler/index.ts";
import type { SchedulerServer, SchedulerServerOptions } from "../src/scheduler/index.ts";
import { makeNode, makePod } from "../src/scheduler/testing.ts";
import type { NodeSpec, PodSpecLite } from "../src/scheduler/testing.ts";
import { silentLogger } from "../src/util/log.ts";
import { waitFor } from "../src/testing/wait.ts";

interface Cluster {
  api: TestApiServer;
  client: Client;
  schedulers: SchedulerServer[];
  start(opts?: Partial<SchedulerServerOptions>): Promise<SchedulerServer>;
  addNode(name: string, s?: NodeSpec): Promise<Node>;
  addPod(name: string, s?: PodSpecLite): Promise<Pod>;
  getPod(name: string): Promise<Pod>;
  boundNode(name: string): Promise<string>;
  /** The pod's PodScheduled=False message once it has one. */
  pendingMessage(name: string): Promise<string>;
  events(name: string, reason: string): Promise<Event[]>;
}

const strip = <T extends { metadata?: { uid?: string } }>(o: T): T => ({ ...o, metadata: { ...o.metadata, uid: undefined } });

/** Runs `fn` against a fresh API server and scheduler(s), and always shuts them down. */
async function withCluster(fn: (c: Cluster) => Promise<void>, startDefault = true): Promise<void> {
  const api = await startTestApiServer();
  const client = await Client.fromKubeconfig(api.kubeconfig);
  const schedulers: SchedulerServer[] = [];
  const getPod = (name: string) => client.get<Pod>(resources.pods, name, { namespace: "default" });
  const c: Cluster = {
    api, client, schedulers,
    start: async (opts = {}) => {
      const s = await startScheduler({ client, log: silentLogger, initialBackoffMs: 100, maxBackoffMs: 400, ...opts });
      schedulers.push(s);
      return s;
    },
    addNode: (name, s) => client.create<Node>(resources.nodes, strip(makeNode(name, s))),
    addPod: (name, s = {}) => client.create<Pod>(resources.pods, strip(makePod(name, s)), { namespace: "default" }),
    getPod,
    boundNode: (name) => waitFor(`${name} to be bound`, async () => (await getPod(name)).spec?.nodeName),
    pendingMessage: (name) => waitFor(`${name} to be reported unschedulable`, async () => {
      const cond = (await getPod(name)).status?.conditions?.find((x) => x.type === "PodScheduled");
      return cond?.status === "False" && cond.reason === "Unschedulable" ? cond.message : undefined;
    }),
    events: async (name, reason) => {
      const list = await client.list<Event>(resources.events, { namespace: "default", fieldSelector: `involvedObject.name=${name}` });
      return list.items.filter((e) => e.reason === reason);
    },
  };
  try {
    if (startDefault) await c.start();
    await fn(c);
  } finally {
    await Promise.all(schedulers.map((s) => s.stop()));
    client.close();
    await api.close();
  }
}

it("binds a pod to a node and records Scheduled", () => withCluster(async (c) => {
  await c.addNode("node-1");
  await c.addPod("web");
  assert.equal(await c.boundNode("web"), "node-1");
  assert.equal((await c.getPod("web")).status?.conditions?.find((x) => x.type === "PodScheduled")?.status, "True");
  const [ev] = await waitFor("Scheduled event", async () => (await c.events("web", "Scheduled")).length ? c.events("web", "Scheduled") : undefined);
  assert.equal(ev.message, "Successfully assigned default/web to node-1");
  assert.equal(ev.source?.component, "default-scheduler");
}));

it("a full cluster leaves the next pod Pending with the reasons, until a node is added", () => withCluster(async (c) => {
  await c.addNode("small", { cpu: "1" });
  await c.addPod("first", { cpu: "600m" });
  assert.equal(await c.boundNode("first"), "small");
  await c.addPod("second", { cpu: "600m" });
  const want = "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
  assert.equal(await c.pendingMessage("second"), want);
  const failed = await waitFor("FailedScheduling event", async () => (await c.events("second", "FailedScheduling"))[0]);
  assert.equal(failed.type, "Warning");
  assert.equal(failed.message, want);
  await c.addNode("bigger", { cpu: "2" });
  assert.equal(await c.boundNode("second"), "bigger");
}));

it("taints repel pods without a matching toleration; pods count against the pods allocatable", () => withCluster(async (c) => {
  await c.addNode("gpu", { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] });
  await c.addNode("tiny", { pods: 1 });
  await c.addPod("filler", { nodeSelector: { "kubernetes.io/hostname": "tiny" } });
  assert.equal(await c.boundNode("filler"), "tiny");
  await c.addPod("plain");
  assert.equal(await c.pendingMessage("plain"),
    "0/2 nodes are available: 1 Too many pods, 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.");
  await c.addPod("tolerant", { tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }] });
  assert.equal(await c.boundNode("tolerant"), "gpu");
}));

it("required pod anti-affinity on the hostname spreads replicas one per node", () => withCluster(async (c) => {
  for (const n of ["a", "b", "c"]) await c.addNode(`node-${n}`);
  const antiAffinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "db" } } }] } };
  for (let i = 0; i < 3; i++) await c.addPod(`db-${i}`, { labels: { app: "db" }, affinity: antiAffinity });
  const nodes = await Promise.all([0, 1, 2].map((i) => c.boundNode(`db-${i}`)));
  assert.deepEqual([...nodes].sort(), ["node-a", "node-b", "node-c"]);
  await c.addPod("db-3", { labels: { app: "db" }, affinity: antiAffinity });
  assert.match(await c.pendingMessage("db-3"), /^0\/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\./);
}));

it("a higher-priority pod preempts a lower-priority one and is nominated, then bound", () => withCluster(async (c) => {
  await c.client.create(resources.priorityclasses, { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "low" }, value: 10 });
  await c.client.create(resources.priorityclasses, { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "high" }, value: 1000 });
  await c.addNode("only", { cpu: "1" });
  const withClass = (pod: Pod, cls: string): Pod => ({ ...strip(pod), spec: { ...pod.spec!, priorityClassName: cls } });
  await c.client.create<Pod>(resources.pods, withClass(makePod("victim", { cpu: "800m" }), "low"), { namespace: "default" });
  assert.equal(await c.boundNode("victim"), "only");
  await c.client.create<Pod>(resources.pods, withClass(makePod("vip", { cpu: "800m" }), "high"), { namespace: "default" });
  // The victim is deleted gracefully (it is on a node); stand in for its kubelet and finish it.
  const victim = await waitFor("victim to be terminating", async () => {
    const p = await c.getPod("victim");
    return p.metadata?.deletionTimestamp ? p : undefined;
  });
  assert.equal(victim.status?.conditions?.find((x) => x.type === "DisruptionTarget")?.reason, "PreemptionByScheduler");
  assert.equal((await waitFor("nomination", async () => (await c.getPod("vip")).status?.nominatedNodeName)), "only");
  await c.client.delete(resources.pods, "victim", { namespace: "default", gracePeriodSeconds: 0 });
  assert.equal(await c.boundNode("vip"), "only");
  const [preempted] = await waitFor("Preempted event", async () => (await c.events("victim", "Preempted")).length ? c.events("victim", "Preempted") : undefined);
  assert.match(preempted.message ?? "", /^Preempted by pod [0-9a-f-]+ on node only$/);
}));

it("pods for another scheduler are left alone", () => withCluster(async (c) => {
  await c.addNode("node-1");
  await c.addPod("theirs", { schedulerName: "my-custom-scheduler" });
  await c.addPod("ours");
  assert.equal(await c.boundNode("ours"), "node-1");
  const theirs = await c.getPod("theirs");
  assert.equal(theirs.spec?.nodeName, undefined);
  assert.equal(theirs.status?.conditions?.find((x) => x.type === "PodScheduled"), undefined);
}));

it("a restarted scheduler neither binds twice nor over-commits a node", () => withCluster(async (c) => {
  await c.addNode("left", { pods: 5 });
  await c.addNode("right", { pods: 5 });
  for (let i = 0; i < 10; i++) await c.addPod(`p-${i}`);
  const first = await c.start();
  await waitFor("some pods bound", async () => {
    const list = await c.client.list<Pod>(resources.pods, { namespace: "default" });
    return list.items.filter((p) => p.spec?.nodeName).length >= 3;
  });
  await first.stop();
  await c.start();
  const pods = await waitFor("all pods bound", async () => {
    const list = await c.client.list<Pod>(resources.pods, { namespace: "default" });
    return list.items.every((p) => p.spec?.nodeName) ? list.items : undefined;
  });
  const perNode = new Map<string, number>();
  for (const p of pods) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(perNode), { left: 5, right: 5 });
  await waitFor("Scheduled events", async () => {
    const list = await c.client.list<Event>(resources.events, { namespace: "default" });
    return list.items.filter((e) => e.reason === "Scheduled").length >= 10 ? true : undefined;
  });
  const list = await c.client.list<Event>(resources.events, { namespace: "default" });
  const scheduled = list.items.filter((e) => e.reason === "Scheduled");
  assert.equal(scheduled.length, 10, "one Scheduled event per pod");
  assert.ok(scheduled.every((e) => e.count === 1));
}, false));

it("with leader election only one of two schedulers binds; the other takes over when it stops", () => withCluster(async (c) => {
  const timings = { leaderElect: true, leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };
  const a = await c.start({ ...timings, identity: "a" });
  const b = await c.start({ ...timings, identity: "b" });
  await waitFor("a leader", () => a.isLeader() !== b.isLeader() || undefined);
  const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
  await c.addNode("node-1");
  await c.addPod("one");
  assert.equal(await c.boundNode("one"), "node-1");
  assert.equal(standby.current, undefined, "the standby never started scheduling");
  await leader.stop();
  await waitFor("the standby to lead", () => standby.isLeader() || undefined, 10_000);
  await c.addPod("two");
  assert.equal(await c.boundNode("two"), "node-1");
}, false));
