// Syncing one pod (kubelet.go SyncPod/SyncTerminatingPod/SyncTerminatedPod and kuberuntime
// SyncPod): generate and publish its status, compute the actions, then sandbox, init containers,
// app containers with crash-loop back-off; and the two halves of termination.
import type { Container, Pod, PodCondition, PodStatus } from "kubernetes-types/core/v1.js";
import type { Clock } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import { containerRef, formatPod, getPodRuntimeStatus, latestContainer, podRef } from "../container/index.ts";
import type { EnvSources, EventSink, PodRuntimeStatus } from "../container/index.ts";
import type { ProbeManager } from "../probes/index.ts";
import type { PodSandboxConfig, Runtime } from "../runtime/types.ts";
import { generateAPIPodStatus, isTerminalPhase } from "../status/index.ts";
import type { StatusManager, WaitingReason } from "../status/index.ts";
import { computePodActions } from "./actions.ts";
import type { PodActions } from "./actions.ts";
import { Backoff, goDuration } from "./backoff.ts";
import { ImageManager } from "./images.ts";
import { killContainer, killPod, podGracePeriod } from "./kill.ts";
import { podLogDirectory, startContainer } from "./start.ts";
import type { StartContext } from "./start.ts";

export interface PodSyncerOptions {
  runtime: Runtime;
  statusManager: StatusManager;
  probeManager: ProbeManager;
  clock: Clock;
  log: Logger;
  recorder?: EventSink;
  podLogsDir: string;
  /** The node's IPs, primary first (status.hostIP, downward API). */
  hostIPs: () => string[];
  nodeAllocatable?: () => Record<string, string>;
  envSources?: EnvSources;
  serviceEnv?: (namespace: string, enableServiceLinks: boolean) => ReadonlyMap<string, string>;
  /** /etc/resolv.conf settings for a pod's sandbox, if the kubelet manages DNS. */
  dnsConfig?: (pod: Pod) => PodSandboxConfig["dns"];
  crashLoopBackoff?: { initialMs: number; maxMs: number };
  imagePullBackoff?: { initialMs: number; maxMs: number };
  /** Called with each running container of a synced pod (the pod worker watches for exits). */
  onRunning?: (uid: string, containerId: string) => void;
}

export interface SyncResult {
  /** The pod reached Succeeded/Failed: terminate it. */
  terminal: boolean;
  /** Sync again after this long (a back-off or deadline ends); undefined = no timed need. */
  requeueAfterMs?: number;
}

