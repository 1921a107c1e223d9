// apps/v1 Deployment and ReplicaSet: defaults (apps/v1 defaults.go plus the pod template's),
// validation with the selector/template rules, immutable selectors, /scale, and kubectl's cells.
import type { DeploymentSpec, ReplicaSetSpec } from "kubernetes-types/apps/v1.js";
import type { LabelSelector, StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject, Mutable } from "../../../apimachinery/object.ts";
import { fieldErrors } from "../../../apimachinery/status.ts";
import type { ResourceDefinition, ScaleSubresource, TableColumn } from "../types.ts";
import { defaultPodTemplate, nonNegative, validateControllerTemplate, validateWorkloadSelector } from "./pod-spec.ts";
import { AGE_COLUMN, ageCell, containerCells, formatLabelSelector, selectorString } from "./printers.ts";
import { intOrPercentValue, validateIntOrPercent } from "./intstr.ts";
import { stableEqual } from "./diff.ts";

interface DeploymentShape extends KubeObject {
  spec?: Mutable<DeploymentSpec>;
  status?: { replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number };
}
interface ReplicaSetShape extends KubeObject {
  spec?: Mutable<ReplicaSetSpec>;
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

/** The /scale subresource of every replicated workload. */
export const REPLICAS_SCALE: ScaleSubresource = { specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas", labelSelectorPath: "spec.selector" };

export const CONTAINERS_COLUMN: TableColumn = { name: "Containers", type: "string", priority: 1, description: "Names of each container in the template." };
export const IMAGES_COLUMN: TableColumn = { name: "Images", type: "string", priority: 1, description: "Images referenced by each container in the template." };
export const SELECTOR_COLUMN: TableColumn = { name: "Selector", type: "string", priority: 1, description: "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment." };

/** A selector may not change once set (apps/v1). */
export function selectorImmutable(next: LabelSelector | undefined, old: LabelSelector | undefined): StatusCause[] {
  return stableEqual(next, old) ? [] : [fieldErrors.invalid("spec.selector", next ?? null, "field is immutable")];
}

export function defaultDeployment(spec: Mutable<DeploymentSpec>): void {
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {}) as Mutable<NonNullable<DeploymentSpec["strategy"]>>;
  strategy.type ||= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const ru = (strategy.rollingUpdate ??= {}) as { maxUnavailable?: number | string; maxSurge?: number | string };
    ru.maxUnavailable ??= "25%";
    ru.maxSurge ??= "25%";
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplate(spec.template, "Deployment");
}

export function validateDeploymentSpec(spec: DeploymentSpec | undefined): StatusCause[] {
  const s = spec ?? ({} as DeploymentSpec);
  const causes = [...nonNegative(s.replicas, "spec.replicas"), ...validateWorkloadSelector(s.selector, "spec.selector", "deployment")];
  causes.push(...validateControllerTemplate(s.template, s.selector, "spec.template", "ReplicaSet"));
  const strategy = s.strategy ?? {};
  const type = strategy.type ?? "";
  if (type !== "Recreate" && type !== "RollingUpdate") causes.push(fieldErrors.notSupported("spec.strategy.type", type, ["Recreate", "RollingUpdate"]));
  if (type === "Recreate" && strategy.rollingUpdate) causes.push(fieldErrors.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
  if (type === "RollingUpdate" && strategy.rollingUpdate) {
    const { maxUnavailable, maxSurge } = strategy.rollingUpdate;
    causes.push(...validateIntOrPercent(maxUnavailable, "spec.strategy.rollingUpdate.maxUnavailable", true));
    causes.push(...validateIntOrPercent(maxSurge, "spec.strategy.rollingUpdate.maxSurge"));
    if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
      causes.push(fieldErrors.invalid("spec.strategy.rollingUpdate.maxUnavailable", maxUnavailable, "may not be 0 when `maxSurge` is 0"));
    }
  }
  causes.push(...nonNegative(s.revisionHistoryLimit, "spec.revisionHistoryLimit"), ...nonNegative(s.minReadySeconds, "spec.minReadySeconds"));
  if (s.progressDeadlineSeconds !== undefined && s.progressDeadlineSeconds !== null) {
    causes.push(...nonNegative(s.progressDeadlineSeconds, "spec.progressDeadlineSeconds"));
    if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
      causes.push(fieldErrors.invalid("spec.progressDeadlineSeconds", s.progressDeadlineSeconds, "must be greater than minReadySeconds"));
    }
  }
  return causes;
}

