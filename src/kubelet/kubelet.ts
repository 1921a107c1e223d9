// The kubelet: registers its Node and keeps its Lease and status (node/), waits for a pod CIDR,
// starts the container runtime with the pod network, runs the pods bound to it (pod manager →
// pod workers → runtime; probes; status manager), evicts under resource pressure, and serves
// logs/exec/port-forward over HTTPS (server/). Everything it knows comes from the API server.
import { mkdir } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Pod } from "kubernetes-types/core/v1.js";
import { EventRecorder, SharedInformerFactory, realClock, resources } from "../client/index.ts";
import type { Client, Clock } from "../client/index.ts";
import type { Logger } from "../util/log.ts";
import { createLogger } from "../util/log.ts";
import { EvictionManager, NodeStatusManager } from "./node/index.ts";
import { PodWorkers } from "./pods/index.ts";
import { PodManager } from "./pod-manager.ts";
import { ProcessRuntime } from "./runtime/process/index.ts";
import type { Runtime } from "./runtime/types.ts";
import { HttpError, KubeletServer } from "./server/index.ts";
import type { KubeletServerHost } from "./server/index.ts";
import { statsSummary } from "./summary.ts";

export interface KubeletOptions {
  client: Client;
  nodeName: string;
  /** State, pod logs and the runtime's files live here. */
  dataDir: string;
  /** The node's InternalIP (default: the first non-loopback IPv4 address). */
  nodeIP?: string;
  /** Port of the kubelet's HTTPS server (default 10250; 0 picks one), reported in node.status.daemonEndpoints. */
  kubeletPort?: number;
  /** Serve logs/exec/port-forward over HTTPS with this certificate (signed by the cluster CA); none = no server. */
  tls?: { cert: string; key: string; caPem: string };
  /** Address the kubelet server listens on (default 0.0.0.0). */
  serverAddress?: string;
  /** Extra node labels (a server adds node-role.kubernetes.io/control-plane). */
  labels?: Record<string, string>;
  /** A runtime to use (tests: FakeRuntime); default the process runtime in `<dataDir>/runtime`. */
  runtime?: Runtime;
  /** How long to wait for node.spec.podCIDR before running pods on the host network (default 30 s). */
  podCIDRWaitMs?: number;
  /** Hard eviction thresholds (default memory.available<100Mi, nodefs.available<10% …). */
  evictionHard?: Record<string, string> | string;
  /** Faster loops for tests. */
  statusUpdateFrequencyMs?: number;
  leaseRenewIntervalMs?: number;
  resyncIntervalMs?: number;
  crashLoopBackoff?: { initialMs: number; maxMs: number };
  clock?: Clock;
  log?: Logger;
}

/** A bridge name of at most 15 characters that is stable per node (several agents on one host). */
export function bridgeNameFor(nodeName: string): string {
  return `k8ts${createHash("sha256").update(nodeName).digest("hex").slice(0, 8)}`;
}

export class Kubelet {
  readonly nodeName: string;
  readonly client: Client;
  readonly recorder: EventRecorder;
  nodeStatus!: NodeStatusManager;
  server: KubeletServer | undefined;
  runtime: Runtime | undefined;
  workers: PodWorkers | undefined;
  podManager: PodManager | undefined;
  eviction: EvictionManager | undefined;
  private readonly opts: KubeletOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly factory: SharedInformerFactory;
  private readonly abort = new AbortController();
  private podCIDR: string | undefined;
  private podCIDRSeen: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly startedAt = Date.now();

  constructor(opts: KubeletOptions) {
    this.opts = opts;
    this.nodeName = opts.nodeName;
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? createLogger("kubelet");
    this.recorder = new EventRecorder(this.client, { component: "kubelet", host: this.nodeName, clock: this.clock, log: this.log, concurrency: 4 });
    this.factory = new SharedInformerFactory(this.client, { clock: this.clock, log: this.log });
  }

  /** Where this kubelet keeps its state (a restarted kubelet is given the same). */
  get dataDir(): string {
    return this.opts.dataDir;
  }

