// The pods bound to this node (pkg/kubelet/pod.Manager): fed by a pod informer watching
// spec.nodeName=<node>, it hands every add/update/delete to the PodWorkers, cleans up orphaned
// sandboxes once synced, and finds containers and sandboxes for the kubelet server (its
// findContainer/findSandbox/pods match the server's KubeletServerHost).
import type { ContainerStatus, Pod } from "kubernetes-types/core/v1.js";
import type { SharedInformer } from "../client/index.ts";
import { finalStateOf } from "../client/index.ts";
import type { Logger } from "../util/log.ts";
import { silentLogger } from "../util/log.ts";
import { parseContainerID } from "./container/index.ts";
import type { PodWorkers } from "./pods/index.ts";
import { containerLogPath, podLogDirectory } from "./pods/index.ts";
import type { Runtime } from "./runtime/types.ts";

export interface PodManagerOptions {
  /** Pods with fieldSelector spec.nodeName=<this node>. */
  informer: SharedInformer<Pod>;
  workers: PodWorkers;
  runtime: Runtime;
  podLogsDir: string;
  log?: Logger;
}

/** Where a container instance lives, for logs and exec (the server's ContainerRef, plus the pod and restart count). */
export interface ContainerLocation {
  podUID: string;
  containerName: string;
  /** The runtime's container id (the instance may since have been removed from the runtime). */
  containerId: string;
  /** "" when the runtime no longer has the instance. */
  sandboxId: string;
  /** Its CRI log file (`<podLogsDir>/<ns>_<pod>_<uid>/<container>/<restartCount>.log`). */
  logPath: string;
  running: boolean;
  restartCount: number;
  pod: Pod;
}

/** Why a container has no instance to read or enter; the kubelet server answers 400 with the message. */
export class ContainerLookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContainerLookupError";
  }
}

export class PodManager {
  private readonly o: PodManagerOptions;
  private readonly log: Logger;
  private registration: { remove(): void } | null = null;

  constructor(o: PodManagerOptions) {
    this.o = o;
    this.log = o.log ?? silentLogger;
  }

  /**
   * Connects the informer to the workers (the informer itself is started by its owner); once it
   * has synced, sandboxes of pods no longer bound here are stopped. Resolves after that cleanup.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.registration) return;
    this.o.workers.start();
    this.registration = this.o.informer.addEventHandler({
      onAdd: (pod) => this.o.workers.updatePod(pod),
      onUpdate: (_old, pod) => this.o.workers.updatePod(pod),
      onDelete: (obj) => {
        const pod = finalStateOf(obj);
        this.o.workers.removePod(pod.metadata?.uid ?? "");
      },
    });
    if (!(await this.o.informer.waitForSync(signal))) return;
    const known = new Set(this.o.informer.list().map((p) => p.metadata?.uid ?? ""));
    await this.o.workers.cleanupOrphans(known).catch((err: unknown) => this.log.warn({ err }, "orphan cleanup failed"));
  }

  /** Disconnects from the informer and stops the workers (containers keep running). */
  async stop(): Promise<void> {
    this.registration?.remove();
    this.registration = null;
    await this.o.workers.stop();
  }

  getPod(namespace: string, name: string): Pod | undefined {
    return this.o.informer.get(`${namespace}/${name}`);
  }

  getPodByUid(uid: string): Pod | undefined {
    return this.o.informer.list().find((p) => p.metadata?.uid === uid) ?? this.o.workers.pod(uid);
  }

  listPods(): Pod[] {
    return this.o.informer.list();
  }

  /** The server's GET /pods. */
  async pods(): Promise<Pod[]> {
    return this.listPods();
  }

  /** Pods whose containers may run: not terminal and not (being) terminated — what eviction ranks. */
  activePods(): Pod[] {
    return this.listPods().filter((p) => {
      const state = this.o.workers.state(p.metadata?.uid ?? "");
      return (state === undefined || state === "syncing") && !p.metadata?.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed";
    });
  }

  /** The pod's newest ready sandbox (port-forward), or undefined. */
  async findSandbox(namespace: string, podName: string): Promise<{ podUID: string; sandboxId: string } | undefined> {
    const uid = this.getPod(namespace, podName)?.metadata?.uid;
    if (!uid) return undefined;
    const ready = (await this.o.runtime.listPodSandboxes()).filter((s) => s.config.uid === uid && s.state === "ready").sort((a, b) => b.createdAt - a.createdAt);
    return ready[0] ? { podUID: uid, sandboxId: ready[0].id } : undefined;
  }

