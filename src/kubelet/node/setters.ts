// The node status as the kubelet computes it (pkg/kubelet/nodestatus/setters.go): one setter per
// concern, applied in order to a copy of the Node. Setters are pure: every input (time, host,
// readiness, pressure) arrives in a snapshot, so they are tested without a host or a server.
import type { Node, NodeAddress, NodeCondition } from "kubernetes-types/core/v1.js";
import { parseQuantity, quantityToString, subtractQuantities } from "../../apimachinery/quantity.ts";
import type { Quantity } from "../../apimachinery/quantity.ts";
import type { HostInfo } from "./host.ts";
import type { Threshold } from "./eviction/thresholds.ts";
import { hardEvictionReservation } from "./eviction/thresholds.ts";

/** What one status computation sees. */
export interface StatusInputs {
  /** Milliseconds since the epoch. */
  now: number;
  host: HostInfo;
  /** Why the node is not ready (runtime down, network not ready …); empty when ready. */
  readinessErrors: readonly string[];
  pressure: { memory: boolean; disk: boolean; pid: boolean };
}

export type Setter = (node: Node, inputs: StatusInputs) => void;

/** Records a node event (NodeReady, NodeHasSufficientMemory …); the caller words the message. */
export type RecordNodeEvent = (type: "Normal" | "Warning", reason: string, message?: string) => void;

export interface SetterConfig {
  nodeName: string;
  addresses: readonly NodeAddress[];
  kubeletPort: number;
  maxPods: number;
  /** Resources set aside for the OS and for Kubernetes daemons ({ cpu: "100m", memory: "256Mi" }). */
  systemReserved?: Readonly<Record<string, string>>;
  kubeReserved?: Readonly<Record<string, string>>;
  /** Hard eviction thresholds (their amounts are not allocatable either). */
  evictionHard: readonly Threshold[];
  kubeletVersion: string;
  kubeProxyVersion: string;
  /** `<type>://<version>`, e.g. "process://0.1.0"; Unknown when not given. */
  containerRuntimeVersion: string;
}

/** metav1.Time: RFC 3339 in whole seconds. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

const bytes = (n: number): Quantity => ({ nanos: BigInt(Math.max(0, Math.floor(n))) * 1_000_000_000n, format: "BinarySI" });
const count = (n: number): Quantity => ({ nanos: BigInt(Math.max(0, Math.floor(n))) * 1_000_000_000n, format: "DecimalSI" });

export function nodeAddressSetter(addresses: readonly NodeAddress[]): Setter {
  return (node) => {
    node.status!.addresses = addresses.map((a) => ({ ...a }));
  };
}

/**
 * Capacity from the host (cpu, memory, pods, ephemeral-storage; other entries such as extended
 * resources are kept) and allocatable = capacity − system/kube reserved − hard eviction amounts,
 * never negative. Also machine identity; a changed boot ID records NodeRebooted.
 */
export function machineInfoSetter(cfg: SetterConfig, record: RecordNodeEvent): Setter {
  return (node, { host }) => {
    const status = node.status!;
    const info = (status.nodeInfo ??= emptyNodeInfo());
    info.machineID = host.machineID;
    info.systemUUID = host.systemUUID;
    if (info.bootID && host.bootID && info.bootID !== host.bootID) {
      record("Warning", "NodeRebooted", `Node ${cfg.nodeName} has been rebooted, boot id: ${host.bootID}`);
    }
    info.bootID = host.bootID;
    const capacity: Record<string, string> = { ...status.capacity };
    capacity.cpu = quantityToString(count(host.cpus));
    capacity.memory = quantityToString(bytes(host.memoryBytes));
    capacity.pods = String(cfg.maxPods);
    if (host.ephemeralStorageBytes !== undefined) capacity["ephemeral-storage"] = quantityToString(bytes(host.ephemeralStorageBytes));
    status.capacity = capacity;
    const reservation = allocatableReservation(cfg, host);
    const allocatable: Record<string, string> = {};
    for (const [name, value] of Object.entries(capacity)) {
      let q = parseQuantity(value);
      const r = reservation.get(name);
      if (r) q = subtractQuantities(q, r);
      if (q.nanos < 0n) q = { nanos: 0n, format: q.format };
      allocatable[name] = quantityToString({ nanos: q.nanos, format: q.format });
    }
    status.allocatable = allocatable;
  };
}

