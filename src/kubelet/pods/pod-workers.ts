// Pod workers (pkg/kubelet/pod_workers.go): one serial worker per pod UID that drives the pod
// through syncing → terminating → terminated, woken by pod updates, container exits, probe
// results, back-off expiry and a periodic resync. Owns the pod-level lifecycle; the PodSyncer
// does the work of each step.
import { rm } from "node:fs/promises";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Client, Clock } from "../../client/index.ts";
import { realClock } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import { silentLogger } from "../../util/log.ts";
import { apiEnvSources } from "../container/index.ts";
import type { EnvSources, EventSink } from "../container/index.ts";
import { ProbeManager } from "../probes/index.ts";
import type { PodSandboxConfig, Runtime } from "../runtime/types.ts";
import { StatusManager, isTerminalPhase } from "../status/index.ts";
import { MIN_GRACE_SECONDS, podGracePeriod } from "./kill.ts";
import { podLogDirectory } from "./start.ts";
import { PodSyncer } from "./sync.ts";
import type { Eviction } from "./sync.ts";

export interface PodWorkersOptions {
  client: Client;
  runtime: Runtime;
  nodeName: string;
  /** Root of container logs: `<podLogsDir>/<ns>_<pod>_<uid>/<container>/<restartCount>.log`. */
  podLogsDir: string;
  /** The node's IPs, primary first; default none. */
  hostIPs?: () => string[];
  /** Node allocatable, for resourceFieldRef limits a container does not set. */
  nodeAllocatable?: () => Record<string, string>;
  recorder?: EventSink;
  clock?: Clock;
  log?: Logger;
  /** Injected managers (tests); by default the workers create and own them. */
  statusManager?: StatusManager;
  probeManager?: ProbeManager;
  /** ConfigMaps/Secrets for env; default: GETs through `client`. */
  envSources?: EnvSources;
  serviceEnv?: (namespace: string, enableServiceLinks: boolean) => ReadonlyMap<string, string>;
  dnsConfig?: (pod: Pod) => PodSandboxConfig["dns"];
  /** Re-sync every pod this often (ms); default 10 s. */
  resyncIntervalMs?: number;
  /** Retry a failed sync after this long (ms); default 10 s. */
  errorBackoffMs?: number;
  crashLoopBackoff?: { initialMs: number; maxMs: number };
  imagePullBackoff?: { initialMs: number; maxMs: number };
  /** Remove `<podLogsDir>/<ns>_<pod>_<uid>` once the pod object is gone; default true. */
  removeLogsOnDelete?: boolean;
}

export type WorkerState = "syncing" | "terminating" | "terminated";

interface Worker {
  uid: string;
  pod: Pod;
  /** The pod object is gone from the API (or no longer bound here). */
  removed: boolean;
  state: WorkerState;
  running: Promise<void> | null;
  pending: boolean;
  timerAt: number;
  cancelTimer: () => void;
  watchers: Map<string, AbortController>;
  deletionRequested: boolean;
  eviction?: Eviction;
}

export class PodWorkers {
  readonly statusManager: StatusManager;
  readonly probeManager: ProbeManager;
  readonly syncer: PodSyncer;
  private readonly o: PodWorkersOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly workers = new Map<string, Worker>();
  private readonly ownsManagers: boolean;
  private idleWaiters: (() => void)[] = [];
  /** Worker loops in progress (a forgotten worker's last loop included). */
  private active = 0;
  private stopped = false;

  constructor(o: PodWorkersOptions) {
    this.o = o;
    this.clock = o.clock ?? realClock;
    this.log = o.log ?? silentLogger;
    this.ownsManagers = !o.statusManager;
    this.statusManager = o.statusManager ?? new StatusManager({
      client: o.client, clock: this.clock, log: this.log,
      couldHaveRunningContainers: (uid) => this.couldHaveRunningContainers(uid),
      getPod: (uid) => this.workers.get(uid)?.pod,
    });
    this.probeManager = o.probeManager ?? new ProbeManager({
      runtime: o.runtime, statusProvider: this.statusManager, recorder: o.recorder, clock: this.clock, log: this.log,
      onChange: (uid) => this.requestSync(uid),
    });
    this.syncer = new PodSyncer({
      runtime: o.runtime, statusManager: this.statusManager, probeManager: this.probeManager, clock: this.clock, log: this.log,
      recorder: o.recorder, podLogsDir: o.podLogsDir, hostIPs: o.hostIPs ?? (() => []), nodeAllocatable: o.nodeAllocatable,
      envSources: o.envSources ?? apiEnvSources(o.client), serviceEnv: o.serviceEnv, dnsConfig: o.dnsConfig,
      crashLoopBackoff: o.crashLoopBackoff, imagePullBackoff: o.imagePullBackoff,
      onRunning: (uid, id) => this.watchContainer(uid, id),
    });
  }

