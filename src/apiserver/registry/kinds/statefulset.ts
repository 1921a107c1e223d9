// apps/v1 StatefulSet and DaemonSet objects: defaults, validation and table cells (their
// controllers come later). A StatefulSet's spec is mostly immutable; a DaemonSet's selector is.
import type { DaemonSetSpec, StatefulSetSpec } from "kubernetes-types/apps/v1.js";
import type { PersistentVolumeClaim } from "kubernetes-types/core/v1.js";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject, Mutable } from "../../../apimachinery/object.ts";
import { fieldErrors } from "../../../apimachinery/status.ts";
import type { ResourceDefinition } from "../types.ts";
import { arr, defaultPodTemplate, nonNegative, validateControllerTemplate, validateWorkloadSelector } from "./pod-spec.ts";
import { AGE_COLUMN, ageCell, containerCells, formatLabelSelector, formatLabels } from "./printers.ts";
import { intOrPercentValue, validateIntOrPercent } from "./intstr.ts";
import { CONTAINERS_COLUMN, IMAGES_COLUMN, REPLICAS_SCALE, SELECTOR_COLUMN, selectorImmutable } from "./deployment.ts";
import { specDiff, stableEqual } from "./diff.ts";

interface StatefulSetShape extends KubeObject {
  spec?: Mutable<StatefulSetSpec>;
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}
interface DaemonSetShape extends KubeObject {
  spec?: Mutable<DaemonSetSpec>;
  status?: Record<string, number>;
}

export function defaultStatefulSet(spec: Mutable<StatefulSetSpec>): void {
  spec.podManagementPolicy ||= "OrderedReady";
  const strategy = (spec.updateStrategy ??= {}) as { type?: string; rollingUpdate?: { partition?: number } };
  if (!strategy.type) {
    strategy.type = "RollingUpdate";
    strategy.rollingUpdate ??= {};
  }
  if (strategy.type === "RollingUpdate" && strategy.rollingUpdate) strategy.rollingUpdate.partition ??= 0;
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {}) as { whenDeleted?: string; whenScaled?: string };
  retention.whenDeleted ||= "Retain";
  retention.whenScaled ||= "Retain";
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  for (const t of arr(spec.volumeClaimTemplates)) {
    const pvc = t as Mutable<PersistentVolumeClaim> & { status?: { phase?: string } };
    if (pvc.spec) (pvc.spec as { volumeMode?: string }).volumeMode ??= "Filesystem";
    pvc.status ??= {};
    pvc.status.phase ||= "Pending";
  }
  defaultPodTemplate(spec.template, "StatefulSet");
}

