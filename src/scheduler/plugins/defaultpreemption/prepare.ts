// What preemption does through the API once it chose a node (Evaluator.prepareCandidate): mark
// each victim with a DisruptionTarget condition, delete it and record a Preempted event; take the
// nomination away from lower-priority pods nominated to that node; nominate the preemptor.
import type { Pod, PodCondition } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../../../apimachinery/status.ts";
import { referenceTo, resources } from "../../../client/index.ts";
import type { Handle } from "../../framework/types.ts";
import type { Candidate } from "./candidates.ts";
import { podPriority } from "./victims.ts";

/** v1.PodReasonPreemptionByScheduler. */
export const REASON_PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler";

const nameOf = (pod: Pod) => ({ namespace: pod.metadata?.namespace ?? "", name: pod.metadata?.name ?? "" });
/** The object is gone, or another object now has its name: either way it is no longer ours to delete. */
const gone = (err: unknown) => isStatusError(err, "NotFound") || isStatusError(err, "Conflict");

/** util.PodTerminatingByPreemption: being deleted because the scheduler preempted it. */
export function terminatingByPreemption(pod: Pod): boolean {
  if (!pod.metadata?.deletionTimestamp) return false;
  const c = (pod.status?.conditions ?? []).find((x) => x.type === "DisruptionTarget");
  return c !== undefined && c.status === "True" && c.reason === REASON_PREEMPTION_BY_SCHEDULER;
}

/** Adds the DisruptionTarget condition unless the victim already carries it. */
async function markDisruptionTarget(handle: Handle, victim: Pod, preemptor: Pod): Promise<void> {
  const condition: PodCondition = {
    type: "DisruptionTarget", status: "True", reason: REASON_PREEMPTION_BY_SCHEDULER,
    message: `${preemptor.spec?.schedulerName ?? "default-scheduler"}: preempting to accommodate a higher priority pod`,
  };
  const current = (victim.status?.conditions ?? []).find((c) => c.type === condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason && current.message === condition.message) return;
  const lastTransitionTime = current?.status === condition.status ? current.lastTransitionTime : new Date(handle.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
  const { namespace, name } = nameOf(victim);
  await handle.client.patch(resources.pods, name, { status: { conditions: [{ ...condition, lastTransitionTime }] } }, { namespace, type: "strategic", subresource: "status" });
}

/** Preempts one victim: condition, delete (by uid), event. Resolves when the victim is gone. */
async function preemptVictim(handle: Handle, victim: Pod, preemptor: Pod, nodeName: string): Promise<void> {
  const { namespace, name } = nameOf(victim);
  const uid = victim.metadata?.uid;
  try {
    await markDisruptionTarget(handle, victim, preemptor);
    await handle.client.delete(resources.pods, name, { namespace, ...(uid ? { preconditions: { uid } } : {}) });
  } catch (err) {
    if (gone(err)) return;
    handle.log.error({ err, pod: `${namespace}/${name}`, preemptor: nameOf(preemptor) }, "could not preempt victim");
    throw err;
  }
  handle.log.info({ preemptor: nameOf(preemptor), victim: `${namespace}/${name}`, node: nodeName }, "preempted victim");
  handle.recorder.event(referenceTo(victim, "Pod", "v1"), "Normal", "Preempted", `Preempted by pod ${preemptor.metadata?.uid ?? ""} on node ${nodeName}`);
}

/** Sets (a node name) or clears (null) status.nominatedNodeName with a merge patch of the status. */
export async function setNominatedNodeName(handle: Handle, pod: Pod, nodeName: string | null): Promise<void> {
  const { namespace, name } = nameOf(pod);
  await handle.client.patch(resources.pods, name, { status: { nominatedNodeName: nodeName } }, { namespace, type: "merge", subresource: "status" });
}

/**
 * Clears the nomination of pods that carry one in their status; failures are logged, not
 * returned (as util.ClearNominatedNodeName's callers treat them).
 */
export async function clearNominatedNodeNames(handle: Handle, pods: readonly Pod[]): Promise<void> {
  await Promise.all(pods.filter((p) => p.status?.nominatedNodeName).map(async (p) => {
    try {
      await setNominatedNodeName(handle, p, null);
    } catch (err) {
      if (!isStatusError(err, "NotFound")) handle.log.warn({ err, pod: nameOf(p) }, "could not clear nominatedNodeName");
    }
  }));
}

/**
 * Evicts the candidate's victims (in parallel; the first failure is thrown after all settled),
 * then clears the nominations of lower-priority pods nominated to the node, which may no longer
 * fit there, and records the node on the preemptor's status.nominatedNodeName.
 */
export async function prepareCandidate(handle: Handle, candidate: Candidate, preemptor: Pod): Promise<void> {
  const results = await Promise.allSettled(candidate.victims.pods.map((v) => preemptVictim(handle, v, preemptor, candidate.name)));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const priority = podPriority(preemptor);
  const lower = handle.nominatedPodsForNode(candidate.name).map((p) => p.pod).filter((p) => podPriority(p) < priority);
  await clearNominatedNodeNames(handle, lower);
  if (preemptor.status?.nominatedNodeName === candidate.name) return;
  try {
    await setNominatedNodeName(handle, preemptor, candidate.name);
  } catch (err) {
    // The scheduler still nominates the pod in its queue; the status catches up on its next attempt.
    handle.log.warn({ err, pod: nameOf(preemptor), node: candidate.name }, "could not record nominatedNodeName");
  }
}