const DEADLINE = { reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" };

/** A request to stop the pod and fail it (node-pressure eviction, shutdown): phase Failed with this reason. */
export interface Eviction {
  reason: string;
  message: string;
  /** Grace period for stopping its containers; default the pod's terminationGracePeriodSeconds. */
  gracePeriodSeconds?: number;
  /** Added to the status, e.g. { type: "DisruptionTarget", status: "True", reason: "TerminationByKubelet", message }. */
  condition?: PodCondition;
}

export class PodSyncer {
  private readonly o: PodSyncerOptions;
  private readonly crashBackoff: Backoff;
  private readonly images: ImageManager;
  /** Waiting reasons from the last start attempt, per pod UID and container name. */
  private readonly reasons = new Map<string, Map<string, WaitingReason>>();

  constructor(o: PodSyncerOptions) {
    this.o = o;
    this.crashBackoff = new Backoff({ initialMs: 10_000, maxMs: 300_000, ...o.crashLoopBackoff, clock: o.clock });
    this.images = new ImageManager({ runtime: o.runtime, clock: o.clock, recorder: o.recorder, backoff: o.imagePullBackoff });
  }

  runtimeStatus(pod: Pod): Promise<PodRuntimeStatus> {
    const m = pod.metadata ?? {};
    return getPodRuntimeStatus(this.o.runtime, { uid: m.uid ?? "", name: m.name ?? "", namespace: m.namespace ?? "" });
  }

  /** Time left before activeDeadlineSeconds passes (ms), undefined without a deadline or start time. */
  private deadlineIn(pod: Pod, status: PodStatus): number | undefined {
    const ads = pod.spec?.activeDeadlineSeconds;
    const start = Date.parse(status.startTime ?? "");
    if (ads === undefined || ads === null || Number.isNaN(start)) return undefined;
    return start + ads * 1000 - this.o.clock.now();
  }

  private generate(pod: Pod, rs: PodRuntimeStatus, podIsTerminal: boolean, evict?: { reason: string; message: string }): PodStatus {
    const uid = pod.metadata?.uid ?? "";
    return generateAPIPodStatus(pod, rs, {
      runtimeName: this.o.runtime.name, oldStatus: this.o.statusManager.getPodStatus(uid) ?? pod.status ?? {}, podIsTerminal,
      reasons: this.reasons.get(uid), hostIPs: this.o.hostIPs(), evict, probes: this.o.probeManager,
    });
  }

  /** One pass for a running pod; `terminal` when the pod has finished, exceeded its deadline, or is evicted. */
  async syncPod(pod: Pod, eviction?: Eviction): Promise<SyncResult> {
    const uid = pod.metadata?.uid ?? "";
    // Probe workers exist before the first status, so a re-adopted container is not reported ready unprobed.
    this.o.probeManager.addPod(pod);
    let rs = await this.runtimeStatus(pod);
    const cached = this.o.statusManager.getPodStatus(uid) ?? pod.status ?? {};
    const deadlineIn = this.deadlineIn(pod, cached);
    const deadline = deadlineIn !== undefined && deadlineIn <= 0;
    const evict = eviction ?? (deadline ? DEADLINE : undefined);
    let status = this.generate(pod, rs, false, evict);
    if (eviction?.condition) status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== eviction.condition!.type), eviction.condition];
    this.o.statusManager.setPodStatus(pod, status);
    if (isTerminalPhase(status.phase)) {
      if (deadline && !eviction && !isTerminalPhase(cached.phase)) this.o.recorder?.event(podRef(pod), "Normal", DEADLINE.reason, DEADLINE.message);
      return { terminal: true };
    }
    const actions = computePodActions(pod, rs, this.o.runtime.name, {
      liveness: (id) => this.o.probeManager.result("liveness", id),
      startup: (id) => this.o.probeManager.result("startup", id),
    });
    await this.execute(pod, rs, actions);
    rs = await this.runtimeStatus(pod);
    status = this.generate(pod, rs, false);
    this.o.statusManager.setPodStatus(pod, status);
    for (const c of rs.containers) if (c.state === "running") this.o.onRunning?.(uid, c.id);
    const after = this.deadlineIn(pod, this.o.statusManager.getPodStatus(uid) ?? status);
    return { terminal: false, requeueAfterMs: minDefined(this.backoffRemaining(pod, rs), after !== undefined ? Math.max(after, 0) : undefined) };
  }

  /** The first half of termination: publish the status, stop probing liveness, stop every container and sandbox. */
  async terminatePod(pod: Pod, gracePeriodSeconds = podGracePeriod(pod)): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    const rs = await this.runtimeStatus(pod);
    this.o.statusManager.setPodStatus(pod, this.generate(pod, rs, false));
    this.o.probeManager.stopLivenessAndStartup(uid);
    await killPod(this.killContext(), pod, rs, gracePeriodSeconds);
    this.o.probeManager.removePod(uid);
    const after = await this.runtimeStatus(pod);
    const still = after.containers.filter((c) => c.state === "running").map((c) => c.name);
    if (still.length) throw new Error(`detected running containers after a successful KillPod: ${still.join(", ")}`);
  }

  /** The second half: the final (terminal) status, sandboxes removed, status marked finished. */
  async finishPod(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    const rs = await this.runtimeStatus(pod);
    this.o.statusManager.setPodStatus(pod, this.generate(pod, rs, true));
    for (const sb of rs.sandboxes) {
      await this.o.runtime.stopPodSandbox(sb.id);
      await this.o.runtime.removePodSandbox(sb.id);
    }
    this.o.statusManager.terminatePod(pod);
    this.forget(uid);
  }

  /** Drops per-pod memory (reasons, back-offs). */
  forget(uid: string): void {
    this.reasons.delete(uid);
    this.crashBackoff.resetPrefix(`${uid}/`);
    this.images.forgetPod(uid);
  }

  private killContext() {
    return { runtime: this.o.runtime, clock: this.o.clock, log: this.o.log, recorder: this.o.recorder };
  }

  private startContext(pod: Pod): StartContext {
    const uid = pod.metadata?.uid ?? "";
    return {
      ...this.killContext(), images: this.images, podLogsDir: this.o.podLogsDir,
      env: {
        hostIPs: this.o.hostIPs(), nodeAllocatable: this.o.nodeAllocatable?.(), sources: this.o.envSources,
        serviceEnv: this.o.serviceEnv?.(pod.metadata?.namespace ?? "", pod.spec?.enableServiceLinks ?? true),
      },
      onStarted: (id) => this.o.onRunning?.(uid, id),
    };
  }

  sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    const m = pod.metadata ?? {};
    const ids = { namespace: m.namespace ?? "", name: m.name ?? "", uid: m.uid ?? "" };
    const ports: PodSandboxConfig["portMappings"] = [];
    for (const c of pod.spec?.containers ?? []) {
      for (const p of c.ports ?? []) if (p.hostPort) ports.push({ protocol: p.protocol ?? "TCP", containerPort: p.containerPort, hostPort: p.hostPort, ...(p.hostIP ? { hostIp: p.hostIP } : {}) });
    }
    const config: PodSandboxConfig = {
      ...ids, attempt, hostname: (pod.spec?.hostname || ids.name).slice(0, 63), hostNetwork: !!pod.spec?.hostNetwork,
      labels: { ...m.labels, "io.kubernetes.pod.name": ids.name, "io.kubernetes.pod.namespace": ids.namespace, "io.kubernetes.pod.uid": ids.uid },
      annotations: { ...m.annotations, "io.kubernetes.pod.terminationGracePeriod": String(pod.spec?.terminationGracePeriodSeconds ?? 30) },
      logDirectory: podLogDirectory(this.o.podLogsDir, ids), portMappings: ports,
    };
    const dns = this.o.dnsConfig?.(pod);
    if (dns) config.dns = dns;
    return config;
  }

  /** kuberuntime SyncPod steps 2–8 for computed actions. */
  private async execute(pod: Pod, rs: PodRuntimeStatus, a: PodActions): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    const reasons = this.reasons.get(uid) ?? new Map<string, WaitingReason>();
    this.reasons.set(uid, reasons);
    if (a.createSandbox && a.sandboxId) this.o.recorder?.event(podRef(pod), "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
    if (a.killPod) {
      await killPod(this.killContext(), pod, rs);
      if (a.createSandbox) {
        for (const c of pod.spec?.initContainers ?? []) {
          for (const s of rs.containers.filter((x) => x.name === c.name)) await this.o.runtime.removeContainer(s.id).catch(() => undefined);
        }
      }
    } else {
      for (const k of a.containersToKill) {
        await killContainer(this.killContext(), pod, k.container, k.status, { message: k.message, reason: k.reason, podIP: rs.ips[0] });
      }
    }
    if (!a.createSandbox && !a.nextInitContainer && a.containersToStart.length === 0) return;
    let podIPs = rs.ips;
    let sandboxId = a.sandboxId ?? "";
    const config = this.sandboxConfig(pod, a.attempt);
    if (a.createSandbox) {
      try {
        sandboxId = await this.o.runtime.runPodSandbox(config);
      } catch (err) {
        this.o.recorder?.event(podRef(pod), "Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
      const sb = await this.o.runtime.podSandboxStatus(sandboxId);
      if (!pod.spec?.hostNetwork) podIPs = sb?.ips ?? [];
    }
    const ctx = this.startContext(pod);
    const start = async (c: Container): Promise<boolean> => {
      const backoff = this.doBackOff(pod, c, rs);
      const failure = backoff ?? (await startContainer(ctx, pod, c, rs, sandboxId, config, podIPs));
      if (failure) reasons.set(c.name, failure);
      else reasons.delete(c.name);
      return !failure;
    };
    if (a.nextInitContainer && !(await start(a.nextInitContainer))) return;
    for (const i of a.containersToStart) await start(pod.spec!.containers[i]!);
  }

  private backoffKey(pod: Pod, c: Container): string {
    return `${pod.metadata?.uid ?? ""}/${c.name}/${c.image ?? ""}`;
  }

  /**
   * Crash-loop back-off (doBackOff): measured from the newest exited instance's finish time. While
   * in back-off: a BackOff event and the CrashLoopBackOff reason; otherwise the back-off advances.
   */
  private doBackOff(pod: Pod, c: Container, rs: PodRuntimeStatus): WaitingReason | undefined {
    const exited = rs.containers.find((s) => s.name === c.name && s.state === "exited");
    if (!exited) return undefined;
    const key = this.backoffKey(pod, c);
    const finished = exited.finishedAt ?? exited.createdAt;
    if (this.crashBackoff.isInBackOffSince(key, finished)) {
      this.o.recorder?.event(containerRef(pod, c.name), "Warning", "BackOff", `Back-off restarting failed container ${c.name} in pod ${formatPod(pod)}`);
      return { reason: "CrashLoopBackOff", message: `back-off ${goDuration(this.crashBackoff.get(key))} restarting failed container=${c.name} pod=${formatPod(pod)}` };
    }
    this.crashBackoff.next(key, finished);
    return undefined;
  }

  /** The soonest moment a back-off of this pod ends (crash loop or image pull). */
  private backoffRemaining(pod: Pod, rs: PodRuntimeStatus): number | undefined {
    let soonest: number | undefined;
    const reasons = this.reasons.get(pod.metadata?.uid ?? "");
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      const r = reasons?.get(c.name)?.reason;
      let ms = 0;
      if (r === "CrashLoopBackOff") {
        const exited = latestContainer(rs, c.name);
        if (exited?.state === "exited") ms = this.crashBackoff.remainingSince(this.backoffKey(pod, c), exited.finishedAt ?? exited.createdAt);
      } else if (r === "ErrImagePull" || r === "ImagePullBackOff") ms = this.images.backoffRemaining(pod, c);
      else if (r) ms = 10_000;
      if (ms > 0) soonest = minDefined(soonest, ms);
    }
    return soonest;
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
