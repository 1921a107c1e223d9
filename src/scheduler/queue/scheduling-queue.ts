// The scheduling queue (kubernetes/pkg/scheduler/backend/queue): an active queue ordered by
// priority then age, a back-off queue (1 s doubling to 10 s per failed attempt) and a set of
// unschedulable pods that wait for a cluster event one of their rejecting plugins cares about
// (or 5 minutes). Pods with scheduling gates wait in the unschedulable set until the gates go.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Clock } from "../../client/index.ts";
import { realClock } from "../../client/index.ts";
import { newPodInfo, podKey } from "../framework/pod-info.ts";
import type { PodInfo } from "../framework/pod-info.ts";
import type { ActionType, ClusterEvent, ClusterResource } from "../framework/types.ts";
import { KeyedHeap } from "./heap.ts";

export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When the pod was (last) added to the queue; orders pods of equal priority. */
  timestamp: number;
  /** When the pod was first added; for the scheduling latency metric. */
  initialAttemptTimestamp: number;
  attempts: number;
  /** Plugins that rejected the pod in its last attempt; empty = any event may help. */
  unschedulablePlugins: Set<string>;
  /** Waiting for its spec.schedulingGates to be removed. */
  gated: boolean;
}

export interface SchedulingQueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Unschedulable pods are retried after this long even without an event. */
  maxInUnschedulableMs?: number;
  /** Which plugins care about which events (from the framework). */
  pluginEvents?: ReadonlyMap<string, readonly ClusterEvent[]>;
}

