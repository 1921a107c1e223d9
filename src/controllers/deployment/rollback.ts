// Revisions, and the controller's half of a rollback. kubectl 1.32's `rollout undo` is client-side:
// it copies an old ReplicaSet's template into the Deployment. The controller then finds that
// ReplicaSet as the "new" one and gives it the next revision, remembering the old number in
// `deployment.kubernetes.io/revision-history` (deploymentutil.SetNewReplicaSetAnnotations).
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1.js";
import {
  DESIRED_REPLICAS_ANNOTATION, LAST_APPLIED_ANNOTATION, MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION, ROLLBACK_TO_ANNOTATION, desiredReplicas, maxSurge, revisionOf, setReplicasAnnotations,
} from "./util.ts";

/** Longest revision-history annotation kept (older entries are dropped first). */
export const MAX_REV_HISTORY_LENGTH = 2000;

const SKIPPED_ANNOTATIONS = new Set([
  LAST_APPLIED_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, ROLLBACK_TO_ANNOTATION,
]);

/** Annotations a Deployment shares with its ReplicaSets (change-cause and the like). */
export const copiedAnnotation = (key: string): boolean => !SKIPPED_ANNOTATIONS.has(key);

/** The highest revision among the ReplicaSets (0 when none has one). */
export function maxRevision(rss: readonly ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** Copies the deployment's shareable annotations onto the ReplicaSet (mutates `rs`); never removes any. */
export function copyDeploymentAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  let changed = false;
  const meta = (rs.metadata ??= {});
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (!copiedAnnotation(k) || meta.annotations?.[k] === v) continue;
    (meta.annotations ??= {})[k] = v;
    changed = true;
  }
  return changed;
}

/**
 * Gives the new ReplicaSet (a copy; mutated) the deployment's annotations and `newRevision` if it
 * is higher than its own. A ReplicaSet that had a lower revision is being rolled back to: its old
 * number is appended to the revision history. A ReplicaSet about to be created (`exists` false)
 * also gets the desired/max replicas annotations. Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean, maxHistory = MAX_REV_HISTORY_LENGTH): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const annotations = ((rs.metadata ??= {}).annotations ??= {});
  const oldRevision = annotations[REVISION_ANNOTATION];
  if (oldRevision !== undefined && !/^\d+$/.test(oldRevision)) return false;
  const oldRevisionInt = oldRevision === undefined ? 0 : Number(oldRevision);
  if (oldRevisionInt < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (oldRevision !== undefined) annotations[REVISION_HISTORY_ANNOTATION] = appendHistory(annotations[REVISION_HISTORY_ANNOTATION] ?? "", oldRevision, maxHistory);
  }
  if (!exists && setReplicasAnnotations(rs, desiredReplicas(d), desiredReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}

/** "1,3" + "4" → "1,3,4", dropping the oldest entries to stay within `max` characters. */
export function appendHistory(history: string, revision: string, max = MAX_REV_HISTORY_LENGTH): string {
  if (history === "") return revision;
  const entries = history.split(",");
  let total = history.length + revision.length + 1;
  let start = 0;
  while (total > max && start < entries.length) total -= entries[start++].length + 1;
  return total <= max ? [...entries.slice(start), revision].join(",") : history;
}

/** Sets the deployment's revision annotation (mutates `d`, a copy); true when it changed. */
export function setDeploymentRevision(d: Deployment, revision: string): boolean {
  const meta = (d.metadata ??= {});
  if (meta.annotations?.[REVISION_ANNOTATION] === revision) return false;
  (meta.annotations ??= {})[REVISION_ANNOTATION] = revision;
  return true;
}
