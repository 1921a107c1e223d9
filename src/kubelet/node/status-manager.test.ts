// The kubelet's node side against a real API server: registration fields, the Lease and its
// renewals, status posted on change and after the report frequency (FakeClock), re-registration
// of an existing Node, and the pod CIDR callback.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import { startTestApiServer } from "../../testing/apiserver.ts";
import type { TestApiServer } from "../../testing/apiserver.ts";
import { waitFor } from "../../testing/wait.ts";
import { Client, FakeClock, resources } from "../../client/index.ts";
import { silentLogger } from "../../util/log.ts";
import { NodeStatusManager } from "./status-manager.ts";
import type { NodeStatusManagerOptions } from "./status-manager.ts";
import type { HostInfo } from "./host.ts";
import { EvictionManager } from "./eviction/manager.ts";

let api: TestApiServer;
let client: Client;
const managers: NodeStatusManager[] = [];

const GiB = 2 ** 30;
const host: HostInfo = {
  cpus: 2, memoryBytes: 4 * GiB, ephemeralStorageBytes: 20 * GiB, machineID: "machine", systemUUID: "uuid", bootID: "boot",
  kernelVersion: "6.1.0-test", osImage: "Test Linux", operatingSystem: "linux", architecture: "arm64",
};

function manager(o: Partial<NodeStatusManagerOptions> & { nodeName: string }): NodeStatusManager {
  const m = new NodeStatusManager({
    client, hostInfo: async () => host, addresses: [{ type: "InternalIP", address: "10.1.2.3" }, { type: "Hostname", address: o.nodeName }],
    containerRuntime: { type: "process", version: "0.1.0" }, log: silentLogger, ...o,
  });
  managers.push(m);
  return m;
}

const getNode = (name: string) => client.get<Node>(resources.nodes, name);
const getLease = (name: string) => client.get<Lease>(resources.leases, name, { namespace: "kube-node-lease" });

before(async () => {
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
});

after(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  client?.close();
  await api?.close();
});

