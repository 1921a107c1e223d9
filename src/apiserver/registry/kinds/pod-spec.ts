// PodSpec and pod template validation as pkg/apis/core/validation (containers, ports, resources,
// volumes, tolerations, policies), plus the template rules every workload controller shares.
import type { Container, PodSpec, PodTemplateSpec, Toleration, Volume } from "kubernetes-types/core/v1.js";
import type { LabelSelector, StatusCause } from "kubernetes-types/meta/v1.js";
import { fieldErrors } from "../../../apimachinery/status.ts";
import { parseQuantity, tryParseQuantity } from "../../../apimachinery/quantity.ts";
import { labelSelectorAsSelector, matchesLabels } from "../../../apimachinery/labels.ts";
import {
  isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, regexError, validateAnnotations, validateLabelSelector, validateLabels,
} from "../../../apimachinery/validation.ts";
import { arr } from "./pod-defaults.ts";

export { arr };
export { defaultPod, defaultPodSpec, defaultPodTemplate, podQOSClass } from "./pod-defaults.ts";

/** field.NotFound. */
export const notFound = (field: string, value: unknown): StatusCause => ({ reason: "FieldValueNotFound", field, message: `Not found: ${JSON.stringify(value)}` });

export const PORT_RANGE_ERROR = "must be between 1 and 65535, inclusive";
export const NON_NEGATIVE = "must be greater than or equal to 0";
export const isValidPort = (p: unknown): boolean => typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535;

/** validation.IsValidPortName: an IANA_SVC_NAME. */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push("must be no more than 15 characters");
  if (!/^[-a-z0-9]+$/.test(name)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!/[a-z]/.test(name)) errs.push("must contain at least one letter (a-z)");
  if (name.includes("--")) errs.push("must not contain consecutive hyphens");
  if (name.startsWith("-") || name.endsWith("-")) errs.push("must not begin or end with a hyphen");
  return errs;
}

const dnsLabel = (value: string, field: string): StatusCause[] => isDNS1123Label(value).map((m) => fieldErrors.invalid(field, value, m));
const dnsSubdomain = (value: string, field: string): StatusCause[] => isDNS1123Subdomain(value).map((m) => fieldErrors.invalid(field, value, m));

const ENV_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const envNameError = regexError("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit", "[-._a-zA-Z][-._a-zA-Z0-9]*", "my.env-name", "MY_ENV.NAME", "MyEnvName1");

const STANDARD_CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);

function validateResources(c: Container, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const r = (c.resources ?? {}) as { limits?: Record<string, string>; requests?: Record<string, string> };
  const check = (list: Record<string, string> | undefined, kindPath: string) => {
    for (const [name, q] of Object.entries(list ?? {})) {
      const f = `${kindPath}[${name}]`;
      if (!name.includes("/") && !STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith("hugepages-")) {
        causes.push(fieldErrors.invalid(f, name, "must be a standard resource for containers"));
      }
      const parsed = tryParseQuantity(q);
      if (parsed && parsed.nanos < 0n) causes.push(fieldErrors.invalid(f, q, NON_NEGATIVE));
    }
  };
  check(r.limits, `${path}.limits`);
  check(r.requests, `${path}.requests`);
  for (const [name, q] of Object.entries(r.requests ?? {})) {
    const limit = r.limits?.[name];
    const req = tryParseQuantity(q);
    const lim = limit === undefined ? undefined : tryParseQuantity(limit);
    if (!req || !lim) continue;
    const overcommit = (!name.includes("/") || name.includes("kubernetes.io/")) && !name.startsWith("hugepages-");
    if (!overcommit && req.nanos !== lim.nanos) {
      causes.push(fieldErrors.invalid(`${path}.requests`, q, `must be equal to ${name} limit of ${limit}`));
    } else if (req.nanos > lim.nanos) {
      causes.push(fieldErrors.invalid(`${path}.requests`, q, `must be less than or equal to ${name} limit of ${limit}`));
    }
  }
  return causes;
}

