// The default profile (kube-scheduler v1.32's default plugin set, multi-point): plugins in Filter
// order with their score weights, and the registry that builds every in-tree plugin by name.
// Not here: ImageLocality (no image store yet) and the volume plugins (they come with volumes);
// PrioritySort and SchedulingGates are built into the queue.
import type { Profile } from "./framework/runtime.ts";
import type { PluginFactory } from "./framework/types.ts";
import { DEFAULT_BINDER, newDefaultBinder } from "./plugins/defaultbinder.ts";
import { nodePlugins } from "./plugins/node-plugins.ts";
import { NODE_AFFINITY } from "./plugins/nodeaffinity.ts";
import { NODE_NAME } from "./plugins/nodename.ts";
import { NODE_PORTS } from "./plugins/nodeports.ts";
import { NODE_RESOURCES_BALANCED_ALLOCATION } from "./plugins/noderesources/balanced-allocation.ts";
import { NODE_RESOURCES_FIT } from "./plugins/noderesources/fit.ts";
import { NODE_UNSCHEDULABLE } from "./plugins/nodeunschedulable.ts";
import { TAINT_TOLERATION } from "./plugins/tainttoleration.ts";
import { INTER_POD_AFFINITY, newInterPodAffinity } from "./plugins/interpodaffinity/index.ts";
import { POD_TOPOLOGY_SPREAD, newPodTopologySpread } from "./plugins/podtopologyspread/index.ts";
import { DEFAULT_PREEMPTION, newDefaultPreemption } from "./plugins/defaultpreemption/index.ts";

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

/** Every plugin k8ts ships, by its Kubernetes name. */
export const inTreeRegistry: Readonly<Record<string, PluginFactory>> = Object.freeze({
  ...nodePlugins,
  [INTER_POD_AFFINITY]: newInterPodAffinity,
  [POD_TOPOLOGY_SPREAD]: newPodTopologySpread,
  [DEFAULT_PREEMPTION]: newDefaultPreemption,
  [DEFAULT_BINDER]: newDefaultBinder,
});

export const defaultProfile = (schedulerName = DEFAULT_SCHEDULER_NAME): Profile => ({
  schedulerName,
  plugins: [
    { name: NODE_UNSCHEDULABLE },
    { name: NODE_NAME },
    { name: TAINT_TOLERATION, weight: 3 },
    { name: NODE_AFFINITY, weight: 2 },
    { name: NODE_PORTS },
    { name: NODE_RESOURCES_FIT, weight: 1 },
    { name: POD_TOPOLOGY_SPREAD, weight: 2, args: { defaultingType: "System" } },
    { name: INTER_POD_AFFINITY, weight: 2 },
    { name: DEFAULT_PREEMPTION },
    { name: NODE_RESOURCES_BALANCED_ALLOCATION, weight: 1 },
    { name: DEFAULT_BINDER },
  ],
});