export function validateStatefulSetSpec(spec: StatefulSetSpec | undefined): StatusCause[] {
  const s = spec ?? ({} as StatefulSetSpec);
  const causes: StatusCause[] = [];
  const policy = s.podManagementPolicy ?? "";
  if (policy !== "OrderedReady" && policy !== "Parallel") causes.push(fieldErrors.notSupported("spec.podManagementPolicy", policy, ["OrderedReady", "Parallel"]));
  const strategy = s.updateStrategy ?? {};
  const type = strategy.type ?? "";
  if (type !== "OnDelete" && type !== "RollingUpdate") causes.push(fieldErrors.notSupported("spec.updateStrategy.type", type, ["OnDelete", "RollingUpdate"]));
  if (type === "OnDelete" && strategy.rollingUpdate) causes.push(fieldErrors.invalid("spec.updateStrategy.rollingUpdate", strategy.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  if (type === "RollingUpdate") causes.push(...nonNegative(strategy.rollingUpdate?.partition, "spec.updateStrategy.rollingUpdate.partition"));
  const retention = s.persistentVolumeClaimRetentionPolicy ?? {};
  for (const f of ["whenDeleted", "whenScaled"] as const) {
    const v = retention[f];
    if (v && v !== "Retain" && v !== "Delete") causes.push(fieldErrors.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v, ["Retain", "Delete"]));
  }
  causes.push(...nonNegative(s.replicas, "spec.replicas"), ...nonNegative(s.minReadySeconds, "spec.minReadySeconds"), ...nonNegative(s.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  causes.push(...nonNegative(s.ordinals?.start, "spec.ordinals.start"));
  arr(s.volumeClaimTemplates).forEach((t, i) => {
    if (!t.metadata?.name) causes.push(fieldErrors.required(`spec.volumeClaimTemplates[${i}].metadata.name`));
  });
  causes.push(...validateWorkloadSelector(s.selector, "spec.selector", "statefulset"));
  causes.push(...validateControllerTemplate(s.template, s.selector, "spec.template", "StatefulSet"));
  return causes;
}

const STS_UPDATABLE = ["replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

/** ValidateStatefulSetUpdate: only the listed fields of the spec may change. */
export function validateStatefulSetUpdate(next: StatefulSetSpec | undefined, old: StatefulSetSpec | undefined): StatusCause[] {
  const strip = (s: StatefulSetSpec | undefined) =>
    Object.fromEntries(Object.entries(s ?? {}).filter(([k, v]) => !STS_UPDATABLE.includes(k) && v !== undefined));
  const [a, b] = [strip(next), strip(old)];
  if (stableEqual(a, b)) return [];
  return [fieldErrors.forbidden("spec", `updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden\n${specDiff(b, a, "spec")}`)];
}

export const statefulSets: ResourceDefinition = {
  group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets", singular: "statefulset", shortNames: ["sts"], categories: ["all"],
  namespaced: true,
  status: true,
  generation: true,
  scale: REPLICAS_SCALE,
  defaults: (obj) => defaultStatefulSet(((obj as StatefulSetShape).spec ??= {} as StatefulSetSpec)),
  prepareForCreate(obj) {
    (obj as StatefulSetShape).status = { replicas: 0, availableReplicas: 0 };
  },
  validate: (obj) => validateStatefulSetSpec((obj as StatefulSetShape).spec),
  validateUpdate: (obj, old) => validateStatefulSetUpdate((obj as StatefulSetShape).spec, (old as StatefulSetShape).spec),
  columns: [{ name: "Ready", type: "string", description: "Number of the pod with ready state" }, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  noAgeColumn: true,
  cells(obj, now) {
    const sts = obj as StatefulSetShape;
    const [names, images] = containerCells(sts.spec?.template?.spec?.containers);
    return [`${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 0}`, ageCell(obj, now), names, images];
  },
};

export function defaultDaemonSet(spec: Mutable<DaemonSetSpec>): void {
  const strategy = (spec.updateStrategy ??= {}) as { type?: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
  strategy.type ||= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplate(spec.template, "DaemonSet");
}

export function validateDaemonSetSpec(spec: DaemonSetSpec | undefined): StatusCause[] {
  const s = spec ?? ({} as DaemonSetSpec);
  const causes = [...validateWorkloadSelector(s.selector, "spec.selector", "daemonset")];
  causes.push(...validateControllerTemplate(s.template, s.selector, "spec.template", "DaemonSet"));
  causes.push(...nonNegative(s.minReadySeconds, "spec.minReadySeconds"), ...nonNegative(s.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  const strategy = s.updateStrategy ?? {};
  const type = strategy.type ?? "";
  if (type !== "OnDelete" && type !== "RollingUpdate") causes.push(fieldErrors.notSupported("spec.updateStrategy.type", type, ["OnDelete", "RollingUpdate"]));
  if (type === "RollingUpdate" && strategy.rollingUpdate) {
    const { maxUnavailable, maxSurge } = strategy.rollingUpdate;
    causes.push(...validateIntOrPercent(maxUnavailable, "spec.updateStrategy.rollingUpdate.maxUnavailable", true));
    causes.push(...validateIntOrPercent(maxSurge, "spec.updateStrategy.rollingUpdate.maxSurge", true));
    if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
      causes.push(fieldErrors.invalid("spec.updateStrategy.rollingUpdate.maxUnavailable", maxUnavailable, "cannot be 0 when maxSurge is 0"));
    }
  }
  return causes;
}

export const daemonSets: ResourceDefinition = {
  group: "apps", version: "v1", kind: "DaemonSet", plural: "daemonsets", singular: "daemonset", shortNames: ["ds"], categories: ["all"],
  namespaced: true,
  status: true,
  generation: true,
  defaults: (obj) => defaultDaemonSet(((obj as DaemonSetShape).spec ??= {} as DaemonSetSpec)),
  prepareForCreate(obj) {
    (obj as DaemonSetShape).status = { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
  },
  validate: (obj) => validateDaemonSetSpec((obj as DaemonSetShape).spec),
  validateUpdate: (obj, old) => selectorImmutable((obj as DaemonSetShape).spec?.selector, (old as DaemonSetShape).spec?.selector),
  columns: [
    { name: "Desired", type: "integer", description: "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod)." },
    { name: "Current", type: "integer", description: "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod." },
    { name: "Ready", type: "integer", description: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready." },
    { name: "Up-to-date", type: "integer", description: "The total number of nodes that are running updated daemon pod" },
    { name: "Available", type: "integer", description: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)" },
    { name: "Node Selector", type: "string", description: "NodeSelector is a selector which must be true for the pod to fit on a node." },
    AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN,
    { ...SELECTOR_COLUMN, description: "A label query over pods that are managed by the daemon set." },
  ],
  noAgeColumn: true,
  cells(obj, now) {
    const ds = obj as DaemonSetShape;
    const st = ds.status ?? {};
    const [names, images] = containerCells(ds.spec?.template?.spec?.containers);
    return [
      st.desiredNumberScheduled ?? 0, st.currentNumberScheduled ?? 0, st.numberReady ?? 0, st.updatedNumberScheduled ?? 0, st.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector), ageCell(obj, now), names, images, formatLabelSelector(ds.spec?.selector),
    ];
  },
};
