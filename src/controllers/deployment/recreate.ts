// The Recreate strategy (pkg/controller/deployment/recreate.go) as a pure decision: scale every old
// ReplicaSet to 0, wait until their pods are gone (status.replicas 0), then bring the new one up.
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { ScaleStep } from "./rolling.ts";
import { desiredReplicas, filterActive } from "./util.ts";

export type RecreateStep =
  /** Old ReplicaSets still want pods: scale them to 0. */
  | { kind: "scaleDownOld"; steps: ScaleStep[] }
  /** Old pods still exist: wait (the ReplicaSets' status updates re-trigger the sync). */
  | { kind: "waitForOldPods" }
  /** Old pods are gone: create the new ReplicaSet if needed and scale it to `replicas`. */
  | { kind: "scaleUpNew"; replicas: number };

export function recreateStep(d: Deployment, oldRSs: readonly ReplicaSet[]): RecreateStep {
  const active = filterActive(oldRSs);
  if (active.length > 0) return { kind: "scaleDownOld", steps: active.map((rs) => ({ rs, replicas: 0 })) };
  if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return { kind: "waitForOldPods" };
  return { kind: "scaleUpNew", replicas: desiredReplicas(d) };
}