/** systemReserved + kubeReserved + the hard eviction amounts, per resource (GetNodeAllocatableReservation). */
export function allocatableReservation(cfg: Pick<SetterConfig, "systemReserved" | "kubeReserved" | "evictionHard">, host: Pick<HostInfo, "memoryBytes" | "ephemeralStorageBytes">): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  const add = (name: string, q: Quantity) => {
    const have = out.get(name);
    out.set(name, have ? { nanos: have.nanos + q.nanos, format: have.format } : q);
  };
  for (const list of [cfg.systemReserved, cfg.kubeReserved]) for (const [name, value] of Object.entries(list ?? {})) add(name, parseQuantity(value));
  const eviction = hardEvictionReservation(cfg.evictionHard, { memory: host.memoryBytes, ephemeralStorage: host.ephemeralStorageBytes });
  if (eviction.memory !== undefined) add("memory", bytes(eviction.memory));
  if (eviction["ephemeral-storage"] !== undefined) add("ephemeral-storage", bytes(eviction["ephemeral-storage"]));
  return out;
}

function emptyNodeInfo() {
  return { machineID: "", systemUUID: "", bootID: "", kernelVersion: "", osImage: "", containerRuntimeVersion: "", kubeletVersion: "", kubeProxyVersion: "", operatingSystem: "", architecture: "" };
}

/** Kernel, OS image, runtime and kubelet versions. */
export function versionInfoSetter(cfg: SetterConfig): Setter {
  return (node, { host }) => {
    const info = (node.status!.nodeInfo ??= emptyNodeInfo());
    info.kernelVersion = host.kernelVersion;
    info.osImage = host.osImage;
    info.containerRuntimeVersion = cfg.containerRuntimeVersion;
    info.kubeletVersion = cfg.kubeletVersion;
    info.kubeProxyVersion = cfg.kubeProxyVersion;
  };
}

export function daemonEndpointsSetter(port: number): Setter {
  return (node) => {
    node.status!.daemonEndpoints = { kubeletEndpoint: { Port: port } };
  };
}

/** GOOS / GOARCH. */
export function goRuntimeSetter(): Setter {
  return (node, { host }) => {
    const info = (node.status!.nodeInfo ??= emptyNodeInfo());
    info.operatingSystem = host.operatingSystem;
    info.architecture = host.architecture;
  };
}

const REQUIRED_CAPACITY = ["cpu", "memory", "pods", "ephemeral-storage"];

/**
 * Ready: True (KubeletReady) unless readiness errors or missing capacity make it False
 * (KubeletNotReady, the errors joined). The transition time moves only when the status does;
 * a change records NodeReady / NodeNotReady. Ready stays the last condition.
 */
export function readyConditionSetter(record: RecordNodeEvent): Setter {
  return (node, { now, readinessErrors }) => {
    const status = node.status!;
    const t = rfc3339(now);
    const errs = [...readinessErrors];
    const missing = REQUIRED_CAPACITY.filter((r) => status.capacity?.[r] === undefined);
    if (missing.length > 0) errs.push(`missing node capacity for resources: ${missing.join(", ")}`);
    const next: NodeCondition = errs.length === 0
      ? { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: t }
      : { type: "Ready", status: "False", reason: "KubeletNotReady", message: errs.join("\n"), lastHeartbeatTime: t };
    const conditions = (status.conditions ??= []);
    const i = conditions.findIndex((c) => c.type === "Ready");
    const old = i >= 0 ? conditions[i] : undefined;
    next.lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : t;
    if (i >= 0) conditions.splice(i, 1);
    conditions.push(next);
    if (old && old.status !== next.status) record("Normal", next.status === "True" ? "NodeReady" : "NodeNotReady");
  };
}

