// The order in which the eviction manager picks pods (pkg/kubelet/eviction/helpers.go): under
// memory pressure, pods whose usage exceeds their requests first (every BestEffort pod using any
// memory does), then lower priority, then the larger usage above requests; the same for disk with
// ephemeral-storage; for PIDs, priority then process count. Pods without stats go first.
import type { Pod } from "kubernetes-types/core/v1.js";
import { parseQuantity, quantityValue } from "../../../apimachinery/quantity.ts";
import type { Signal } from "./thresholds.ts";

/** What a pod uses now (from the runtime's stats); undefined fields are unknown. */
export interface PodUsage {
  memoryBytes?: number;
  ephemeralStorageBytes?: number;
  processes?: number;
  containers?: { name: string; memoryBytes?: number; ephemeralStorageBytes?: number }[];
}

export type PodStatsFunc = (pod: Pod) => PodUsage | undefined;

type Cmp = (a: Pod, b: Pod) => number;

/** true before false. */
const cmpBool = (a: boolean, b: boolean): number => (a === b ? 0 : a ? -1 : 1);

function requestOf(requests: Record<string, string | number> | undefined, resource: string): number {
  const v = requests?.[resource];
  if (v === undefined) return 0;
  try {
    return Number(quantityValue(parseQuantity(v)));
  } catch {
    return 0;
  }
}

/** The pod's request of a resource: the sum over containers, or the largest init container's if larger. */
export function podRequest(pod: Pod, resource: "memory" | "ephemeral-storage"): number {
  let sum = 0;
  for (const c of pod.spec?.containers ?? []) sum += requestOf(c.resources?.requests as Record<string, string> | undefined, resource);
  let init = 0;
  for (const c of pod.spec?.initContainers ?? []) init = Math.max(init, requestOf(c.resources?.requests as Record<string, string> | undefined, resource));
  return Math.max(sum, init);
}

export const podPriority = (pod: Pod): number => pod.spec?.priority ?? 0;

/** Lower priority first. */
const byPriority: Cmp = (a, b) => Math.sign(podPriority(a) - podPriority(b));

function usageOf(u: PodUsage | undefined, resource: "memory" | "ephemeral-storage"): number | undefined {
  return resource === "memory" ? u?.memoryBytes : u?.ephemeralStorageBytes;
}

function exceedsRequests(stats: (p: Pod) => PodUsage | undefined, resource: "memory" | "ephemeral-storage"): Cmp {
  return (a, b) => {
    const ua = usageOf(stats(a), resource);
    const ub = usageOf(stats(b), resource);
    if (ua === undefined || ub === undefined) return cmpBool(ua === undefined, ub === undefined);
    return cmpBool(ua > podRequest(a, resource), ub > podRequest(b, resource));
  };
}

/** Larger usage above the request first. */
function byUsage(stats: (p: Pod) => PodUsage | undefined, resource: "memory" | "ephemeral-storage"): Cmp {
  return (a, b) => {
    const ua = usageOf(stats(a), resource);
    const ub = usageOf(stats(b), resource);
    if (ua === undefined || ub === undefined) return cmpBool(ua === undefined, ub === undefined);
    return Math.sign((ub - podRequest(b, resource)) - (ua - podRequest(a, resource)));
  };
}

function byProcesses(stats: (p: Pod) => PodUsage | undefined): Cmp {
  return (a, b) => {
    const pa = stats(a)?.processes;
    const pb = stats(b)?.processes;
    if (pa === undefined || pb === undefined) return cmpBool(pa === undefined, pb === undefined);
    return Math.sign(pb - pa);
  };
}

const orderedBy = (...cmps: Cmp[]): Cmp => (a, b) => {
  for (const c of cmps) {
    const r = c(a, b);
    if (r !== 0) return r;
  }
  return 0;
};

/** The pods in eviction order for a signal (a sorted copy; stable for ties). */
export function rankPods(signal: Signal, pods: readonly Pod[], stats: PodStatsFunc = () => undefined): Pod[] {
  const cache = new Map<Pod, PodUsage | undefined>();
  const s = (p: Pod) => {
    if (!cache.has(p)) cache.set(p, stats(p));
    return cache.get(p);
  };
  let cmp: Cmp;
  if (signal === "memory.available") cmp = orderedBy(exceedsRequests(s, "memory"), byPriority, byUsage(s, "memory"));
  else if (signal === "pid.available") cmp = orderedBy(byPriority, byProcesses(s));
  else cmp = orderedBy(exceedsRequests(s, "ephemeral-storage"), byPriority, byUsage(s, "ephemeral-storage"));
  return [...pods].sort(cmp);
}
