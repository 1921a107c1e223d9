// The kubelet's node side (kubelet_node_status.go + nodelease): registers the Node (or reconciles
// the one that exists), renews its Lease, and posts the node status computed by the setters when
// it changed or every nodeStatusReportFrequency; tells the pod network when spec.podCIDR arrives.
import type { Node, NodeAddress, Taint } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../../apimachinery/status.ts";
import { SharedInformer, listWatcherFor, realClock, resources, sleep } from "../../client/index.ts";
import type { Client, Clock, EventRecorder } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import { silentLogger } from "../../util/log.ts";
import { defaultNodeAddresses, goArch, goOS, readHostInfo } from "./host.ts";
import type { HostInfo } from "./host.ts";
import { NodeLease } from "./lease.ts";
import { applySetters, defaultSetters, nodeStatusChanged } from "./setters.ts";
import type { RecordNodeEvent, Setter, StatusInputs } from "./setters.ts";
import { DEFAULT_EVICTION_HARD, parseThresholds } from "./eviction/thresholds.ts";

export const KUBELET_VERSION = "v1.32.0-k8ts";
export const CONTROLLER_MANAGED_ATTACH_DETACH = "volumes.kubernetes.io/controller-managed-attach-detach";

/** What the eviction manager tells the status (EvictionManager implements it). */
export interface PressureSource {
  isUnderMemoryPressure(): boolean;
  isUnderDiskPressure(): boolean;
  isUnderPIDPressure(): boolean;
}

export interface NodeStatusManagerOptions {
  client: Client;
  nodeName: string;
  /** Extra labels (e.g. node-role.kubernetes.io/control-plane: "true"), set at registration and kept. */
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
  /** Taints the Node is created with (registerWithTaints). */
  taints?: readonly Taint[];
  /** Register as unschedulable (registerSchedulable: false). */
  unschedulable?: boolean;
  /** Default the node name (the Hostname address and the kubernetes.io/hostname label). */
  hostname?: string;
  /** The InternalIP to report (--node-ip); default the first non-internal interface address. */
  nodeIP?: string;
  /** All addresses, overriding nodeIP; default InternalIP and Hostname. */
  addresses?: readonly NodeAddress[];
  /** daemonEndpoints.kubeletEndpoint.Port; default 10250. */
  kubeletPort?: number;
  /** The kubelet's data directory: its filesystem is ephemeral-storage. */
  dataDir?: string;
  /** Default 110. */
  maxPods?: number;
  systemReserved?: Readonly<Record<string, string>>;
  kubeReserved?: Readonly<Record<string, string>>;
  /** Hard eviction thresholds (map or flag form); default DEFAULT_EVICTION_HARD. */
  evictionHard?: Readonly<Record<string, string>> | string;
  /** The container runtime's name and version: nodeInfo.containerRuntimeVersion `<type>://<version>`. */
  containerRuntime?: { type: string; version: string };
  kubeletVersion?: string;
  kubeProxyVersion?: string;
  /** Why the node is not ready right now (runtime, network …); empty (or absent) = ready. */
  readiness?: () => readonly string[] | Promise<readonly string[]>;
  /** The eviction manager's pressure verdicts; none = no pressure. */
  pressure?: PressureSource;
  /** Called when spec.podCIDR(s) is first seen or changes; a rejection makes the next sync retry. */
  onPodCIDR?: (cidr: string, cidrs: string[]) => void | Promise<void>;
  /** The host as the setters see it (tests inject one); default readHostInfo({ dataDir }). */
  hostInfo?: () => Promise<HostInfo>;
  /** How often the status is computed (nodeStatusUpdateFrequency); default 10 s. */
  statusUpdateFrequencyMs?: number;
  /** Post an unchanged status at least this often (nodeStatusReportFrequency); default 5 min. */
  statusReportFrequencyMs?: number;
  /** Until the node is first posted Ready, compute every this often (fastStatusUpdateOnce); default 1 s. */
  fastStatusUpdateMs?: number;
  leaseDurationSeconds?: number;
  leaseRenewIntervalMs?: number;
  /** Records node events (NodeReady, NodeHasSufficientMemory …). */
  recorder?: EventRecorder;
  clock?: Clock;
  random?: () => number;
  log?: Logger;
}

/** Retries of one status update (nodeStatusUpdateRetry). */
const STATUS_UPDATE_RETRIES = 5;

const rv = (n: Node | undefined) => Number(n?.metadata?.resourceVersion ?? -1);

export class NodeStatusManager {
  readonly nodeName: string;
  readonly lease: NodeLease;
  private readonly opts: NodeStatusManagerOptions;
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly setters: Setter[];
  private readonly hostname: string;
  private abort: AbortController | undefined;
  private done: Promise<void> = Promise.resolve();
  private informer: SharedInformer<Node> | undefined;
  private serial: Promise<unknown> = Promise.resolve();
  private latest: Node | undefined;
  private lastReport = -Infinity;
  private podCIDRs = "";
  private isRegistered = false;
  private postedReady = false;

