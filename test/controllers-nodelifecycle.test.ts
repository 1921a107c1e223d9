// The node lifecycle and taint eviction controllers against a real API server, with the real
// kubelet node side (NodeStatusManager) as the nodes: condition taints, a node whose kubelet stops
// becoming Unknown and tainted, its pods evicted as their tolerations say and marked not ready,
// and a kubelet coming back clearing it all. Short periods instead of Kubernetes' 5 s / 40 s.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Event, Node, Pod, Taint, Toleration } from "kubernetes-types/core/v1.js";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { Client, resources } from "../src/client/index.ts";
import { isPodActive, startControllerManager } from "../src/controllers/index.ts";
import type { ControllerManager } from "../src/controllers/index.ts";
import { NodeStatusManager } from "../src/kubelet/node/index.ts";
import type { HostInfo } from "../src/kubelet/node/index.ts";
import { silentLogger } from "../src/util/log.ts";
import { waitFor } from "../src/testing/wait.ts";

let api: TestApiServer;
let client: Client;
let manager: ControllerManager;
const kubelets = new Map<string, NodeStatusManager>();
let memoryPressure = false;

const host: HostInfo = {
  cpus: 2, memoryBytes: 4 * 2 ** 30, ephemeralStorageBytes: 20 * 2 ** 30, machineID: "m", systemUUID: "u", bootID: "b",
  kernelVersion: "6.1.0", osImage: "Test Linux", operatingSystem: "linux", architecture: "amd64",
};

function startKubelet(nodeName: string): NodeStatusManager {
  const m = new NodeStatusManager({
    client, nodeName, hostInfo: async () => host, log: silentLogger,
    leaseRenewIntervalMs: 200, statusUpdateFrequencyMs: 200,
    pressure: { isUnderMemoryPressure: () => nodeName === "healthy" && memoryPressure, isUnderDiskPressure: () => false, isUnderPIDPressure: () => false },
  });
  kubelets.set(nodeName, m);
  m.start();
  return m;
}

const getNode = (name: string) => client.get<Node>(resources.nodes, name);
const getPod = (name: string) => client.get<Pod>(resources.pods, name, { namespace: "default" });
const taintsOf = async (name: string): Promise<Taint[]> => (await getNode(name)).spec?.taints ?? [];
const hasTaint = (taints: Taint[], key: string, effect: string) => taints.find((t) => t.key === key && t.effect === effect);

async function createRunningPod(name: string, nodeName: string, tolerations?: Toleration[]): Promise<Pod> {
  const pod = await client.create<Pod>(resources.pods, {
    metadata: { name, namespace: "default" },
    spec: { nodeName, containers: [{ name: "c", image: "busybox" }], ...(tolerations ? { tolerations } : {}) },
  });
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return client.updateStatus<Pod>(resources.pods, { ...pod, status: { ...pod.status, phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }] } });
}

async function events(reason: string, objectName: string): Promise<Event[]> {
  const list = await client.list<Event>(resources.events, { namespace: "default" });
  return list.items.filter((e) => e.reason === reason && e.involvedObject.name === objectName);
}

before(async () => {
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
  startKubelet("healthy");
  startKubelet("dying");
  await waitFor("both nodes registered", () => [...kubelets.values()].every((k) => k.registered));
  manager = await startControllerManager({
    client, controllers: ["nodelifecycle"], log: silentLogger,
    nodeLifecycle: { nodeMonitorPeriodMs: 200, nodeMonitorGracePeriodMs: 1500, nodeStartupGracePeriodMs: 1500, evictionLimiterQPS: 50 },
  });
});

after(async () => {
  await manager?.stop();
  await Promise.all([...kubelets.values()].map((k) => k.stop()));
  client?.close();
  await api?.close();
});

