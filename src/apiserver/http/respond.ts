// Writing responses: objects and Status errors as JSON (or protobuf when negotiated), with the
// headers kube-apiserver sends (Content-Type, Audit-Id, Warning).
import type { ServerResponse } from "node:http";
import { StatusError, errors } from "../../apimachinery/status.ts";
import { undrained } from "./body.ts";
import { encodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from "../protobuf/index.ts";

export type ObjectEncoder = (obj: unknown) => Buffer;

export interface ResponseFormat {
  contentType: string;
  encode: ObjectEncoder;
}

export const JSON_FORMAT: ResponseFormat = {
  contentType: "application/json",
  encode: (obj) => Buffer.from(JSON.stringify(obj)),
};

/**
 * How the request's Accept header ranks protobuf, as client-go sends it (first listed wins):
 * "prefer" when protobuf comes before JSON or any wildcard, "only" when nothing else is listed.
 * Entries with `as=` (Table, PartialObjectMetadata) are not plain protobuf and are passed over.
 */
export function protobufPreference(accept: string | undefined): "only" | "prefer" | "no" {
  const types = (accept ?? "").split(",").map((t) => t.trim().toLowerCase()).filter((t) => t !== "");
  let first: "protobuf" | "other" | undefined;
  let onlyProtobuf = types.length > 0;
  for (const t of types) {
    const [media = "", ...params] = t.split(";").map((p) => p.trim());
    const isProtobuf = media === PROTOBUF_CONTENT_TYPE && !params.some((p) => p.startsWith("as="));
    if (!isProtobuf) onlyProtobuf = false;
    first ??= isProtobuf ? "protobuf" : "other";
  }
  return onlyProtobuf ? "only" : first === "protobuf" ? "prefer" : "no";
}

/**
 * Writes `body` in the given format; without one, negotiates: Kubernetes protobuf when the request
 * prefers it and the body encodes, else JSON — or 406 NotAcceptable when only protobuf was accepted
 * and the object (a Table, a custom resource) has no protobuf form.
 */
/**
 * JSON of objects shared from the watch cache, computed once per object (cached objects are never
 * mutated, so their text never changes); other objects are stringified as usual.
 */
const encodedJson = new WeakMap<object, string>();

export function jsonOf(obj: object): string {
  let text = encodedJson.get(obj);
  if (text === undefined) {
    text = JSON.stringify(obj);
    encodedJson.set(obj, text);
  }
  return text;
}

/** A list as JSON, its items spliced in from their cached text. */
export const LIST_JSON_FORMAT: ResponseFormat = {
  contentType: "application/json",
  encode: (body) => {
    const { items, ...rest } = body as { items: object[] };
    const head = JSON.stringify(rest);
    const parts = [head.slice(0, -1), head.length > 2 ? ',"items":[' : '"items":['];
    items.forEach((item, i) => parts.push(i === 0 ? jsonOf(item) : `,${jsonOf(item)}`));
    parts.push("]}");
    return Buffer.from(parts.join(""));
  },
};

export function send(res: ServerResponse, code: number, body: unknown, format?: ResponseFormat): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  let data: Buffer | null = null;
  let contentType = JSON_FORMAT.contentType;
  if (format) {
    data = format.encode(body);
    contentType = format.contentType;
  } else {
    const preference = protobufPreference(res.req?.headers.accept);
    if (preference !== "no") {
      data = encodeKubernetesProtobuf(body);
      if (data) contentType = PROTOBUF_CONTENT_TYPE;
      else if (preference === "only" && isKubernetesObject(body)) {
        const notAcceptable = errors.notAcceptable(`only the following media types are accepted: application/json, application/yaml, ${PROTOBUF_CONTENT_TYPE}`);
        return send(res, 406, notAcceptable.status, JSON_FORMAT);
      }
    }
    data ??= JSON_FORMAT.encode(body);
  }
  res.writeHead(code, { "Content-Type": contentType, "Content-Length": data.length, "Cache-Control": "no-cache, private" });
  res.end(data);
}

/** Adds a `Warning: 299 - "..."` header (fieldValidation=Warn, deprecations). */
export function addWarning(res: ServerResponse, message: string): void {
  const existing = res.getHeader("Warning");
  const value = `299 - ${JSON.stringify(message)}`;
  res.setHeader("Warning", existing ? ([] as string[]).concat(existing as string | string[], value) : value);
}

/** Any thrown error as a Kubernetes Status: StatusErrors as they are, anything else a 500. */
export function toStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  return errors.internal(err instanceof Error ? err.message : String(err));
}

function isKubernetesObject(body: unknown): boolean {
  return typeof body === "object" && body !== null && typeof (body as { kind?: unknown }).kind === "string";
}

export function sendError(res: ServerResponse, err: unknown, format?: ResponseFormat): StatusError {
  const status = toStatusError(err);
  // An oversized body left unread on the connection: close it rather than read on.
  if (status.code === 413 && !res.headersSent && res.req && undrained.has(res.req)) res.setHeader("Connection", "close");
  const retry = status.status.details?.retryAfterSeconds;
  if (retry !== undefined && !res.headersSent) res.setHeader("Retry-After", String(retry));
  send(res, status.code, status.status, format);
  return status;
}
