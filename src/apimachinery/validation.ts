// Name, label and ObjectMeta validation with Kubernetes' exact messages (apimachinery's
// util/validation, api/validate/content and api/validation/objectmeta.go).
import type { LabelSelector, ObjectMeta, OwnerReference } from "kubernetes-types/meta/v1.js";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import { fieldErrors } from "./status.ts";

/** Checks a name (or, with `prefix`, a generateName prefix) and returns Kubernetes' messages. */
export type NameValidator = (name: string, prefix: boolean) => string[];

const byteLength = (s: string): number => Buffer.byteLength(s, "utf8");

export const maxLenError = (length: number): string => `must be no more than ${length} characters`;
const maxBytesError = (length: number): string => `must be no more than ${length} bytes`;
const emptyError = "must be non-empty";

/** "msg (e.g. 'a',  or 'b', regex used for validation is 're')" — the odd spacing is Kubernetes'. */
export function regexError(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  const shown = examples.map((e, i) => `${i > 0 ? " or " : ""}'${e}', `).join("");
  return `${msg} (e.g. ${shown}regex used for validation is '${re}')`;
}

const dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenError(63));
  if (!dns1123LabelRe.test(value)) {
    if (dns1123SubdomainRe.test(value)) errs.push("must not contain dots");
    else errs.push(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", dns1123LabelFmt, "my-name", "123-abc"));
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push(maxLenError(253));
  if (!dns1123SubdomainRe.test(value)) {
    errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", dns1123SubdomainFmt, "example.com"));
  }
  return errs;
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenError(63));
  if (!dns1035LabelRe.test(value)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", dns1035LabelFmt, "my-name", "abc-123"));
  }
  return errs;
}

const qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const qualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);

/** A label/annotation key or finalizer: optional DNS-subdomain prefix, "/", name of at most 63 bytes. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push(`prefix part ${emptyError}`);
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [`a valid label key ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push(`name part ${emptyError}`);
  else if (byteLength(name) > 63) errs.push(`name part ${maxBytesError(63)}`);
  if (!qualifiedNameRe.test(name)) errs.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")}`);
  return errs;
}

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueRe = new RegExp(`^${labelValueFmt}$`);

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxBytesError(63));
  if (!labelValueRe.test(value)) {
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", labelValueFmt, "MyValue", "my_value", "12345"));
  }
  return errs;
}

/** A generateName prefix may end in "-": validate it as if that were a letter. */
const maskTrailingDash = (name: string): string => (name.length > 1 && name.endsWith("-") ? `${name.slice(0, -2)}a` : name);

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
/** Namespaces are DNS labels. */
export const validateNamespaceName: NameValidator = nameIsDNSLabel;

export const totalAnnotationSizeLimitBytes = 256 * 1024;

export function validateLabels(labels: Record<string, string> | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) causes.push(fieldErrors.invalid(field, k, msg));
    for (const msg of isValidLabelValue(String(v))) causes.push(fieldErrors.invalid(field, v, msg));
  }
  return causes;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) causes.push(fieldErrors.invalid(field, k, msg));
    total += byteLength(k) + byteLength(String(v));
  }
  if (total > totalAnnotationSizeLimitBytes) causes.push(fieldErrors.tooLong(field, totalAnnotationSizeLimitBytes));
  return causes;
}

/** Splits "group/version" as schema.ParseGroupVersion does; undefined when malformed. */
function parseGroupVersion(apiVersion: string): { group: string; version: string } | undefined {
  const parts = apiVersion.split("/");
  if (parts.length === 1) return { group: "", version: parts[0]! };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return undefined;
}

