// What the kubelet's HTTPS server needs from the rest of the kubelet (KubeletServerHost, which the
// pod manager implements), its options, and the stats summary it serves (kubelet stats/v1alpha1).
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Registry } from "prom-client";
import type { Logger } from "../../util/log.ts";
import type { Runtime } from "../runtime/types.ts";

/** One instance of a container, as the server reads its logs or runs commands in it. */
export interface ContainerRef {
  podUID: string;
  containerId: string;
  sandboxId: string;
  containerName: string;
  /** The CRI-format log file of this instance (`<podLogsDir>/<ns>_<pod>_<uid>/<name>/<restartCount>.log`). */
  logPath: string;
  /** The container is running now (exec and attach need it; a follow ends once it is not). */
  running: boolean;
}

export interface SandboxRef {
  podUID: string;
  sandboxId: string;
}

/**
 * The kubelet seen from its server. Lookups are by namespace and pod name (and container name).
 *
 * `findContainer` returns the current instance of the container, or with `previous` the one
 * before it (the last terminated instance); `undefined` when the pod or container is unknown.
 * It may throw an Error whose message explains why there are no logs (as the kubelet says
 * `container "c" in pod "p" is waiting to start: ContainerCreating` or `previous terminated
 * container "c" in pod "p" not found`): the server answers 400 with that message.
 */
export interface KubeletServerHost {
  readonly nodeName: string;
  readonly runtime: Runtime;
  findContainer(namespace: string, pod: string, container: string, previous?: boolean): Promise<ContainerRef | undefined>;
  /** The pod's running sandbox (port-forward), or undefined. */
  findSandbox(namespace: string, pod: string): Promise<SandboxRef | undefined>;
  summary(): Promise<StatsSummary>;
  /** The sync loop is healthy (GET /healthz answers "ok", else 500). */
  healthy(): boolean;
  /** The kubelet's own metrics, served with the server's at /metrics. */
  readonly metricsRegistry?: Registry;
  /** The pods this kubelet runs (GET /pods). */
  pods?(): Promise<Pod[]>;
}

export interface KubeletUser {
  username: string;
  groups: string[];
  /** Authenticated by a bearer token from the options (set by the server). */
  viaToken?: boolean;
}

/** A request the server is about to serve, for an authorizer (the kubelet's SubjectAccessReview attributes). */
export interface KubeletRequestAttributes {
  verb: "get" | "create";
  /** "proxy", "stats", "metrics", "log", "healthz" … (the kubelet's nodes/<subresource>). */
  subresource: string;
  path: string;
}

export interface KubeletServerOptions {
  host: KubeletServerHost;
  /** Serving certificate and key (PEM, signed by the cluster CA) and the CA that signs client certificates. */
  tls: { cert: string; key: string; caPem: string };
  /** Default 0.0.0.0. */
  address?: string;
  /** Default 10250; 0 picks a free port. */
  port?: number;
  /** Bearer tokens this kubelet accepts, each with the user it stands for. */
  tokens?: { token: string; user: KubeletUser }[];
  /**
   * Decides after authentication (403 when false). Default: members of system:masters (the API
   * server's kubelet client certificate, administrators) and bearer-token users may do everything;
   * other certificate users (nodes' system:node:<name>…) may not.
   */
  authorize?: (user: KubeletUser, attrs: KubeletRequestAttributes) => boolean;
  log?: Logger;
  /** A streaming connection (exec, attach, port-forward) idle this long is closed; default 4 h. */
  streamIdleTimeoutMs?: number;
  /** How long a client may take to open the streams of an exec or port-forward; default 30 s. */
  streamCreationTimeoutMs?: number;
  /** How often a log follow re-checks the file and the container without a file event; default 1 s. */
  logPollIntervalMs?: number;
}

// ---- stats summary (k8s.io/kubelet/pkg/apis/stats/v1alpha1), the fields k8ts fills -----------

export interface CPUStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}

export interface FsStats {
  time: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}

export interface NetworkStats {
  time: string;
  name?: string;
  rxBytes?: number;
  rxErrors?: number;
  txBytes?: number;
  txErrors?: number;
  interfaces?: { name: string; rxBytes?: number; rxErrors?: number; txBytes?: number; txErrors?: number }[];
}

export interface ContainerStatsSummary {
  name: string;
  startTime: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
  rootfs?: FsStats;
  logs?: FsStats;
}

export interface PodStatsSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerStatsSummary[];
  cpu?: CPUStats;
  memory?: MemoryStats;
  network?: NetworkStats;
  volume?: (FsStats & { name: string })[];
  "ephemeral-storage"?: FsStats;
  process_stats?: { process_count?: number };
}

export interface StatsSummary {
  node: {
    nodeName: string;
    systemContainers?: ContainerStatsSummary[];
    startTime: string;
    cpu?: CPUStats;
    memory?: MemoryStats;
    network?: NetworkStats;
    fs?: FsStats;
    runtime?: { imageFs?: FsStats; containerFs?: FsStats };
    rlimit?: { time: string; maxpid?: number; curproc?: number };
  };
  pods: PodStatsSummary[];
}