  /** Starts the status manager's periodic reconciliation (when the workers own it). */
  start(): void {
    if (this.ownsManagers) this.statusManager.start();
  }

  /** A pod bound to this node was added or changed. A pod already terminal in the API is only cleaned up. */
  updatePod(pod: Pod): void {
    if (this.stopped) return;
    const uid = pod.metadata?.uid ?? "";
    let w = this.workers.get(uid);
    if (!w) {
      w = {
        uid, pod, removed: false, state: isTerminalPhase(pod.status?.phase) ? "terminating" : "syncing", running: null, pending: false,
        timerAt: Infinity, cancelTimer: () => undefined, watchers: new Map(), deletionRequested: false,
      };
      this.workers.set(uid, w);
    }
    w.pod = pod;
    this.kick(w);
  }

  /** The pod object is gone (deleted for good, or no longer bound here): stop it and forget it. */
  removePod(uid: string): void {
    const w = this.workers.get(uid);
    if (!w) return;
    w.removed = true;
    this.kick(w);
  }

  /**
   * Stops the pod and fails it with the eviction's reason (the node's eviction manager, shutdown).
   * The pod object stays (phase Failed) until someone deletes it. False for unknown or finished pods.
   */
  evictPod(uid: string, eviction: Eviction): boolean {
    const w = this.workers.get(uid);
    if (!w || w.state === "terminated") return false;
    w.eviction = eviction;
    this.kick(w);
    return true;
  }

  /** Syncs the pod now (or after `afterMs`). */
  requestSync(uid: string, afterMs = 0): void {
    const w = this.workers.get(uid);
    if (!w) return;
    if (afterMs <= 0) this.kick(w);
    else this.schedule(w, afterMs);
  }

  state(uid: string): WorkerState | undefined {
    return this.workers.get(uid)?.state;
  }

  /** The pod whose worker has this UID (the latest version seen). */
  pod(uid: string): Pod | undefined {
    return this.workers.get(uid)?.pod;
  }

  /** False once the pod's containers have been stopped for good (or it is unknown). */
  couldHaveRunningContainers(uid: string): boolean {
    const w = this.workers.get(uid);
    return !!w && w.state !== "terminated";
  }

  /**
   * Stops and removes sandboxes (and their containers) of pods the node should not run: neither in
   * `known` nor handled by a worker. Call once the pod informer has synced.
   */
  async cleanupOrphans(known: ReadonlySet<string>): Promise<void> {
    const keep = new Set([...known, ...this.workers.keys()]);
    this.probeManager.cleanupPods(keep);
    for (const sb of await this.o.runtime.listPodSandboxes()) {
      if (keep.has(sb.config.uid)) continue;
      const grace = Number(sb.config.annotations["io.kubernetes.pod.terminationGracePeriod"] ?? MIN_GRACE_SECONDS);
      this.log.info({ pod: `${sb.config.namespace}/${sb.config.name}`, uid: sb.config.uid }, "stopping orphaned pod");
      const containers = await this.o.runtime.listContainers({ sandboxId: sb.id });
      await Promise.all(containers.filter((c) => c.state === "running").map((c) => this.o.runtime.stopContainer(c.id, Math.max(MIN_GRACE_SECONDS, grace))));
      await this.o.runtime.stopPodSandbox(sb.id);
      await this.o.runtime.removePodSandbox(sb.id);
    }
  }

