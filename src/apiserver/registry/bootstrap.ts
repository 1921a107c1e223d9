// Objects every cluster has from its first start: the four system namespaces and, when served,
// the two system PriorityClasses. Idempotent: existing objects are left as they are.
import { isStatusError } from "../../apimachinery/status.ts";
import type { KubeObject } from "../../apimachinery/object.ts";
import type { RestStore } from "./rest-store.ts";

export interface BootstrapTarget {
  rest(group: string, plural: string): RestStore;
  registry: { resources(): readonly { group: string; plural: string }[] };
  /** The ClusterIP the `kubernetes` Service gets. */
  kubernetesServiceIP?: string;
}

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const SYSTEM_PRIORITY_CLASSES: KubeObject[] = [
  { metadata: { name: "system-node-critical" }, value: 2000001000, description: "Used for system critical pods that must not be moved from their current node." },
  { metadata: { name: "system-cluster-critical" }, value: 2000000000, description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary." },
];

async function ensure(rest: RestStore, obj: KubeObject, namespace = ""): Promise<void> {
  try {
    // Look first: a create would also claim resources (a Service's IP) before finding the object.
    await rest.get(namespace, obj.metadata!.name!);
    return;
  } catch (err) {
    if (!isStatusError(err, "NotFound")) throw err;
  }
  try {
    await rest.create(namespace, obj);
  } catch (err) {
    if (!isStatusError(err, "AlreadyExists")) throw err;
  }
}

export async function bootstrap(target: BootstrapTarget): Promise<void> {
  const served = (group: string, plural: string) => target.registry.resources().some((r) => r.group === group && r.plural === plural);
  for (const name of SYSTEM_NAMESPACES) await ensure(target.rest("", "namespaces"), { metadata: { name } });
  if (served("", "services")) {
    // The in-cluster address of the API server: the first IP of the service range.
    await ensure(target.rest("", "services"), {
      metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
      spec: { type: "ClusterIP", clusterIP: target.kubernetesServiceIP ?? "10.96.0.1", ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }], sessionAffinity: "None" },
    }, "default");
  }
  if (served("scheduling.k8s.io", "priorityclasses")) {
    for (const pc of SYSTEM_PRIORITY_CLASSES) await ensure(target.rest("scheduling.k8s.io", "priorityclasses"), structuredClone(pc));
  }
}
