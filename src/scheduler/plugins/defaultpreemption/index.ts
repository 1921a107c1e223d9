// DefaultPreemption: the PostFilter that evicts lower-priority pods to make room for a pod.
export {
  DEFAULT_PREEMPTION, DEFAULT_PREEMPTION_ARGS, DefaultPreemption, defaultPreemptionArgs, newDefaultPreemption,
} from "./plugin.ts";
export type { DefaultPreemptionArgs, DefaultPreemptionOptions } from "./plugin.ts";
export { ERR_PREEMPTION_NOT_HELPFUL, fitErrorMessage, numCandidates, pickOneNodeForPreemption } from "./candidates.ts";
export type { Candidate } from "./candidates.ts";
export { ERR_NO_VICTIMS, podPriority } from "./victims.ts";
export type { Victims } from "./victims.ts";
export { REASON_PREEMPTION_BY_SCHEDULER, terminatingByPreemption } from "./prepare.ts";
