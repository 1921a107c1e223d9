// Hollow nodes (kubemark's idea): stand-ins for kubelets that register Node objects, keep their
// Leases renewed (the kubelet's own NodeLease), make the pods bound to them Running and Ready
// through pods/status, finish their deletions, and optionally bind pending pods round-robin (a
// stand-in scheduler). One pod informer, one work queue.
import { release } from "node:os";
import type { ContainerStatus, Node, NodeCondition, Pod, PodCondition, PodStatus } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../apimachinery/status.ts";
import { NodeLease } from "../kubelet/node/index.ts";
import { SharedInformer, WorkQueue, sleep, realClock, finalStateOf, keyOf, listWatcherFor, resources, runController, splitKey } from "../client/index.ts";
import type { Client } from "../client/index.ts";
import type { Logger } from "../util/log.ts";
import { silentLogger } from "../util/log.ts";

export interface HollowNodesOptions {
  /** Its QPS/burst bound how fast pods are bound and started (give scale tests a generous one). */
  client: Client;
  count: number;
  /** Node names are `${prefix}${i}`, i from 0; default "hollow-". */
  prefix?: string;
  /** Also bind pending pods of the default scheduler to these nodes, round-robin (while they have room). */
  bind?: boolean;
  cpu?: string;
  memory?: string;
  /** Pod capacity per node (allocatable "pods"); binding skips full nodes. Default 110. */
  pods?: number;
  /** Concurrent API calls (bind/status/delete); default 16. */
  workers?: number;
  /**
   * Lease heartbeat interval (kube-node-lease/<node>, 40 s leases) so the node lifecycle
   * controller keeps the nodes Ready; default 10 s as the kubelet; 0 = no heartbeats (the nodes
   * go Unknown after the grace period, as if their kubelets died). First renewals are spread
   * over one interval.
   */
  heartbeatMs?: number;
  log?: Logger;
}

export interface HollowNodeStats {
  bound: number;
  started: number;
  deleted: number;
}

export interface HollowNodes {
  readonly nodeNames: readonly string[];
  /** Counts of successful API calls so far. */
  readonly stats: HollowNodeStats;
  /** Stops the informer, the heartbeats and the workers (the Node objects stay, as after kubelets stop). */
  stop(): Promise<void>;
}

const DEFAULT_SCHEDULER = "default-scheduler";
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** Node i's InternalIP, in 172.16.0.0/12. */
export function hollowHostIP(i: number): string {
  const n = i + 1;
  return `172.${16 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

/** Node i's pod CIDR: the i-th /24 counting from 10.244.0.0 (wrapping within 10.0.0.0/8). */
export function hollowPodCIDR(i: number): string {
  const block = 244 * 256 + i;
  return `10.${(block >> 8) & 255}.${block & 255}.0/24`;
}

/** The Node a hollow kubelet registers: Ready, with capacity, addresses and node info. */
export function hollowNode(name: string, i: number, o: { cpu: string; memory: string; pods: number }): Node {
  const t = now();
  const cond = (type: string, status: string, reason: string, message: string): NodeCondition =>
    ({ type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: t });
  const capacity = { cpu: o.cpu, memory: o.memory, pods: String(o.pods), "ephemeral-storage": "100Gi" };
  const cidr = hollowPodCIDR(i);
  return {
    apiVersion: "v1", kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" } },
    spec: { podCIDR: cidr, podCIDRs: [cidr] },
    status: {
      capacity, allocatable: { ...capacity },
      conditions: [
        cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
      ],
      addresses: [{ type: "InternalIP", address: hollowHostIP(i) }, { type: "Hostname", address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: name, systemUUID: name, bootID: name, kernelVersion: release(), osImage: "k8ts hollow node",
        containerRuntimeVersion: "hollow://0.1.0", kubeletVersion: "v1.30.0", kubeProxyVersion: "v1.30.0",
        operatingSystem: "linux", architecture: "amd64",
      },
    },
  };
}

/** The status a kubelet reports once every container started: Running, Ready, IPs, container states. */
export function runningStatus(pod: Pod, hostIP: string, podIP: string, at = now()): PodStatus {
  const uid = pod.metadata?.uid ?? "";
  const containerID = (name: string) => `hollow://${uid}/${name}`;
  const condition = (type: string): PodCondition => ({ type, status: "True", lastTransitionTime: at });
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "True") ?? condition("PodScheduled");
  const ours = new Set(["PodScheduled", "Initialized", "ContainersReady", "Ready"]);
  const running = (pod.spec?.containers ?? []).map((c): ContainerStatus => ({
    name: c.name, image: c.image ?? "", imageID: "", containerID: containerID(c.name),
    ready: true, started: true, restartCount: 0, state: { running: { startedAt: at } },
  }));
  const inits = (pod.spec?.initContainers ?? []).map((c): ContainerStatus => ({
    name: c.name, image: c.image ?? "", imageID: "", containerID: containerID(c.name), ready: true, started: false, restartCount: 0,
    state: { terminated: { exitCode: 0, reason: "Completed", startedAt: at, finishedAt: at, containerID: containerID(c.name) } },
  }));
  return {
    ...pod.status,
    phase: "Running",
    conditions: [
      ...(pod.status?.conditions ?? []).filter((c) => !ours.has(c.type)),
      condition("Initialized"), condition("Ready"), condition("ContainersReady"), scheduled,
    ],
    hostIP, hostIPs: [{ ip: hostIP }], podIP, podIPs: [{ ip: podIP }], startTime: pod.status?.startTime ?? at,
    containerStatuses: running,
    ...(inits.length > 0 ? { initContainerStatuses: inits } : {}),
  };
}

