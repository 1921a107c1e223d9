// NodeAffinity (plugins/nodeaffinity): Filter keeps nodes matching the pod's nodeSelector and
// required node affinity (and the profile's addedAffinity); Score sums the weights of matching
// preferred terms. PreFilter narrows candidates when every term pins metadata.name.
import type { NodeAffinity as NodeAffinitySpec, Pod } from "kubernetes-types/core/v1.js";
import { StateReader } from "../framework/cycle-state.ts";
import type { CycleState, StateData } from "../framework/cycle-state.ts";
import type { NodeInfo } from "../framework/node-info.ts";
import { SKIP, SUCCESS, errorStatus, unresolvable } from "../framework/status.ts";
import type { Status } from "../framework/status.ts";
import type { ClusterEvent, FilterPlugin, NodeScores, PluginFactory, PreFilterPlugin, PreFilterResult, PreScorePlugin, ScorePlugin } from "../framework/types.ts";
import {
  compileNodeSelectorStrict,
  compilePreferredTerms,
  nodeSelectorMatches,
  preferredScore,
  requiredNodeAffinity,
  requiredNodeAffinityMatches,
} from "./helpers/node-selector.ts";
import type { CompiledNodeSelector, RequiredNodeAffinity, WeightedTerm } from "./helpers/node-selector.ts";
import { defaultNormalizeScore } from "./helpers/normalize.ts";

export const NODE_AFFINITY = "NodeAffinity";
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = "pod affinity terms conflict";
const preFilterStateKey = "PreFilter" + NODE_AFFINITY;
const preScoreStateKey = "PreScore" + NODE_AFFINITY;

/** NodeAffinityArgs: affinity every pod of the profile gets in addition to its own. */
export interface NodeAffinityArgs {
  addedAffinity?: NodeAffinitySpec;
}

class PreFilterState implements StateData {
  /** Immutable once written: clones share it. */
  clone(): StateData {
    return this;
  }
  readonly required: RequiredNodeAffinity;
  constructor(required: RequiredNodeAffinity) {
    this.required = required;
  }
}

class PreScoreState implements StateData {
  /** Immutable once written: clones share it. */
  clone(): StateData {
    return this;
  }
  readonly preferred: readonly WeightedTerm[] | undefined;
  constructor(preferred: readonly WeightedTerm[] | undefined) {
    this.preferred = preferred;
  }
}

const events: readonly ClusterEvent[] = [{ resource: "Node", actions: ["Add", "Update"] }];

/**
 * The node names the required terms allow, when every term pins metadata.name with In (terms
 * ORed, requirements within a term ANDed); undefined when some term leaves all nodes eligible.
 */
export function requiredNodeNames(pod: Pod): Set<string> | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return undefined;
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== "metadata.name" || r.operator !== "In") continue;
      const s = new Set(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
    }
    if (!termNames) return undefined;
    names = names ? new Set([...names, ...termNames]) : termNames;
  }
  return names;
}

/** Preferred node affinity terms of the pod, parsed; throws on a malformed term. */
function podPreferredTerms(pod: Pod): WeightedTerm[] | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  return terms ? compilePreferredTerms(terms) : undefined;
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NODE_AFFINITY;
  private readonly addedSelector: CompiledNodeSelector | undefined;
  private readonly addedPreferred: readonly WeightedTerm[] | undefined;
  private readonly rejectedPod: Status = { code: "UnschedulableAndUnresolvable", reasons: [ERR_REASON_POD], plugin: NODE_AFFINITY };
  private readonly rejectedEnforced: Status = { code: "UnschedulableAndUnresolvable", reasons: [ERR_REASON_ENFORCED], plugin: NODE_AFFINITY };
  private readonly preFilterState = new StateReader<PreFilterState>(preFilterStateKey);
  private readonly preScoreState = new StateReader<PreScoreState>(preScoreStateKey);

  /** Throws when addedAffinity does not parse. */
  constructor(args: NodeAffinityArgs = {}) {
    const added = args.addedAffinity;
    const required = added?.requiredDuringSchedulingIgnoredDuringExecution;
    try {
      this.addedSelector = required ? compileNodeSelectorStrict(required) : undefined;
    } catch (err) {
      throw new Error(`parsing addedAffinity.requiredDuringSchedulingIgnoredDuringExecution: ${(err as Error).message}`);
    }
    const preferred = added?.preferredDuringSchedulingIgnoredDuringExecution;
    try {
      this.addedPreferred = preferred && preferred.length > 0 ? compilePreferredTerms(preferred) : undefined;
    } catch (err) {
      throw new Error(`parsing addedAffinity.preferredDuringSchedulingIgnoredDuringExecution: ${(err as Error).message}`);
    }
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return events;
  }

  /** Skip when neither the pod nor the profile constrains nodes. */
  preFilter(state: CycleState, pod: Pod, _nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const noRequired = !pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (noRequired && !this.addedSelector && !pod.spec?.nodeSelector) return { status: SKIP };
    state.write(preFilterStateKey, new PreFilterState(requiredNodeAffinity(pod)));
    if (noRequired) return { status: SUCCESS };
    const names = requiredNodeNames(pod);
    if (names && names.size === 0) return { status: unresolvable(ERR_REASON_CONFLICT) };
    return names ? { result: { nodeNames: names }, status: SUCCESS } : { status: SUCCESS };
  }

  filter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const labels = node.labels;
    if (this.addedSelector && !nodeSelectorMatches(this.addedSelector, labels, node.name)) return this.rejectedEnforced;
    const s = this.preFilterState.read(state);
    const required = s ? s.required : requiredNodeAffinity(pod);
    return requiredNodeAffinityMatches(required, labels, node.name) ? SUCCESS : this.rejectedPod;
  }

  /** Skip when there are no preferred terms; an unparsable pod term is an error. */
  preScore(state: CycleState, pod: Pod, _nodes: readonly NodeInfo[]): Status {
    let preferred: WeightedTerm[] | undefined;
    try {
      preferred = podPreferredTerms(pod);
    } catch (err) {
      return errorStatus(err);
    }
    if (!preferred && !this.addedPreferred) return SKIP;
    state.write(preScoreStateKey, new PreScoreState(preferred));
    return SUCCESS;
  }

  /** Throws on an unparsable preferred term when PreScore did not run. */
  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    let count = this.addedPreferred ? preferredScore(this.addedPreferred, node.labels, node.name) : 0;
    const s = this.preScoreState.read(state);
    const preferred = s ? s.preferred : podPreferredTerms(pod);
    if (preferred) count += preferredScore(preferred, node.labels, node.name);
    return count;
  }

  /** Highest sum → 100. */
  normalizeScore(_state: CycleState, _pod: Pod, _nodes: readonly NodeInfo[], scores: NodeScores): Status {
    return defaultNormalizeScore(scores);
  }
}

/** Args: NodeAffinityArgs; throws when addedAffinity does not parse. */
export const newNodeAffinity: PluginFactory = (args) => new NodeAffinity({ addedAffinity: args?.addedAffinity as NodeAffinitySpec | undefined });
