// Deployment helpers (kubernetes/pkg/controller/deployment/util): annotation keys, the pod-template
// hash, maxSurge/maxUnavailable resolution, and pure queries over a deployment's ReplicaSets.
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";

export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas";
export const ROLLBACK_TO_ANNOTATION = "deprecated.deployment.rollback.to";
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";
/** The label that tells ReplicaSets (and their pods) of one deployment apart. */
export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";

/** Go's math.MaxInt32: a progressDeadlineSeconds of this value means "no deadline". */
const MAX_INT32 = 2147483647;

// --- the pod-template hash ---------------------------------------------------------------------

/** rand.SafeEncodeString's alphabet: no vowels (no words), no confusable 0/1/3. */
const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** Each character of `s` mapped into the safe alphabet (k8s.io/apimachinery rand.SafeEncodeString). */
export function safeEncodeString(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** FNV-1a, 32 bits, over bytes. */
export function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash >>> 0;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/** Absent as Go's typed decoding sees it: undefined, null, and empty objects and lists. */
const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : typeof v === "object" && Object.values(v as object).every(isEmpty));

/**
 * JSON with object keys sorted and empty values (null, {}, []) left out, so the same template
 * serialises the same way however a client spelt it (kubectl sends `creationTimestamp: null`).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => !isEmpty(v)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * controller.ComputeHash: FNV-32a of the template (here its canonical JSON, where Kubernetes
 * hashes Go's spew dump) plus the collision count as 8 little-endian bytes, rendered in decimal
 * and then through SafeEncodeString. Stable for equal templates; changes with any field.
 */
export function computeHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}

/** The template without the pod-template-hash label (and without an emptied labels map). */
function withoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(t ?? {});
  const labels = copy.metadata?.labels;
  if (labels && POD_TEMPLATE_HASH_LABEL in labels) {
    delete labels[POD_TEMPLATE_HASH_LABEL];
  }
  if (copy.metadata && labels && Object.keys(labels).length === 0) delete copy.metadata.labels;
  return copy;
}

/** EqualIgnoreHash: the templates are equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}

// --- maxSurge / maxUnavailable -----------------------------------------------------------------

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is; "N%" of `total`, rounded up or down.
 * Throws for a string that is not a percentage.
 */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * ResolveFenceposts: maxSurge rounds up, maxUnavailable rounds down; if both come to 0,
 * maxUnavailable is 1 (a rollout must be able to move).
 */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export const specReplicas = (o: { spec?: { replicas?: number } } | undefined | null): number => o?.spec?.replicas ?? 0;
export const desiredReplicas = (d: Deployment): number => d.spec?.replicas ?? 1;
export const isRollingUpdate = (d: Deployment): boolean => (d.spec?.strategy?.type ?? "RollingUpdate") === "RollingUpdate";

/** The resolved maxSurge of a rolling-update deployment (0 for Recreate). */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge ?? "25%", ru?.maxUnavailable ?? "25%", desiredReplicas(d)).surge;
}

/** The resolved maxUnavailable, never more than the desired replicas (0 for Recreate or 0 replicas). */
export function maxUnavailable(d: Deployment): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge ?? "25%", ru?.maxUnavailable ?? "25%", replicas);
  return Math.min(unavailable, replicas);
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== MAX_INT32;
}

// --- ReplicaSet queries ------------------------------------------------------------------------

const sum = (rss: readonly (ReplicaSet | undefined)[], f: (rs: ReplicaSet) => number): number =>
  rss.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);
/** Sum of spec.replicas. */
export const replicaCount = (rss: readonly (ReplicaSet | undefined)[]): number => sum(rss, specReplicas);
/** Sum of status.replicas (pods that exist). */
export const actualReplicaCount = (rss: readonly (ReplicaSet | undefined)[]): number => sum(rss, (rs) => rs.status?.replicas ?? 0);
export const readyReplicaCount = (rss: readonly (ReplicaSet | undefined)[]): number => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
export const availableReplicaCount = (rss: readonly (ReplicaSet | undefined)[]): number => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);

/** ReplicaSets asking for at least one pod. */
export const filterActive = (rss: readonly (ReplicaSet | undefined)[]): ReplicaSet[] =>
  rss.filter((rs): rs is ReplicaSet => !!rs && specReplicas(rs) > 0);

const created = (rs: ReplicaSet): string => rs.metadata?.creationTimestamp ?? "";
const nameOf = (rs: ReplicaSet): string => rs.metadata?.name ?? "";
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Oldest first; ties by name (controller.ReplicaSetsByCreationTimestamp). */
export const byCreation = (a: ReplicaSet, b: ReplicaSet): number => cmp(created(a), created(b)) || cmp(nameOf(a), nameOf(b));
/** Largest first, then newer first (ReplicaSetsBySizeNewer: where surplus is added). */
export const bySizeNewer = (a: ReplicaSet, b: ReplicaSet): number => specReplicas(b) - specReplicas(a) || -byCreation(a, b);
/** Largest first, then older first (ReplicaSetsBySizeOlder: where a reduction is taken). */
export const bySizeOlder = (a: ReplicaSet, b: ReplicaSet): number => specReplicas(b) - specReplicas(a) || byCreation(a, b);

/** The revision annotation as a number (0 when absent or invalid). */
export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number {
  const v = obj?.metadata?.annotations?.[REVISION_ANNOTATION];
  const n = v === undefined ? 0 : Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}
/** Lowest revision first, ties by creation (ReplicaSetsByRevision). */
export const byRevision = (a: ReplicaSet, b: ReplicaSet): number => revisionOf(a) - revisionOf(b) || byCreation(a, b);

/** FindNewReplicaSet: the oldest ReplicaSet whose template equals the deployment's (ignoring the hash). */
export function findNewReplicaSet(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Every ReplicaSet but the new one. */
export function findOldReplicaSets(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet[] {
  const newRS = findNewReplicaSet(d, rss);
  return rss.filter((rs) => rs !== newRS);
}

/** An integer annotation, or undefined. */
export function intAnnotation(obj: { metadata?: { annotations?: Record<string, string> } } | undefined, key: string): number | undefined {
  const v = obj?.metadata?.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** True when the desired/max replicas annotations differ from these values. */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** Sets the desired/max replicas annotations (mutates `rs`, a copy); true when something changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  const meta = (rs.metadata ??= {});
  const a = (meta.annotations ??= {});
  a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
  a[MAX_REPLICAS_ANNOTATION] = String(max);
  return true;
}

/** IsSaturated: the new ReplicaSet has, wants and makes available exactly the desired replicas. */
export function isSaturated(d: Deployment, newRS: ReplicaSet | undefined): boolean {
  if (!newRS) return false;
  const want = desiredReplicas(d);
  return specReplicas(newRS) === want && intAnnotation(newRS, DESIRED_REPLICAS_ANNOTATION) === want && (newRS.status?.availableReplicas ?? 0) === want;
}
