// Per-node aggregate state (framework.NodeInfo): the node, its pods, what they request, the host
// ports in use and which pods carry (anti-)affinity. The cache keeps one per node and the
// scheduler works on a snapshot; preemption clones one to try removing pods.
import type { Node, Pod, Taint } from "kubernetes-types/core/v1.js";
import { addResource, resourceFromList, subtractResource } from "./resources.ts";
import type { Resource } from "./resources.ts";
import { newPodInfo, podKey } from "./pod-info.ts";
import type { HostPort, PodInfo } from "./pod-info.ts";

let generationCounter = 0;
/** A process-wide increasing number: a NodeInfo's generation changes whenever it does. */
export const nextGeneration = (): number => ++generationCounter;

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const NO_TAINTS: readonly Taint[] = Object.freeze([]);

// Indexes into NodeInfo.amounts: what Filter and Score read for every node.
export const ALLOCATABLE_CPU = 0;
export const ALLOCATABLE_MEMORY = 1;
export const ALLOCATABLE_PODS = 2;
export const REQUESTED_CPU = 3;
export const REQUESTED_MEMORY = 4;
export const REQUESTED_PODS = 5;
export const NON_ZERO_CPU = 6;
export const NON_ZERO_MEMORY = 7;
/** 8 doubles: small enough for V8 to keep the array's data on the heap beside it. */
const AMOUNTS = 8;
const NONE = -1;

/**
 * A Resource whose cpu, memory and pods live in a NodeInfo's `amounts`: objects box numbers that
 * are not small integers (memory in bytes) in heap cells of their own, and Filter and Score read
 * these for thousands of nodes per pod, so one packed array saves cache misses. Ephemeral storage
 * (and the non-zero pod count) stay plain fields.
 */
class PackedResource implements Resource {
  private readonly a: Float64Array;
  private readonly cpuAt: number;
  private readonly podsAt: number;
  private podCount = 0;
  ephemeralStorage = 0;
  scalar: Record<string, number> = {};

  constructor(a: Float64Array, cpuAt: number, podsAt: number) {
    this.a = a;
    this.cpuAt = cpuAt;
    this.podsAt = podsAt;
  }

  get milliCPU(): number { return this.a[this.cpuAt]; }
  set milliCPU(v: number) { this.a[this.cpuAt] = v; }
  get memory(): number { return this.a[this.cpuAt + 1]; }
  set memory(v: number) { this.a[this.cpuAt + 1] = v; }
  get pods(): number { return this.podsAt === NONE ? this.podCount : this.a[this.podsAt]; }
  set pods(v: number) {
    if (this.podsAt === NONE) this.podCount = v;
    else this.a[this.podsAt] = v;
  }

  /** Takes every amount and the scalar map from `r`. */
  assign(r: Resource): void {
    this.milliCPU = r.milliCPU;
    this.memory = r.memory;
    this.ephemeralStorage = r.ephemeralStorage;
    this.pods = r.pods;
    this.scalar = r.scalar;
  }
}

/** A plain copy of a Resource's numbers (PackedResource's are accessors, which spreading skips). */
const resourceOf = (r: Resource): Resource => ({ milliCPU: r.milliCPU, memory: r.memory, ephemeralStorage: r.ephemeralStorage, pods: r.pods, scalar: r.scalar });

const hasAffinity = (p: PodInfo): boolean =>
  p.requiredAffinityTerms.length + p.requiredAntiAffinityTerms.length + p.preferredAffinityTerms.length + p.preferredAntiAffinityTerms.length > 0;

