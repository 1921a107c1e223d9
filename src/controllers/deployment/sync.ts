// Scaling and clean-up decisions (pkg/controller/deployment/sync.go) as pure functions: is this a
// scaling event, how to spread a change of spec.replicas over the ReplicaSets, what to delete.
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { ScaleStep } from "./rolling.ts";
import {
  DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, byCreation, byRevision, bySizeNewer, bySizeOlder, desiredReplicas, filterActive,
  intAnnotation, isRollingUpdate, isSaturated, maxSurge, replicaCount, specReplicas,
} from "./util.ts";

/** isScalingEvent: an active ReplicaSet was sized for a different spec.replicas. */
export function isScalingEvent(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[]): boolean {
  return filterActive(allRSs).some((rs) => {
    const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
    return desired !== undefined && desired !== desiredReplicas(d);
  });
}

/** FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active; else undefined. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort(byCreation).reverse();
  const active = filterActive([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  return active.length === 1 ? active[0] : undefined;
}

/** Go's math.Round (half away from zero). */
const round = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

/** getReplicaSetFraction: this ReplicaSet's share of a resize, by its max-replicas annotation. */
function fraction(rs: ReplicaSet, d: Deployment): number {
  if (desiredReplicas(d) === 0) return -specReplicas(rs);
  const total = desiredReplicas(d) + maxSurge(d);
  const annotated = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return round((specReplicas(rs) * total) / annotated) - specReplicas(rs);
}

/** GetProportion: the part of `toAdd` (not yet `added`) this ReplicaSet takes. */
function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const f = fraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(f, allowed) : Math.max(f, allowed);
}

/**
 * scale: how to resize the ReplicaSets after spec.replicas changed. One active ReplicaSet takes the
 * new size; a saturated new ReplicaSet means old ones go to 0; during a rolling update the change
 * is spread in proportion to each ReplicaSet's size (leftovers to the largest). Steps include
 * ReplicaSets whose size stays but whose replicas annotations must be refreshed.
 */
export function scaleSteps(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ScaleStep[] {
  const want = desiredReplicas(d);
  const single = findActiveOrLatest(newRS, oldRSs);
  if (single) return specReplicas(single) === want ? [] : [{ rs: single, replicas: want }];
  if (isSaturated(d, newRS)) return filterActive(oldRSs).map((rs) => ({ rs, replicas: 0 }));
  if (!isRollingUpdate(d)) return [];
  const all = filterActive([...oldRSs, newRS]);
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(all);
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) all.sort(bySizeOlder);
  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return specReplicas(rs);
    const p = proportion(rs, d, toAdd, added);
    added += p;
    return specReplicas(rs) + p;
  });
  if (toAdd !== 0 && sizes.length > 0) sizes[0] = Math.max(0, sizes[0] + toAdd - added);
  return all.map((rs, i) => ({ rs, replicas: sizes[i] }));
}

/**
 * cleanupDeployment: the old ReplicaSets beyond revisionHistoryLimit to delete, lowest revision
 * first, skipping any that still want or have pods or whose status is not yet current.
 */
export function cleanupCandidates(d: Deployment, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return [];
  return [...alive].sort(byRevision).slice(0, diff).filter((rs) =>
    (rs.status?.replicas ?? 0) === 0 && specReplicas(rs) === 0 && (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0));
}
