// Resource arithmetic the scheduler needs (framework.Resource, resource.PodRequests): a pod's
// effective requests (containers, init containers and sidecars, overhead) and the non-zero
// defaults used for scoring (100m CPU, 200 MiB memory per container without requests).
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { parseQuantity, quantityMilliValue, quantityValue } from "../../apimachinery/quantity.ts";

/** CPU in millicores, memory and ephemeral storage in bytes, pods as a count, other resources by name (integer units). */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  pods: number;
  scalar: Record<string, number>;
}

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export const emptyResource = (): Resource => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: {} });

const cache = new Map<string, number>();
/** Parses a quantity to a number: millis for cpu, whole units otherwise. Invalid → 0 (the API server validated it). */
function amount(name: string, q: string | number): number {
  const key = `${name === "cpu" ? "m" : "u"}${q}`;
  let v = cache.get(key);
  if (v === undefined) {
    try {
      const parsed = parseQuantity(q);
      v = Number(name === "cpu" ? quantityMilliValue(parsed) : quantityValue(parsed));
    } catch {
      v = 0;
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(key, v);
  }
  return v;
}

/** Adds a ResourceList (requests, allocatable, capacity) into `into`. */
export function addResourceList(into: Resource, list: Readonly<Record<string, string | number>> | undefined): Resource {
  if (!list) return into;
  for (const [name, q] of Object.entries(list)) {
    const v = amount(name, q);
    switch (name) {
      case "cpu": into.milliCPU += v; break;
      case "memory": into.memory += v; break;
      case "ephemeral-storage": into.ephemeralStorage += v; break;
      case "pods": into.pods += v; break;
      default: into.scalar[name] = (into.scalar[name] ?? 0) + v;
    }
  }
  return into;
}

export function resourceFromList(list: Readonly<Record<string, string | number>> | undefined): Resource {
  return addResourceList(emptyResource(), list);
}

function add(into: Resource, r: Resource, sign = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  into.pods += sign * r.pods;
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = (into.scalar[k] ?? 0) + sign * v;
}

export const addResource = (into: Resource, r: Resource): void => add(into, r, 1);
export const subtractResource = (into: Resource, r: Resource): void => add(into, r, -1);

function max(into: Resource, r: Resource): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = Math.max(into.scalar[k] ?? 0, v);
}

function containerRequests(c: Container, nonZero: boolean): Resource {
  const r = resourceFromList(c.resources?.requests as Record<string, string> | undefined);
  if (nonZero) {
    const req = c.resources?.requests ?? {};
    if (!("cpu" in req)) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!("memory" in req)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * The pod's effective requests: sum of containers plus running sidecars (init containers with
 * restartPolicy Always), at least the largest init step, plus overhead. `nonZero` applies the
 * scoring defaults to containers that request no cpu or memory. `pods` is not set here.
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const total = emptyResource();
  for (const c of pod.spec?.containers ?? []) addResource(total, containerRequests(c, nonZero));
  const sidecars = emptyResource();
  const initMax = emptyResource();
  for (const c of pod.spec?.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === "Always") {
      addResource(sidecars, r);
      max(initMax, sidecars);
    } else {
      const step = emptyResource();
      addResource(step, r);
      addResource(step, sidecars);
      max(initMax, step);
    }
  }
  addResource(total, sidecars);
  max(total, initMax);
  addResourceList(total, pod.spec?.overhead as Record<string, string> | undefined);
  return total;
}