it("condition taints: memory pressure and cordoning add NoSchedule taints (with timeAdded); clearing them removes the taints", async () => {
  memoryPressure = true;
  await kubelets.get("healthy")!.syncNow();
  const taint = await waitFor("memory-pressure taint", async () => hasTaint(await taintsOf("healthy"), "node.kubernetes.io/memory-pressure", "NoSchedule"));
  assert.match(taint.timeAdded ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  memoryPressure = false;
  await kubelets.get("healthy")!.syncNow();
  await waitFor("memory-pressure taint gone", async () => !hasTaint(await taintsOf("healthy"), "node.kubernetes.io/memory-pressure", "NoSchedule"));

  await client.patch<Node>(resources.nodes, "healthy", { spec: { unschedulable: true } }, { type: "strategic" });
  await waitFor("unschedulable taint", async () => hasTaint(await taintsOf("healthy"), "node.kubernetes.io/unschedulable", "NoSchedule"));
  await client.patch<Node>(resources.nodes, "healthy", { spec: { unschedulable: false } }, { type: "strategic" });
  await waitFor("unschedulable taint gone", async () => (await taintsOf("healthy")).length === 0);
});

it("a NoExecute taint a pod does not tolerate deletes it at once, gracefully, with DisruptionTarget and an event", async () => {
  await createRunningPod("victim", "healthy");
  await client.patch<Node>(resources.nodes, "healthy", { spec: { taints: [{ key: "example.com/drain", effect: "NoExecute" }] } }, { type: "strategic" });
  const pod = await waitFor("victim terminating", async () => {
    const p = await getPod("victim");
    return p.metadata?.deletionTimestamp ? p : undefined;
  });
  assert.equal(isPodActive(pod), false, "a ReplicaSet no longer counts it");
  const c = pod.status?.conditions?.find((x) => x.type === "DisruptionTarget");
  assert.deepEqual([c?.status, c?.reason, c?.message], ["True", "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint"]);
  const [event] = await waitFor("TaintManagerEviction event", async () => ((await events("TaintManagerEviction", "victim")).length ? events("TaintManagerEviction", "victim") : undefined));
  assert.equal(event!.message, "Marking for deletion Pod default/victim");
  assert.equal(event!.source?.component, "taint-eviction-controller");
  await client.patch<Node>(resources.nodes, "healthy", { spec: { taints: null } }, { type: "merge" });
});

it("a node whose kubelet stops becomes Unknown and unreachable-tainted; its pods go as their tolerations say and are marked not ready", async () => {
  const unreachable = (seconds?: number): Toleration[] => [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}) }];
  await createRunningPod("p-zero", "dying", unreachable(0));
  await createRunningPod("p-two", "dying", unreachable(2));
  await createRunningPod("p-forever", "dying", unreachable());
  const byDefault = await createRunningPod("p-default", "dying");
  assert.ok(byDefault.spec?.tolerations?.some((t) => t.key === "node.kubernetes.io/unreachable" && t.tolerationSeconds === 300), "DefaultTolerationSeconds admission");

  await kubelets.get("dying")!.stop();
  const node = await waitFor("dying is Unknown", async () => {
    const n = await getNode("dying");
    return n.status?.conditions?.find((c) => c.type === "Ready")?.status === "Unknown" ? n : undefined;
  });
  for (const c of node.status!.conditions!) {
    assert.deepEqual([c.type, c.status, c.reason, c.message], [c.type, "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."]);
  }
  const taints = await waitFor("unreachable taints", async () => {
    const t = await taintsOf("dying");
    return hasTaint(t, "node.kubernetes.io/unreachable", "NoExecute") && hasTaint(t, "node.kubernetes.io/unreachable", "NoSchedule") ? t : undefined;
  });
  const noExecute = hasTaint(taints, "node.kubernetes.io/unreachable", "NoExecute")!;
  assert.ok(noExecute.timeAdded);

  await waitFor("p-zero deleted at once", async () => !!(await getPod("p-zero")).metadata?.deletionTimestamp);
  assert.equal((await getPod("p-two")).metadata?.deletionTimestamp, undefined, "p-two tolerates the taint for 2 s");
  await waitFor("p-two deleted after its toleration", async () => !!(await getPod("p-two")).metadata?.deletionTimestamp, 10_000);
  assert.ok(Date.now() >= Date.parse(noExecute.timeAdded!) + 2000, "not before tolerationSeconds after timeAdded");

  const notReady = await waitFor("p-default marked not ready", async () => {
    const p = await getPod("p-default");
    return p.status?.conditions?.find((c) => c.type === "Ready")?.status === "False" ? p : undefined;
  });
  assert.equal(notReady.metadata?.deletionTimestamp, undefined, "300 s toleration");
  assert.equal((await getPod("p-forever")).metadata?.deletionTimestamp, undefined);
  await waitFor("NodeNotReady events", async () => (await events("NodeNotReady", "p-default")).length > 0 && (await events("NodeNotReady", "dying")).length > 0);
  const [nodeEvent] = await events("NodeNotReady", "dying");
  assert.equal(nodeEvent!.message, "Node dying status is now: NodeNotReady");
});

it("a kubelet that comes back renews the Lease and posts Ready: the taints go", async () => {
  startKubelet("dying");
  const node = await waitFor("taints cleared", async () => {
    const n = await getNode("dying");
    return (n.spec?.taints ?? []).length === 0 && n.status?.conditions?.find((c) => c.type === "Ready")?.status === "True" ? n : undefined;
  });
  assert.deepEqual(node.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [
    ["MemoryPressure", "False", "KubeletHasSufficientMemory"], ["DiskPressure", "False", "KubeletHasNoDiskPressure"],
    ["PIDPressure", "False", "KubeletHasSufficientPID"], ["Ready", "True", "KubeletReady"],
  ]);
  // Nothing re-taints it while the Lease is renewed.
  const lease = (await client.get<Lease>(resources.leases, "dying", { namespace: "kube-node-lease" })).spec?.renewTime;
  await waitFor("lease renewed again", async () => (await client.get<Lease>(resources.leases, "dying", { namespace: "kube-node-lease" })).spec?.renewTime !== lease);
  assert.deepEqual(await taintsOf("dying"), []);
});
