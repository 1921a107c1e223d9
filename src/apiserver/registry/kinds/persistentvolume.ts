// core/v1 PersistentVolume (cluster-scoped) and PersistentVolumeClaim: defaults, Pending on
// create, validation, the update rules (a claim may only grow once bound), and kubectl's cells.
import type { PersistentVolumeClaimSpec, PersistentVolumeSpec } from "kubernetes-types/core/v1.js";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject, Mutable } from "../../../apimachinery/object.ts";
import { fieldErrors } from "../../../apimachinery/status.ts";
import { isDNS1123Subdomain } from "../../../apimachinery/validation.ts";
import type { ResourceDefinition, TableColumn } from "../types.ts";
import { timestamp } from "../object-meta.ts";
import { AGE_COLUMN, accessModesString, ageCell, quantityString } from "./printers.ts";
import { arr, quantityOf } from "./pod-spec.ts";
import { canonicalList } from "./pod-defaults.ts";
import { specDiff, stableEqual } from "./diff.ts";

interface PVShape extends KubeObject {
  spec?: Mutable<PersistentVolumeSpec>;
  status?: { phase?: string; reason?: string; message?: string; lastPhaseTransitionTime?: string };
}
interface PVCShape extends KubeObject {
  spec?: Mutable<PersistentVolumeClaimSpec>;
  status?: { phase?: string; capacity?: Record<string, string>; accessModes?: string[] };
}

const ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
const VOLUME_MODES = ["Block", "Filesystem"];
const STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

function validateAccessModes(modes: string[], path: string, required: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (modes.length === 0) causes.push(fieldErrors.required(path, required));
  for (const m of modes) if (!ACCESS_MODES.includes(m)) causes.push(fieldErrors.notSupported(path, m, ACCESS_MODES));
  if (modes.includes("ReadWriteOncePod") && modes.length > 1) causes.push(fieldErrors.forbidden(path, "may not use ReadWriteOncePod with other access modes"));
  return causes;
}

function validateCommon(spec: { volumeMode?: string | null; storageClassName?: string | null }, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (spec.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) causes.push(fieldErrors.notSupported(`${path}.volumeMode`, spec.volumeMode, VOLUME_MODES));
  if (spec.storageClassName) for (const m of isDNS1123Subdomain(spec.storageClassName)) causes.push(fieldErrors.invalid(`${path}.storageClassName`, spec.storageClassName, m));
  return causes;
}

/** Fields of a PV spec that are not its volume source. */
const PV_NON_SOURCE = new Set(["accessModes", "capacity", "claimRef", "mountOptions", "nodeAffinity", "persistentVolumeReclaimPolicy", "storageClassName", "volumeMode", "volumeAttributesClassName"]);
const pvSources = (spec: PersistentVolumeSpec) =>
  Object.keys(spec).filter((k) => !PV_NON_SOURCE.has(k) && (spec as Record<string, unknown>)[k] != null);
const pvSource = (spec: PersistentVolumeSpec) => Object.fromEntries(pvSources(spec).map((k) => [k, (spec as Record<string, unknown>)[k]]));

export function validatePV(pv: PVShape): StatusCause[] {
  const spec = pv.spec ?? {};
  const causes = validateAccessModes(arr(spec.accessModes), "spec.accessModes", "");
  const capacity = spec.capacity ?? {};
  if (Object.keys(capacity).length === 0) causes.push(fieldErrors.required("spec.capacity"));
  else if (!("storage" in capacity) || Object.keys(capacity).length > 1) causes.push(fieldErrors.notSupported("spec.capacity", capacity, ["storage"]));
  const size = quantityOf(capacity.storage);
  if (size !== undefined && size < 0n) causes.push(fieldErrors.invalid("spec.capacity[storage]", capacity.storage, "must be greater than or equal to 0"));
  const policy = spec.persistentVolumeReclaimPolicy ?? "";
  if (!["Delete", "Recycle", "Retain"].includes(policy)) causes.push(fieldErrors.notSupported("spec.persistentVolumeReclaimPolicy", policy, ["Delete", "Recycle", "Retain"]));
  const sources = pvSources(spec);
  if (sources.length === 0) causes.push(fieldErrors.required("spec", "must specify a volume type"));
  for (const extra of sources.slice(1)) causes.push(fieldErrors.forbidden(`spec.${extra}`, "may not specify more than 1 volume type"));
  if (spec.hostPath && !spec.hostPath.path) causes.push(fieldErrors.required("spec.hostPath.path"));
  if (spec.local) {
    if (!spec.local.path) causes.push(fieldErrors.required("spec.local.path"));
    if (!spec.nodeAffinity) causes.push(fieldErrors.required("spec.nodeAffinity", "Local volume requires node affinity"));
  }
  causes.push(...validateCommon(spec, "spec"));
  return causes;
}

