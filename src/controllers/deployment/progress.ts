// Deployment status and conditions (pkg/controller/deployment/progress.go + util): the pure status
// calculation, the Progressing/Available conditions, the progress deadline and when to re-check it.
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from "kubernetes-types/apps/v1.js";
import {
  actualReplicaCount, availableReplicaCount, desiredReplicas, hasProgressDeadline, maxUnavailable, readyReplicaCount, replicaCount,
} from "./util.ts";

export const CONDITION_PROGRESSING = "Progressing";
export const CONDITION_AVAILABLE = "Available";
export const CONDITION_REPLICA_FAILURE = "ReplicaFailure";

/** Condition reasons, as Kubernetes spells them. */
export const reasons = {
  newReplicaSet: "NewReplicaSetCreated",
  foundNewReplicaSet: "FoundNewReplicaSet",
  replicaSetUpdated: "ReplicaSetUpdated",
  newReplicaSetAvailable: "NewReplicaSetAvailable",
  timedOut: "ProgressDeadlineExceeded",
  paused: "DeploymentPaused",
  resumed: "DeploymentResumed",
  failedRSCreate: "ReplicaSetCreateError",
  minimumReplicasAvailable: "MinimumReplicasAvailable",
  minimumReplicasUnavailable: "MinimumReplicasUnavailable",
} as const;

/** RFC 3339 seconds, as metav1.Time serialises. */
export const timeString = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

export function newCondition(type: string, status: "True" | "False" | "Unknown", reason: string, message: string, now: number): DeploymentCondition {
  const t = timeString(now);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * SetDeploymentCondition (mutates `status`): a condition with the same status and reason as the
 * current one changes nothing; the same status keeps its lastTransitionTime.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/**
 * calculateStatus: replica counts from the ReplicaSets, observedGeneration, and the Available
 * condition (True when at least replicas − maxUnavailable pods are available). Other conditions
 * are carried over from the deployment.
 */
export function calculateStatus(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, now: number): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicaCount(allRSs) - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  status.conditions = (d.status?.conditions ?? []).map((c) => ({ ...c }));
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(CONDITION_AVAILABLE, "True", reasons.minimumReplicasAvailable, "Deployment has minimum availability.", now));
  } else {
    setCondition(status, newCondition(CONDITION_AVAILABLE, "False", reasons.minimumReplicasUnavailable, "Deployment does not have minimum availability.", now));
  }
  return status;
}

/** DeploymentComplete: every desired pod is updated and available, and the status is current. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = desiredReplicas(d);
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** DeploymentProgressing: the new status shows more updated/ready/available or fewer old pods. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** DeploymentTimedOut: no progress recorded for progressDeadlineSeconds. */
export function deploymentTimedOut(d: Deployment, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(d.status, CONDITION_PROGRESSING);
  if (!cond || cond.reason === reasons.newReplicaSetAvailable) return false;
  if (cond.reason === reasons.timedOut) return true;
  const from = Date.parse(cond.lastUpdateTime ?? "");
  return Number.isFinite(from) && from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 < now;
}

/**
 * The status syncRolloutStatus writes: calculateStatus plus the Progressing condition
 * (NewReplicaSetAvailable when complete, ReplicaSetUpdated while progressing, False
 * ProgressDeadlineExceeded past the deadline).
 */
export function rolloutStatus(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, now: number): DeploymentStatus {
  const status = calculateStatus(d, allRSs, newRS, now);
  if (!hasProgressDeadline(d)) removeCondition(status, CONDITION_PROGRESSING);
  const current = getCondition(d.status, CONDITION_PROGRESSING);
  const complete = status.replicas === status.updatedReplicas && current?.reason === reasons.newReplicaSetAvailable;
  const name = d.metadata?.name ?? "";
  const what = newRS ? `ReplicaSet "${newRS.metadata?.name ?? ""}"` : `Deployment "${name}"`;
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, status)) {
      setCondition(status, newCondition(CONDITION_PROGRESSING, "True", reasons.newReplicaSetAvailable, `${what} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      const cond = newCondition(CONDITION_PROGRESSING, "True", reasons.replicaSetUpdated, `${what} is progressing.`, now);
      if (current?.status === "True") cond.lastTransitionTime = current.lastTransitionTime;
      removeCondition(status, CONDITION_PROGRESSING);
      setCondition(status, cond);
    } else if (deploymentTimedOut(d, now)) {
      setCondition(status, newCondition(CONDITION_PROGRESSING, "False", reasons.timedOut, `${what} has timed out progressing.`, now));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, CONDITION_REPLICA_FAILURE);
  return status;
}

/** A ReplicaFailure condition of the new ReplicaSet (or else of any other), as the deployment's. */
function replicaFailure(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentCondition | undefined {
  const rss = newRS ? [newRS] : allRSs;
  for (const rs of rss) {
    const c = rs?.status?.conditions?.find((x) => x.type === CONDITION_REPLICA_FAILURE);
    if (c) return { type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime, lastUpdateTime: c.lastTransitionTime };
  }
  return undefined;
}

/**
 * requeueStuckDeployment: ms until the deployment should be checked for a missed deadline, or
 * undefined when it need not be (no deadline, complete, or already timed out).
 */
export function stuckRequeueAfter(d: Deployment, newStatus: DeploymentStatus, now: number): number | undefined {
  const cond = getCondition(d.status, CONDITION_PROGRESSING);
  if (!hasProgressDeadline(d) || !cond) return undefined;
  if (deploymentComplete(d, newStatus) || cond.reason === reasons.timedOut) return undefined;
  const from = Date.parse(cond.lastUpdateTime ?? "");
  if (!Number.isFinite(from)) return undefined;
  const after = from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 - now;
  return after < 1000 ? 0 : after + 1000;
}

/**
 * checkPausedConditions: the Progressing condition while paused is Unknown DeploymentPaused, and
 * Unknown DeploymentResumed after; mutates `status`, returns whether it changed.
 */
export function pausedCondition(d: Deployment, status: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(status, CONDITION_PROGRESSING);
  if (cond?.reason === reasons.timedOut) return false;
  const pausedExists = cond?.reason === reasons.paused;
  if (d.spec?.paused && !pausedExists) {
    setCondition(status, newCondition(CONDITION_PROGRESSING, "Unknown", reasons.paused, "Deployment is paused", now));
    return true;
  }
  if (!d.spec?.paused && pausedExists) {
    setCondition(status, newCondition(CONDITION_PROGRESSING, "Unknown", reasons.resumed, "Deployment is resumed", now));
    return true;
  }
  return false;
}