function validatePorts(c: Container, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  arr(c.ports).forEach((port, i) => {
    const p = `${path}[${i}]`;
    if (port.name) {
      const errs = portNameErrors(port.name);
      if (errs.length > 0) for (const m of errs) causes.push(fieldErrors.invalid(`${p}.name`, port.name, m));
      else if (names.has(port.name)) causes.push(fieldErrors.duplicate(`${p}.name`, port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) causes.push(fieldErrors.required(`${p}.containerPort`));
    else if (!isValidPort(port.containerPort)) causes.push(fieldErrors.invalid(`${p}.containerPort`, port.containerPort, PORT_RANGE_ERROR));
    if (port.hostPort && !isValidPort(port.hostPort)) causes.push(fieldErrors.invalid(`${p}.hostPort`, port.hostPort, PORT_RANGE_ERROR));
    if (!port.protocol) causes.push(fieldErrors.required(`${p}.protocol`));
    else if (!["SCTP", "TCP", "UDP"].includes(port.protocol)) causes.push(fieldErrors.notSupported(`${p}.protocol`, port.protocol, ["SCTP", "TCP", "UDP"]));
  });
  return causes;
}

function validateProbe(probe: unknown, path: string): StatusCause[] {
  if (!probe || typeof probe !== "object") return [];
  const p = probe as Record<string, unknown>;
  const causes: StatusCause[] = [];
  const handlers = ["exec", "httpGet", "tcpSocket", "grpc"].filter((h) => p[h] !== undefined && p[h] !== null);
  if (handlers.length === 0) causes.push(fieldErrors.required(path, "must specify a handler type"));
  else if (handlers.length > 1) causes.push(fieldErrors.forbidden(`${path}.${handlers[1]}`, "may not specify more than 1 handler type"));
  for (const f of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"]) {
    const v = p[f];
    if (typeof v === "number" && v < 0) causes.push(fieldErrors.invalid(`${path}.${f}`, v, NON_NEGATIVE));
  }
  return causes;
}

function validateContainer(c: Container, path: string, volumes: Set<string>, init: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!c.name) causes.push(fieldErrors.required(`${path}.name`));
  else causes.push(...dnsLabel(c.name, `${path}.name`));
  if (!c.image) causes.push(fieldErrors.required(`${path}.image`));
  const pull = c.imagePullPolicy;
  if (!pull) causes.push(fieldErrors.required(`${path}.imagePullPolicy`));
  else if (!["Always", "IfNotPresent", "Never"].includes(pull)) causes.push(fieldErrors.notSupported(`${path}.imagePullPolicy`, pull, ["Always", "IfNotPresent", "Never"]));
  const tmp = c.terminationMessagePolicy;
  if (!tmp) causes.push(fieldErrors.required(`${path}.terminationMessagePolicy`));
  else if (tmp !== "File" && tmp !== "FallbackToLogsOnError") causes.push(fieldErrors.notSupported(`${path}.terminationMessagePolicy`, tmp, ["File", "FallbackToLogsOnError"]));
  const restartable = (c as { restartPolicy?: string }).restartPolicy;
  if (restartable !== undefined) {
    if (!init) causes.push(fieldErrors.forbidden(`${path}.restartPolicy`, "may not be set for non-init containers"));
    else if (restartable !== "Always") causes.push(fieldErrors.notSupported(`${path}.restartPolicy`, restartable, ["Always"]));
  }
  causes.push(...validatePorts(c, `${path}.ports`));
  arr(c.env).forEach((env, i) => {
    const p = `${path}.env[${i}]`;
    if (!env.name) causes.push(fieldErrors.required(`${p}.name`));
    else if (!ENV_NAME_RE.test(env.name)) causes.push(fieldErrors.invalid(`${p}.name`, env.name, envNameError));
  });
  const mountPaths = new Set<string>();
  arr(c.volumeMounts).forEach((m, i) => {
    const p = `${path}.volumeMounts[${i}]`;
    if (!m.name) causes.push(fieldErrors.required(`${p}.name`));
    else if (!volumes.has(m.name)) causes.push(notFound(`${p}.name`, m.name));
    if (!m.mountPath) causes.push(fieldErrors.required(`${p}.mountPath`));
    else if (mountPaths.has(m.mountPath)) causes.push(fieldErrors.invalid(`${p}.mountPath`, m.mountPath, "must be unique"));
    else mountPaths.add(m.mountPath);
  });
  causes.push(...validateResources(c, `${path}.resources`));
  const probes = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
  for (const probe of probes) {
    if (!c[probe]) continue;
    if (init && restartable !== "Always") causes.push(fieldErrors.forbidden(`${path}.${probe}`, "may not be set for init containers without restartPolicy=Always"));
    else causes.push(...validateProbe(c[probe], `${path}.${probe}`));
  }
  return causes;
}

const VOLUME_SOURCE_REQUIRED: Record<string, string> = { persistentVolumeClaim: "claimName", secret: "secretName", configMap: "name", hostPath: "path", nfs: "server" };

function validateVolumes(volumes: Volume[], path: string): { causes: StatusCause[]; names: Set<string> } {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const p = `${path}[${i}]`;
    if (!v.name) causes.push(fieldErrors.required(`${p}.name`));
    else if (names.has(v.name)) causes.push(fieldErrors.duplicate(`${p}.name`, v.name));
    else {
      causes.push(...dnsLabel(v.name, `${p}.name`));
      names.add(v.name);
    }
    const fields = v as unknown as Record<string, Record<string, unknown> | null | undefined>;
    const sources = Object.keys(v).filter((k) => k !== "name" && fields[k] != null);
    if (sources.length === 0) causes.push(fieldErrors.required(p, "must specify a volume type"));
    for (const extra of sources.slice(1)) causes.push(fieldErrors.forbidden(`${p}.${extra}`, "may not specify more than 1 volume type"));
    const source = sources[0];
    const required = source ? VOLUME_SOURCE_REQUIRED[source] : undefined;
    if (source && required && !fields[source]?.[required]) causes.push(fieldErrors.required(`${p}.${source}.${required}`));
  });
  return { causes, names };
}

