// coordination.k8s.io/v1 Lease: the heartbeat and leader-election record; PUT may create it.
import type { LeaseSpec } from "kubernetes-types/coordination/v1.js";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { fieldErrors } from "../../../apimachinery/status.ts";
import type { ResourceDefinition } from "../types.ts";

interface LeaseShape extends KubeObject {
  spec?: LeaseSpec;
}

export const leases: ResourceDefinition = {
  group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", singular: "lease",
  namespaced: true,
  allowCreateOnUpdate: true,
  validate(obj) {
    const spec = (obj as LeaseShape).spec ?? {};
    const causes: StatusCause[] = [];
    const duration = spec.leaseDurationSeconds;
    if (duration !== undefined && duration !== null && duration <= 0) causes.push(fieldErrors.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"));
    const transitions = spec.leaseTransitions;
    if (transitions !== undefined && transitions !== null && transitions < 0) causes.push(fieldErrors.invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"));
    return causes;
  },
  columns: [{ name: "Holder", type: "string", description: "holderIdentity contains the identity of the holder of a current lease." }],
  cells: (obj) => [(obj as LeaseShape).spec?.holderIdentity ?? ""],
};
