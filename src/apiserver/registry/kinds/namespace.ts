// core/v1 Namespace: cluster-scoped, Active until deleted, then Terminating until the namespace
// controller has emptied it and removed the "kubernetes" finalizer from spec.finalizers.
import type { KubeObject } from "../../../apimachinery/object.ts";
import { nameIsDNSLabel } from "../../../apimachinery/validation.ts";
import type { ResourceDefinition } from "../types.ts";

interface NamespaceShape extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: unknown[] };
}

export const namespaces: ResourceDefinition = {
  group: "", version: "v1", kind: "Namespace", plural: "namespaces", singular: "namespace", shortNames: ["ns"],
  namespaced: false,
  status: true,
  subresources: ["finalize"],
  nameValidator: nameIsDNSLabel,
  prepareForCreate(obj) {
    const ns = obj as NamespaceShape;
    ns.spec = { ...ns.spec, finalizers: ns.spec?.finalizers ?? ["kubernetes"] };
    ns.status = { phase: "Active" };
    // The namespace's name is also a label, as Kubernetes sets it.
    ns.metadata!.labels = { ...ns.metadata!.labels, "kubernetes.io/metadata.name": ns.metadata!.name! };
  },
  prepareForUpdate(obj, old) {
    const ns = obj as NamespaceShape;
    // spec.finalizers changes only through /finalize.
    ns.spec = { ...ns.spec, finalizers: (old as NamespaceShape).spec?.finalizers };
    ns.metadata!.labels = { ...ns.metadata!.labels, "kubernetes.io/metadata.name": ns.metadata!.name! };
  },
  deletionBlocked: (obj) => ((obj as NamespaceShape).spec?.finalizers ?? []).length > 0,
  prepareForDelete(obj) {
    (obj as NamespaceShape).status = { ...(obj as NamespaceShape).status, phase: "Terminating" };
  },
  columns: [{ name: "Status", type: "string", description: "The status of the namespace" }],
  cells: (obj) => [(obj as NamespaceShape).status?.phase ?? ""],
};