  /**
   * The container the kubelet server should read logs from or exec into; undefined when the pod
   * is unknown here. Without a name the pod's default container (annotation
   * kubectl.kubernetes.io/default-container, or the only one). `previous` = the last terminated
   * instance (after a restart its log is `<n-1>.log`). Throws ContainerLookupError with
   * Kubernetes' messages (`container "x" in pod "y" is waiting to start: ContainerCreating`).
   */
  async findContainer(namespace: string, podName: string, containerName?: string, previous = false): Promise<ContainerLocation | undefined> {
    const pod = this.getPod(namespace, podName);
    if (!pod) return undefined;
    const name = containerName || defaultContainer(pod);
    if (!name) {
      const names = (pod.spec?.containers ?? []).map((c) => c.name);
      throw new ContainerLookupError(`a container name must be specified for pod ${podName}, choose one of: [${names.join(" ")}]`);
    }
    const status = this.o.workers.statusManager.getPodStatus(pod.metadata?.uid ?? "") ?? pod.status ?? {};
    const cs = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? []), ...(status.ephemeralContainerStatuses ?? [])].find((c) => c.name === name);
    if (!cs) {
      const known = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].some((c) => c.name === name);
      if (!known) return undefined;
      throw new ContainerLookupError(`container "${name}" in pod "${podName}" is not available`);
    }
    const chosen = chooseInstance(cs, name, podName, previous);
    const id = parseContainerID(chosen.containerID);
    const rt = await this.o.runtime.containerStatus(id);
    const restartCount = rt?.attempt ?? Math.max(0, (cs.restartCount ?? 0) - chosen.before);
    const m = pod.metadata ?? {};
    const dir = podLogDirectory(this.o.podLogsDir, { namespace: m.namespace ?? "", name: m.name ?? "", uid: m.uid ?? "" });
    return {
      podUID: m.uid ?? "", containerName: name, containerId: id, sandboxId: rt?.sandboxId ?? "",
      logPath: rt?.logPath ?? containerLogPath(dir, name, restartCount), running: rt?.state === "running", restartCount, pod,
    };
  }
}

function defaultContainer(pod: Pod): string | undefined {
  const annotated = pod.metadata?.annotations?.["kubectl.kubernetes.io/default-container"];
  if (annotated && (pod.spec?.containers ?? []).some((c) => c.name === annotated)) return annotated;
  const cs = pod.spec?.containers ?? [];
  return cs.length === 1 ? cs[0]!.name : undefined;
}

/**
 * validateContainerLogStatus: which instance's ID to use, or why there is none. `before` is 1 when
 * that instance is the one before the status's current instance (its restart count is one less).
 */
function chooseInstance(cs: ContainerStatus, name: string, podName: string, previous: boolean): { containerID: string; before: number } {
  const last = cs.lastState?.terminated;
  const { waiting, running, terminated } = cs.state ?? {};
  const err = (why: string) => new ContainerLookupError(`container "${name}" in pod "${podName}" ${why}`);
  const current = !!running || !!terminated?.containerID;
  if (previous) {
    if (!last?.containerID) throw new ContainerLookupError(`previous terminated container "${name}" in pod "${podName}" not found`);
    return { containerID: last.containerID, before: current ? 1 : 0 };
  }
  if (running) return { containerID: cs.containerID ?? "", before: 0 };
  if (terminated) {
    if (terminated.containerID) return { containerID: terminated.containerID, before: 0 };
    if (last?.containerID) return { containerID: last.containerID, before: 0 };
    throw err("is terminated");
  }
  if (last) {
    if (!last.containerID) throw err("is terminated");
    return { containerID: last.containerID, before: 0 };
  }
  if (waiting) {
    if (waiting.reason === "ErrImagePull") throw err("is waiting to start: image can't be pulled");
    if (waiting.reason === "ImagePullBackOff") throw err("is waiting to start: trying and failing to pull image");
    throw err(`is waiting to start: ${waiting.reason ?? ""}`);
  }
  throw err("is waiting to start - no logs yet");
}
