// The kubelet's status manager (pkg/kubelet/status/status_manager.go): caches the status computed
// for each pod, writes changes to pods/status in the background (coalesced per pod, conflict
// retries), keeps terminal phases terminal, and finishes graceful deletions with a DELETE
// (grace period 0, uid precondition) once the pod's containers are gone.
import type { ContainerStatus, Pod, PodCondition, PodStatus } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../../apimachinery/status.ts";
import type { Client, Clock } from "../../client/index.ts";
import { realClock, resources } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import { silentLogger } from "../../util/log.ts";
import { KUBELET_CONDITIONS } from "./conditions.ts";
import { rfc3339 } from "./generate.ts";
import { isTerminalPhase } from "./phase.ts";

export interface StatusManagerOptions {
  client: Client;
  clock?: Clock;
  log?: Logger;
  /** Re-check every cached status against the API this often (ms); default 10 s, 0 = never. */
  syncPeriodMs?: number;
  /** Writes in flight at once (different pods); default 16. */
  concurrency?: number;
  /** Attempts per write when the pod keeps changing under us (409); default 5. */
  conflictRetries?: number;
  /** Whether the pod may still have running containers: a terminal phase is not written until it has none. */
  couldHaveRunningContainers?: (uid: string) => boolean;
  /** The pod as the informer has it, to notice API statuses that drifted from the cache (resync). */
  getPod?: (uid: string) => Pod | undefined;
  /** Called after the kubelet deleted the pod object for good. */
  onPodDeleted?: (uid: string) => void;
}

interface Entry {
  status: PodStatus;
  version: number;
  namespace: string;
  name: string;
  /** The pod's containers are stopped and cleaned up: a deletionTimestamp may now be honoured. */
  finished: boolean;
}

/**
 * Source of truth for pod statuses on this node. `setPodStatus` never blocks; writes happen in
 * the background. Contract: the API sees a pod's statuses in order, only when they differ
 * (conditions compared without their timestamps), and never a terminal phase going back.
 */