  constructor(opts: NodeStatusManagerOptions) {
    this.opts = opts;
    this.client = opts.client;
    this.nodeName = opts.nodeName;
    this.hostname = opts.hostname ?? opts.nodeName;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? silentLogger;
    const runtime = opts.containerRuntime;
    this.setters = defaultSetters({
      nodeName: opts.nodeName,
      addresses: opts.addresses ?? defaultNodeAddresses({ nodeIP: opts.nodeIP, hostname: this.hostname }),
      kubeletPort: opts.kubeletPort ?? 10250,
      maxPods: opts.maxPods ?? 110,
      systemReserved: opts.systemReserved, kubeReserved: opts.kubeReserved,
      evictionHard: parseThresholds(opts.evictionHard ?? DEFAULT_EVICTION_HARD),
      kubeletVersion: opts.kubeletVersion ?? KUBELET_VERSION,
      kubeProxyVersion: opts.kubeProxyVersion ?? opts.kubeletVersion ?? KUBELET_VERSION,
      containerRuntimeVersion: runtime ? `${runtime.type}://${runtime.version}` : "unknown://Unknown",
    }, this.recordEvent);
    this.lease = new NodeLease({
      client: opts.client, nodeName: opts.nodeName, leaseDurationSeconds: opts.leaseDurationSeconds, renewIntervalMs: opts.leaseRenewIntervalMs,
      clock: this.clock, random: opts.random, log: this.log,
    });
  }

  /** True once the Node was created or found and reconciled. */
  get registered(): boolean {
    return this.isRegistered;
  }

  /** The Node as last read or written by this manager. */
  get node(): Node | undefined {
    return this.latest;
  }