export function validatePVUpdate(pv: PVShape, old: PVShape): StatusCause[] {
  const n = pv.spec ?? {};
  const o = old.spec ?? {};
  const causes: StatusCause[] = [];
  if (!stableEqual(pvSource(n), pvSource(o))) {
    causes.push(fieldErrors.forbidden("spec.persistentvolumesource", `spec.persistentvolumesource is immutable after creation\n${specDiff(pvSource(o), pvSource(n), "spec")}`));
  }
  if ((n.volumeMode ?? null) !== (o.volumeMode ?? null)) causes.push(fieldErrors.invalid("spec.volumeMode", n.volumeMode ?? null, "field is immutable"));
  if (o.nodeAffinity && !stableEqual(n.nodeAffinity, o.nodeAffinity)) causes.push(fieldErrors.invalid("spec.nodeAffinity", n.nodeAffinity ?? null, "field is immutable"));
  return causes;
}

const pvColumns: TableColumn[] = [
  { name: "Capacity", type: "string", description: "capacity is the description of the persistent volume's resources and capacity." },
  { name: "Access Modes", type: "string", description: "accessModes contains all ways the volume can be mounted." },
  { name: "Reclaim Policy", type: "string", description: "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim." },
  { name: "Status", type: "string", description: "phase indicates if a volume is available, bound to a claim, or released by a claim." },
  { name: "Claim", type: "string", description: "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim." },
  { name: "StorageClass", type: "string", description: "StorageClass of the pv" },
  { name: "VolumeAttributesClass", type: "string", description: "VolumeAttributesClass of the pv" },
  { name: "Reason", type: "string", description: "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI." },
  AGE_COLUMN,
  { name: "VolumeMode", type: "string", priority: 1, description: "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state." },
];

export const persistentVolumes: ResourceDefinition = {
  group: "", version: "v1", kind: "PersistentVolume", plural: "persistentvolumes", singular: "persistentvolume", shortNames: ["pv"],
  namespaced: false,
  status: true,
  defaults(obj) {
    const spec = ((obj as PVShape).spec ??= {});
    spec.persistentVolumeReclaimPolicy ??= "Retain";
    spec.volumeMode ??= "Filesystem";
    if (spec.capacity) spec.capacity = canonicalList(spec.capacity, "PersistentVolume") as Record<string, string>;
  },
  prepareForCreate(obj, ctx) {
    (obj as PVShape).status = { phase: "Pending", lastPhaseTransitionTime: timestamp(ctx.now) };
  },
  validate: (obj) => validatePV(obj as PVShape),
  validateUpdate: (obj, old) => validatePVUpdate(obj as PVShape, old as PVShape),
  columns: pvColumns,
  noAgeColumn: true,
  cells(obj, now) {
    const pv = obj as PVShape;
    const spec = pv.spec ?? {};
    const claim = spec.claimRef ? `${spec.claimRef.namespace ?? ""}/${spec.claimRef.name ?? ""}` : "";
    const phase = obj.metadata?.deletionTimestamp ? "Terminating" : (pv.status?.phase ?? "");
    const storageClass = obj.metadata?.annotations?.[STORAGE_CLASS_ANNOTATION] ?? spec.storageClassName ?? "";
    return [
      quantityString(spec.capacity?.storage), accessModesString(spec.accessModes), spec.persistentVolumeReclaimPolicy ?? "", phase, claim, storageClass,
      (spec as { volumeAttributesClassName?: string }).volumeAttributesClassName ?? "<unset>", pv.status?.reason ?? "", ageCell(obj, now), spec.volumeMode ?? "<unset>",
    ];
  },
};

export function validatePVC(pvc: PVCShape): StatusCause[] {
  const spec = pvc.spec ?? {};
  const causes = validateAccessModes(arr(spec.accessModes), "spec.accessModes", "at least 1 access mode is required");
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined) causes.push(fieldErrors.required("spec.resources[storage]"));
  else {
    const size = quantityOf(storage);
    if (size !== undefined && size <= 0n) causes.push(fieldErrors.invalid("spec.resources[storage]", storage, "must be greater than zero"));
  }
  causes.push(...validateCommon(spec, "spec"));
  return causes;
}