export const deployments: ResourceDefinition = {
  group: "apps", version: "v1", kind: "Deployment", plural: "deployments", singular: "deployment", shortNames: ["deploy"], categories: ["all"],
  namespaced: true,
  status: true,
  generation: true,
  scale: REPLICAS_SCALE,
  defaults: (obj) => defaultDeployment(((obj as DeploymentShape).spec ??= {} as DeploymentSpec)),
  prepareForCreate(obj) {
    (obj as DeploymentShape).status = {};
  },
  validate: (obj) => validateDeploymentSpec((obj as DeploymentShape).spec),
  validateUpdate: (obj, old) => selectorImmutable((obj as DeploymentShape).spec?.selector, (old as DeploymentShape).spec?.selector),
  columns: [
    { name: "Ready", type: "string", description: "Number of the pod with ready state" },
    { name: "Up-to-date", type: "string", description: "Total number of non-terminated pods targeted by this deployment that have the desired template spec." },
    { name: "Available", type: "string", description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment." },
    AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
  ],
  noAgeColumn: true,
  cells(obj, now) {
    const d = obj as DeploymentShape;
    const st = d.status ?? {};
    const [names, images] = containerCells(d.spec?.template?.spec?.containers);
    return [`${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, st.updatedReplicas ?? 0, st.availableReplicas ?? 0, ageCell(obj, now), names, images, selectorString(d.spec?.selector) ?? "<invalid>"];
  },
};

export const replicaSets: ResourceDefinition = {
  group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", singular: "replicaset", shortNames: ["rs"], categories: ["all"],
  namespaced: true,
  status: true,
  generation: true,
  scale: REPLICAS_SCALE,
  defaults(obj) {
    const spec = ((obj as ReplicaSetShape).spec ??= {} as ReplicaSetSpec);
    spec.replicas ??= 1;
    defaultPodTemplate(spec.template, "ReplicaSet");
  },
  prepareForCreate(obj) {
    (obj as ReplicaSetShape).status = { replicas: 0 };
  },
  validate(obj) {
    const s = (obj as ReplicaSetShape).spec ?? ({} as ReplicaSetSpec);
    return [
      ...nonNegative(s.replicas, "spec.replicas"),
      ...nonNegative(s.minReadySeconds, "spec.minReadySeconds"),
      ...validateWorkloadSelector(s.selector, "spec.selector", "deployment"),
      ...validateControllerTemplate(s.template, s.selector, "spec.template", "ReplicaSet"),
    ];
  },
  validateUpdate: (obj, old) => selectorImmutable((obj as ReplicaSetShape).spec?.selector, (old as ReplicaSetShape).spec?.selector),
  columns: [
    { name: "Desired", type: "integer", description: "Replicas is the number of desired pods." },
    { name: "Current", type: "integer", description: "Replicas is the most recently observed number of replicas." },
    { name: "Ready", type: "integer", description: "The number of ready replicas for this replica set." },
    AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN,
    { ...SELECTOR_COLUMN, description: "Selector is a label query over pods that should match the replica count." },
  ],
  noAgeColumn: true,
  cells(obj, now) {
    const rs = obj as ReplicaSetShape;
    const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
    return [rs.spec?.replicas ?? 0, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, ageCell(obj, now), names, images, formatLabelSelector(rs.spec?.selector)];
  },
};
