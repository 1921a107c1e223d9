// scheduling.k8s.io/v1 PriorityClass: cluster-scoped pod priorities; "system-" names are reserved
// for the two built-in classes, values above one billion for system use; value is immutable; at
// most one class is the global default (the Priority admission plugin's validation).
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { errors, fieldErrors } from "../../../apimachinery/status.ts";
import type { ResourceDefinition, StrategyContext, TableColumn } from "../types.ts";
import { AGE_COLUMN, ageCell } from "./printers.ts";

export interface PriorityClassShape extends KubeObject {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
  description?: string;
}

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = { "system-node-critical": 2000001000, "system-cluster-critical": 2000000000 };
const PREEMPTION_POLICIES = ["PreemptLowerPriority", "Never"];

/** IsKnownSystemPriorityClass: undefined when `pc` is a built-in class as defined, else why not. */
function systemClassError(pc: PriorityClassShape): string | undefined {
  const name = pc.metadata?.name ?? "";
  if (!Object.hasOwn(SYSTEM_PRIORITY_CLASSES, name)) return `${name} is not a known system priority class`;
  if (SYSTEM_PRIORITY_CLASSES[name] !== pc.value) return `value of ${name} PriorityClass must be ${SYSTEM_PRIORITY_CLASSES[name]}`;
  if (pc.globalDefault === true) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

export function validatePriorityClass(pc: PriorityClassShape): StatusCause[] {
  const causes: StatusCause[] = [];
  if (typeof pc.value !== "number" || !Number.isInteger(pc.value)) causes.push(fieldErrors.required("value"));
  if ((pc.metadata?.name ?? "").startsWith("system-")) {
    const why = systemClassError(pc);
    if (why) causes.push(fieldErrors.forbidden("metadata.name", `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if (typeof pc.value === "number" && pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    causes.push(fieldErrors.forbidden("value", `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  const policy = pc.preemptionPolicy;
  if (policy === "") causes.push(fieldErrors.required("preemptionPolicy"));
  else if (policy !== undefined && !PREEMPTION_POLICIES.includes(policy)) causes.push(fieldErrors.notSupported("preemptionPolicy", policy, PREEMPTION_POLICIES));
  return causes;
}

export function validatePriorityClassUpdate(pc: PriorityClassShape, old: PriorityClassShape): StatusCause[] {
  const causes: StatusCause[] = [];
  if (pc.value !== old.value) causes.push(fieldErrors.forbidden("value", "may not be changed in an update."));
  if (pc.preemptionPolicy !== old.preemptionPolicy) causes.push(fieldErrors.invalid("preemptionPolicy", pc.preemptionPolicy ?? null, "field is immutable"));
  return causes;
}

/**
 * The class pods without a priorityClassName get: the one with globalDefault, and should a race
 * have let several in, the one with the lowest value (as the Priority admission plugin).
 */
export function defaultPriorityClass(classes: readonly KubeObject[]): PriorityClassShape | null {
  let found: PriorityClassShape | null = null;
  for (const pc of classes as PriorityClassShape[]) {
    if (pc.globalDefault === true && (found === null || (found.value ?? 0) > (pc.value ?? 0))) found = pc;
  }
  return found;
}

/** The Priority admission plugin's validation: only one PriorityClass may be the global default (403). */
async function admitGlobalDefault(pc: PriorityClassShape, old: KubeObject | undefined, ctx: StrategyContext): Promise<void> {
  if (pc.globalDefault !== true || !ctx.list) return;
  const current = defaultPriorityClass(await ctx.list("priorityclasses", ""));
  if (!current) return;
  const name = pc.metadata?.name ?? "";
  if (old === undefined || current.metadata?.name !== name) {
    throw errors.forbidden({ group: "scheduling.k8s.io", resource: "priorityclasses" }, ctx.admissionName ?? name,
      `PriorityClass ${current.metadata?.name ?? ""} is already marked as default. Only one default can exist`);
  }
}

const columns: TableColumn[] = [
  { name: "Value", type: "integer", description: "value represents the integer value of this priority class." },
  { name: "Global-Default", type: "boolean", description: "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class." },
  AGE_COLUMN,
  { name: "PreemptionPolicy", type: "string", description: "preemptionPolicy is the Policy for preempting pods with lower priority." },
];

export const priorityClasses: ResourceDefinition = {
  group: "scheduling.k8s.io", version: "v1", kind: "PriorityClass", plural: "priorityclasses", singular: "priorityclass", shortNames: ["pc"],
  namespaced: false,
  defaults(obj) {
    (obj as PriorityClassShape).preemptionPolicy ??= "PreemptLowerPriority";
  },
  validate: (obj) => validatePriorityClass(obj as PriorityClassShape),
  validateUpdate: (obj, old) => validatePriorityClassUpdate(obj as PriorityClassShape, old as PriorityClassShape),
  validateAdmission: (obj, old, ctx) => admitGlobalDefault(obj as PriorityClassShape, old, ctx),
  columns,
  noAgeColumn: true,
  cells(obj, now) {
    const pc = obj as PriorityClassShape;
    return [pc.value ?? 0, pc.globalDefault === true, ageCell(obj, now), pc.preemptionPolicy ?? ""];
  },
};
