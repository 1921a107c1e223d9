// Request bodies: read with a size limit (413 above 3 MiB, as kube-apiserver) and decode by
// Content-Type (JSON, YAML; protobuf through a pluggable decoder).
import type { IncomingMessage } from "node:http";
import { parse as parseYaml } from "yaml";
import { errors } from "../../apimachinery/status.ts";
import { isPlainObject } from "../../apimachinery/object.ts";

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Most of an oversized body read and thrown away so the connection stays usable. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/** Requests whose oversized body was not drained: their connection must close after the reply. */
export const undrained = new WeakSet<IncomingMessage>();

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  const tooLarge = () => errors.tooLarge(`Request entity too large: limit is ${limit}`);
  if (declared > MAX_DRAIN_BYTES) {
    undrained.add(req);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_DRAIN_BYTES) {
      undrained.add(req);
      break;
    }
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw tooLarge();
  return Buffer.concat(chunks);
}

/** The media type without parameters, lower-cased ("application/json"). */
export function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

export type ProtobufDecoder = (body: Buffer) => unknown;

/** Decodes an object body; anything but a JSON/YAML object (or decodable protobuf) is a 400. */
export function decodeBody(body: Buffer, contentType: string | undefined, protobuf?: ProtobufDecoder): Record<string, unknown> {
  const type = mediaType(contentType);
  let value: unknown;
  if (type === "application/vnd.kubernetes.protobuf") {
    if (!protobuf) throw errors.unsupportedMediaType(type);
    value = protobuf(body);
    checkNesting(value);
  } else if (type === "application/yaml" || type === "application/apply-patch+yaml") {
    try {
      value = parseYaml(body.toString("utf8"), { maxAliasCount: 100 });
    } catch (err) {
      throw errors.badRequest(`error converting YAML to JSON: ${(err as Error).message.split("\n")[0]}`);
    }
    checkNesting(value);
  } else if (type === "" || type.endsWith("json")) {
    value = parseJson(body);
  } else {
    throw errors.unsupportedMediaType(type);
  }
  if (!isPlainObject(value)) throw errors.badRequest(`Object 'Kind' is missing in '${body.toString("utf8", 0, 200)}'`);
  return value;
}

/** Deeper than this is no Kubernetes object; refusing it keeps deep recursion out of the server. */
export const MAX_NESTING = 100;

export function parseJson(body: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  checkNesting(value);
  return value;
}

/** 400 when a value nests deeper than MAX_NESTING (iterative, so it cannot overflow itself). */
export function checkNesting(value: unknown): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > MAX_NESTING) throw errors.badRequest(`the request body nests deeper than ${MAX_NESTING} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
}