export function validateOwnerReferences(refs: OwnerReference[] | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  let firstController = "";
  (refs ?? []).forEach((ref, i) => {
    const path = `${field}[${i}]`;
    const gv = parseGroupVersion(ref.apiVersion ?? "");
    if (!ref.apiVersion) causes.push(fieldErrors.required(`${path}.apiVersion`, "must not be empty"));
    else if (!gv || !gv.version) causes.push(fieldErrors.invalid(`${path}.apiVersion`, ref.apiVersion, "must be <group>/<version> or <version>"));
    if (!ref.kind) causes.push(fieldErrors.required(`${path}.kind`, "must not be empty"));
    if (!ref.name) causes.push(fieldErrors.required(`${path}.name`, "must not be empty"));
    if (!ref.uid) causes.push(fieldErrors.required(`${path}.uid`, "must not be empty"));
    if (gv && gv.group === "" && gv.version === "v1" && ref.kind === "Event") {
      causes.push(fieldErrors.invalid(path, ref, "/v1, Kind=Event is disallowed from being an owner"));
    }
    if (ref.controller === true) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController) {
        causes.push(fieldErrors.invalid(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`));
      } else {
        firstController = current;
      }
    }
  });
  return causes;
}

export function validateFinalizers(finalizers: string[] | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const f of finalizers ?? []) {
    for (const msg of isQualifiedName(f)) causes.push(fieldErrors.invalid(field, f, msg));
  }
  if (finalizers?.includes("orphan") && finalizers.includes("foregroundDeletion")) {
    causes.push(fieldErrors.invalid(field, finalizers, "finalizer orphan and foregroundDeletion cannot be both set"));
  }
  return causes;
}

export interface ObjectMetaOptions {
  /** Whether the kind lives in a namespace (metadata.namespace required) or is cluster-scoped (forbidden). */
  namespaced: boolean;
  /** Rule for metadata.name and generateName; most kinds use nameIsDNSSubdomain. */
  nameValidator: NameValidator;
  /** Path prefix of the metadata in messages; "metadata" unless nested (a template's metadata). */
  field?: string;
}

/** ValidateObjectMeta for create: every problem with the metadata, as field causes (empty = valid). */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: ObjectMetaOptions): StatusCause[] {
  const m = meta ?? {};
  const f = opts.field ?? "metadata";
  const causes: StatusCause[] = [];
  if (m.generateName) {
    for (const msg of opts.nameValidator(m.generateName, true)) causes.push(fieldErrors.invalid(`${f}.generateName`, m.generateName, msg));
  }
  if (!m.name) causes.push(fieldErrors.required(`${f}.name`, "name or generateName is required"));
  else for (const msg of opts.nameValidator(m.name, false)) causes.push(fieldErrors.invalid(`${f}.name`, m.name, msg));
  if (opts.namespaced) {
    if (!m.namespace) causes.push(fieldErrors.required(`${f}.namespace`));
    else for (const msg of validateNamespaceName(m.namespace, false)) causes.push(fieldErrors.invalid(`${f}.namespace`, m.namespace, msg));
  } else if (m.namespace) {
    causes.push(fieldErrors.forbidden(`${f}.namespace`, "not allowed on this type"));
  }
  causes.push(...validateCommon(m, f));
  causes.push(...validateFinalizers(m.finalizers, `${f}.finalizers`));
  return causes;
}

function validateCommon(m: ObjectMeta, f: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (m.generation !== undefined && m.generation < 0) causes.push(fieldErrors.invalid(`${f}.generation`, m.generation, "must be greater than or equal to 0"));
  causes.push(...validateLabels(m.labels, `${f}.labels`));
  causes.push(...validateAnnotations(m.annotations, `${f}.annotations`));
  causes.push(...validateOwnerReferences(m.ownerReferences, `${f}.ownerReferences`));
  return causes;
}

/** ValidateObjectMetaUpdate: immutable identity fields, resourceVersion present, no new finalizers while deleting. */
export function validateObjectMetaUpdate(newMeta: ObjectMeta | undefined, oldMeta: ObjectMeta | undefined, field = "metadata"): StatusCause[] {
  const n = newMeta ?? {};
  const o = oldMeta ?? {};
  const causes: StatusCause[] = [];
  if (o.deletionTimestamp) {
    const old = new Set(o.finalizers ?? []);
    const extra = [...new Set((n.finalizers ?? []).filter((x) => !old.has(x)))].sort();
    if (extra.length > 0) {
      const shown = `[]string{${extra.map((x) => JSON.stringify(x)).join(", ")}}`;
      causes.push(fieldErrors.forbidden(`${field}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers ${shown}`));
    }
  }
  if (!n.resourceVersion) causes.push(fieldErrors.invalid(`${field}.resourceVersion`, n.resourceVersion ?? "", "must be specified for an update"));
  if (n.generation !== undefined && n.generation < 0) causes.push(fieldErrors.invalid(`${field}.generation`, n.generation, "must be greater than or equal to 0"));
  if ((n.generation ?? 0) < (o.generation ?? 0)) causes.push(fieldErrors.invalid(`${field}.generation`, n.generation ?? 0, "must not be decremented"));
  const immutable = ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"] as const;
  for (const key of immutable) {
    const nv = n[key] ?? (key === "name" || key === "namespace" || key === "uid" ? "" : null);
    const ov = o[key] ?? (key === "name" || key === "namespace" || key === "uid" ? "" : null);
    if (nv !== ov) causes.push(fieldErrors.invalid(`${field}.${key}`, nv, "field is immutable"));
  }
  causes.push(...validateLabels(n.labels, `${field}.labels`));
  causes.push(...validateAnnotations(n.annotations, `${field}.annotations`));
  causes.push(...validateOwnerReferences(n.ownerReferences, `${field}.ownerReferences`));
  return causes;
}

/** metav1validation.ValidateLabelSelector: operators, values and keys of an API LabelSelector. */
export function validateLabelSelector(ps: LabelSelector | null | undefined, field: string): StatusCause[] {
  if (!ps) return [];
  const causes = validateLabels(ps.matchLabels, `${field}.matchLabels`);
  (ps.matchExpressions ?? []).forEach((expr, i) => {
    const path = `${field}.matchExpressions[${i}]`;
    const values = expr.values ?? [];
    switch (expr.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) causes.push(fieldErrors.required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) causes.push(fieldErrors.forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        causes.push(fieldErrors.invalid(`${path}.operator`, expr.operator, "not a valid selector operator"));
    }
    for (const msg of isQualifiedName(expr.key)) causes.push(fieldErrors.invalid(`${path}.key`, expr.key, msg));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(v)) causes.push(fieldErrors.invalid(`${path}.values[${j}]`, v, msg));
    });
  });
  return causes;
}