it("registers the Node with labels, capacity, allocatable, node info and Ready conditions, and a Lease it owns", async () => {
  const m = manager({ nodeName: "node-a", labels: { "node-role.kubernetes.io/control-plane": "true" }, kubeletPort: 10251 });
  m.start();
  const node = await waitFor("node-a registered", () => getNode("node-a").catch(() => undefined));
  assert.deepEqual(node.metadata?.labels, {
    "kubernetes.io/hostname": "node-a", "kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64",
    "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "arm64", "node-role.kubernetes.io/control-plane": "true",
  });
  assert.equal(node.metadata?.annotations?.["volumes.kubernetes.io/controller-managed-attach-detach"], "true");
  assert.deepEqual(node.status?.capacity, { cpu: "2", memory: "4Gi", pods: "110", "ephemeral-storage": "20Gi" });
  // memory: 4Gi - 100Mi (memory.available); ephemeral-storage: 20Gi - 10% (nodefs.available).
  assert.deepEqual(node.status?.allocatable, { cpu: "2", memory: "3996Mi", pods: "110", "ephemeral-storage": "18Gi" });
  assert.deepEqual(node.status?.nodeInfo, {
    machineID: "machine", systemUUID: "uuid", bootID: "boot", kernelVersion: "6.1.0-test", osImage: "Test Linux",
    containerRuntimeVersion: "process://0.1.0", kubeletVersion: "v1.32.0-k8ts", kubeProxyVersion: "v1.32.0-k8ts", operatingSystem: "linux", architecture: "arm64",
  });
  assert.deepEqual(node.status?.addresses, [{ type: "InternalIP", address: "10.1.2.3" }, { type: "Hostname", address: "node-a" }]);
  assert.deepEqual(node.status?.daemonEndpoints, { kubeletEndpoint: { Port: 10251 } });
  assert.deepEqual(node.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [
    ["MemoryPressure", "False", "KubeletHasSufficientMemory"], ["DiskPressure", "False", "KubeletHasNoDiskPressure"],
    ["PIDPressure", "False", "KubeletHasSufficientPID"], ["Ready", "True", "KubeletReady"],
  ]);
  const lease = await waitFor("lease owned by the node", async () => {
    const l = await getLease("node-a").catch(() => undefined);
    return l?.metadata?.ownerReferences?.length ? l : undefined;
  });
  assert.equal(lease.spec?.holderIdentity, "node-a");
  assert.equal(lease.spec?.leaseDurationSeconds, 40);
  assert.match(lease.spec?.renewTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.deepEqual(lease.metadata?.ownerReferences, [{ apiVersion: "v1", kind: "Node", name: "node-a", uid: node.metadata?.uid }]);
  const { stdout } = await api.kubectl(["get", "node", "node-a", "--no-headers"]);
  assert.match(stdout, /^node-a\s+Ready\s+control-plane\s+\S+\s+v1\.32\.0-k8ts/);
});

it("renews the Lease every renew interval and posts status only on change or when the report is due", async () => {
  const clock = new FakeClock(Date.parse("2026-03-01T00:00:00Z"));
  let errors: string[] = [];
  const m = manager({ nodeName: "node-b", clock, random: () => 0, readiness: () => errors, statusUpdateFrequencyMs: 10_000, statusReportFrequencyMs: 60_000 });
  m.start();
  await waitFor("node-b registered", () => m.registered && m.node);
  const first = await waitFor("first lease", () => getLease("node-b").catch(() => undefined));
  assert.equal(first.spec?.renewTime, "2026-03-01T00:00:00.000000Z");
  clock.advance(10_000);
  await waitFor("lease renewed at +10s", async () => (await getLease("node-b")).spec?.renewTime === "2026-03-01T00:00:10.000000Z");

  // Nothing changed and the report is not due: no write.
  const rv0 = (await getNode("node-b")).metadata?.resourceVersion;
  await m.syncNow();
  assert.equal((await getNode("node-b")).metadata?.resourceVersion, rv0);

  // A change is posted at once.
  errors = ["container runtime is down"];
  await m.syncNow();
  const notReady = await getNode("node-b");
  const ready = notReady.status?.conditions?.find((c) => c.type === "Ready");
  assert.deepEqual([ready?.status, ready?.reason, ready?.message, ready?.lastTransitionTime], ["False", "KubeletNotReady", "container runtime is down", "2026-03-01T00:00:10Z"]);

  // Unchanged for the report frequency: posted with fresh heartbeats.
  clock.advance(60_000);
  await m.syncNow();
  const reported = await getNode("node-b");
  assert.notEqual(reported.metadata?.resourceVersion, notReady.metadata?.resourceVersion);
  const hb = reported.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(hb?.lastHeartbeatTime, "2026-03-01T00:01:10Z");
  assert.equal(hb?.lastTransitionTime, "2026-03-01T00:00:10Z");
});

it("an existing Node keeps its spec, gets its labels reconciled, and its pod CIDR handed over; a later CIDR assignment too", async () => {
  await client.create<Node>(resources.nodes, {
    metadata: { name: "node-c", labels: { "kubernetes.io/arch": "wrong", custom: "kept" } },
    spec: { podCIDR: "10.42.7.0/24", taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }] },
  });
  const cidrs: string[] = [];
  const m = manager({ nodeName: "node-c", onPodCIDR: (cidr) => void cidrs.push(cidr) });
  m.start();
  await waitFor("registered", () => m.registered);
  const node = await waitFor("status posted", async () => {
    const n = await getNode("node-c");
    return n.status?.conditions?.length ? n : undefined;
  });
  assert.equal(node.metadata?.labels?.["kubernetes.io/arch"], "arm64");
  assert.equal(node.metadata?.labels?.custom, "kept");
  assert.deepEqual(node.spec?.taints, [{ key: "dedicated", value: "x", effect: "NoSchedule" }]);
  assert.deepEqual(cidrs, ["10.42.7.0/24"]);

  const d = manager({ nodeName: "node-d", onPodCIDR: (cidr) => void cidrs.push(cidr) });
  d.start();
  await waitFor("node-d registered", () => d.registered);
  await client.patch<Node>(resources.nodes, "node-d", { spec: { podCIDR: "10.42.9.0/24", podCIDRs: ["10.42.9.0/24"] } }, { type: "strategic" });
  await waitFor("node-d CIDR handed over", () => cidrs.includes("10.42.9.0/24"));
  assert.deepEqual(cidrs, ["10.42.7.0/24", "10.42.9.0/24"]);
});

it("wired to the eviction manager: simulated memory pressure posts MemoryPressure at once and evicts the BestEffort pod", async () => {
  let available = 2 * GiB;
  const evicted: string[] = [];
  const pods: Pod[] = [
    { metadata: { name: "be", namespace: "default" }, spec: { containers: [{ name: "c", image: "i" }] }, status: { qosClass: "BestEffort" } },
    { metadata: { name: "bu", namespace: "default" }, spec: { containers: [{ name: "c", image: "i", resources: { requests: { memory: "1Gi" } } }] }, status: { qosClass: "Burstable" } },
  ];
  let status: NodeStatusManager | undefined = undefined;
  const eviction = new EvictionManager({
    signals: async () => ({ "memory.available": { available, capacity: 4 * GiB } }),
    activePods: () => pods.filter((p) => !evicted.includes(p.metadata!.name!)),
    podStats: (p) => ({ memoryBytes: p.metadata!.name === "be" ? 50 * 2 ** 20 : 512 * 2 ** 20 }),
    evictPod: (p) => evicted.push(p.metadata!.name!) > 0,
    onPressureChange: () => void status?.syncNow(),
  });
  status = manager({ nodeName: "node-e", pressure: eviction });
  status.start();
  await waitFor("node-e registered", () => status.registered);
  available = 60 * 2 ** 20;
  await eviction.synchronize();
  assert.deepEqual(evicted, ["be"]);
  const node = await waitFor("MemoryPressure posted", async () => {
    const n = await getNode("node-e");
    return n.status?.conditions?.find((c) => c.type === "MemoryPressure" && c.status === "True") ? n : undefined;
  });
  const c = node.status!.conditions!.find((x) => x.type === "MemoryPressure")!;
  assert.deepEqual([c.reason, c.message], ["KubeletHasInsufficientMemory", "kubelet has insufficient memory available"]);
});
