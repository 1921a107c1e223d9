// The node-level scheduler plugins by their Kubernetes names, for profiles to look up factories.
import type { PluginFactory } from "../framework/types.ts";
import { NODE_AFFINITY, newNodeAffinity } from "./nodeaffinity.ts";
import { NODE_NAME, newNodeName } from "./nodename.ts";
import { NODE_PORTS, newNodePorts } from "./nodeports.ts";
import { NODE_RESOURCES_BALANCED_ALLOCATION, newNodeResourcesBalancedAllocation } from "./noderesources/balanced-allocation.ts";
import { NODE_RESOURCES_FIT, newNodeResourcesFit } from "./noderesources/fit.ts";
import { NODE_UNSCHEDULABLE, newNodeUnschedulable } from "./nodeunschedulable.ts";
import { TAINT_TOLERATION, newTaintToleration } from "./tainttoleration.ts";

export const nodePlugins: Readonly<Record<string, PluginFactory>> = Object.freeze({
  [NODE_NAME]: newNodeName,
  [NODE_UNSCHEDULABLE]: newNodeUnschedulable,
  [NODE_RESOURCES_FIT]: newNodeResourcesFit,
  [NODE_RESOURCES_BALANCED_ALLOCATION]: newNodeResourcesBalancedAllocation,
  [NODE_PORTS]: newNodePorts,
  [TAINT_TOLERATION]: newTaintToleration,
  [NODE_AFFINITY]: newNodeAffinity,
});
