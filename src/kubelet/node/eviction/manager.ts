// The kubelet's eviction manager (pkg/kubelet/eviction/eviction_manager.go), hard thresholds only:
// every monitoring interval it observes the signals, derives the pressure conditions (held for the
// pressure transition period after the last crossing), and when a threshold is met evicts at most
// one pod, chosen by rankPods, through the `evictPod` callback. It also answers pod admission.
import type { Pod, PodCondition, Toleration } from "kubernetes-types/core/v1.js";
import { parseQuantity, quantityValue } from "../../../apimachinery/quantity.ts";
import { realClock, sleep } from "../../../client/index.ts";
import type { Clock, EventRecorder } from "../../../client/index.ts";
import type { Logger } from "../../../util/log.ts";
import { silentLogger } from "../../../util/log.ts";
import type { PressureSource } from "../status-manager.ts";
import { rankPods } from "./ranking.ts";
import type { PodStatsFunc } from "./ranking.ts";
import { hostSignalSource } from "./signals.ts";
import type { SignalSource } from "./signals.ts";
import { DEFAULT_EVICTION_HARD, formatSignalAmount, formatThreshold, parseThresholds, signalCondition, signalResource, thresholdsMet } from "./thresholds.ts";
import type { Observations, PressureCondition, Threshold } from "./thresholds.ts";

export const EVICTED_REASON = "Evicted";
/** Annotations on the Evicted event (and what `details.annotations` carries). */
export const OFFENDING_CONTAINERS_KEY = "offending_containers";
export const OFFENDING_CONTAINERS_USAGE_KEY = "offending_containers_usage";
export const STARVED_RESOURCE_KEY = "starved_resource";
const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

/** What the pod workers need to carry out an eviction the way the kubelet does. */
export interface EvictionDetails {
  /** The pod's status.reason: "Evicted". */
  reason: typeof EVICTED_REASON;
  /** Hard thresholds kill at once. */
  gracePeriodSeconds: number;
  /** The DisruptionTarget condition (reason TerminationByKubelet) to add to the pod's status. */
  condition: PodCondition;
  annotations: Record<string, string>;
}

export interface EvictionManagerOptions {
  /** Hard thresholds (map or flag form); default DEFAULT_EVICTION_HARD. */
  evictionHard?: Readonly<Record<string, string>> | string;
  /** Where observations come from; default the host (hostSignalSource with dataDir / imageFsPath). */
  signals?: SignalSource;
  dataDir?: string;
  imageFsPath?: string;
  /** The pods running on this node that may be evicted (not yet terminated). */
  activePods: () => readonly Pod[];
  /** Current usage per pod (the runtime's stats); without it, ranking uses requests and priority only. */
  podStats?: PodStatsFunc;
  /**
   * Stops the pod and sets it Failed with reason Evicted and `message` (and the condition in
   * `details`); resolves true when the pod was (or is being) killed.
   */
  evictPod: (pod: Pod, message: string, details: EvictionDetails) => boolean | Promise<boolean>;
  /** Called when the set of pressure conditions changes (the status manager should sync now). */
  onPressureChange?: (conditions: readonly PressureCondition[]) => void;
  /** Default 10 s. */
  monitoringIntervalMs?: number;
  /** How long a condition stays after its threshold was last met (evictionPressureTransitionPeriod); default 5 min. */
  pressureTransitionPeriodMs?: number;
  /** Records the Evicted event on the pod. */
  recorder?: EventRecorder;
  clock?: Clock;
  log?: Logger;
}

export interface AdmitResult {
  admit: boolean;
  reason?: string;
  message?: string;
}

const CONDITION_ORDER: PressureCondition[] = ["MemoryPressure", "DiskPressure", "PIDPressure"];

const isStaticPod = (pod: Pod) => {
  const source = pod.metadata?.annotations?.["kubernetes.io/config.source"];
  return source !== undefined && source !== "api";
};
const isMirrorPod = (pod: Pod) => pod.metadata?.annotations?.["kubernetes.io/config.mirror"] !== undefined;