export class NodeInfo {
  node: Node | undefined;
  name: string;
  /**
   * The node's labels, spec.taints and spec.unschedulable, copied by `setNode` so that Filter and
   * Score, which visit thousands of nodes per pod, read them here rather than through the Node.
   */
  labels: Readonly<Record<string, string>> = NO_LABELS;
  taints: readonly Taint[] = NO_TAINTS;
  unschedulable = false;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  /** allocatable, requested and nonZeroRequested packed (see PackedResource); index with the constants above. */
  readonly amounts = new Float64Array(AMOUNTS);
  /** Sum of the pods' requests; `pods` is the pod count. */
  readonly requested: Resource = new PackedResource(this.amounts, REQUESTED_CPU, REQUESTED_PODS);
  /** Sum with scoring defaults for pods that request nothing. */
  readonly nonZeroRequested: Resource = new PackedResource(this.amounts, NON_ZERO_CPU, NONE);
  readonly allocatable: Resource = new PackedResource(this.amounts, ALLOCATABLE_CPU, ALLOCATABLE_PODS);
  /** Host ports in use: `protocol/port` → IPs using it. */
  usedPorts = new Map<string, Set<string>>();
  generation = nextGeneration();

  constructor(name: string, node?: Node) {
    this.name = name;
    if (node) this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    this.name = node.metadata?.name ?? this.name;
    this.labels = node.metadata?.labels ?? NO_LABELS;
    this.taints = node.spec?.taints ?? NO_TAINTS;
    this.unschedulable = node.spec?.unschedulable === true;
    (this.allocatable as PackedResource).assign(resourceFromList((node.status?.allocatable ?? node.status?.capacity) as Record<string, string> | undefined));
    this.generation = nextGeneration();
  }

  addPod(pod: Pod | PodInfo): PodInfo {
    const info = "requests" in pod ? pod : newPodInfo(pod);
    this.pods.push(info);
    if (hasAffinity(info)) this.podsWithAffinity.push(info);
    if (info.requiredAntiAffinityTerms.length > 0) this.podsWithRequiredAntiAffinity.push(info);
    addResource(this.requested, info.requests);
    addResource(this.nonZeroRequested, info.nonZeroRequests);
    this.requested.pods++;
    this.nonZeroRequested.pods++;
    for (const p of info.hostPorts) this.portSet(p).add(p.ip);
    this.generation = nextGeneration();
    return info;
  }

  /** Removes the pod with this pod's namespace/name; false when it is not here. */
  removePod(pod: Pod): boolean {
    const key = podKey(pod);
    const i = this.pods.findIndex((p) => p.key === key);
    if (i < 0) return false;
    const info = this.pods[i];
    this.pods.splice(i, 1);
    if (hasAffinity(info)) this.podsWithAffinity = this.podsWithAffinity.filter((p) => p.key !== key);
    if (info.requiredAntiAffinityTerms.length > 0) this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((p) => p.key !== key);
    subtractResource(this.requested, info.requests);
    subtractResource(this.nonZeroRequested, info.nonZeroRequests);
    this.requested.pods--;
    this.nonZeroRequested.pods--;
    for (const p of info.hostPorts) {
      const set = this.usedPorts.get(`${p.protocol}/${p.port}`);
      set?.delete(p.ip);
      if (set?.size === 0) this.usedPorts.delete(`${p.protocol}/${p.port}`);
    }
    this.generation = nextGeneration();
    return true;
  }

  /** Whether `port` conflicts with one in use: same protocol and port, and the same IP or either is 0.0.0.0. */
  portConflicts(port: HostPort): boolean {
    const ips = this.usedPorts.get(`${port.protocol}/${port.port}`);
    if (!ips || ips.size === 0) return false;
    return port.ip === "0.0.0.0" || ips.has("0.0.0.0") || ips.has(port.ip);
  }

  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.labels = this.labels;
    c.taints = this.taints;
    c.unschedulable = this.unschedulable;
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    (c.allocatable as PackedResource).assign(this.allocatable);
    (c.requested as PackedResource).assign({ ...resourceOf(this.requested), scalar: { ...this.requested.scalar } });
    (c.nonZeroRequested as PackedResource).assign({ ...resourceOf(this.nonZeroRequested), scalar: { ...this.nonZeroRequested.scalar } });
    for (const [k, v] of this.usedPorts) c.usedPorts.set(k, new Set(v));
    c.generation = this.generation;
    return c;
  }

  private portSet(p: HostPort): Set<string> {
    const k = `${p.protocol}/${p.port}`;
    let s = this.usedPorts.get(k);
    if (!s) this.usedPorts.set(k, (s = new Set()));
    return s;
  }
}