  /** Starts everything in the background; resolves once pods are being run. */
  async start(): Promise<void> {
    const signal = this.abort.signal;
    await mkdir(this.opts.dataDir, { recursive: true });
    let kubeletPort = this.opts.kubeletPort ?? 10250;
    if (this.opts.tls) {
      this.server = await KubeletServer.start({ host: this.serverHost(), tls: this.opts.tls, port: kubeletPort, address: this.opts.serverAddress, log: this.log });
      kubeletPort = this.server.port;
    }
    this.nodeStatus = this.newNodeStatus(kubeletPort);
    this.nodeStatus.start();
    await this.waitForPodCIDR(signal);
    this.runtime = this.opts.runtime ?? new ProcessRuntime({
      stateDir: join(this.opts.dataDir, "runtime"), podCIDR: this.podCIDR, hostIP: this.opts.nodeIP,
      bridge: bridgeNameFor(this.nodeName), netnsPrefix: `k8ts-${bridgeNameFor(this.nodeName).slice(4, 8)}-`, log: this.log,
    });
    const podLogsDir = join(this.opts.dataDir, "pods");
    const informer = this.factory.informerFor<Pod>(resources.pods, { fieldSelector: `spec.nodeName=${this.nodeName}` });
    this.workers = new PodWorkers({
      client: this.client, runtime: this.runtime, nodeName: this.nodeName, podLogsDir,
      hostIPs: () => this.hostIPs(), nodeAllocatable: () => (this.nodeStatus.node?.status?.allocatable ?? {}) as Record<string, string>,
      recorder: this.recorder, clock: this.clock, log: this.log,
      resyncIntervalMs: this.opts.resyncIntervalMs, crashLoopBackoff: this.opts.crashLoopBackoff,
    });
    this.podManager = new PodManager({ informer, workers: this.workers, runtime: this.runtime, podLogsDir, log: this.log });
    const workers = this.workers;
    const podManager = this.podManager;
    this.eviction = new EvictionManager({
      evictionHard: this.opts.evictionHard, dataDir: this.opts.dataDir,
      activePods: () => podManager.activePods(),
      evictPod: (pod, message, d) => workers.evictPod(pod.metadata!.uid!, { reason: d.reason, message, gracePeriodSeconds: d.gracePeriodSeconds, condition: d.condition }),
      onPressureChange: () => void this.nodeStatus.syncNow(),
      recorder: this.recorder, clock: this.clock, log: this.log,
    });
    this.factory.start();
    await podManager.start(signal);
    this.running = this.eviction.run(signal).catch((err: unknown) => this.log.error({ err }, "eviction manager failed"));
    const limits = (this.runtime as Partial<{ limitsEnforced(): boolean }>).limitsEnforced?.();
    if (limits === false) {
      const why = "cpu and memory limits are recorded but not enforced: cgroups are not writable (run k8ts as root)";
      this.log.warn(why);
      this.recorder.event({ kind: "Node", name: this.nodeName, uid: this.nodeName }, "Warning", "ResourceLimitsNotEnforced", why);
    }
    this.log.info({ node: this.nodeName, podCIDR: this.podCIDR ?? "(host network)", runtime: this.runtime.name, limitsEnforced: limits ?? "unknown" }, "kubelet running pods");
  }

  /**
   * Stops the kubelet. Running containers keep running (a restarted kubelet re-adopts them)
   * unless `stopPods`: then every pod sandbox is stopped too (a clean shutdown of the node).
   */
  async stop(opts: { stopPods?: boolean } = {}): Promise<void> {
    this.abort.abort();
    this.podCIDRSeen?.();
    await this.server?.close();
    await this.podManager?.stop();
    if (opts.stopPods && this.runtime) {
      for (const sandbox of await this.runtime.listPodSandboxes()) {
        await this.runtime.stopPodSandbox(sandbox.id).catch((err: unknown) => this.log.warn({ err, sandbox: sandbox.id }, "could not stop a pod sandbox"));
      }
    }
    await this.running;
    await this.factory.stop();
    await this.nodeStatus?.stop();
    await this.recorder.flush();
    await this.runtime?.close();
  }

  private newNodeStatus(kubeletPort: number): NodeStatusManager {
    return new NodeStatusManager({
      client: this.client, nodeName: this.nodeName, labels: this.opts.labels, nodeIP: this.opts.nodeIP, kubeletPort,
      dataDir: this.opts.dataDir, evictionHard: this.opts.evictionHard,
      containerRuntime: { type: this.opts.runtime?.name ?? "process", version: this.opts.runtime?.version ?? "0.1.0" },
      readiness: () => this.notReadyReasons(),
      pressure: {
        isUnderMemoryPressure: () => this.eviction?.isUnderMemoryPressure() ?? false,
        isUnderDiskPressure: () => this.eviction?.isUnderDiskPressure() ?? false,
        isUnderPIDPressure: () => this.eviction?.isUnderPIDPressure() ?? false,
      },
      onPodCIDR: (cidr) => {
        this.podCIDR = cidr;
        this.podCIDRSeen?.();
      },
      statusUpdateFrequencyMs: this.opts.statusUpdateFrequencyMs, leaseRenewIntervalMs: this.opts.leaseRenewIntervalMs,
      recorder: this.recorder, clock: this.clock, log: this.log,
    });
  }

  /** What the kubelet server needs: containers and sandboxes by pod, stats, health. */
  private serverHost(): KubeletServerHost {
    const self = this;
    return {
      nodeName: this.nodeName,
      get runtime(): Runtime {
        if (!self.runtime) throw new HttpError(503, "the container runtime is not ready yet");
        return self.runtime;
      },
      findContainer: async (ns, pod, container, previous) => self.podManager?.findContainer(ns, pod, container, previous),
      findSandbox: async (ns, pod) => self.podManager?.findSandbox(ns, pod),
      pods: async () => (await self.podManager?.pods()) ?? [],
      summary: async () => statsSummary({ nodeName: self.nodeName, startTime: self.startedAt, dataDir: self.opts.dataDir, runtime: self.runtime!, pods: self.podManager?.activePods() ?? [] }),
      healthy: () => !self.abort.signal.aborted,
    };
  }

  private hostIPs(): string[] {
    const addrs = this.nodeStatus.node?.status?.addresses ?? [];
    return addrs.filter((a) => a.type === "InternalIP").map((a) => a.address);
  }

  private notReadyReasons(): string[] {
    if (!this.runtime) return ["container runtime network not ready: waiting for the node's pod CIDR"];
    return [];
  }

  private async waitForPodCIDR(signal: AbortSignal): Promise<void> {
    if (this.opts.runtime || this.podCIDR) return;
    const waitMs = this.opts.podCIDRWaitMs ?? 30_000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      this.podCIDRSeen = () => {
        clearTimeout(timer);
        resolve();
      };
      signal.addEventListener("abort", () => this.podCIDRSeen?.(), { once: true });
    });
    this.podCIDRSeen = undefined;
    if (!this.podCIDR) this.log.warn({ waitedMs: waitMs }, "no pod CIDR assigned: pods use the host network");
  }
}

