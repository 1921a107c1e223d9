// NodeName (plugins/nodename): a pod that names its node (spec.nodeName) fits only that node.
// PreFilter narrows the candidate nodes to it so Filter runs on one node instead of all.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { CycleState } from "../framework/cycle-state.ts";
import type { NodeInfo } from "../framework/node-info.ts";
import { SKIP, SUCCESS } from "../framework/status.ts";
import type { Status } from "../framework/status.ts";
import type { ClusterEvent, FilterPlugin, PluginFactory, PreFilterPlugin, PreFilterResult } from "../framework/types.ts";

export const NODE_NAME = "NodeName";
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

const events: readonly ClusterEvent[] = [{ resource: "Node", actions: ["Add", "Update"] }];

/** Whether the pod names no node or names this one (nodename.Fits). */
export const nodeNameFits = (pod: Pod, node: NodeInfo): boolean => !pod.spec?.nodeName || pod.spec.nodeName === node.name;

export class NodeName implements PreFilterPlugin, FilterPlugin {
  readonly name = NODE_NAME;
  private readonly rejected: Status = { code: "UnschedulableAndUnresolvable", reasons: [ERR_REASON_NODE_NAME], plugin: NODE_NAME };

  eventsToRegister(): readonly ClusterEvent[] {
    return events;
  }

  /** Skip when the pod names no node; otherwise only that node is a candidate. */
  preFilter(_state: CycleState, pod: Pod, _nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const want = pod.spec?.nodeName;
    if (!want) return { status: SKIP };
    return { result: { nodeNames: new Set([want]) }, status: SUCCESS };
  }

  filter(_state: CycleState, pod: Pod, node: NodeInfo): Status {
    return nodeNameFits(pod, node) ? SUCCESS : this.rejected;
  }
}

export const newNodeName: PluginFactory = () => new NodeName();
