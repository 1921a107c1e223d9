// NodeUnschedulable (plugins/nodeunschedulable): a cordoned node (spec.unschedulable) takes only
// pods that tolerate the node.kubernetes.io/unschedulable:NoSchedule taint.
import type { Pod, Taint } from "kubernetes-types/core/v1.js";
import type { CycleState } from "../framework/cycle-state.ts";
import type { NodeInfo } from "../framework/node-info.ts";
import { SUCCESS } from "../framework/status.ts";
import type { Status } from "../framework/status.ts";
import type { ClusterEvent, FilterPlugin, PluginFactory } from "../framework/types.ts";
import { tolerationsTolerateTaint } from "./tainttoleration.ts";

export const NODE_UNSCHEDULABLE = "NodeUnschedulable";
export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";
export const TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

const unschedulableTaint: Taint = Object.freeze({ key: TAINT_NODE_UNSCHEDULABLE, effect: "NoSchedule" });
const events: readonly ClusterEvent[] = [{ resource: "Node", actions: ["Add", "Update"] }];

export class NodeUnschedulable implements FilterPlugin {
  readonly name = NODE_UNSCHEDULABLE;
  private readonly rejected: Status = { code: "UnschedulableAndUnresolvable", reasons: [ERR_REASON_UNSCHEDULABLE], plugin: NODE_UNSCHEDULABLE };

  eventsToRegister(): readonly ClusterEvent[] {
    return events;
  }

  filter(_state: CycleState, pod: Pod, node: NodeInfo): Status {
    if (!node.unschedulable) return SUCCESS;
    // A pod that tolerates the unschedulable taint also tolerates spec.unschedulable.
    return tolerationsTolerateTaint(pod.spec?.tolerations, unschedulableTaint) ? SUCCESS : this.rejected;
  }
}

export const newNodeUnschedulable: PluginFactory = () => new NodeUnschedulable();