  /** Starts in the background; `stop()` ends it. */
  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    this.done = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.done;
  }

  /**
   * Registers (retrying with back-off up to 7 s), renews the Lease, and keeps the status posted,
   * until `signal` aborts. Never throws.
   */
  async run(signal: AbortSignal): Promise<void> {
    const informer = new SharedInformer<Node>(listWatcherFor<Node>(this.client, resources.nodes, { fieldSelector: { "metadata.name": this.nodeName } }), { name: `node@${this.nodeName}`, log: this.log });
    this.informer = informer;
    informer.addEventHandler({ onAdd: (n) => void this.checkPodCIDR(n), onUpdate: (_o, n) => void this.checkPodCIDR(n) });
    informer.start();
    const lease = this.lease.run(signal);
    try {
      await this.registerWithAPIServer(signal);
      const started = this.clock.now();
      while (!signal.aborted) {
        await this.syncNow().catch((err: unknown) => this.log.error({ node: this.nodeName, err }, "unable to update node status"));
        const fast = !this.postedReady && this.clock.now() - started < 120_000;
        const every = this.opts.statusUpdateFrequencyMs ?? 10_000;
        await sleep(this.clock, fast ? Math.min(every, this.opts.fastStatusUpdateMs ?? 1000) : every, signal);
      }
    } finally {
      await lease;
      await informer.stop();
      this.informer = undefined;
    }
  }

  /** Computes the status now and posts it if it changed or the report is due; one at a time. Throws after the retries fail. */
  syncNow(): Promise<void> {
    const next = this.serial.then(() => this.updateNodeStatus());
    this.serial = next.catch(() => undefined);
    return next;
  }

  private readonly recordEvent: RecordNodeEvent = (type, reason, message) => {
    this.opts.recorder?.event({ kind: "Node", name: this.nodeName, uid: this.nodeName }, type, reason, message ?? `Node ${this.nodeName} status is now: ${reason}`);
  };

  private async inputs(): Promise<StatusInputs> {
    const host = await (this.opts.hostInfo ?? (() => readHostInfo({ dataDir: this.opts.dataDir })))();
    let readinessErrors: readonly string[] = [];
    try {
      readinessErrors = (await this.opts.readiness?.()) ?? [];
    } catch (err) {
      readinessErrors = [err instanceof Error ? err.message : String(err)];
    }
    const p = this.opts.pressure;
    return {
      now: this.clock.now(), host, readinessErrors,
      pressure: { memory: p?.isUnderMemoryPressure() ?? false, disk: p?.isUnderDiskPressure() ?? false, pid: p?.isUnderPIDPressure() ?? false },
    };
  }

  /** The Node the kubelet registers: default labels, the attach-detach annotation, taints, and a computed status. */
  async initialNode(): Promise<Node> {
    const inputs = await this.inputs();
    const node: Node = {
      apiVersion: "v1", kind: "Node",
      metadata: {
        name: this.nodeName,
        labels: { ...this.defaultLabels(inputs.host), ...this.opts.labels },
        annotations: { [CONTROLLER_MANAGED_ATTACH_DETACH]: "true", ...this.opts.annotations },
      },
      spec: {
        ...(this.opts.taints?.length ? { taints: this.opts.taints.map((t) => ({ ...t })) } : {}),
        ...(this.opts.unschedulable ? { unschedulable: true } : {}),
      },
      status: {},
    };
    return applySetters(node, this.setters, inputs);
  }

  private defaultLabels(host: Pick<HostInfo, "operatingSystem" | "architecture">): Record<string, string> {
    const os = host.operatingSystem || goOS();
    const arch = host.architecture || goArch();
    return { "kubernetes.io/hostname": this.hostname, "kubernetes.io/os": os, "kubernetes.io/arch": arch, "beta.kubernetes.io/os": os, "beta.kubernetes.io/arch": arch };
  }

  private async registerWithAPIServer(signal: AbortSignal): Promise<void> {
    let delay = 100;
    while (!signal.aborted) {
      if (await this.tryRegister()) {
        this.isRegistered = true;
        this.log.info({ node: this.nodeName }, "node registered");
        // Renew now rather than at the next interval, so the Lease gets its owner (the Node) at once.
        if (!this.lease.lease?.metadata?.ownerReferences?.length) void this.lease.renew(signal);
        return;
      }
      await sleep(this.clock, delay, signal);
      delay = Math.min(delay * 2, 7000);
    }
  }

  /** Creates the Node; if it exists, reconciles the default labels, our labels and annotation (spec is kept). */
  private async tryRegister(): Promise<boolean> {
    try {
      const node = await this.initialNode();
      try {
        this.latest = await this.client.create<Node>(resources.nodes, node);
        this.lastReport = this.clock.now();
        this.postedReady = isReady(this.latest);
        return true;
      } catch (err) {
        if (!isStatusError(err, "AlreadyExists")) throw err;
      }
      const existing = await this.client.get<Node>(resources.nodes, this.nodeName);
      const updated = structuredClone(existing);
      const labels = (updated.metadata!.labels ??= {});
      const annotations = (updated.metadata!.annotations ??= {});
      let changed = false;
      for (const [k, v] of Object.entries({ ...node.metadata!.labels, ...this.opts.labels })) {
        if (labels[k] === v) continue;
        labels[k] = v;
        changed = true;
      }
      if (annotations[CONTROLLER_MANAGED_ATTACH_DETACH] !== "true") {
        annotations[CONTROLLER_MANAGED_ATTACH_DETACH] = "true";
        changed = true;
      }
      this.latest = changed ? await this.client.update<Node>(resources.nodes, updated) : existing;
      await this.checkPodCIDR(this.latest);
      return true;
    } catch (err) {
      this.log.warn({ node: this.nodeName, err }, "unable to register node with the API server");
      return false;
    }
  }

  private async updateNodeStatus(): Promise<void> {
    if (!this.isRegistered) return;
    let lastErr: unknown;
    for (let attempt = 0; attempt < STATUS_UPDATE_RETRIES; attempt++) {
      try {
        await this.tryUpdateNodeStatus(attempt);
        return;
      } catch (err) {
        lastErr = err;
        this.log.debug({ node: this.nodeName, attempt, err }, "error updating node status; will retry");
      }
    }
    throw lastErr instanceof Error ? lastErr : new Error(`update node status exceeds retry count: ${String(lastErr)}`);
  }

  private async tryUpdateNodeStatus(attempt: number): Promise<void> {
    let original: Node | undefined;
    if (attempt === 0) {
      const cached = this.informer?.indexer.get(this.nodeName);
      original = rv(cached) >= rv(this.latest) ? cached : this.latest;
    }
    original ??= await this.client.get<Node>(resources.nodes, this.nodeName);
    const node = applySetters(structuredClone(original), this.setters, await this.inputs());
    await this.checkPodCIDR(node);
    const now = this.clock.now();
    if (!nodeStatusChanged(original.status, node.status) && now - this.lastReport < (this.opts.statusReportFrequencyMs ?? 300_000)) {
      this.latest = original;
      return;
    }
    this.latest = await this.client.updateStatus<Node>(resources.nodes, node);
    this.lastReport = now;
    this.postedReady = isReady(this.latest);
  }

  /** Calls onPodCIDR when the Node's pod CIDRs differ from those last handed over. */
  private async checkPodCIDR(node: Node): Promise<void> {
    const cidrs = node.spec?.podCIDRs?.length ? [...node.spec.podCIDRs] : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
    const key = cidrs.join(",");
    if (cidrs.length === 0 || key === this.podCIDRs) return;
    this.podCIDRs = key;
    this.log.info({ node: this.nodeName, podCIDRs: cidrs }, "pod CIDR assigned");
    try {
      await this.opts.onPodCIDR?.(cidrs[0]!, cidrs);
    } catch (err) {
      this.podCIDRs = "";
      this.log.error({ node: this.nodeName, err }, "failed to apply the pod CIDR; retrying on the next sync");
    }
  }
}

const isReady = (n: Node | undefined) => !!n?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
