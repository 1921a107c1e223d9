// What NodeResourcesFit scoring and NodeResourcesBalancedAllocation share (noderesources
// resource_allocation.go): resource specs from plugin args, resource-name classes, the pod's
// request per spec, and the node's allocatable/requested per spec into reusable buffers.
import type { Pod } from "kubernetes-types/core/v1.js";
import { isQualifiedName } from "../../../apimachinery/validation.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { podRequests } from "../../framework/resources.ts";

export interface ResourceSpec {
  readonly name: string;
  readonly weight: number;
}

/** cpu and memory, weight 1 each: the default for both plugins' `resources`. */
export const DEFAULT_RESOURCES: readonly ResourceSpec[] = Object.freeze([
  Object.freeze({ name: "cpu", weight: 1 }),
  Object.freeze({ name: "memory", weight: 1 }),
]);

// How a spec's amounts are looked up (numbers, not an enum).
const CPU = 0;
const MEMORY = 1;
const EPHEMERAL_STORAGE = 2;
const SCALAR = 3;
/** A name that is neither a basic nor a scalar resource (e.g. "pods"): never scored. */
const NONE = 4;

const extendedCache = new Map<string, boolean>();

/** v1helper.IsExtendedResourceName: outside kubernetes.io, has a domain, and `requests.<name>` is a qualified name. */
export function isExtendedResourceName(name: string): boolean {
  let v = extendedCache.get(name);
  if (v === undefined) {
    v = name.includes("/") && !name.includes("kubernetes.io/") && !name.startsWith("requests.") && isQualifiedName(`requests.${name}`).length === 0;
    if (extendedCache.size > 10_000) extendedCache.clear();
    extendedCache.set(name, v);
  }
  return v;
}

/** schedutil.IsScalarResourceName: extended, hugepages-*, kubernetes.io/-prefixed or attachable-volumes-*. */
export function isScalarResourceName(name: string): boolean {
  return name.startsWith("hugepages-") || name.startsWith("attachable-volumes-") || name.includes("kubernetes.io/") || isExtendedResourceName(name);
}

const kindOf = (name: string): number =>
  name === "cpu" ? CPU : name === "memory" ? MEMORY : name === "ephemeral-storage" ? EPHEMERAL_STORAGE : isScalarResourceName(name) ? SCALAR : NONE;

/**
 * Resource specs from args (`[{ name, weight }]`) with Kubernetes' defaults: none → cpu and memory;
 * weight 0 or absent → 1. Throws on a missing name or a weight outside 1..100.
 */
export function parseResourceSpecs(raw: unknown, path: string): ResourceSpec[] {
  if (raw === undefined || raw === null) return [...DEFAULT_RESOURCES];
  if (!Array.isArray(raw)) throw new Error(`${path}: must be a list of {name, weight}`);
  if (raw.length === 0) return [...DEFAULT_RESOURCES];
  const seen = new Set<string>();
  return raw.map((r: unknown, i): ResourceSpec => {
    const o = (typeof r === "object" && r !== null ? r : {}) as { name?: unknown; weight?: unknown };
    if (typeof o.name !== "string" || o.name === "") throw new Error(`${path}[${i}].name: Required value`);
    if (seen.has(o.name)) throw new Error(`${path}[${i}].name: Duplicate value: ${JSON.stringify(o.name)}`);
    seen.add(o.name);
    const weight = o.weight === undefined || o.weight === 0 ? 1 : o.weight;
    if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 1 || weight > 100) {
      throw new Error(`${path}[${i}].weight: Invalid value: ${JSON.stringify(o.weight)}: resource weight of ${o.name} should be in the range 1-100`);
    }
    return { name: o.name, weight };
  });
}

/**
 * The amounts a score function looks at, per spec (resourceAllocationScorer): allocatable and the
 * node's requests plus the pod's. `useRequested` picks the node's actual requests for cpu/memory
 * (BalancedAllocation) rather than the ones with non-zero defaults (Fit). Buffers are reused per call.
 */
export class ResourceAllocation {
  readonly specs: readonly ResourceSpec[];
  readonly weights: Float64Array;
  /** Allocatable per spec of the last `fill`; 0 means "skip this resource". */
  readonly allocatable: Float64Array;
  /** Requested (node + pod) per spec of the last `fill`. */
  readonly requested: Float64Array;
  /** The specs are exactly cpu then memory (the default): scorers may skip `fill` (see strategies' *CpuMemory). */
  readonly cpuMemoryOnly: boolean;
  private readonly kinds: Uint8Array;
  private readonly useRequested: boolean;

  constructor(specs: readonly ResourceSpec[], useRequested: boolean) {
    this.specs = specs;
    this.useRequested = useRequested;
    this.kinds = Uint8Array.from(specs, (s) => kindOf(s.name));
    this.cpuMemoryOnly = specs.length === 2 && this.kinds[0] === CPU && this.kinds[1] === MEMORY;
    this.weights = Float64Array.from(specs, (s) => s.weight);
    this.allocatable = new Float64Array(specs.length);
    this.requested = new Float64Array(specs.length);
  }

  /** The pod's request per spec: with non-zero cpu/memory defaults unless `useRequested`. */
  podRequestList(pod: Pod): number[] {
    const r = podRequests(pod, !this.useRequested);
    return this.specs.map((s, i) => {
      switch (this.kinds[i]) {
        case CPU: return r.milliCPU;
        case MEMORY: return r.memory;
        case EPHEMERAL_STORAGE: return r.ephemeralStorage;
        case SCALAR: return r.scalar[s.name] ?? 0;
        default: return 0;
      }
    });
  }

  /**
   * Fills `allocatable` and `requested` for the node. A scalar resource the pod does not request,
   * or the node does not have, gets allocatable 0 so scorers skip it.
   */
  fill(node: NodeInfo, podRequests: readonly number[]): void {
    const alloc = node.allocatable;
    const used = this.useRequested ? node.requested : node.nonZeroRequested;
    for (let i = 0; i < this.kinds.length; i++) {
      const p = podRequests[i];
      let a = 0;
      let r = 0;
      switch (this.kinds[i]) {
        case CPU:
          a = alloc.milliCPU;
          r = used.milliCPU + p;
          break;
        case MEMORY:
          a = alloc.memory;
          r = used.memory + p;
          break;
        case EPHEMERAL_STORAGE:
          a = alloc.ephemeralStorage;
          r = node.requested.ephemeralStorage + p;
          break;
        case SCALAR: {
          if (p === 0) break;
          const name = this.specs[i].name;
          const av = alloc.scalar[name];
          if (av === undefined) break;
          a = av;
          r = (node.requested.scalar[name] ?? 0) + p;
          break;
        }
      }
      this.allocatable[i] = a;
      this.requested[i] = a === 0 ? 0 : r;
    }
  }
}
