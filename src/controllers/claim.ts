// Adoption and release of pods by a controller (kubernetes/pkg/controller ControllerRefManager):
// orphans that match the selector are adopted, owned pods that stop matching are released.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import { isStatusError } from "../apimachinery/status.ts";
import { matchesLabels } from "../apimachinery/labels.ts";
import type { Selector } from "../apimachinery/labels.ts";
import type { Client } from "../client/index.ts";
import { resources } from "../client/index.ts";
import { controllerRefOf } from "./pod-util.ts";

export interface ClaimOptions {
  client: Client;
  /** The owner reference to add on adoption (controller and blockOwnerDeletion true). */
  owner: OwnerReference;
  namespace: string;
  selector: Selector;
  /** The owner is being deleted: adopt nothing, release nothing. */
  ownerDeleting: boolean;
  /** Checked once, before the first adoption: the owner still exists with the same UID and is not being deleted (a fresh read). */
  canAdopt: () => Promise<boolean>;
}

/**
 * The pods the owner controls after adopting and releasing: those already controlled by it that
 * still match, plus the orphans it adopted. Pods another controller owns are left alone.
 */
export async function claimPods(pods: readonly Pod[], opts: ClaimOptions): Promise<Pod[]> {
  const claimed: Pod[] = [];
  let adoptable: boolean | undefined;
  for (const pod of pods) {
    const ref = controllerRefOf(pod);
    const matches = matchesLabels(opts.selector, pod.metadata?.labels);
    if (ref) {
      if (ref.uid !== opts.owner.uid) continue;
      if (matches || opts.ownerDeleting) {
        claimed.push(pod);
        continue;
      }
      await release(opts, pod);
      continue;
    }
    if (!matches || opts.ownerDeleting || pod.metadata?.deletionTimestamp) continue;
    adoptable ??= await opts.canAdopt();
    if (!adoptable) continue;
    const adopted = await adopt(opts, pod);
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

/** JSON patch guarded by the pod's resourceVersion, so a concurrent change makes it fail (and the key re-queue). */
function ownerPatch(pod: Pod, refs: OwnerReference[]): unknown[] {
  return [
    { op: "test", path: "/metadata/resourceVersion", value: pod.metadata?.resourceVersion },
    { op: pod.metadata?.ownerReferences ? "replace" : "add", path: "/metadata/ownerReferences", value: refs },
  ];
}

async function adopt(opts: ClaimOptions, pod: Pod): Promise<Pod | undefined> {
  const refs = [...(pod.metadata?.ownerReferences ?? []), opts.owner];
  try {
    return await opts.client.patch<Pod>(resources.pods, pod.metadata!.name!, ownerPatch(pod, refs), { type: "json", namespace: opts.namespace });
  } catch (err) {
    if (isStatusError(err, "NotFound")) return undefined;
    throw err;
  }
}

async function release(opts: ClaimOptions, pod: Pod): Promise<void> {
  const refs = (pod.metadata?.ownerReferences ?? []).filter((r) => r.uid !== opts.owner.uid);
  try {
    await opts.client.patch<Pod>(resources.pods, pod.metadata!.name!, ownerPatch(pod, refs), { type: "json", namespace: opts.namespace });
  } catch (err) {
    if (isStatusError(err, "NotFound") || isStatusError(err, "Invalid")) return;
    throw err;
  }
}
