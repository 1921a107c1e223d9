// NodeResourcesBalancedAllocation (noderesources/balanced_allocation.go): prefers nodes whose
// resources would be used in equal shares after placing the pod: 100 × (1 − std of the fractions).
// As in Kubernetes since 1.23, it uses the actual requests (no non-zero defaults for pods that
// request nothing), so best-effort pods do not skew the balance.
import type { Pod } from "kubernetes-types/core/v1.js";
import { StateReader } from "../../framework/cycle-state.ts";
import type { CycleState, StateData } from "../../framework/cycle-state.ts";
import { ALLOCATABLE_CPU, ALLOCATABLE_MEMORY, REQUESTED_CPU, REQUESTED_MEMORY } from "../../framework/node-info.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { SUCCESS } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import type { ClusterEvent, PluginFactory, PreScorePlugin, ScorePlugin } from "../../framework/types.ts";
import { ResourceAllocation, parseResourceSpecs } from "./resource-allocation.ts";
import type { ResourceSpec } from "./resource-allocation.ts";
import { balancedCpuMemory, balancedResourceScorer } from "./strategies.ts";

export const NODE_RESOURCES_BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation";
const preScoreStateKey = "PreScore" + NODE_RESOURCES_BALANCED_ALLOCATION;

/** NodeResourcesBalancedAllocationArgs: the resources to balance (default cpu and memory). */
export interface NodeResourcesBalancedAllocationArgs {
  resources?: ResourceSpec[];
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

export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = NODE_RESOURCES_BALANCED_ALLOCATION;
  private readonly allocation: ResourceAllocation;
  private readonly preScoreState = new StateReader<PreScoreState>(preScoreStateKey);

  constructor(args: NodeResourcesBalancedAllocationArgs = {}) {
    this.allocation = new ResourceAllocation(parseResourceSpecs(args.resources, "resources"), true);
  }

  /** A score plugin rejects nothing, so no event matters. */
  eventsToRegister(): readonly ClusterEvent[] {
    return [];
  }

  preScore(state: CycleState, pod: Pod, _nodes: readonly NodeInfo[]): Status {
    state.write(preScoreStateKey, new PreScoreState(this.allocation.podRequestList(pod)));
    return SUCCESS;
  }

  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    const s = this.preScoreState.read(state);
    const requests = s ? s.podRequests : this.allocation.podRequestList(pod);
    if (this.allocation.cpuMemoryOnly) {
      const a = node.amounts;
      return balancedCpuMemory(a[REQUESTED_CPU] + requests[0], a[ALLOCATABLE_CPU], a[REQUESTED_MEMORY] + requests[1], a[ALLOCATABLE_MEMORY]);
    }
    this.allocation.fill(node, requests);
    return balancedResourceScorer(this.allocation.requested, this.allocation.allocatable);
  }
}

export const newNodeResourcesBalancedAllocation: PluginFactory = (args) =>
  new NodeResourcesBalancedAllocation({ resources: args?.resources as ResourceSpec[] | undefined });
