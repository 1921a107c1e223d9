// NodeResourcesFit (noderesources/fit.go): Filter rejects nodes without room for the pod's requests
// (pod count, cpu, memory, ephemeral storage, scalar resources); Score ranks nodes by the configured
// strategy (LeastAllocated by default, MostAllocated, RequestedToCapacityRatio).
import type { Pod } from "kubernetes-types/core/v1.js";
import { StateReader } from "../../framework/cycle-state.ts";
import type { CycleState, StateData } from "../../framework/cycle-state.ts";
import {
  ALLOCATABLE_CPU, ALLOCATABLE_MEMORY, ALLOCATABLE_PODS, NON_ZERO_CPU, NON_ZERO_MEMORY, REQUESTED_CPU, REQUESTED_MEMORY, REQUESTED_PODS,
} from "../../framework/node-info.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { podRequests } from "../../framework/resources.ts";
import { SUCCESS, errorStatus } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import type { ClusterEvent, FilterPlugin, PluginFactory, PreFilterPlugin, PreFilterResult, PreScorePlugin, ScorePlugin } from "../../framework/types.ts";
import { ResourceAllocation, isExtendedResourceName, isScalarResourceName, parseResourceSpecs } from "./resource-allocation.ts";
import type { ResourceSpec } from "./resource-allocation.ts";
import {
  SCORING_STRATEGY_TYPES,
  leastAllocatedScorer,
  leastRequestedScore,
  mostAllocatedScorer,
  mostRequestedScore,
  requestedToCapacityRatioScorer,
  validateShape,
  weightedCpuMemory,
} from "./strategies.ts";
import type { ResourceScore, Scorer, ScoringStrategyType, UtilizationShapePoint } from "./strategies.ts";

export const NODE_RESOURCES_FIT = "NodeResourcesFit";
const preFilterStateKey = "PreFilter" + NODE_RESOURCES_FIT;
const preScoreStateKey = "PreScore" + NODE_RESOURCES_FIT;

/** NodeResourcesFitArgs (config v1), as far as k8ts uses them. */
export interface NodeResourcesFitArgs {
  /** Extended resources Filter ignores. */
  ignoredResources?: string[];
  /** Extended resource groups (the part before "/") Filter ignores. */
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: ScoringStrategyType;
    resources?: ResourceSpec[];
    requestedToCapacityRatio?: { shape: UtilizationShapePoint[] };
  };
}

// Fixed reasons (in Kubernetes' order) and their bit in the Filter's failure mask.
const REASON_PODS = "Too many pods";
const REASON_CPU = "Insufficient cpu";
const REASON_MEMORY = "Insufficient memory";
const REASON_EPHEMERAL = "Insufficient ephemeral-storage";
const fixedReasons = [REASON_PODS, REASON_CPU, REASON_MEMORY, REASON_EPHEMERAL];

/** The pod's requests as Filter needs them, computed once per pod. */
class PreFilterState implements StateData {
  /** Immutable once written: clones share it. */
  clone(): StateData {
    return this;
  }
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  /** Non-zero scalar requests Filter checks (ignored extended resources left out). */
  scalarNames: string[] = [];
  scalarQuantities: number[] = [];
  scalarReasons: string[] = [];
  /** Requests nothing at all: only the pod count is checked. */
  requestsNothing = true;
}

class PreScoreState implements StateData {
  /** Immutable once written: clones share it. */
  clone(): StateData {
    return this;
  }
  readonly podRequests: readonly number[];
  constructor(podRequests: readonly number[]) {
    this.podRequests = podRequests;
  }
}

// Pod updates cannot shrink requests (no in-place resize here), so only deletes free resources.
const events: readonly ClusterEvent[] = [
  { resource: "Pod", actions: ["Delete"] },
  { resource: "Node", actions: ["Add", "Update"] },
];

