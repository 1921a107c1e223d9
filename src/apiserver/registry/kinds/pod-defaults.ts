// PodSpec defaulting as pkg/apis/core/v1/defaults.go (shared by Pods and every pod template), the
// quantity round trip the API server's decoding does, and the Pod's QoS class (pkg/apis/core/helper/qos).
import type { Container, PodSpec, PodTemplateSpec, Probe, Volume } from "kubernetes-types/core/v1.js";
import { canonicalizeQuantity, parseQuantity } from "../../../apimachinery/quantity.ts";
import { errors, isStatusError } from "../../../apimachinery/status.ts";
import type { Mutable } from "../../../apimachinery/object.ts";

export type QOSClass = "Guaranteed" | "Burstable" | "BestEffort";

type ResourceList = Record<string, string | number>;
type MContainer = Omit<Mutable<Container>, "resources"> & { resources?: { limits?: ResourceList; requests?: ResourceList; claims?: unknown[] } };

/** `x` as an array, or an empty one (wrongly typed input is left to validation). */
export const arr = <T>(x: readonly T[] | undefined | null): T[] => (Array.isArray(x) ? (x as T[]) : []);

/** The image's tag as parsers.ParseImageName sees it: "latest" when there is neither tag nor digest. */
export function imageTag(image: string): string {
  if (!image) return "";
  let rest = image;
  const at = rest.indexOf("@");
  const digest = at >= 0;
  if (digest) rest = rest.slice(0, at);
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > slash) return rest.slice(colon + 1);
  return digest ? "" : "latest";
}

/** Always for ":latest" or an untagged image, else IfNotPresent. */
export const defaultPullPolicy = (image: string): "Always" | "IfNotPresent" => (imageTag(image) === "latest" ? "Always" : "IfNotPresent");

/**
 * A resource list with each quantity in Kubernetes' canonical form ("1000m" → "1"); a value that
 * does not parse fails the whole request with 400, as the API server's decoder does.
 */
export function canonicalList(list: ResourceList | undefined, kind: string): ResourceList | undefined {
  if (!list || typeof list !== "object") return list;
  const out: ResourceList = {};
  for (const [name, q] of Object.entries(list)) {
    try {
      out[name] = canonicalizeQuantity(q);
    } catch (err) {
      if (!isStatusError(err)) throw err;
      throw errors.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${err.message}`);
    }
  }
  return out;
}

function defaultProbe(p: Probe | undefined): void {
  if (!p || typeof p !== "object") return;
  const probe = p as Mutable<Probe>;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.httpGet) {
    const h = probe.httpGet as Mutable<NonNullable<Probe["httpGet"]>>;
    if (!h.path) h.path = "/";
    h.scheme ??= "HTTP";
  }
}

function defaultContainer(c: MContainer, kind: string): void {
  if (!c || typeof c !== "object") return;
  c.terminationMessagePath ??= "/dev/termination-log";
  c.terminationMessagePolicy ??= "File";
  c.imagePullPolicy ??= defaultPullPolicy(c.image ?? "");
  c.resources ??= {};
  c.resources.limits = canonicalList(c.resources.limits, kind);
  c.resources.requests = canonicalList(c.resources.requests, kind);
  if (c.resources.limits === undefined) delete c.resources.limits;
  if (c.resources.requests === undefined) delete c.resources.requests;
  for (const port of arr(c.ports)) (port as Mutable<typeof port>).protocol ??= "TCP";
  for (const env of arr(c.env)) {
    const ref = env.valueFrom?.fieldRef as { apiVersion?: string } | undefined;
    if (ref && !ref.apiVersion) ref.apiVersion = "v1";
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

const FILE_MODE_DEFAULT = 0o644;

function defaultVolume(v: Mutable<Volume>): void {
  if (!v || typeof v !== "object") return;
  const sources = Object.keys(v).filter((k) => k !== "name");
  if (sources.length === 0) v.emptyDir = {};
  if (v.secret) (v.secret as { defaultMode?: number }).defaultMode ??= FILE_MODE_DEFAULT;
  if (v.configMap) (v.configMap as { defaultMode?: number }).defaultMode ??= FILE_MODE_DEFAULT;
  if (v.projected) (v.projected as { defaultMode?: number }).defaultMode ??= FILE_MODE_DEFAULT;
  if (v.downwardAPI) {
    (v.downwardAPI as { defaultMode?: number }).defaultMode ??= FILE_MODE_DEFAULT;
    for (const item of arr(v.downwardAPI.items)) {
      const ref = item.fieldRef as { apiVersion?: string } | undefined;
      if (ref && !ref.apiVersion) ref.apiVersion = "v1";
    }
  }
  if (v.hostPath) (v.hostPath as { type?: string }).type ??= "";
}

/**
 * SetDefaults_PodSpec and everything nested in it: restart/DNS policy, scheduler, security
 * context, grace period, container and volume defaults. `kind` names the object in decode errors.
 */
export function defaultPodSpec(s: PodSpec | undefined, kind = "Pod"): void {
  if (!s || typeof s !== "object") return;
  const spec = s as Mutable<PodSpec>;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.restartPolicy ??= "Always";
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= "default-scheduler";
  // serviceAccount is the deprecated alias of serviceAccountName; the API server keeps them equal.
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  for (const c of [...arr(spec.initContainers), ...arr(spec.containers)]) {
    defaultContainer(c as MContainer, kind);
    if (spec.hostNetwork) {
      for (const port of arr(c.ports)) if (!port.hostPort) (port as Mutable<typeof port>).hostPort = port.containerPort;
    }
  }
  for (const v of arr(spec.volumes)) defaultVolume(v as Mutable<Volume>);
}

/** A template's spec gets the PodSpec defaults (not the Pod-only ones). */
export function defaultPodTemplate(template: PodTemplateSpec | undefined, kind: string): void {
  if (template && typeof template === "object") defaultPodSpec(template.spec, kind);
}

/** SetDefaults_Pod: the Pod-only defaults on top of the PodSpec ones (requests from limits, service links). */
export function defaultPod(spec: PodSpec | undefined): void {
  if (!spec || typeof spec !== "object") return;
  defaultPodSpec(spec, "Pod");
  (spec as Mutable<PodSpec>).enableServiceLinks ??= true;
  for (const c of [...arr(spec.initContainers), ...arr(spec.containers)]) {
    const r = (c as MContainer).resources;
    if (!r?.limits) continue;
    r.requests ??= {};
    for (const [name, q] of Object.entries(r.limits)) if (!(name in r.requests)) r.requests[name] = q;
  }
}

/** qos.GetPodQOS over regular and init containers, counting cpu and memory only. */
export function podQOSClass(spec: PodSpec | undefined): QOSClass {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const add = (m: Map<string, bigint>, name: string, q: string | number): boolean => {
    let nanos: bigint;
    try {
      nanos = parseQuantity(q).nanos;
    } catch {
      return false;
    }
    if (nanos <= 0n) return false;
    m.set(name, (m.get(name) ?? 0n) + nanos);
    return true;
  };
  for (const c of [...arr(spec?.containers), ...arr(spec?.initContainers)]) {
    const r = (c as MContainer).resources ?? {};
    for (const [name, q] of Object.entries(r.requests ?? {})) if (name === "cpu" || name === "memory") add(requests, name, q);
    const found = new Set<string>();
    for (const [name, q] of Object.entries(r.limits ?? {})) if ((name === "cpu" || name === "memory") && add(limits, name, q)) found.add(name);
    if (!found.has("cpu") || !found.has("memory")) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}
