// The kubelet's container runtime interface (a TypeScript cut of the CRI): a pod is a sandbox
// (its network and shared state), containers run inside it. The kubelet only talks to containers
// through this interface; `process/` is the embedded runtime (host processes), `fake/` serves
// unit tests, an OCI runtime (crun/runc) comes later.
import type { Duplex, Readable, Writable } from "node:stream";

export interface PodSandboxConfig {
  /** Kubernetes identity: namespace, name, uid of the pod. */
  namespace: string;
  name: string;
  uid: string;
  /** Incremented when the kubelet has to recreate the sandbox. */
  attempt: number;
  hostname: string;
  /** Share the host's network (pod.spec.hostNetwork). */
  hostNetwork: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Where the runtime keeps this pod's logs: `<logDirectory>/<container>/<restartCount>.log`. */
  logDirectory: string;
  /** DNS settings for /etc/resolv.conf inside the pod, if the runtime can apply them. */
  dns?: { servers: string[]; searches: string[]; options: string[] };
  /** Ports the pod exposes on the host (hostPort), for runtimes that map them. */
  portMappings: { protocol: string; containerPort: number; hostPort: number; hostIp?: string }[];
  /** Pod-level cgroup limits (sum of container limits), when enforced. */
  linux?: { cgroupParent?: string };
}

export type SandboxState = "ready" | "notready";

export interface PodSandboxStatus {
  id: string;
  config: PodSandboxConfig;
  state: SandboxState;
  createdAt: number;
  /** The pod's IPs (first is the primary); the host's IP when the runtime has no pod network. */
  ips: string[];
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readOnly: boolean;
}

export interface ContainerConfig {
  name: string;
  /** The image as the pod spec names it. */
  image: string;
  /** Resolved command and args ($(VAR) already expanded), as the container runs them. */
  command: string[];
  args: string[];
  workingDir?: string;
  env: { name: string; value: string }[];
  mounts: Mount[];
  /** Restart count of this container in the pod: the log file is `<name>/<attempt>.log`. */
  attempt: number;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  /** Resource limits to enforce (cgroup v2) when the runtime can. */
  resources: { cpuMillis?: number; memoryBytes?: number; cpuRequestMillis?: number; memoryRequestBytes?: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Absolute path of the CRI-format log file the runtime writes. */
  logPath: string;
}

export type ContainerState = "created" | "running" | "exited" | "unknown";

export interface ContainerStatus {
  id: string;
  sandboxId: string;
  name: string;
  image: string;
  /** What the image resolved to (e.g. a host binary path), for `imageID`. */
  imageRef: string;
  state: ContainerState;
  attempt: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** Runtime-level reason: "Completed", "Error", "OOMKilled", "ContainerCannotRun"… */
  reason?: string;
  message?: string;
  logPath: string;
  pid?: number;
}

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface ExecStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
  /** Terminal size changes (tty only). */
  resize?: AsyncIterable<{ width: number; height: number }>;
}

export interface ContainerStats {
  id: string;
  cpuUsageNanoCores?: number;
  cpuUsageCoreNanoSeconds?: number;
  memoryWorkingSetBytes?: number;
  timestamp: number;
}

/** Raised by runtimes for an image they cannot run: the kubelet reports ErrImagePull / ImagePullBackOff. */
export class ImageError extends Error {
  readonly reason: "ErrImagePull" | "ErrImageNeverPull" | "InvalidImageName";
  constructor(reason: ImageError["reason"], message: string) {
    super(message);
    this.name = "ImageError";
    this.reason = reason;
  }
}

export interface Runtime {
  /** "process", "fake", "crun"… (nodeInfo.containerRuntimeVersion is `<name>://<version>`). */
  readonly name: string;
  readonly version: string;

  /** Makes sure the image can run here (the process runtime resolves it to a host binary). */
  pullImage(image: string, pullPolicy: string): Promise<{ imageRef: string }>;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops every container of the sandbox (SIGKILL) and releases its network; idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined>;
  listPodSandboxes(): Promise<PodSandboxStatus[]>;

  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`; resolves once the container has exited. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
  listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]>;
  /** Resolves when the container exits (immediately if it has); for prompt restarts. */
  waitContainer(id: string, signal?: AbortSignal): Promise<void>;

  /** Runs a command in the container and collects its output (exec probes, preStop hooks). */
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult>;
  /** Interactive exec (kubectl exec): resolves with the exit code. */
  exec(id: string, cmd: string[], streams: ExecStreams): Promise<number>;
  /** Attach to a running container's stdio (kubectl attach / run -i). */
  attach?(id: string, streams: ExecStreams): Promise<void>;
  /** A byte stream to `port` inside the sandbox's network (kubectl port-forward). */
  portForward(sandboxId: string, port: number): Promise<Duplex>;

  containerStats(id: string): Promise<ContainerStats | undefined>;
  /** Releases what the runtime holds (timers, watchers); running containers are left running. */
  close(): Promise<void>;
}