/** One entry of Fits: which resource is short and by how much. */
export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
}

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NODE_RESOURCES_FIT;
  readonly strategy: ScoringStrategyType;
  private readonly ignoredResources: ReadonlySet<string>;
  private readonly ignoredResourceGroups: ReadonlySet<string>;
  private readonly allocation: ResourceAllocation;
  private readonly scorer: Scorer;
  /** Least/MostAllocated over exactly cpu and memory: the per-resource score for the fast path. */
  private readonly cpuMemoryScore: ResourceScore | undefined;
  /** Rejections with only fixed reasons, by failure mask (built on first use). */
  private readonly rejections: (Status | undefined)[] = new Array(16);
  private readonly preFilterState = new StateReader<PreFilterState>(preFilterStateKey);
  private readonly preScoreState = new StateReader<PreScoreState>(preScoreStateKey);

  constructor(args: NodeResourcesFitArgs = {}) {
    this.ignoredResources = new Set(args.ignoredResources ?? []);
    this.ignoredResourceGroups = new Set(args.ignoredResourceGroups ?? []);
    const s = args.scoringStrategy ?? {};
    const type = s.type ?? "LeastAllocated";
    if (!SCORING_STRATEGY_TYPES.includes(type)) throw new Error(`scoringStrategy.type: Unsupported value: ${JSON.stringify(type)}`);
    this.strategy = type;
    this.allocation = new ResourceAllocation(parseResourceSpecs(s.resources, "scoringStrategy.resources"), false);
    if (type === "RequestedToCapacityRatio") {
      const shape = s.requestedToCapacityRatio?.shape ?? [];
      validateShape(shape, "scoringStrategy.requestedToCapacityRatio.shape");
      this.scorer = requestedToCapacityRatioScorer(shape);
    } else {
      this.scorer = type === "MostAllocated" ? mostAllocatedScorer : leastAllocatedScorer;
      if (this.allocation.cpuMemoryOnly) this.cpuMemoryScore = type === "MostAllocated" ? mostRequestedScore : leastRequestedScore;
    }
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return events;
  }

  /** The pod's requests (containers, sidecars, init maximum, overhead) for Filter. */
  computeRequests(pod: Pod): PreFilterState {
    const r = podRequests(pod);
    const s = new PreFilterState();
    s.milliCPU = r.milliCPU;
    s.memory = r.memory;
    s.ephemeralStorage = r.ephemeralStorage;
    let scalarKeys = 0;
    for (const name of Object.keys(r.scalar)) {
      if (!isScalarResourceName(name)) continue; // framework.Resource keeps only scalar names
      scalarKeys++;
      const q = r.scalar[name]!;
      if (q === 0 || this.ignored(name)) continue;
      s.scalarNames.push(name);
      s.scalarQuantities.push(q);
      s.scalarReasons.push(`Insufficient ${name}`);
    }
    s.requestsNothing = s.milliCPU === 0 && s.memory === 0 && s.ephemeralStorage === 0 && scalarKeys === 0;
    return s;
  }

  private ignored(name: string): boolean {
    if (!isExtendedResourceName(name)) return false;
    if (this.ignoredResources.has(name)) return true;
    return this.ignoredResourceGroups.size > 0 && this.ignoredResourceGroups.has(name.slice(0, name.indexOf("/")));
  }

  preFilter(state: CycleState, pod: Pod, _nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status } {
    state.write(preFilterStateKey, this.computeRequests(pod));
    return { status: SUCCESS };
  }

  filter(state: CycleState, _pod: Pod, node: NodeInfo): Status {
    const s = this.preFilterState.read(state);
    if (!s) return errorStatus(`error reading "${preFilterStateKey}" from cycleState: not found`);
    const a = node.amounts;
    let mask = 0;
    if (a[REQUESTED_PODS] + 1 > a[ALLOCATABLE_PODS]) mask |= 1;
    if (s.requestsNothing) return mask === 0 ? SUCCESS : this.rejection(mask);
    if (s.milliCPU > 0 && s.milliCPU > a[ALLOCATABLE_CPU] - a[REQUESTED_CPU]) mask |= 2;
    if (s.memory > 0 && s.memory > a[ALLOCATABLE_MEMORY] - a[REQUESTED_MEMORY]) mask |= 4;
    const alloc = node.allocatable;
    const used = node.requested;
    if (s.ephemeralStorage > 0 && s.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) mask |= 8;
    let scalarFailures: string[] | undefined;
    const names = s.scalarNames;
    for (let i = 0; i < names.length; i++) {
      const n = names[i];
      if (s.scalarQuantities[i] > (alloc.scalar[n] ?? 0) - (used.scalar[n] ?? 0)) (scalarFailures ??= []).push(s.scalarReasons[i]);
    }
    if (!scalarFailures) return mask === 0 ? SUCCESS : this.rejection(mask);
    const reasons: string[] = [];
    for (let b = 0; b < 4; b++) if (mask & (1 << b)) reasons.push(fixedReasons[b]);
    reasons.push(...scalarFailures);
    return { code: "Unschedulable", reasons, plugin: NODE_RESOURCES_FIT };
  }

  private rejection(mask: number): Status {
    let s = this.rejections[mask];
    if (!s) {
      const reasons = fixedReasons.filter((_, b) => mask & (1 << b));
      s = this.rejections[mask] = { code: "Unschedulable", reasons, plugin: NODE_RESOURCES_FIT };
    }
    return s;
  }

  preScore(state: CycleState, pod: Pod, _nodes: readonly NodeInfo[]): Status {
    state.write(preScoreStateKey, new PreScoreState(this.allocation.podRequestList(pod)));
    return SUCCESS;
  }

  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    const s = this.preScoreState.read(state);
    const requests = s ? s.podRequests : this.allocation.podRequestList(pod);
    const fast = this.cpuMemoryScore;
    if (fast) {
      const a = node.amounts;
      const w = this.allocation.weights;
      return weightedCpuMemory(fast, a[NON_ZERO_CPU] + requests[0], a[ALLOCATABLE_CPU], a[NON_ZERO_MEMORY] + requests[1], a[ALLOCATABLE_MEMORY], w[0], w[1]);
    }
    this.allocation.fill(node, requests);
    return this.scorer(this.allocation.requested, this.allocation.allocatable, this.allocation.weights);
  }
}