export class StatusManager {
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly opts: StatusManagerOptions;
  private readonly entries = new Map<string, Entry>();
  /** Last version written (or found equal) per pod. */
  private readonly apiVersions = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private pump: Promise<void> | null = null;
  private cancelResync: () => void = () => undefined;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: StatusManagerOptions) {
    this.opts = opts;
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? silentLogger;
  }

  /** Starts the periodic reconciliation (writes triggered by changes need no start). */
  start(): void {
    this.stopped = false;
    this.scheduleResync();
  }

  /** Stops background work; resolves when writes in flight are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelResync();
    await this.flush();
  }

  /** The status last set for the pod (what probes and the worker read). */
  getPodStatus(uid: string): PodStatus | undefined {
    const e = this.entries.get(uid);
    return e ? structuredClone(e.status) : undefined;
  }

  /**
   * Caches the status and queues a write if it changed. Condition transition times are carried
   * over while a condition's status stays the same; startTime is set once. `finished` marks the
   * pod's final status (containers stopped): a pod with a deletionTimestamp is then deleted.
   */
  setPodStatus(pod: Pod, status: PodStatus, o: { finished?: boolean } = {}): void {
    const uid = pod.metadata?.uid ?? "";
    const cached = this.entries.get(uid);
    const old = cached?.status ?? pod.status ?? {};
    const next = structuredClone(status);
    if (illegalTransition(old, next, pod)) {
      this.log.warn({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` }, "status update aborted: terminated container may not restart");
      return;
    }
    const now = rfc3339(this.clock.now());
    for (const c of next.conditions ?? []) {
      if (!KUBELET_CONDITIONS.has(c.type) && c.type !== "DisruptionTarget") continue;
      const prior = old.conditions?.find((x) => x.type === c.type);
      c.lastTransitionTime = prior && prior.status === c.status && prior.lastTransitionTime ? prior.lastTransitionTime : now;
    }
    next.startTime = old.startTime ?? next.startTime ?? now;
    const finished = (cached?.finished ?? false) || (o.finished ?? false);
    const force = !!pod.metadata?.deletionTimestamp || (finished && !cached?.finished);
    if (cached && !force && statusEqual(cached.status, next)) return;
    this.entries.set(uid, { status: next, version: (cached?.version ?? 0) + 1, namespace: pod.metadata?.namespace ?? "", name: pod.metadata?.name ?? "", finished });
    this.markDirty(uid);
  }

  /**
   * The pod's containers are gone: any container without a terminated state is reported as
   * terminated (ContainerStatusUnknown, 137) and a non-terminal phase becomes Failed. This is
   * the final status; with a deletionTimestamp the pod object is then deleted.
   */
  terminatePod(pod: Pod): void {
    const uid = pod.metadata?.uid ?? "";
    const status = structuredClone(this.entries.get(uid)?.status ?? pod.status ?? {});
    const unknown = (): ContainerStatus["state"] => ({ terminated: { reason: "ContainerStatusUnknown", message: "The container could not be located when the pod was terminated", exitCode: 137 } });
    if (hasPodInitialized(pod, status)) {
      for (const c of status.containerStatuses ?? []) if (!c.state?.terminated) c.state = unknown();
    }
    const inits = status.initContainerStatuses ?? [];
    let last = 0;
    for (let i = inits.length - 1; i >= 0; i--) {
      if (!inits[i]!.state?.waiting || inits[i]!.lastState?.terminated) {
        last = i;
        break;
      }
    }
    for (let i = 0; i <= last && i < inits.length; i++) if (!inits[i]!.state?.terminated) inits[i]!.state = unknown();
    if (!isTerminalPhase(status.phase)) status.phase = "Failed";
    for (const c of status.containerStatuses ?? []) c.ready = false;
    this.setPodStatus(pod, status, { finished: true });
  }

  /** Forgets the pod (it is gone from the node). */
  removePod(uid: string): void {
    this.entries.delete(uid);
    this.apiVersions.delete(uid);
    this.dirty.delete(uid);
  }

  /** Resolves once every queued write has been attempted. */
  async flush(): Promise<void> {
    while (this.dirty.size > 0 || this.inFlight.size > 0 || this.pump) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private markDirty(uid: string): void {
    this.dirty.add(uid);
    this.kick();
  }

  private kick(): void {
    if (this.pump) return;
    this.pump = this.drain().finally(() => {
      this.pump = null;
      if (this.dirty.size > 0) this.kick();
      else for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /** Writes dirty pods, `concurrency` at a time; a pod marked dirty during its write goes again. */
  private async drain(): Promise<void> {
    await Promise.resolve();
    const limit = Math.max(1, this.opts.concurrency ?? 16);
    while (this.dirty.size > 0 || this.inFlight.size > 0) {
      for (const uid of [...this.dirty]) {
        if (this.inFlight.size >= limit) break;
        if (this.inFlight.has(uid)) continue;
        this.dirty.delete(uid);
        const p = this.syncPod(uid).catch((err: unknown) => this.log.warn({ err, uid }, "status write failed")).finally(() => this.inFlight.delete(uid));
        this.inFlight.set(uid, p);
      }
      if (this.inFlight.size > 0) await Promise.race(this.inFlight.values());
      else if ([...this.dirty].every((u) => this.inFlight.has(u))) break;
    }
  }

  /** One pod: GET, merge, PUT /status if different (retrying conflicts), then DELETE if finished. */
  private async syncPod(uid: string): Promise<void> {
    const retries = this.opts.conflictRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const entry = this.entries.get(uid);
      if (!entry) return;
      let pod: Pod;
      try {
        pod = await this.client.get<Pod>(resources.pods, entry.name, { namespace: entry.namespace });
      } catch (err) {
        if (isStatusError(err, "NotFound")) return;
        throw err;
      }
      if (pod.metadata?.uid !== uid) return;
      const couldRun = this.opts.couldHaveRunningContainers?.(uid) ?? !entry.finished;
      const merged = mergePodStatus(pod.status ?? {}, entry.status, couldRun);
      if (!statusEqual(pod.status ?? {}, merged, true)) {
        try {
          pod = await this.client.updateStatus<Pod>(resources.pods, { ...pod, status: merged });
        } catch (err) {
          if (isStatusError(err, "NotFound")) return;
          if (isStatusError(err, "Conflict") && attempt < retries) continue;
          throw err;
        }
      }
      if (entry.finished && pod.metadata?.deletionTimestamp && isTerminalPhase(pod.status?.phase)) await this.deletePod(pod);
      else this.apiVersions.set(uid, entry.version);
      return;
    }
  }

  private async deletePod(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    try {
      await this.client.delete(resources.pods, pod.metadata!.name!, { namespace: pod.metadata!.namespace, gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      if (!isStatusError(err, "NotFound") && !isStatusError(err, "Conflict")) throw err;
    }
    this.log.debug({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` }, "pod fully terminated and removed");
    this.removePod(uid);
    this.opts.onPodDeleted?.(uid);
  }

  private scheduleResync(): void {
    const period = this.opts.syncPeriodMs ?? 10_000;
    if (period <= 0 || this.stopped) return;
    this.cancelResync = this.clock.setTimer(period, () => {
      for (const [uid, e] of this.entries) {
        const api = this.opts.getPod?.(uid)?.status;
        const drifted = api && !statusEqual(api, mergePodStatus(api, e.status, this.opts.couldHaveRunningContainers?.(uid) ?? !e.finished), true);
        if ((this.apiVersions.get(uid) ?? 0) < e.version || drifted) this.markDirty(uid);
      }
      this.scheduleResync();
    });
  }
}

