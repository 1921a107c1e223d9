// Writing responses: objects and Status errors as JSON (or protobuf when negotiated), with the
// headers kube-apiserver sends (Content-Type, Audit-Id, Warning).
import type { ServerResponse } from "node:http";
import { StatusError, errors } from "../../apimachinery/status.ts";
import { undrained } from "./body.ts";

export type ObjectEncoder = (obj: unknown) => Buffer;

export interface ResponseFormat {
  contentType: string;
  encode: ObjectEncoder;
}

export const JSON_FORMAT: ResponseFormat = {
  contentType: "application/json",
  encode: (obj) => Buffer.from(JSON.stringify(obj)),
};

export function send(res: ServerResponse, code: number, body: unknown, format: ResponseFormat = JSON_FORMAT): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const data = format.encode(body);
  res.writeHead(code, { "Content-Type": format.contentType, "Content-Length": data.length, "Cache-Control": "no-cache, private" });
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

export function sendError(res: ServerResponse, err: unknown, format: ResponseFormat = JSON_FORMAT): StatusError {
  const status = toStatusError(err);
  // An oversized body left unread on the connection: close it rather than read on.
  if (status.code === 413 && !res.headersSent && res.req && undrained.has(res.req)) res.setHeader("Connection", "close");
  const retry = status.status.details?.retryAfterSeconds;
  if (retry !== undefined && !res.headersSent) res.setHeader("Retry-After", String(retry));
  send(res, status.code, status.status, format);
  return status;
}