/**
 * Fits: every resource the node is short of for the pod (nothing when it fits), in Kubernetes'
 * order: pods, cpu, memory, ephemeral-storage, then scalar resources. For callers outside a cycle.
 */
export function fits(pod: Pod, node: NodeInfo): InsufficientResource[] {
  const s = new NodeResourcesFit().computeRequests(pod);
  const out: InsufficientResource[] = [];
  const alloc = node.allocatable;
  const used = node.requested;
  if (node.pods.length + 1 > alloc.pods) out.push({ resourceName: "pods", reason: REASON_PODS, requested: 1, used: node.pods.length, capacity: alloc.pods });
  if (s.requestsNothing) return out;
  const check = (resourceName: string, reason: string, req: number, u: number, cap: number) => {
    if (req > 0 && req > cap - u) out.push({ resourceName, reason, requested: req, used: u, capacity: cap });
  };
  check("cpu", REASON_CPU, s.milliCPU, used.milliCPU, alloc.milliCPU);
  check("memory", REASON_MEMORY, s.memory, used.memory, alloc.memory);
  check("ephemeral-storage", REASON_EPHEMERAL, s.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage);
  s.scalarNames.forEach((n, i) => check(n, s.scalarReasons[i], s.scalarQuantities[i], used.scalar[n] ?? 0, alloc.scalar[n] ?? 0));
  return out;
}

function readArgs(args: Record<string, unknown> | undefined): NodeResourcesFitArgs {
  if (!args) return {};
  const strings = (v: unknown, path: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new Error(`${path}: must be a list of strings`);
    return v as string[];
  };
  const s = args.scoringStrategy;
  if (s !== undefined && s !== null && typeof s !== "object") throw new Error("scoringStrategy: must be an object");
  return {
    ignoredResources: strings(args.ignoredResources, "ignoredResources"),
    ignoredResourceGroups: strings(args.ignoredResourceGroups, "ignoredResourceGroups"),
    scoringStrategy: (s ?? undefined) as NodeResourcesFitArgs["scoringStrategy"],
  };
}

/** Args: NodeResourcesFitArgs; throws on invalid arguments. */
export const newNodeResourcesFit: PluginFactory = (args) => new NodeResourcesFit(readArgs(args));
