// The ReplicaSet status as a pure function of the ReplicaSet and the pods it owns
// (kubernetes/pkg/controller/replicaset/replica_set_utils.go calculateStatus).
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from "kubernetes-types/apps/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import { isPodActive, isPodAvailable, isPodReady } from "../pod-util.ts";

export interface StatusOptions {
  /** Milliseconds since the epoch, for minReadySeconds; default Date.now(). */
  now?: number;
  /** The error of the last create/delete round, reported as the ReplicaFailure condition. */
  manageReplicasError?: { reason: "FailedCreate" | "FailedDelete"; message: string };
}

const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/**
 * The status the ReplicaSet should have given the pods it owns (terminating and finished pods are
 * not counted). A pod counts as fully labeled when it carries every label of the template.
 * `observedGeneration` is the ReplicaSet's generation.
 */
export function calculateStatus(rs: ReplicaSet, pods: readonly Pod[], opts: StatusOptions = {}): ReplicaSetStatus {
  const now = opts.now ?? Date.now();
  const templateLabels = Object.entries(rs.spec?.template?.metadata?.labels ?? {});
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let replicas = 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (!isPodActive(pod)) continue;
    replicas++;
    const labels = pod.metadata?.labels ?? {};
    if (templateLabels.every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  const status: ReplicaSetStatus = { replicas, fullyLabeledReplicas: fullyLabeled, readyReplicas: ready, availableReplicas: available };
  const generation = rs.metadata?.generation;
  if (generation !== undefined) status.observedGeneration = generation;
  const conditions = replicaFailureConditions(rs.status?.conditions ?? [], opts.manageReplicasError, now);
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

function replicaFailureConditions(current: readonly ReplicaSetCondition[], failure: StatusOptions["manageReplicasError"], now: number): ReplicaSetCondition[] {
  const existing = current.find((c) => c.type === "ReplicaFailure");
  const others = current.filter((c) => c.type !== "ReplicaFailure");
  if (!failure) return others;
  if (existing) return [...others, existing];
  return [...others, { type: "ReplicaFailure", status: "True", reason: failure.reason, message: failure.message, lastTransitionTime: isoSeconds(now) }];
}

/** True when the two statuses differ in anything the controller writes. */
export function statusChanged(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  const cur = a ?? { replicas: 0 };
  return (cur.replicas ?? 0) !== (b.replicas ?? 0)
    || (cur.fullyLabeledReplicas ?? 0) !== (b.fullyLabeledReplicas ?? 0)
    || (cur.readyReplicas ?? 0) !== (b.readyReplicas ?? 0)
    || (cur.availableReplicas ?? 0) !== (b.availableReplicas ?? 0)
    || cur.observedGeneration !== b.observedGeneration
    || JSON.stringify(cur.conditions ?? []) !== JSON.stringify(b.conditions ?? []);
}
