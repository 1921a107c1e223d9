// Kubernetes API errors: a StatusError carries the `Status` object (reason, code, details with
// field causes) that the API server writes back, as apimachinery/pkg/api/errors does.
import type { Status, StatusCause } from "kubernetes-types/meta/v1.js";

export type StatusReason =
  | "BadRequest" | "Unauthorized" | "Forbidden" | "NotFound" | "AlreadyExists" | "Conflict" | "Gone"
  | "Invalid" | "Timeout" | "TooManyRequests" | "RequestEntityTooLarge" | "MethodNotAllowed"
  | "NotAcceptable" | "UnsupportedMediaType" | "InternalError" | "ServiceUnavailable" | "Expired";

/** What a resource is called in messages: plural resource with its group ("deployments.apps"). */
export interface ResourceRef {
  group?: string;
  resource: string;
  name?: string;
  kind?: string;
}

export class StatusError extends Error {
  readonly status: Status;
  constructor(code: number, reason: StatusReason, message: string, details?: Status["details"], retryAfterSeconds?: number) {
    super(message);
    this.name = "StatusError";
    const d = retryAfterSeconds !== undefined ? { ...details, retryAfterSeconds } : details;
    this.status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code, ...(d ? { details: d } : {}) };
  }
  get code(): number {
    return this.status.code!;
  }
  get reason(): StatusReason {
    return this.status.reason as StatusReason;
  }
}

const qualified = (r: ResourceRef) => (r.group ? `${r.resource}.${r.group}` : r.resource);
const details = (r: ResourceRef, name?: string) => ({ name: name ?? r.name, group: r.group || undefined, kind: r.resource });

export const errors = {
  notFound: (r: ResourceRef, name: string) => new StatusError(404, "NotFound", `${qualified(r)} "${name}" not found`, details(r, name)),
  alreadyExists: (r: ResourceRef, name: string) => new StatusError(409, "AlreadyExists", `${qualified(r)} "${name}" already exists`, details(r, name)),
  conflict: (r: ResourceRef, name: string, why: string) =>
    new StatusError(409, "Conflict", `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, details(r, name)),
  /** 422 with one cause per field error; `kind` is the object's Kind ("Pod"). */
  invalid: (kind: string, group: string | undefined, name: string, causes: StatusCause[]) =>
    new StatusError(422, "Invalid", `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${causesMessage(causes)}`, {
      name, group: group || undefined, kind, causes,
    }),
  badRequest: (message: string) => new StatusError(400, "BadRequest", message),
  gone: (message: string) => new StatusError(410, "Expired", message),
  unauthorized: (message = "Unauthorized") => new StatusError(401, "Unauthorized", message),
  forbidden: (r: ResourceRef, name: string, why: string) =>
    new StatusError(403, "Forbidden", `${qualified(r)} "${name}" is forbidden: ${why}`, details(r, name)),
  tooManyRequests: (message: string, retryAfterSeconds: number) => new StatusError(429, "TooManyRequests", message, {}, retryAfterSeconds),
  tooLarge: (message: string) => new StatusError(413, "RequestEntityTooLarge", message),
  methodNotAllowed: (message: string) => new StatusError(405, "MethodNotAllowed", message),
  notAcceptable: (message: string) => new StatusError(406, "NotAcceptable", message),
  unsupportedMediaType: (contentType: string) => new StatusError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${contentType})`),
  internal: (message: string) => new StatusError(500, "InternalError", `Internal error occurred: ${message}`),
  unavailable: (message: string) => new StatusError(503, "ServiceUnavailable", message),
  timeout: (message: string) => new StatusError(504, "Timeout", message),
};

/** "spec.x: Required value, spec.y: Invalid value: ..." — with brackets for several causes, as Kubernetes prints them. */
function causesMessage(causes: StatusCause[]): string {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message ?? ""));
  return parts.length === 1 ? parts[0]! : `[${parts.join(", ")}]`;
}

/** Field error constructors, with Kubernetes' cause reasons and message shapes. */
export const fieldErrors = {
  required: (field: string, detail = ""): StatusCause => ({ reason: "FieldValueRequired", field, message: detail ? `Required value: ${detail}` : "Required value" }),
  invalid: (field: string, value: unknown, detail: string): StatusCause => ({
    reason: "FieldValueInvalid", field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  }),
  notSupported: (field: string, value: unknown, supported: string[]): StatusCause => ({
    reason: "FieldValueNotSupported", field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(", ")}`,
  }),
  duplicate: (field: string, value: unknown): StatusCause => ({ reason: "FieldValueDuplicate", field, message: `Duplicate value: ${JSON.stringify(value)}` }),
  forbidden: (field: string, detail: string): StatusCause => ({ reason: "FieldValueForbidden", field, message: `Forbidden: ${detail}` }),
  tooLong: (field: string, max: number): StatusCause => ({ reason: "FieldValueTooLong", field, message: `Too long: may not be more than ${max} bytes` }),
  immutable: (field: string): StatusCause => ({ reason: "FieldValueInvalid", field, message: "Invalid value: field is immutable" }),
  unknownField: (field: string): StatusCause => ({ reason: "FieldValueInvalid", field, message: `unknown field "${field}"` }),
};

export function isStatusError(err: unknown, reason?: StatusReason): err is StatusError {
  return err instanceof StatusError && (reason === undefined || err.reason === reason);
}
