// The DefaultPreemption plugin (kubernetes/pkg/scheduler/framework/plugins/defaultpreemption with
// framework/preemption's Evaluator): when no node fits, find nodes where evicting lower-priority
// pods would make room, pick the cheapest, evict there and nominate the pod to that node.
// victims.ts chooses victims per node, candidates.ts ranks nodes, prepare.ts talks to the API.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import { resources } from "../../../client/index.ts";
import type { CycleState } from "../../framework/cycle-state.ts";
import { SUCCESS, errorStatus, unschedulable } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import type { ClusterEvent, Handle, NodeStatusMap, PluginFactory, PostFilterPlugin } from "../../framework/types.ts";
import { dryRunPreemption, fitErrorMessage, numCandidates, pickOneNodeForPreemption } from "./candidates.ts";
import type { Candidate } from "./candidates.ts";
import { clearNominatedNodeNames, prepareCandidate, terminatingByPreemption } from "./prepare.ts";
import { podPriority } from "./victims.ts";

export const DEFAULT_PREEMPTION = "DefaultPreemption";

/** DefaultPreemptionArgs as in the scheduler configuration. */
export interface DefaultPreemptionArgs {
  /** Candidates to find, as a percentage of the nodes preemption might help on; 0..100, default 10. */
  minCandidateNodesPercentage: number;
  /** At least this many candidates (or all such nodes); default 100. */
  minCandidateNodesAbsolute: number;
}

export const DEFAULT_PREEMPTION_ARGS: Readonly<DefaultPreemptionArgs> = Object.freeze({ minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100 });

/** Validates and defaults the arguments; throws with Kubernetes' field errors. */
export function defaultPreemptionArgs(raw: Record<string, unknown> | undefined): DefaultPreemptionArgs {
  const pct = raw?.minCandidateNodesPercentage ?? DEFAULT_PREEMPTION_ARGS.minCandidateNodesPercentage;
  const abs = raw?.minCandidateNodesAbsolute ?? DEFAULT_PREEMPTION_ARGS.minCandidateNodesAbsolute;
  const errs: string[] = [];
  const invalid = (field: string, v: unknown, why: string) => errs.push(`${field}: Invalid value: ${JSON.stringify(v)}: ${why}`);
  if (typeof pct !== "number" || !Number.isInteger(pct) || pct < 0 || pct > 100) invalid("minCandidateNodesPercentage", pct, "not in valid range [0, 100]");
  if (typeof abs !== "number" || !Number.isInteger(abs) || abs < 0) invalid("minCandidateNodesAbsolute", abs, "not in valid range [0, inf)");
  if (pct === 0 && abs === 0) {
    invalid("minCandidateNodesPercentage", pct, "cannot be zero at the same time as minCandidateNodesAbsolute");
    invalid("minCandidateNodesAbsolute", abs, "cannot be zero at the same time as minCandidateNodesPercentage");
  }
  if (errs.length > 0) throw new Error(errs.length === 1 ? errs[0] : `[${errs.join(", ")}]`);
  return { minCandidateNodesPercentage: pct as number, minCandidateNodesAbsolute: abs as number };
}