const isRunningReady = (pod: Pod) => pod.status?.phase === "Running" && !!pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
const isTerminal = (pod: Pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

/** One hollow kubelet's bookkeeping: the pods assigned to it and the host numbers of their IPs. */
class NodeState {
  readonly name: string;
  readonly index: number;
  readonly hostIP: string;
  readonly pods = new Set<string>();
  private readonly ipBase: string;
  private readonly ipOf = new Map<string, number>();
  private readonly usedHosts = new Set<number>();
  private nextHost = 1;

  constructor(name: string, index: number) {
    this.name = name;
    this.index = index;
    this.hostIP = hollowHostIP(index);
    this.ipBase = hollowPodCIDR(index).replace(/\.0\/24$/, ".");
  }

  /** The pod's IP in this node's /24 (the same one on every call until released); undefined when full. */
  allocate(podKey: string): string | undefined {
    const have = this.ipOf.get(podKey);
    if (have !== undefined) return this.ipBase + have;
    for (let tried = 0; tried < 254; tried++) {
      const host = this.nextHost;
      this.nextHost = (this.nextHost % 254) + 1;
      if (this.usedHosts.has(host)) continue;
      this.usedHosts.add(host);
      this.ipOf.set(podKey, host);
      return this.ipBase + host;
    }
    return undefined;
  }

  /** Records an IP a pod already has (e.g. from an earlier run). */
  claim(podKey: string, ip: string): void {
    if (!ip.startsWith(this.ipBase) || this.ipOf.has(podKey)) return;
    const host = Number(ip.slice(this.ipBase.length));
    this.usedHosts.add(host);
    this.ipOf.set(podKey, host);
  }

  release(podKey: string): void {
    const host = this.ipOf.get(podKey);
    if (host === undefined) return;
    this.ipOf.delete(podKey);
    this.usedHosts.delete(host);
  }
}

/** Runs bounded-concurrency `fn` over `items`. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

class HollowNodeSet implements HollowNodes {
  readonly nodeNames: string[];
  readonly stats: HollowNodeStats = { bound: 0, started: 0, deleted: 0 };
  private readonly client: Client;
  private readonly opts: HollowNodesOptions;
  private readonly log: Logger;
  private readonly nodes = new Map<string, NodeState>();
  private readonly informer: SharedInformer<Pod>;
  private readonly queue = new WorkQueue({ name: "hollow-nodes" });
  private readonly abort = new AbortController();
  /** Pod UIDs whose Running status was written, and those whose final deletion was sent. */
  private readonly started = new Set<string>();
  private readonly deleting = new Set<string>();
  /** Pending pods that found every node full. */
  private readonly waiting = new Set<string>();
  private readonly capacity: number;
  private rr = 0;
  private workers: Promise<void> = Promise.resolve();
  private heartbeats: Promise<void>[] = [];

  constructor(opts: HollowNodesOptions) {
    this.opts = opts;
    this.client = opts.client;
    this.log = opts.log ?? silentLogger;
    this.capacity = opts.pods ?? 110;
    const prefix = opts.prefix ?? "hollow-";
    this.nodeNames = Array.from({ length: opts.count }, (_, i) => `${prefix}${i}`);
    this.nodeNames.forEach((name, i) => this.nodes.set(name, new NodeState(name, i)));
    this.informer = new SharedInformer<Pod>(listWatcherFor<Pod>(this.client, resources.pods), { name: "hollow-nodes", log: this.log });
    this.informer.addEventHandler({
      onAdd: (pod) => this.observe(pod),
      onUpdate: (_old, pod) => this.observe(pod),
      onDelete: (obj) => this.forget(finalStateOf(obj)),
    });
  }

  async start(): Promise<void> {
    const o = { cpu: this.opts.cpu ?? "4", memory: this.opts.memory ?? "16Gi", pods: this.capacity };
    await forEachLimit(this.nodeNames, 16, (name, i) => this.register(hollowNode(name, i, o)));
    const heartbeatMs = this.opts.heartbeatMs ?? 10_000;
    if (heartbeatMs > 0) this.heartbeats = this.nodeNames.map((name) => this.heartbeat(name, heartbeatMs));
    this.informer.start();
    if (!(await this.informer.waitForSync(this.abort.signal))) return;
    this.workers = runController({
      name: "hollow-nodes", queue: this.queue, workers: this.opts.workers ?? 16, reconcile: (key) => this.reconcile(key),
      signal: this.abort.signal, log: this.log,
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.shutDown();
    await this.informer.stop();
    await Promise.all([this.workers, ...this.heartbeats]);
  }

  private async heartbeat(nodeName: string, intervalMs: number): Promise<void> {
    const signal = this.abort.signal;
    await sleep(realClock, Math.random() * intervalMs, signal);
    await new NodeLease({ client: this.client, nodeName, renewIntervalMs: intervalMs, log: this.log }).run(signal);
  }

  /** Creates the Node, or (already registered) brings its status back to Ready. */
  private async register(node: Node): Promise<void> {
    try {
      await this.client.create<Node>(resources.nodes, node);
    } catch (err) {
      if (!isStatusError(err, "AlreadyExists")) throw err;
      const live = await this.client.get<Node>(resources.nodes, node.metadata!.name!);
      await this.client.updateStatus<Node>(resources.nodes, { ...live, status: node.status });
    }
  }

  private observe(pod: Pod): void {
    const key = keyOf(pod);
    const nodeName = pod.spec?.nodeName;
    const node = nodeName ? this.nodes.get(nodeName) : undefined;
    if (node) {
      node.pods.add(key);
      if (pod.status?.podIP) node.claim(key, pod.status.podIP);
    }
    if (this.wants(pod, node)) this.queue.add(key);
  }

  private forget(pod: Pod): void {
    const key = keyOf(pod);
    const node = this.nodes.get(pod.spec?.nodeName ?? "");
    this.waiting.delete(key);
    if (node?.pods.delete(key)) {
      for (const k of this.waiting) this.queue.add(k);
      this.waiting.clear();
    }
    node?.release(key);
    const uid = pod.metadata?.uid ?? "";
    this.started.delete(uid);
    this.deleting.delete(uid);
  }

  /** Whether the pod needs something from us: a binding, a start, or its final deletion. */
  private wants(pod: Pod, node: NodeState | undefined): boolean {
    const uid = pod.metadata?.uid ?? "";
    if (!pod.spec?.nodeName) {
      return !!this.opts.bind && !pod.metadata?.deletionTimestamp && (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER) === DEFAULT_SCHEDULER;
    }
    if (!node) return false;
    if (pod.metadata?.deletionTimestamp) return !this.deleting.has(uid);
    return !this.started.has(uid) && !isRunningReady(pod) && !isTerminal(pod);
  }

  private async reconcile(key: string): Promise<void> {
    const pod = this.informer.indexer.get(key);
    if (!pod) return;
    const node = this.nodes.get(pod.spec?.nodeName ?? "");
    if (!this.wants(pod, node)) return;
    if (!pod.spec?.nodeName) return this.bindPod(key, pod);
    if (pod.metadata?.deletionTimestamp) return this.finishDeletion(pod);
    return this.startPod(key, pod, node!);
  }

  /** The next node round-robin that has room for one more pod. */
  private pickNode(): NodeState | undefined {
    for (let tried = 0; tried < this.nodeNames.length; tried++) {
      const node = this.nodes.get(this.nodeNames[this.rr++ % this.nodeNames.length]!)!;
      if (node.pods.size < this.capacity) return node;
    }
    return undefined;
  }

  private async bindPod(key: string, pod: Pod): Promise<void> {
    const node = this.pickNode();
    if (!node) {
      this.waiting.add(key); // every node is full: looked at again when a pod leaves one
      return;
    }
    const { namespace, name } = splitKey(key);
    node.pods.add(key);
    try {
      await this.client.request("POST", `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/binding`, {
        apiVersion: "v1", kind: "Binding", metadata: { name, namespace, uid: pod.metadata?.uid }, target: { apiVersion: "v1", kind: "Node", name: node.name },
      });
      this.stats.bound++;
    } catch (err) {
      node.pods.delete(key);
      // Gone, being deleted or bound by someone else: the informer will tell us what became of it.
      if (isStatusError(err, "NotFound") || isStatusError(err, "Conflict")) return;
      throw err;
    }
  }

  /** Writes the Running status once, guarded by the pod's UID (a pod recreated under the same name is not touched). */
  private async startPod(key: string, pod: Pod, node: NodeState): Promise<void> {
    const ip = node.allocate(key);
    if (!ip) throw new Error(`node ${node.name} has no free pod IP for ${key}`);
    const { namespace, name } = splitKey(key);
    const uid = pod.metadata?.uid ?? "";
    const patch = [
      { op: "test", path: "/metadata/uid", value: uid },
      { op: "add", path: "/status", value: runningStatus(pod, node.hostIP, ip) },
    ];
    try {
      await this.client.patch<Pod>(resources.pods, name, patch, { type: "json", namespace, subresource: "status" });
      this.started.add(uid);
      this.stats.started++;
    } catch (err) {
      if (isStatusError(err, "NotFound") || isStatusError(err, "Invalid")) return; // gone, or replaced by a pod of the same name (failed uid test)
      throw err;
    }
  }

  /** The containers are "stopped": remove the pod for good, as a kubelet does after termination. */
  private async finishDeletion(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    try {
      await this.client.delete(resources.pods, pod.metadata!.name!, { namespace: pod.metadata?.namespace, gracePeriodSeconds: 0, preconditions: { uid } });
      this.deleting.add(uid);
      this.stats.deleted++;
    } catch (err) {
      if (isStatusError(err, "NotFound") || isStatusError(err, "Conflict")) return;
      throw err;
    }
  }
}

/**
 * Registers `count` Ready nodes and runs their hollow kubelets until `stop()`. Resolves once the
 * nodes exist and the pod informer has synced.
 */
export async function startHollowNodes(opts: HollowNodesOptions): Promise<HollowNodes> {
  const set = new HollowNodeSet(opts);
  await set.start();
  return set;
}
