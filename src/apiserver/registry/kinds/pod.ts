// core/v1 Pod: defaults, the admission steps the API server always runs for pods (default
// tolerations, priority, service account), validation, the update rules, and `kubectl get` cells.
import type { PodSpec, Toleration } from "kubernetes-types/core/v1.js";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject, Mutable } from "../../../apimachinery/object.ts";
import { errors, fieldErrors } from "../../../apimachinery/status.ts";
import type { ResourceDefinition, StrategyContext } from "../types.ts";
import { arr, defaultPod, podQOSClass, validatePodSpec } from "./pod-spec.ts";
import { podColumns, podCells } from "./pod-printer.ts";
import { specDiff, stableEqual } from "./diff.ts";
import { defaultPriorityClass } from "./priorityclass.ts";

export interface PodShape extends KubeObject {
  spec?: PodSpec;
  status?: Record<string, unknown> & { phase?: string; podIP?: string; podIPs?: { ip?: string }[]; nominatedNodeName?: string };
}

/** The tolerations the DefaultTolerationSeconds admission plugin adds (300 s for not-ready/unreachable nodes). */
export const DEFAULT_TOLERATION_SECONDS = 300;
const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";

export function addDefaultTolerations(spec: PodSpec): void {
  const tolerations = arr(spec.tolerations);
  const tolerates = (key: string) => tolerations.some((t) => (t.key === key || !t.key) && (t.effect === "NoExecute" || !t.effect));
  const add: Toleration[] = [];
  for (const key of [TAINT_NOT_READY, TAINT_UNREACHABLE]) {
    if (!tolerates(key)) add.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  if (add.length > 0) (spec as Mutable<PodSpec>).tolerations = [...tolerations, ...add];
}

/**
 * The Priority admission plugin on create: priority and preemptionPolicy from the PriorityClass
 * named in spec.priorityClassName (403 when it does not exist), else from the globalDefault class
 * (whose name the pod then carries), else 0 / PreemptLowerPriority. A client may send either
 * field only with the value admission computes. Without `ctx.get` (no registry) classes are not
 * looked up.
 */
async function admitPriority(pod: PodShape, ctx: StrategyContext): Promise<void> {
  const spec = pod.spec as Mutable<PodSpec>;
  const forbidden = (why: string) => errors.forbidden({ resource: "pods" }, ctx.admissionName ?? pod.metadata?.name ?? "", why);
  let pc: KubeObject | null = null;
  if (spec.priorityClassName) {
    if (ctx.get) {
      pc = await ctx.get("priorityclasses", "", spec.priorityClassName);
      if (!pc) throw forbidden(`no PriorityClass with name ${spec.priorityClassName} was found`);
    }
  } else if (ctx.list) {
    pc = defaultPriorityClass(await ctx.list("priorityclasses", ""));
    if (pc) spec.priorityClassName = pc.metadata?.name;
  }
  const priority = pc && typeof pc.value === "number" ? pc.value : 0;
  const policy = pc && typeof pc.preemptionPolicy === "string" ? pc.preemptionPolicy : "PreemptLowerPriority";
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
    throw forbidden(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  spec.priority = priority;
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
    throw forbidden(`the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
  }
  spec.preemptionPolicy = policy;
}

const UPDATABLE = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/** validateOnlyAddedTolerations: every old toleration stays (a NoExecute one may shorten its seconds). */
function validateOnlyAddedTolerations(next: Toleration[], old: Toleration[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const o of old) {
    const kept = next.some((n) => {
      const same = n.key === o.key && (n.operator ?? "Equal") === (o.operator ?? "Equal") && (n.value ?? "") === (o.value ?? "") && (n.effect ?? "") === (o.effect ?? "");
      if (!same) return false;
      if (o.tolerationSeconds === undefined || o.tolerationSeconds === null) return n.tolerationSeconds === undefined || n.tolerationSeconds === null;
      return n.tolerationSeconds !== undefined && n.tolerationSeconds !== null && n.tolerationSeconds <= o.tolerationSeconds;
    });
    if (!kept) causes.push(fieldErrors.forbidden(path, "existing toleration can not be modified except its tolerationSeconds"));
  }
  return causes;
}

/** ValidatePodUpdate's spec rules: only images, activeDeadlineSeconds, added tolerations and a few more may change. */
export function validatePodSpecUpdate(next: PodSpec | undefined, old: PodSpec | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const n = (next ?? {}) as Mutable<PodSpec>;
  const o = (old ?? {}) as Mutable<PodSpec>;
  const munged = structuredClone(n);
  for (const list of ["containers", "initContainers"] as const) {
    const nl = arr(munged[list]);
    const ol = arr(o[list]);
    if (nl.length === ol.length) nl.forEach((c, i) => ((c as { image?: string }).image = ol[i]!.image));
  }
  const nAds = n.activeDeadlineSeconds;
  const oAds = o.activeDeadlineSeconds;
  if (nAds !== undefined && nAds !== null) {
    if (nAds < 0 || nAds > 2147483647) causes.push(fieldErrors.invalid("spec.activeDeadlineSeconds", nAds, "must be between 0 and 2147483647, inclusive"));
    if (oAds !== undefined && oAds !== null && oAds < nAds) causes.push(fieldErrors.invalid("spec.activeDeadlineSeconds", nAds, "must be less than or equal to previous value"));
  } else if (oAds !== undefined && oAds !== null) {
    causes.push(fieldErrors.invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));
  }
  munged.activeDeadlineSeconds = o.activeDeadlineSeconds;
  causes.push(...validateOnlyAddedTolerations(arr(n.tolerations), arr(o.tolerations), "spec.tolerations"));
  munged.tolerations = o.tolerations;
  if ((o.terminationGracePeriodSeconds ?? 0) < 0 && n.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = o.terminationGracePeriodSeconds;
  const oldGates = new Set(arr(o.schedulingGates).map((g) => g.name));
  const added = arr(n.schedulingGates).find((g) => !oldGates.has(g.name));
  if (added) causes.push(fieldErrors.forbidden("spec.schedulingGates", `only deletion is allowed, but found new scheduling gate '${added.name}'`));
  else munged.schedulingGates = o.schedulingGates;
  for (const k of Object.keys(munged) as (keyof PodSpec)[]) if (munged[k] === undefined) delete munged[k];
  if (!stableEqual(munged, o)) causes.push(fieldErrors.forbidden("spec", `${UPDATABLE}\n${specDiff(o, munged, "spec")}`));
  return causes;
}

/** CheckGracefulDelete: unscheduled and finished pods go at once; others get their termination grace period. */
export function podGracePeriod(obj: KubeObject): number {
  const pod = obj as PodShape;
  if (!pod.spec?.nodeName) return 0;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return 0;
  const period = pod.spec.terminationGracePeriodSeconds ?? 30;
  return period < 0 ? 1 : period;
}

export const pods: ResourceDefinition = {
  group: "", version: "v1", kind: "Pod", plural: "pods", singular: "pod", shortNames: ["po"], categories: ["all"],
  namespaced: true,
  returnDeletedObject: true,
  status: true,
  subresources: ["binding", "eviction", "log", "exec", "attach", "portforward"],
  defaults(obj) {
    const pod = obj as PodShape;
    pod.spec ??= {} as PodSpec;
    defaultPod(pod.spec);
  },
  async prepareForCreate(obj, ctx) {
    const pod = obj as PodShape;
    const spec = (pod.spec ??= {} as PodSpec) as Mutable<PodSpec>;
    // ServiceAccount admission: every pod runs as some service account.
    spec.serviceAccountName ||= "default";
    spec.serviceAccount = spec.serviceAccountName;
    addDefaultTolerations(spec);
    await admitPriority(pod, ctx);
    pod.status = { phase: "Pending", qosClass: podQOSClass(spec) };
  },
  prepareForUpdate(obj, old) {
    const pod = obj as PodShape;
    const prev = (old as PodShape).spec ?? ({} as PodSpec);
    if (!pod.spec || typeof pod.spec !== "object") return;
    const spec = pod.spec as Mutable<PodSpec>;
    // What admission set on create and a client's PUT may leave out.
    spec.serviceAccountName ||= prev.serviceAccountName;
    if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
    if (spec.priority === undefined && prev.priority !== undefined) spec.priority = prev.priority;
    if (spec.preemptionPolicy === undefined && prev.preemptionPolicy !== undefined) spec.preemptionPolicy = prev.preemptionPolicy;
    addDefaultTolerations(spec);
  },
  validate: (obj) => validatePodSpec((obj as PodShape).spec, "spec"),
  validateUpdate: (obj, old) => validatePodSpecUpdate((obj as PodShape).spec, (old as PodShape).spec),
  selectableFields(obj) {
    const pod = obj as PodShape;
    const s = pod.spec;
    return {
      "spec.nodeName": s?.nodeName ?? "",
      "spec.restartPolicy": s?.restartPolicy ?? "",
      "spec.schedulerName": s?.schedulerName ?? "",
      "spec.serviceAccountName": s?.serviceAccountName ?? "",
      "spec.hostNetwork": String(s?.hostNetwork === true),
      "status.phase": pod.status?.phase ?? "",
      "status.podIP": pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP ?? "",
      "status.nominatedNodeName": pod.status?.nominatedNodeName ?? "",
    };
  },
  gracePeriodSeconds: podGracePeriod,
  columns: podColumns,
  noAgeColumn: true,
  cells: (obj, now) => podCells(obj, now),
};