/** IsCriticalPod: static, mirror, or system-critical priority. */
export function isCriticalPod(pod: Pod): boolean {
  return isStaticPod(pod) || isMirrorPod(pod) || (pod.spec?.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY;
}

/** The QoS class the API server recorded, or BestEffort when no container requests or limits anything. */
function isBestEffort(pod: Pod): boolean {
  const qos = pod.status?.qosClass;
  if (qos) return qos === "BestEffort";
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return all.every((c) => Object.keys(c.resources?.requests ?? {}).length === 0 && Object.keys(c.resources?.limits ?? {}).length === 0);
}

const toleratesMemoryPressure = (tolerations: readonly Toleration[] | undefined) =>
  (tolerations ?? []).some((t) => (!t.effect || t.effect === "NoSchedule") && (!t.key || t.key === "node.kubernetes.io/memory-pressure") &&
    (t.operator === "Exists" || (t.value ?? "") === ""));

export class EvictionManager implements PressureSource {
  private readonly opts: EvictionManagerOptions;
  private readonly thresholds: Threshold[];
  private readonly signals: SignalSource;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly lastObserved = new Map<PressureCondition, number>();
  private conditions: PressureCondition[] = [];
  private observations: Observations = {};

  constructor(opts: EvictionManagerOptions) {
    this.opts = opts;
    this.thresholds = parseThresholds(opts.evictionHard ?? DEFAULT_EVICTION_HARD);
    this.signals = opts.signals ?? hostSignalSource({ dataDir: opts.dataDir, imageFsPath: opts.imageFsPath });
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? silentLogger;
  }

  isUnderMemoryPressure(): boolean {
    return this.conditions.includes("MemoryPressure");
  }

  isUnderDiskPressure(): boolean {
    return this.conditions.includes("DiskPressure");
  }

  isUnderPIDPressure(): boolean {
    return this.conditions.includes("PIDPressure");
  }

  /** The pressure conditions now in force. */
  get nodeConditions(): readonly PressureCondition[] {
    return this.conditions;
  }

  /** The last observations (for status pages and tests). */
  get lastObservations(): Observations {
    return this.observations;
  }

  /**
   * Pod admission under pressure: critical pods always; under memory pressure alone, pods that are
   * not BestEffort (or tolerate the memory-pressure taint); under any other pressure, none.
   */
  admitPod(pod: Pod): AdmitResult {
    if (this.conditions.length === 0 || isCriticalPod(pod)) return { admit: true };
    if (this.conditions.length === 1 && this.conditions[0] === "MemoryPressure") {
      if (!isBestEffort(pod) || toleratesMemoryPressure(pod.spec?.tolerations)) return { admit: true };
    }
    return { admit: false, reason: EVICTED_REASON, message: `The node had condition: [${this.conditions.join(" ")}]. ` };
  }

  /** Synchronizes every monitoring interval until `signal` aborts. Never throws. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.synchronize().catch((err: unknown) => this.log.error({ err }, "eviction manager: synchronize failed"));
      await sleep(this.clock, this.opts.monitoringIntervalMs ?? 10_000, signal);
    }
  }

  /** One pass (synchronize): observe, update conditions, and evict at most one pod; resolves to the pods evicted. */
  async synchronize(): Promise<Pod[]> {
    const now = this.clock.now();
    this.observations = await this.signals();
    const met = thresholdsMet(this.thresholds, this.observations);
    for (const t of met) this.lastObserved.set(signalCondition(t.signal), now);
    const period = this.opts.pressureTransitionPeriodMs ?? 300_000;
    for (const [c, at] of this.lastObserved) if (now - at >= period && !met.some((t) => signalCondition(t.signal) === c)) this.lastObserved.delete(c);
    const conditions = CONDITION_ORDER.filter((c) => this.lastObserved.has(c));
    if (conditions.join() !== this.conditions.join()) {
      this.log.info({ conditions }, "eviction manager: node conditions changed");
      this.conditions = conditions;
      this.opts.onPressureChange?.(conditions);
    }
    if (met.length === 0) return [];
    // Memory first (byEvictionPriority), else in configuration order.
    const threshold = met.find((t) => t.signal === "memory.available") ?? met[0]!;
    const resource = signalResource(threshold.signal);
    this.log.warn({ signal: threshold.signal, resource }, "eviction manager: attempting to reclaim");
    const pods = this.opts.activePods();
    if (pods.length === 0) {
      this.log.error({ resource }, "eviction manager: eviction thresholds have been met, but no pods are active to evict");
      return [];
    }
    for (const pod of rankPods(threshold.signal, pods, this.opts.podStats)) {
      const { message, annotations } = this.evictionMessage(threshold, pod);
      if (await this.evict(pod, message, annotations)) return [pod];
    }
    return [];
  }

  /** "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. " plus the containers over their requests. */
  evictionMessage(threshold: Threshold, pod: Pod): { message: string; annotations: Record<string, string> } {
    const resource = signalResource(threshold.signal);
    let message = `The node was low on resource: ${resource}. `;
    const o = this.observations[threshold.signal];
    if (o) message += `Threshold quantity: ${formatThreshold(threshold, o.capacity)}, available: ${formatSignalAmount(threshold.signal, o.available)}. `;
    const containers: string[] = [];
    const usages: string[] = [];
    const stats = this.opts.podStats?.(pod);
    if (stats && (resource === "memory" || resource === "ephemeral-storage")) {
      for (const cs of stats.containers ?? []) {
        const c = pod.spec?.containers?.find((x) => x.name === cs.name);
        const used = resource === "memory" ? cs.memoryBytes : cs.ephemeralStorageBytes;
        if (!c || used === undefined) continue;
        const request = (c.resources?.requests as Record<string, string> | undefined)?.[resource] ?? "0";
        const usedText = formatSignalAmount(threshold.signal, used);
        if (used > requestBytes(request)) {
          message += `Container ${c.name} was using ${usedText}, request is ${request}, has larger consumption of ${resource}. `;
          containers.push(c.name);
          usages.push(usedText);
        }
      }
    }
    return { message, annotations: { [OFFENDING_CONTAINERS_KEY]: containers.join(","), [OFFENDING_CONTAINERS_USAGE_KEY]: usages.join(","), [STARVED_RESOURCE_KEY]: resource } };
  }

  private async evict(pod: Pod, message: string, annotations: Record<string, string>): Promise<boolean> {
    if (isCriticalPod(pod) && isStaticPod(pod)) {
      this.log.error({ pod: podKey(pod) }, "eviction manager: cannot evict a critical static pod");
      return false;
    }
    const condition: PodCondition = { type: "DisruptionTarget", status: "True", reason: "TerminationByKubelet", message };
    let ok = false;
    try {
      ok = await this.opts.evictPod(pod, message, { reason: EVICTED_REASON, gracePeriodSeconds: 0, condition, annotations });
    } catch (err) {
      this.log.error({ pod: podKey(pod), err }, "eviction manager: pod failed to evict");
      return false;
    }
    if (ok) {
      this.opts.recorder?.event({ ...pod, apiVersion: pod.apiVersion ?? "v1", kind: pod.kind ?? "Pod" }, "Warning", EVICTED_REASON, message);
      this.log.info({ pod: podKey(pod), message }, "eviction manager: pod is evicted successfully");
    }
    return ok;
  }
}

const podKey = (pod: Pod) => `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;

function requestBytes(q: string): number {
  try {
    return Number(quantityValue(parseQuantity(q)));
  } catch {
    return 0;
  }
}
