// policy/v1 PodDisruptionBudget: minAvailable or maxUnavailable (not both) over a pod selector;
// the disruption controller fills its status.
import type { PodDisruptionBudgetSpec } from "kubernetes-types/policy/v1.js";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { fieldErrors } from "../../../apimachinery/status.ts";
import { validateLabelSelector } from "../../../apimachinery/validation.ts";
import type { ResourceDefinition } from "../types.ts";
import { intOrStringText, validateIntOrPercent } from "./intstr.ts";

interface PDBShape extends KubeObject {
  spec?: PodDisruptionBudgetSpec;
  status?: { disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number };
}

const EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"];

export function validatePDBSpec(spec: PodDisruptionBudgetSpec | undefined): StatusCause[] {
  const s = spec ?? {};
  const causes: StatusCause[] = [];
  const set = (v: unknown) => v !== undefined && v !== null;
  if (set(s.minAvailable) && set(s.maxUnavailable)) causes.push(fieldErrors.invalid("spec", s, "minAvailable and maxUnavailable cannot be both set"));
  causes.push(...validateIntOrPercent(s.minAvailable, "spec.minAvailable", true), ...validateIntOrPercent(s.maxUnavailable, "spec.maxUnavailable", true));
  causes.push(...validateLabelSelector(s.selector, "spec.selector"));
  const policy = s.unhealthyPodEvictionPolicy;
  if (set(policy) && !EVICTION_POLICIES.includes(policy!)) causes.push(fieldErrors.notSupported("spec.unhealthyPodEvictionPolicy", policy, EVICTION_POLICIES));
  return causes;
}

export const podDisruptionBudgets: ResourceDefinition = {
  group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", singular: "poddisruptionbudget", shortNames: ["pdb"],
  namespaced: true,
  status: true,
  generation: true,
  prepareForCreate(obj) {
    (obj as PDBShape).status = { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
  },
  validate: (obj) => validatePDBSpec((obj as PDBShape).spec),
  columns: [
    { name: "Min Available", type: "string", description: "The minimum number of pods that must be available." },
    { name: "Max Unavailable", type: "string", description: "The maximum number of pods that may be unavailable." },
    { name: "Allowed Disruptions", type: "integer", description: "Calculated number of pods that may be disrupted at this time." },
  ],
  cells(obj) {
    const pdb = obj as PDBShape;
    const show = (v: number | string | undefined) => (v === undefined || v === null ? "N/A" : intOrStringText(v));
    return [show(pdb.spec?.minAvailable), show(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0];
  },
};