function validateTolerations(tolerations: Toleration[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
  tolerations.forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (t.key) for (const m of isQualifiedName(t.key)) causes.push(fieldErrors.invalid(`${p}.key`, t.key, m));
    if (!t.key && t.operator !== "Exists") {
      causes.push(fieldErrors.invalid(`${p}.operator`, t.operator ?? "", "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== "NoExecute") {
      causes.push(fieldErrors.invalid(`${p}.effect`, t.effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? "") {
      case "":
      case "Equal":
        for (const m of isValidLabelValue(t.value ?? "")) causes.push(fieldErrors.invalid(`${p}.operator`, t, m));
        break;
      case "Exists":
        if (t.value) causes.push(fieldErrors.invalid(`${p}.operator`, t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        causes.push(fieldErrors.notSupported(`${p}.operator`, t.operator, ["Equal", "Exists"]));
    }
    if (t.effect && !effects.includes(t.effect)) causes.push(fieldErrors.notSupported(`${p}.effect`, t.effect, effects));
  });
  return causes;
}

/** ValidatePodSpec: every field error of a (defaulted) PodSpec at `path` ("spec", "spec.template.spec"). */
export function validatePodSpec(spec: PodSpec | undefined, path: string): StatusCause[] {
  const s = spec ?? ({} as PodSpec);
  const { causes, names: volumes } = validateVolumes(arr(s.volumes), `${path}.volumes`);
  const containers = arr(s.containers);
  if (containers.length === 0) causes.push(fieldErrors.required(`${path}.containers`));
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    causes.push(...validateContainer(c, `${path}.containers[${i}]`, volumes, false));
    if (c.name && seen.has(c.name)) causes.push(fieldErrors.duplicate(`${path}.containers[${i}].name`, c.name));
    if (c.name) seen.add(c.name);
  });
  arr(s.initContainers).forEach((c, i) => {
    causes.push(...validateContainer(c, `${path}.initContainers[${i}]`, volumes, true));
    if (c.name && seen.has(c.name)) causes.push(fieldErrors.duplicate(`${path}.initContainers[${i}].name`, c.name));
    if (c.name) seen.add(c.name);
  });
  const restart = s.restartPolicy;
  if (!restart) causes.push(fieldErrors.required(`${path}.restartPolicy`));
  else if (!["Always", "OnFailure", "Never"].includes(restart)) causes.push(fieldErrors.notSupported(`${path}.restartPolicy`, restart, ["Always", "OnFailure", "Never"]));
  const dns = s.dnsPolicy;
  const dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
  if (!dns) causes.push(fieldErrors.required(`${path}.dnsPolicy`));
  else if (!dnsPolicies.includes(dns)) causes.push(fieldErrors.notSupported(`${path}.dnsPolicy`, dns, dnsPolicies));
  else if (dns === "None" && !s.dnsConfig) causes.push(fieldErrors.required(`${path}.dnsConfig`, "must provide `dnsConfig` when `dnsPolicy` is None"));
  causes.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  if (s.serviceAccountName) causes.push(...dnsSubdomain(s.serviceAccountName, `${path}.serviceAccountName`));
  if (s.nodeName) causes.push(...dnsSubdomain(s.nodeName, `${path}.nodeName`));
  if (s.priorityClassName) causes.push(...dnsSubdomain(s.priorityClassName, `${path}.priorityClassName`));
  if (s.hostname) causes.push(...dnsLabel(s.hostname, `${path}.hostname`));
  if (s.subdomain) causes.push(...dnsLabel(s.subdomain, `${path}.subdomain`));
  const ads = s.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null && (ads < 1 || ads > 2147483647)) {
    causes.push(fieldErrors.invalid(`${path}.activeDeadlineSeconds`, ads, "must be between 1 and 2147483647, inclusive"));
  }
  causes.push(...validateTolerations(arr(s.tolerations), `${path}.tolerations`));
  return causes;
}

/** ValidatePodTemplateSpec: the template's labels and annotations, then its spec. */
export function validatePodTemplate(t: PodTemplateSpec | undefined, path: string): StatusCause[] {
  if (!t || typeof t !== "object") return [fieldErrors.required(path)];
  return [
    ...validateLabels(t.metadata?.labels, `${path}.metadata.labels`),
    ...validateAnnotations(t.metadata?.annotations, `${path}.metadata.annotations`),
    ...validatePodSpec(t.spec, `${path}.spec`),
  ];
}

/**
 * A workload's selector: present, valid and not empty ("empty selector is invalid for
 * deployment" — ReplicaSets say "deployment" too, as Kubernetes does).
 */
export function validateWorkloadSelector(selector: LabelSelector | undefined, path: string, kindWord: string): StatusCause[] {
  if (!selector) return [fieldErrors.required(path)];
  const causes = validateLabelSelector(selector, path);
  if (Object.keys(selector.matchLabels ?? {}).length + arr(selector.matchExpressions).length === 0) {
    causes.push(fieldErrors.invalid(path, selector, `empty selector is invalid for ${kindWord}`));
  }
  return causes;
}

/**
 * ValidatePodTemplateSpecForReplicaSet and its siblings: the selector must match the template's
 * labels, the pods restart Always and have no activeDeadlineSeconds.
 */
export function validateControllerTemplate(t: PodTemplateSpec | undefined, selector: LabelSelector | undefined, path: string, owner: string): StatusCause[] {
  if (!t || typeof t !== "object") return [fieldErrors.required(path)];
  const causes: StatusCause[] = [];
  if (selector && validateLabelSelector(selector, "").length === 0) {
    const sel = labelSelectorAsSelector(selector);
    if (sel.requirements.length > 0 && !matchesLabels(sel, t.metadata?.labels)) {
      causes.push(fieldErrors.invalid(`${path}.metadata.labels`, t.metadata?.labels ?? {}, "`selector` does not match template `labels`"));
    }
  }
  causes.push(...validatePodTemplate(t, path));
  const restart = t.spec?.restartPolicy;
  if (restart && restart !== "Always") causes.push(fieldErrors.notSupported(`${path}.spec.restartPolicy`, restart, ["Always"]));
  if (t.spec?.activeDeadlineSeconds !== undefined && t.spec?.activeDeadlineSeconds !== null) {
    causes.push(fieldErrors.forbidden(`${path}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${owner} is not Supported`));
  }
  return causes;
}

/** ValidateNonnegativeField for an optional integer. */
export function nonNegative(value: unknown, path: string): StatusCause[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== "number" || value < 0) return [fieldErrors.invalid(path, value, NON_NEGATIVE)];
  return [];
}

/** A quantity in nano-units, or undefined when it does not parse. */
export function quantityOf(q: unknown): bigint | undefined {
  if (typeof q !== "string" && typeof q !== "number") return undefined;
  try {
    return parseQuantity(q).nanos;
  } catch {
    return undefined;
  }
}
