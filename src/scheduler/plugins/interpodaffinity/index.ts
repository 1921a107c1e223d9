// InterPodAffinity: required pod (anti-)affinity as a Filter, preferred terms as a Score.
export { DEFAULT_HARD_POD_AFFINITY_WEIGHT, INTER_POD_AFFINITY, InterPodAffinity, interPodAffinityArgs, newInterPodAffinity } from "./plugin.ts";
export type { InterPodAffinityArgs } from "./plugin.ts";
export {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
} from "./filtering.ts";
