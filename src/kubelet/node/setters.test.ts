// The node status setters without a host or server: capacity minus reservations, node info, and
// the condition transitions with Kubernetes' reasons, messages and events.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Node } from "kubernetes-types/core/v1.js";
import { applySetters, defaultSetters, nodeStatusChanged } from "./setters.ts";
import type { SetterConfig, StatusInputs } from "./setters.ts";
import { parseThresholds } from "./eviction/thresholds.ts";
import type { HostInfo } from "./host.ts";

const GiB = 2 ** 30;
const host: HostInfo = {
  cpus: 4, memoryBytes: 16 * GiB, ephemeralStorageBytes: 100 * GiB, machineID: "m1", systemUUID: "u1", bootID: "b1",
  kernelVersion: "6.1.0", osImage: "Debian GNU/Linux 12 (bookworm)", operatingSystem: "linux", architecture: "amd64",
};
const cfg: SetterConfig = {
  nodeName: "n1", addresses: [{ type: "InternalIP", address: "10.0.0.5" }, { type: "Hostname", address: "n1" }], kubeletPort: 10250, maxPods: 110,
  systemReserved: { cpu: "100m", memory: "256Mi" }, kubeReserved: { memory: "256Mi" },
  evictionHard: parseThresholds({ "memory.available": "100Mi", "nodefs.available": "10%" }),
  kubeletVersion: "v1.32.0-k8ts", kubeProxyVersion: "v1.32.0-k8ts", containerRuntimeVersion: "process://0.1.0",
};
const T0 = Date.parse("2026-01-01T00:00:00Z");
const inputs = (over: Partial<StatusInputs> = {}): StatusInputs => ({ now: T0, host, readinessErrors: [], pressure: { memory: false, disk: false, pid: false }, ...over });

function fresh(events: string[] = []): { node: Node; run: (i: StatusInputs) => Node } {
  const setters = defaultSetters(cfg, (_type, reason) => events.push(reason));
  const node: Node = { metadata: { name: "n1" } };
  return { node, run: (i) => applySetters(node, setters, i) };
}

it("capacity from the host, allocatable minus reserved and hard eviction amounts", () => {
  const { run } = fresh();
  const node = run(inputs());
  assert.deepEqual(node.status?.capacity, { cpu: "4", memory: "16Gi", pods: "110", "ephemeral-storage": "100Gi" });
  // 16Gi - 256Mi - 256Mi - 100Mi = 15772Mi; 100Gi - 10% = 90Gi.
  assert.deepEqual(node.status?.allocatable, { cpu: "3900m", memory: "15772Mi", pods: "110", "ephemeral-storage": "90Gi" });
});

it("node info, addresses and daemon endpoints", () => {
  const node = fresh().run(inputs());
  assert.deepEqual(node.status?.nodeInfo, {
    machineID: "m1", systemUUID: "u1", bootID: "b1", kernelVersion: "6.1.0", osImage: "Debian GNU/Linux 12 (bookworm)",
    containerRuntimeVersion: "process://0.1.0", kubeletVersion: "v1.32.0-k8ts", kubeProxyVersion: "v1.32.0-k8ts", operatingSystem: "linux", architecture: "amd64",
  });
  assert.deepEqual(node.status?.addresses, cfg.addresses);
  assert.deepEqual(node.status?.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
});

it("conditions start in Kubernetes' order and words; Ready is last", () => {
  const events: string[] = [];
  const node = fresh(events).run(inputs());
  const t = "2026-01-01T00:00:00Z";
  assert.deepEqual(node.status?.conditions, [
    { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available", lastHeartbeatTime: t, lastTransitionTime: t },
    { type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure", lastHeartbeatTime: t, lastTransitionTime: t },
    { type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available", lastHeartbeatTime: t, lastTransitionTime: t },
    { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: t, lastTransitionTime: t },
  ]);
  assert.deepEqual(events, ["NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID"]);
});

it("heartbeats move; transitions only on a change; NotReady carries the errors", () => {
  const events: string[] = [];
  const { run } = fresh(events);
  const first = structuredClone(run(inputs()));
  const second = structuredClone(run(inputs({ now: T0 + 10_000 })));
  assert.equal(nodeStatusChanged(first.status, second.status), false, "only heartbeats moved");
  const ready = second.status!.conditions!.find((c) => c.type === "Ready")!;
  assert.equal(ready.lastHeartbeatTime, "2026-01-01T00:00:10Z");
  assert.equal(ready.lastTransitionTime, "2026-01-01T00:00:00Z");
  events.length = 0;
  const third = structuredClone(run(inputs({ now: T0 + 20_000, readinessErrors: ["container runtime network not ready: NetworkReady=false"], pressure: { memory: true, disk: false, pid: false } })));
  assert.equal(nodeStatusChanged(second.status, third.status), true);
  const c = Object.fromEntries(third.status!.conditions!.map((x) => [x.type, x]));
  assert.deepEqual([c.Ready!.status, c.Ready!.reason, c.Ready!.message, c.Ready!.lastTransitionTime], ["False", "KubeletNotReady", "container runtime network not ready: NetworkReady=false", "2026-01-01T00:00:20Z"]);
  assert.deepEqual([c.MemoryPressure!.status, c.MemoryPressure!.reason, c.MemoryPressure!.message], ["True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"]);
  assert.deepEqual(events, ["NodeHasInsufficientMemory", "NodeNotReady"]);
  assert.equal(third.status!.conditions!.at(-1)!.type, "Ready");
});

it("missing capacity makes the node NotReady", () => {
  const { run } = fresh();
  const node = run(inputs({ host: { ...host, ephemeralStorageBytes: undefined } }));
  const ready = node.status!.conditions!.find((c) => c.type === "Ready")!;
  assert.equal(ready.status, "False");
  assert.equal(ready.message, "missing node capacity for resources: ephemeral-storage");
});

it("a new boot ID records NodeRebooted", () => {
  const events: string[] = [];
  const { run } = fresh(events);
  run(inputs());
  run(inputs({ host: { ...host, bootID: "b2" } }));
  assert.ok(events.includes("NodeRebooted"));
});