export const SCHEDULING_GATES = "SchedulingGates";
const priorityOf = (p: QueuedPodInfo): number => p.podInfo.pod.spec?.priority ?? 0;
const isGated = (pod: Pod): boolean => (pod.spec?.schedulingGates?.length ?? 0) > 0;

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxInUnschedulableMs: number;
  private readonly pluginEvents: ReadonlyMap<string, readonly ClusterEvent[]>;
  private readonly active = new KeyedHeap<QueuedPodInfo>((p) => p.podInfo.key, (a, b) => priorityOf(a) > priorityOf(b) || (priorityOf(a) === priorityOf(b) && a.timestamp < b.timestamp));
  private readonly backoff = new KeyedHeap<QueuedPodInfo>((p) => p.podInfo.key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods popped and being scheduled, by key. */
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  /** Cycle counter: bumped on every pop. */
  private schedulingCycle = 0;
  /** The cycle of the last move request: pods failing in or before it go to back-off, not unschedulable. */
  private moveRequestCycle = -1;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(opts: SchedulingQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxInUnschedulableMs = opts.maxInUnschedulableMs ?? 5 * 60_000;
    this.pluginEvents = opts.pluginEvents ?? new Map();
  }

  get cycle(): number {
    return this.schedulingCycle;
  }

  /** Counts per sub-queue (metrics and tests). */
  lengths(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key) || this.inFlight.has(key);
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const now = this.clock.now();
    const info: QueuedPodInfo = { podInfo: newPodInfo(pod), timestamp: now, initialAttemptTimestamp: now, attempts: 0, unschedulablePlugins: new Set(), gated: false };
    this.moveToActiveOrGated(info);
  }

  /**
   * A pending pod changed. If its spec or metadata changed (`changed`), an unschedulable pod is
   * retried since the change may help; a status-only change just refreshes the stored pod.
   */
  update(pod: Pod, changed = true): void {
    const key = podKey(pod);
    if (!changed) {
      const held = this.active.get(key) ?? this.backoff.get(key) ?? this.inFlight.get(key) ?? this.unschedulable.get(key);
      if (held) {
        held.podInfo = newPodInfo(pod);
        return;
      }
    }
    const inActive = this.active.get(key);
    if (inActive) return this.moveToActiveOrGated({ ...inActive, podInfo: newPodInfo(pod) });
    const inBackoff = this.backoff.get(key);
    if (inBackoff) {
      inBackoff.podInfo = newPodInfo(pod);
      if (isGated(pod)) {
        this.backoff.delete(key);
        this.moveToActiveOrGated(inBackoff);
      }
      return;
    }
    const inFlight = this.inFlight.get(key);
    if (inFlight) {
      inFlight.podInfo = newPodInfo(pod);
      return;
    }
    const waiting = this.unschedulable.get(key);
    if (waiting) {
      this.unschedulable.delete(key);
      waiting.podInfo = newPodInfo(pod);
      if (!waiting.gated && this.isBackingOff(waiting)) this.backoff.addOrUpdate(waiting);
      else this.moveToActiveOrGated(waiting);
      return;
    }
    this.add(pod);
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
  }

  /** Waits for the next pod to schedule; undefined once closed or aborted. */
  async pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    while (this.active.size === 0) {
      if (this.closed || signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener("abort", done);
          resolve();
        };
        this.waiters.push(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
    return this.popNow();
  }

  /** The next pod if one is active now (no waiting). */
  popNow(): QueuedPodInfo | undefined {
    const p = this.active.pop();
    if (!p) return undefined;
    p.attempts++;
    this.schedulingCycle++;
    this.inFlight.set(p.podInfo.key, p);
    return p;
  }

  /** The pod's attempt ended (bound, or requeued by `addUnschedulable`). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * A popped pod could not be scheduled in `podCycle`: it waits in the unschedulable set for an
   * event its rejecting plugins care about — unless such an event already came while it was
   * being scheduled (then it backs off) or it failed with an error (`plugins` empty → back-off).
   */
  addUnschedulable(info: QueuedPodInfo, podCycle: number, error = false): void {
    const key = info.podInfo.key;
    if (!this.inFlight.has(key)) return; // deleted while in flight
    this.inFlight.delete(key);
    info.timestamp = this.clock.now();
    if (error || this.moveRequestCycle >= podCycle) this.backoff.addOrUpdate(info);
    else this.unschedulable.set(key, info);
  }

  /**
   * A cluster event happened: unschedulable pods that a plugin caring about it rejected move to
   * back-off (if still backing off) or active.
   */
  onEvent(resource: ClusterResource, action: ActionType): void {
    for (const [key, info] of this.unschedulable) {
      if (info.gated || !this.mayHelp(info, resource, action)) continue;
      this.unschedulable.delete(key);
      if (this.isBackingOff(info)) this.backoff.addOrUpdate(info);
      else this.pushActive(info);
    }
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** Moves pods whose back-off has expired to the active queue; call every second. */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (let p = this.backoff.peek(); p && this.backoffExpiry(p) <= now; p = this.backoff.peek()) {
      this.backoff.pop();
      this.pushActive(p);
    }
  }

  /** Retries pods that have been unschedulable for too long; call every 30 s. */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [key, info] of this.unschedulable) {
      if (info.gated || now - info.timestamp < this.maxInUnschedulableMs) continue;
      this.unschedulable.delete(key);
      if (this.isBackingOff(info)) this.backoff.addOrUpdate(info);
      else this.pushActive(info);
    }
  }

  /** Every pod waiting or in flight (tests and debugging). */
  pendingPods(): Pod[] {
    return [...this.active.values(), ...this.backoff.values(), ...this.unschedulable.values(), ...this.inFlight.values()].map((p) => p.podInfo.pod);
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Back-off for the attempts so far: initial × 2^(attempts-1), at most max. */
  backoffDuration(info: QueuedPodInfo): number {
    if (info.attempts <= 0) return 0;
    const d = this.initialBackoffMs * 2 ** Math.min(info.attempts - 1, 30);
    return Math.min(d, this.maxBackoffMs);
  }

  private backoffExpiry(info: QueuedPodInfo): number {
    return info.timestamp + this.backoffDuration(info);
  }

  private isBackingOff(info: QueuedPodInfo): boolean {
    return this.backoffExpiry(info) > this.clock.now();
  }

  private mayHelp(info: QueuedPodInfo, resource: ClusterResource, action: ActionType): boolean {
    if (info.unschedulablePlugins.size === 0) return true;
    for (const plugin of info.unschedulablePlugins) {
      const events = this.pluginEvents.get(plugin);
      if (!events) return true;
      if (events.some((e) => e.resource === resource && e.actions.includes(action))) return true;
    }
    return false;
  }

  private moveToActiveOrGated(info: QueuedPodInfo): void {
    if (isGated(info.podInfo.pod)) {
      info.gated = true;
      info.unschedulablePlugins = new Set([SCHEDULING_GATES]);
      this.active.delete(info.podInfo.key);
      this.unschedulable.set(info.podInfo.key, info);
      return;
    }
    info.gated = false;
    this.pushActive(info);
  }

  private pushActive(info: QueuedPodInfo): void {
    this.active.addOrUpdate(info);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