/** ValidatePersistentVolumeClaimUpdate: binding sets volumeName once; a bound claim may grow; nothing else changes. */
export function validatePVCUpdate(pvc: PVCShape, old: PVCShape): StatusCause[] {
  const causes: StatusCause[] = [];
  const next = structuredClone(pvc.spec ?? {}) as Mutable<PersistentVolumeClaimSpec>;
  const prev = structuredClone(old.spec ?? {}) as Mutable<PersistentVolumeClaimSpec>;
  if (!prev.volumeName) prev.volumeName = next.volumeName;
  prev.volumeAttributesClassName = next.volumeAttributesClassName;
  const bound = (old.status?.phase ?? "") === "Bound";
  const newSize = quantityOf(next.resources?.requests?.storage);
  const oldSize = quantityOf(prev.resources?.requests?.storage);
  if (bound && next.resources?.requests) {
    if (newSize !== undefined && oldSize !== undefined && newSize < oldSize) {
      causes.push(fieldErrors.forbidden("spec.resources.requests.storage", "field can not be less than previous value"));
    }
    next.resources = { ...next.resources, requests: { ...next.resources.requests, storage: prev.resources?.requests?.storage as string } };
  }
  for (const s of [next, prev]) for (const k of Object.keys(s) as (keyof typeof s)[]) if (s[k] === undefined) delete s[k];
  if (!stableEqual(next, prev)) {
    causes.push(fieldErrors.forbidden("spec", `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff(prev, next, "spec")}`));
  }
  return causes;
}

const pvcColumns: TableColumn[] = [
  { name: "Status", type: "string", description: "phase represents the current phase of PersistentVolumeClaim." },
  { name: "Volume", type: "string", description: "volumeName is the binding reference to the PersistentVolume backing this claim." },
  { name: "Capacity", type: "string", description: "capacity represents the actual resources of the underlying volume." },
  { name: "Access Modes", type: "string", description: "accessModes contains the actual access modes the volume backing the PVC has." },
  { name: "StorageClass", type: "string", description: "StorageClass of the pvc" },
  { name: "VolumeAttributesClass", type: "string", description: "VolumeAttributesClass of the pvc" },
  AGE_COLUMN,
  { name: "VolumeMode", type: "string", priority: 1, description: "volumeMode defines what type of volume is required by the claim." },
];

export const persistentVolumeClaims: ResourceDefinition = {
  group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", singular: "persistentvolumeclaim", shortNames: ["pvc"],
  namespaced: true,
  status: true,
  defaults(obj) {
    const spec = ((obj as PVCShape).spec ??= {});
    spec.volumeMode ??= "Filesystem";
    const resources = spec.resources as { requests?: Record<string, string>; limits?: Record<string, string> } | undefined;
    if (resources?.requests) resources.requests = canonicalList(resources.requests, "PersistentVolumeClaim") as Record<string, string>;
    if (resources?.limits) resources.limits = canonicalList(resources.limits, "PersistentVolumeClaim") as Record<string, string>;
  },
  prepareForCreate(obj) {
    (obj as PVCShape).status = { phase: "Pending" };
  },
  validate: (obj) => validatePVC(obj as PVCShape),
  validateUpdate: (obj, old) => validatePVCUpdate(obj as PVCShape, old as PVCShape),
  columns: pvcColumns,
  noAgeColumn: true,
  cells(obj, now) {
    const pvc = obj as PVCShape;
    const spec = pvc.spec ?? {};
    const phase = obj.metadata?.deletionTimestamp ? "Terminating" : (pvc.status?.phase ?? "");
    const bound = !!spec.volumeName;
    const storageClass = obj.metadata?.annotations?.[STORAGE_CLASS_ANNOTATION] ?? spec.storageClassName ?? "";
    return [
      phase, spec.volumeName ?? "", bound ? quantityString(pvc.status?.capacity?.storage) : "", bound ? accessModesString(pvc.status?.accessModes) : "",
      storageClass, spec.volumeAttributesClassName ?? "<unset>", ageCell(obj, now), spec.volumeMode ?? "<unset>",
    ];
  },
};
