// The RollingUpdate strategy's step (pkg/controller/deployment/rolling.go) as pure functions: given
// the deployment and its ReplicaSets' current state, which ReplicaSets to scale to what.
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1.js";
import {
  availableReplicaCount, byCreation, desiredReplicas, filterActive, isRollingUpdate, maxUnavailable, replicaCount, scaledValue, specReplicas,
} from "./util.ts";

/** One planned write: scale `rs` to `replicas`. */
export interface ScaleStep {
  rs: ReplicaSet;
  replicas: number;
}

const withReplicas = (rs: ReplicaSet, replicas: number): ReplicaSet => ({ ...rs, spec: { ...rs.spec!, replicas } });

/**
 * NewRSNewReplicas: how many replicas the new ReplicaSet may have now. Rolling: as many more as
 * maxSurge leaves room for, up to the desired count. Recreate: the desired count.
 */
export function newRSNewReplicas(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  const want = desiredReplicas(d);
  if (!isRollingUpdate(d)) return want;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? "25%", want, true);
  const current = replicaCount(allRSs);
  const maxTotal = want + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, want - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/** reconcileNewReplicaSet: the new ReplicaSet's next size, or undefined when it stays. */
export function reconcileNewReplicaSet(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number | undefined {
  const want = desiredReplicas(d);
  const have = specReplicas(newRS);
  if (have === want) return undefined;
  const next = have > want ? want : newRSNewReplicas(d, allRSs, newRS);
  return next === have ? undefined : next;
}

/**
 * reconcileOldReplicaSets: first scale down old ReplicaSets' unavailable pods (they count against
 * maxUnavailable for nothing), then scale down old pods while at least replicas − maxUnavailable
 * stay available. `oldRSs` are all old ReplicaSets; steps come oldest first.
 */
export function reconcileOldReplicaSets(d: Deployment, oldRSs: readonly ReplicaSet[], newRS: ReplicaSet): ScaleStep[] {
  const active = filterActive(oldRSs);
  if (replicaCount(active) === 0) return [];
  const allPods = replicaCount([...oldRSs, newRS]);
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];

  const steps: ScaleStep[] = [];
  // cleanupUnhealthyReplicas
  const olds = [...active].sort(byCreation);
  let cleaned = 0;
  for (let i = 0; i < olds.length && cleaned < maxScaledDown; i++) {
    const rs = olds[i];
    const unavailable = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
    if (specReplicas(rs) === 0 || unavailable <= 0) continue;
    const down = Math.min(maxScaledDown - cleaned, unavailable);
    olds[i] = withReplicas(rs, specReplicas(rs) - down);
    steps.push({ rs, replicas: specReplicas(olds[i]) });
    cleaned += down;
  }
  // scaleDownOldReplicaSetsForRollingUpdate
  const available = availableReplicaCount([...olds, newRS]);
  if (available > minAvailable) {
    const total = available - minAvailable;
    let done = 0;
    for (const rs of olds) {
      if (done >= total) break;
      if (specReplicas(rs) === 0) continue;
      const down = Math.min(specReplicas(rs), total - done);
      const original = active.find((x) => x.metadata?.name === rs.metadata?.name) ?? rs;
      const prior = steps.findIndex((s) => s.rs === original);
      if (prior >= 0) steps.splice(prior, 1);
      steps.push({ rs: original, replicas: specReplicas(rs) - down });
      done += down;
    }
  }
  return steps;
}

/**
 * One step of a rolling update: scale the new ReplicaSet up (or down to the desired count) if it
 * can move; otherwise scale old ReplicaSets down. Empty when nothing may move now.
 */
export function rollingStep(d: Deployment, newRS: ReplicaSet, oldRSs: readonly ReplicaSet[]): ScaleStep[] {
  const next = reconcileNewReplicaSet(d, [...oldRSs, newRS], newRS);
  if (next !== undefined) return [{ rs: newRS, replicas: next }];
  return reconcileOldReplicaSets(d, oldRSs, newRS);
}