export interface DefaultPreemptionOptions {
  /** Uniform in [0, 1): where among the nodes the search starts (default Math.random). */
  random?: () => number;
  /** The PodDisruptionBudgets to respect (default: listed through the handle's client once per attempt). */
  listPDBs?: () => Promise<readonly PodDisruptionBudget[]>;
}

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = DEFAULT_PREEMPTION;
  readonly args: DefaultPreemptionArgs;
  private readonly handle: Handle;
  private readonly random: () => number;
  private readonly listPDBs: () => Promise<readonly PodDisruptionBudget[]>;

  constructor(args: DefaultPreemptionArgs, handle: Handle, opts: DefaultPreemptionOptions = {}) {
    this.args = args;
    this.handle = handle;
    this.random = opts.random ?? Math.random;
    this.listPDBs = opts.listPDBs ?? (async () => (await handle.client.listAll<PodDisruptionBudget>(resources.poddisruptionbudgets)).items);
  }

  /** Preemption never rejects a pod by itself (no PreEnqueue), so no event needs to wake one. */
  eventsToRegister(): readonly ClusterEvent[] {
    return [];
  }

  /**
   * Success with the nominated node after evicting its victims; Unschedulable (the message
   * prefixed "preemption: ") when the pod may not or need not preempt, with `nominatedNodeName`
   * "" when the pod's old nomination should be cleared; Error when the API failed.
   */
  async postFilter(state: CycleState, pod: Pod, filtered: NodeStatusMap): Promise<{ nominatedNodeName?: string; status: Status }> {
    const result = await this.preempt(state, pod, filtered);
    const message = result.status.reasons.join(", ");
    if (message === "") return result;
    return { ...result, status: { code: result.status.code, reasons: [`preemption: ${message}`] } };
  }

  /** PodEligibleToPreemptOthers: why the pod may not preempt now, or undefined when it may. */
  eligibility(pod: Pod, filtered: NodeStatusMap): string | undefined {
    if (pod.spec?.preemptionPolicy === "Never") return "not eligible due to preemptionPolicy=Never.";
    const nominated = pod.status?.nominatedNodeName;
    if (!nominated) return undefined;
    // A nominated node the filters now rule out for good is no reason to wait; try again.
    const status = filtered.get(nominated);
    if (!status || status.code === "UnschedulableAndUnresolvable") return undefined;
    const node = this.handle.snapshot().get(nominated);
    const priority = podPriority(pod);
    if (node?.pods.some((p) => podPriority(p.pod) < priority && terminatingByPreemption(p.pod))) {
      return "not eligible due to a terminating pod on the nominated node.";
    }
    return undefined;
  }

  private async preempt(state: CycleState, pod: Pod, filtered: NodeStatusMap): Promise<{ nominatedNodeName?: string; status: Status }> {
    const log = this.handle.log;
    const notEligible = this.eligibility(pod, filtered);
    if (notEligible) {
      log.debug({ pod: pod.metadata?.name, reason: notEligible }, "pod is not eligible for preemption");
      return { status: unschedulable(notEligible) };
    }
    const all = this.handle.snapshot().list();
    if (all.length === 0) return { status: errorStatus("no nodes available") };
    // Nodes absent from the map count as UnschedulableAndUnresolvable (as NodeToStatus's absent status).
    const potential = all.filter((n) => filtered.get(n.name)?.code === "Unschedulable");
    let statuses = new Map<string, Status>();
    let candidates: Candidate[] = [];
    if (potential.length === 0) {
      log.debug({ pod: pod.metadata?.name }, "preemption will not help schedule pod on any node");
      await clearNominatedNodeNames(this.handle, [pod]);
    } else {
      let pdbs: readonly PodDisruptionBudget[];
      try {
        pdbs = await this.listPDBs();
      } catch (err) {
        return { status: errorStatus(err) };
      }
      const offset = Math.floor(this.random() * potential.length);
      const wanted = numCandidates(potential.length, this.args.minCandidateNodesPercentage, this.args.minCandidateNodesAbsolute);
      const dry = dryRunPreemption(this.handle, state, pod, potential, pdbs, offset, wanted);
      if (dry.candidates.length === 0 && dry.errors.length > 0) return { status: errorStatus(dry.errors.join("; ")) };
      ({ candidates, statuses } = dry);
    }
    if (candidates.length === 0) return { nominatedNodeName: "", status: unschedulable(fitErrorMessage(all.length, statuses)) };

    const best = pickOneNodeForPreemption(candidates, this.handle.clock.now());
    if (!best) return { status: unschedulable("no candidate node for preemption") };
    try {
      await prepareCandidate(this.handle, best, pod);
    } catch (err) {
      return { status: errorStatus(err) };
    }
    return { nominatedNodeName: best.name, status: SUCCESS };
  }
}

export const newDefaultPreemption: PluginFactory = (args, handle) => new DefaultPreemption(defaultPreemptionArgs(args), handle);
