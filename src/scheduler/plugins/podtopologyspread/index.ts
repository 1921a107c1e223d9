// PodTopologySpread: DoNotSchedule spread constraints as a Filter, ScheduleAnyway ones as a Score.
export {
  newPodTopologySpread, ownerLabelsSelector, POD_TOPOLOGY_SPREAD, PodTopologySpread, podTopologySpreadArgs, SYSTEM_DEFAULT_CONSTRAINTS,
} from "./plugin.ts";
export type { PodTopologySpreadArgs } from "./plugin.ts";
export { ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH } from "./filtering.ts";