interface PressureWords {
  type: "MemoryPressure" | "DiskPressure" | "PIDPressure";
  key: "memory" | "disk" | "pid";
  on: [reason: string, message: string, event: string];
  off: [reason: string, message: string, event: string];
}

const PRESSURE: Record<PressureWords["key"], PressureWords> = {
  memory: {
    type: "MemoryPressure", key: "memory",
    on: ["KubeletHasInsufficientMemory", "kubelet has insufficient memory available", "NodeHasInsufficientMemory"],
    off: ["KubeletHasSufficientMemory", "kubelet has sufficient memory available", "NodeHasSufficientMemory"],
  },
  disk: {
    type: "DiskPressure", key: "disk",
    on: ["KubeletHasDiskPressure", "kubelet has disk pressure", "NodeHasDiskPressure"],
    off: ["KubeletHasNoDiskPressure", "kubelet has no disk pressure", "NodeHasNoDiskPressure"],
  },
  pid: {
    type: "PIDPressure", key: "pid",
    on: ["KubeletHasInsufficientPID", "kubelet has insufficient PID available", "NodeHasInsufficientPID"],
    off: ["KubeletHasSufficientPID", "kubelet has sufficient PID available", "NodeHasSufficientPID"],
  },
};

/**
 * MemoryPressure / DiskPressure / PIDPressure from the eviction manager's verdict: the heartbeat
 * always moves; reason, message and transition time change (and an event is recorded) only when
 * the status flips (a new condition starts as Unknown, so it always "flips").
 */
export function pressureConditionSetter(kind: PressureWords["key"], record: RecordNodeEvent): Setter {
  const w = PRESSURE[kind];
  return (node, { now, pressure }) => {
    const t = rfc3339(now);
    const conditions = (node.status!.conditions ??= []);
    let c = conditions.find((x) => x.type === w.type);
    const isNew = !c;
    c ??= { type: w.type, status: "Unknown" };
    c.lastHeartbeatTime = t;
    const want = pressure[w.key] ? "True" : "False";
    if (c.status !== want) {
      const [reason, message, event] = pressure[w.key] ? w.on : w.off;
      Object.assign(c, { status: want, reason, message, lastTransitionTime: t });
      record("Normal", event);
    }
    if (isNew) {
      // Keep Ready last: insert before it when it exists.
      const ready = conditions.findIndex((x) => x.type === "Ready");
      if (ready >= 0) conditions.splice(ready, 0, c);
      else conditions.push(c);
    }
  };
}

/** The kubelet's setters in Kubernetes' order (defaultNodeStatusFuncs). */
export function defaultSetters(cfg: SetterConfig, record: RecordNodeEvent): Setter[] {
  return [
    nodeAddressSetter(cfg.addresses),
    machineInfoSetter(cfg, record),
    versionInfoSetter(cfg),
    daemonEndpointsSetter(cfg.kubeletPort),
    goRuntimeSetter(),
    pressureConditionSetter("memory", record),
    pressureConditionSetter("disk", record),
    pressureConditionSetter("pid", record),
    readyConditionSetter(record),
  ];
}

/** Applies the setters to the node in place (its status created if missing). */
export function applySetters(node: Node, setters: readonly Setter[], inputs: StatusInputs): Node {
  if (!node.status) (node as { status?: Node["status"] }).status = {};
  for (const set of setters) set(node, inputs);
  return node;
}

/** nodeStatusHasChanged: anything but the conditions' heartbeat times differs. */
export function nodeStatusChanged(a: Node["status"], b: Node["status"]): boolean {
  const strip = (s: Node["status"]) => JSON.stringify({ ...s, conditions: (s?.conditions ?? []).map((c) => ({ ...c, lastHeartbeatTime: undefined })) }, sortedKeys);
  return strip(a) !== strip(b);
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}