  /** Resolves when no worker is syncing (tests). */
  async waitIdle(): Promise<void> {
    while (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops all workers' timers and watches (containers keep running); waits for syncs in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.workers.values()) {
      w.cancelTimer();
      for (const ac of w.watchers.values()) ac.abort();
    }
    await this.waitIdle();
    if (this.ownsManagers) {
      this.probeManager.stop();
      await this.statusManager.stop();
    }
  }

  private kick(w: Worker): void {
    if (this.stopped) return;
    if (w.running) {
      w.pending = true;
      return;
    }
    this.active++;
    w.running = this.loop(w).finally(() => {
      w.running = null;
      if (--this.active === 0) for (const r of this.idleWaiters.splice(0)) r();
    });
  }

  private async loop(w: Worker): Promise<void> {
    do {
      w.pending = false;
      w.cancelTimer();
      w.timerAt = Infinity;
      try {
        await this.syncOnce(w);
      } catch (err) {
        this.log.warn({ err, pod: `${w.pod.metadata?.namespace}/${w.pod.metadata?.name}`, state: w.state }, "pod sync failed; retrying");
        this.schedule(w, this.o.errorBackoffMs ?? 10_000);
      }
    } while (w.pending && !this.stopped);
  }

  private async syncOnce(w: Worker): Promise<void> {
    if (w.state === "syncing") {
      if (w.removed || w.pod.metadata?.deletionTimestamp) w.state = "terminating";
      else {
        const r = await this.syncer.syncPod(w.pod, w.eviction);
        if (r.terminal) w.state = "terminating";
        else {
          const resync = this.o.resyncIntervalMs ?? 10_000;
          this.schedule(w, r.requeueAfterMs !== undefined ? Math.min(r.requeueAfterMs, resync) : resync);
          return;
        }
      }
    }
    if (w.state === "terminating") {
      const grace = w.pod.metadata?.deletionTimestamp || w.removed ? podGracePeriod(w.pod)
        : (w.eviction?.gracePeriodSeconds ?? w.pod.spec?.terminationGracePeriodSeconds ?? 30);
      await this.syncer.terminatePod(w.pod, grace);
      w.state = "terminated";
      for (const ac of w.watchers.values()) ac.abort();
      w.watchers.clear();
      await this.syncer.finishPod(w.pod);
      w.deletionRequested = !!w.pod.metadata?.deletionTimestamp;
    }
    if (w.removed) return this.forget(w);
    if (w.pod.metadata?.deletionTimestamp && !w.deletionRequested) {
      w.deletionRequested = true;
      this.statusManager.terminatePod(w.pod);
    }
  }

  private async forget(w: Worker): Promise<void> {
    w.cancelTimer();
    for (const ac of w.watchers.values()) ac.abort();
    this.workers.delete(w.uid);
    this.probeManager.removePod(w.uid);
    this.statusManager.removePod(w.uid);
    this.syncer.forget(w.uid);
    if (this.o.removeLogsOnDelete ?? true) {
      const m = w.pod.metadata ?? {};
      await rm(podLogDirectory(this.o.podLogsDir, { namespace: m.namespace ?? "", name: m.name ?? "", uid: w.uid }), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Wakes the worker after `ms`, unless it is already due sooner. */
  private schedule(w: Worker, ms: number): void {
    if (this.stopped) return;
    const at = this.clock.now() + ms;
    if (at >= w.timerAt) return;
    w.cancelTimer();
    w.timerAt = at;
    w.cancelTimer = this.clock.setTimer(ms, () => {
      w.timerAt = Infinity;
      if (this.workers.get(w.uid) === w) this.kick(w);
    });
  }

  /** Syncs the pod when this container exits (the PLEG's job in Kubernetes). */
  private watchContainer(uid: string, id: string): void {
    const w = this.workers.get(uid);
    if (!w || w.watchers.has(id) || w.state === "terminated") return;
    const ac = new AbortController();
    w.watchers.set(id, ac);
    this.o.runtime.waitContainer(id, ac.signal)
      .catch(() => undefined)
      .then(() => {
        if (w.watchers.get(id) === ac) w.watchers.delete(id);
        if (!ac.signal.aborted && this.workers.get(uid) === w) this.kick(w);
      });
  }
}
