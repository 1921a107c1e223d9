// Per-node aggregate state (framework.NodeInfo): the node, its pods, what they request, the host
// ports in use and which pods carry (anti-)affinity. The cache keeps one per node and the
// scheduler works on a snapshot; preemption clones one to try removing pods.
import type { Node, Pod, Taint } from "kubernetes-types/core/v1.js";
import { addResource, emptyResource, resourceFromList, subtractResource } from "./resources.ts";
import type { Resource } from "./resources.ts";
import { newPodInfo, podKey } from "./pod-info.ts";
import type { HostPort, PodInfo } from "./pod-info.ts";

let generationCounter = 0;
/** A process-wide increasing number: a NodeInfo's generation changes whenever it does. */
export const nextGeneration = (): number => ++generationCounter;

const hasAffinity = (p: PodInfo): boolean =>
  p.requiredAffinityTerms.length + p.requiredAntiAffinityTerms.length + p.preferredAffinityTerms.length + p.preferredAntiAffinityTerms.length > 0;

export class NodeInfo {
  node: Node | undefined;
  name: string;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  /** Sum of the pods' requests; `pods` is the pod count. */
  requested: Resource = emptyResource();
  /** Sum with scoring defaults for pods that request nothing. */
  nonZeroRequested: Resource = emptyResource();
  allocatable: Resource = emptyResource();
  /** Host ports in use: `protocol/port` → IPs using it. */
  usedPorts = new Map<string, Set<string>>();
  generation = nextGeneration();

  constructor(name: string, node?: Node) {
    this.name = name;
    if (node) this.setNode(node);
  }

  get taints(): readonly Taint[] {
    return this.node?.spec?.taints ?? [];
  }

  get labels(): Readonly<Record<string, string>> {
    return this.node?.metadata?.labels ?? {};
  }

  setNode(node: Node): void {
    this.node = node;
    this.name = node.metadata?.name ?? this.name;
    this.allocatable = resourceFromList((node.status?.allocatable ?? node.status?.capacity) as Record<string, string> | undefined);
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
    this.podsWithAffinity = this.podsWithAffinity.filter((p) => p.key !== key);
    this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((p) => p.key !== key);
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
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.requested = { ...this.requested, scalar: { ...this.requested.scalar } };
    c.nonZeroRequested = { ...this.nonZeroRequested, scalar: { ...this.nonZeroRequested.scalar } };
    c.allocatable = this.allocatable;
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
