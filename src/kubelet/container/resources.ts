// Container resource values for the downward API (resourceFieldRef) and for the runtime's
// ContainerConfig.resources, as Kubernetes computes them (pkg/api/v1/resource helpers).
import type { Container, Pod, ResourceFieldSelector } from "kubernetes-types/core/v1.js";
import { parseQuantity, quantityMilliValue, quantityValue } from "../../apimachinery/quantity.ts";

const ceilDiv = (a: bigint, b: bigint): bigint => (b === 0n ? 0n : (a + b - 1n) / b);

function quantityOf(v: string | number | undefined): ReturnType<typeof parseQuantity> | undefined {
  if (v === undefined || v === null) return undefined;
  return parseQuantity(v);
}

/**
 * The value a resourceFieldRef exposes, e.g. "limits.cpu" with divisor "1m" → millicores.
 * CPU rounds up to whole divisor units by milli-value, other resources by value. A limit the
 * container does not set is the node's allocatable (defaultPodLimitsForDownwardAPI).
 */
export function containerResourceValue(fs: ResourceFieldSelector, pod: Pod, container: Container, nodeAllocatable: Record<string, string>): string {
  let target = container;
  if (fs.containerName) {
    const found = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === fs.containerName);
    if (!found) throw new Error(`container ${fs.containerName} not found`);
    target = found;
  }
  const dot = fs.resource.indexOf(".");
  const kind = fs.resource.slice(0, dot);
  const name = fs.resource.slice(dot + 1);
  if ((kind !== "limits" && kind !== "requests") || !name) throw new Error(`unsupported container resource : ${fs.resource}`);
  const supported = name === "cpu" || name === "memory" || name === "ephemeral-storage" || name.startsWith("hugepages-");
  if (!supported) throw new Error(`unsupported container resource : ${fs.resource}`);
  const list = (kind === "limits" ? target.resources?.limits : target.resources?.requests) ?? {};
  let q = quantityOf(list[name]);
  if (!q && kind === "limits") q = quantityOf(nodeAllocatable[name]);
  const divisor = quantityOf(fs.divisor ?? "1") ?? parseQuantity("1");
  if (!q) return "0";
  if (name === "cpu") return String(ceilDiv(quantityMilliValue(q), quantityMilliValue(divisor)));
  return String(ceilDiv(quantityValue(q), quantityValue(divisor)));
}

/** cpu/memory limits and requests as the runtime's ContainerConfig.resources wants them. */
export function runtimeResources(container: Container): { cpuMillis?: number; memoryBytes?: number; cpuRequestMillis?: number; memoryRequestBytes?: number } {
  const out: { cpuMillis?: number; memoryBytes?: number; cpuRequestMillis?: number; memoryRequestBytes?: number } = {};
  const r = container.resources ?? {};
  const milli = (v: string | number | undefined) => (v === undefined ? undefined : Number(quantityMilliValue(parseQuantity(v))));
  const bytes = (v: string | number | undefined) => (v === undefined ? undefined : Number(quantityValue(parseQuantity(v))));
  const set = (k: keyof typeof out, v: number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set("cpuMillis", milli(r.limits?.cpu));
  set("memoryBytes", bytes(r.limits?.memory));
  set("cpuRequestMillis", milli(r.requests?.cpu));
  set("memoryRequestBytes", bytes(r.requests?.memory));
  return out;
}