/** Conditions compared by type, status, reason and message (not their times); everything else exactly. */
export function statusEqual(a: PodStatus, b: PodStatus, allConditions = false): boolean {
  const strip = (s: PodStatus) => {
    const c = structuredClone(s);
    delete c.conditions;
    return JSON.stringify(sortKeys(c));
  };
  if (strip(a) !== strip(b)) return false;
  const keyed = (s: PodStatus) => (s.conditions ?? [])
    .filter((c) => allConditions || KUBELET_CONDITIONS.has(c.type) || c.type === "DisruptionTarget")
    .map((c) => `${c.type}|${c.status}|${c.reason ?? ""}|${c.message ?? ""}`).sort().join("\n");
  return keyed(a) === keyed(b);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/**
 * What is written: the kubelet's status with the API's conditions that the kubelet does not own
 * kept, a terminal phase delayed while containers may still run, ready conditions False once
 * terminal, and never a terminal API phase regressed.
 */
export function mergePodStatus(api: PodStatus, next: PodStatus, couldHaveRunningContainers: boolean): PodStatus {
  const out = structuredClone(next);
  const conditions: PodCondition[] = (api.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type));
  for (const c of next.conditions ?? []) if (KUBELET_CONDITIONS.has(c.type)) conditions.push(c);
  const toTerminal = !isTerminalPhase(api.phase) && isTerminalPhase(next.phase);
  // DisruptionTarget is shared with other writers: the kubelet sets it when the pod actually ends.
  const disruption = next.conditions?.find((c) => c.type === "DisruptionTarget");
  if (disruption && toTerminal && !couldHaveRunningContainers) {
    const i = conditions.findIndex((c) => c.type === "DisruptionTarget");
    if (i >= 0) conditions[i] = disruption;
    else conditions.push(disruption);
  }
  out.conditions = conditions;
  if (toTerminal && couldHaveRunningContainers) {
    out.phase = api.phase;
    if (api.reason) out.reason = api.reason;
    else delete out.reason;
    if (api.message) out.message = api.message;
    else delete out.message;
  }
  if (isTerminalPhase(api.phase) && out.phase !== api.phase) out.phase = api.phase;
  if (isTerminalPhase(out.phase)) {
    const reason = out.phase === "Failed" ? "PodFailed" : "PodCompleted";
    for (const c of out.conditions) {
      if ((c.type === "Ready" || c.type === "ContainersReady") && c.status === "True") {
        c.status = "False";
        c.reason = reason;
        delete c.message;
      }
    }
  }
  return out;
}

/** A container that terminated and may not restart (policy) must not be reported otherwise. */
function illegalTransition(old: PodStatus, next: PodStatus, pod: Pod): boolean {
  const policy = pod.spec?.restartPolicy ?? "Always";
  if (policy === "Always") return false;
  const check = (olds: ContainerStatus[] | undefined, news: ContainerStatus[] | undefined) => (olds ?? []).some((o) => {
    if (!o.state?.terminated) return false;
    if (o.state.terminated.exitCode !== 0 && policy === "OnFailure") return false;
    return (news ?? []).some((n) => n.name === o.name && !n.state?.terminated);
  });
  return check(old.containerStatuses, next.containerStatuses) || check(old.initContainerStatuses, next.initContainerStatuses);
}

/** Whether the pod ever got past its init containers (then missing statuses count as failures). */
function hasPodInitialized(pod: Pod, status: PodStatus): boolean {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return true;
  if ((status.containerStatuses ?? []).some((c) => c.lastState?.terminated || !c.state?.waiting)) return true;
  const last = status.initContainerStatuses?.[status.initContainerStatuses.length - 1];
  if (!last) return false;
  return last.lastState?.terminated?.exitCode === 0 || last.state?.terminated?.exitCode === 0;
}
