// Which pods a ReplicaSet deletes first when it scales down (kubernetes/pkg/controller
// controller_utils.go ActivePodsWithRanks): the cheapest pods to lose go first.
import type { Pod } from "kubernetes-types/core/v1.js";
import { controllerRefOf, isPodActive, isPodReady, podReadyCondition } from "../pod-util.ts";

export const POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const v = Number(pod.metadata?.annotations?.[POD_DELETION_COST] ?? 0);
  return Number.isInteger(v) ? v : 0;
}

function restarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

const time = (s: string | undefined): number | undefined => (s ? Date.parse(s) : undefined);

/**
 * Orders pods so that those to delete first come first, as Kubernetes does:
 * unassigned < assigned; Pending < Unknown < Running; not ready < ready; lower deletion cost first;
 * more pods of the same owner on its node (rank) first; ready for less time first; more restarts
 * first; newer (or no creation time) first; then by name for a stable order.
 * `rank` maps a pod to how many related pods share its node (default 0).
 */
export function compareForDeletion(a: Pod, b: Pod, rank: (p: Pod) => number = () => 0): number {
  const aNode = a.spec?.nodeName ?? "";
  const bNode = b.spec?.nodeName ?? "";
  if ((aNode === "") !== (bNode === "")) return aNode === "" ? -1 : 1;
  const aPhase = PHASE_RANK[a.status?.phase ?? "Pending"] ?? 0;
  const bPhase = PHASE_RANK[b.status?.phase ?? "Pending"] ?? 0;
  if (aPhase !== bPhase) return aPhase - bPhase;
  const aReady = isPodReady(a);
  const bReady = isPodReady(b);
  if (aReady !== bReady) return aReady ? 1 : -1;
  const cost = deletionCost(a) - deletionCost(b);
  if (cost !== 0) return cost;
  const ranks = rank(b) - rank(a);
  if (ranks !== 0) return ranks;
  if (aReady && bReady) {
    const at = time(podReadyCondition(a)?.lastTransitionTime);
    const bt = time(podReadyCondition(b)?.lastTransitionTime);
    if (at !== bt) {
      if (at === undefined) return -1;
      if (bt === undefined) return 1;
      return bt - at;
    }
  }
  const r = restarts(b) - restarts(a);
  if (r !== 0) return r;
  const ac = time(a.metadata?.creationTimestamp);
  const bc = time(b.metadata?.creationTimestamp);
  if (ac !== bc) {
    if (ac === undefined) return -1;
    if (bc === undefined) return 1;
    return bc - ac;
  }
  const an = a.metadata?.name ?? "";
  const bn = b.metadata?.name ?? "";
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/**
 * The `count` pods to delete out of `pods`. `related` are the active pods of the same owner(s)
 * (the ReplicaSet's, or a Deployment's across its ReplicaSets): a pod whose node holds more of
 * them ranks higher (is deleted sooner), which spreads what remains.
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], count: number): Pod[] {
  if (count >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName;
    if (node && isPodActive(p)) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const rank = (p: Pod) => (p.spec?.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  return [...pods].sort((a, b) => compareForDeletion(a, b, rank)).slice(0, count);
}

/** True when `pod` is controlled by the owner with this UID. */
export function isControlledBy(pod: Pod, uid: string | undefined): boolean {
  return uid !== undefined && controllerRefOf(pod)?.uid === uid;
}
