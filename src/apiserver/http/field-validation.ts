// fieldValidation=Strict|Warn|Ignore: finds fields a body sets that the kind's schema does not
// declare, and rejects (400, "strict decoding error") or warns (Warning header) as Kubernetes does.
import type { ServerResponse } from "node:http";
import { errors } from "../../apimachinery/status.ts";
import { componentSchemas, schemaNameFor } from "../openapi/index.ts";
import type { Schema, SchemaMap } from "../openapi/index.ts";
import { addWarning } from "./respond.ts";
import { resolveSchema } from "../registry/schema-check.ts";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

const MAX_REPORTED = 20;

/** Paths ("spec.containers[0].foo") of fields `value` sets that `schema` does not declare. */
export function unknownFields(value: unknown, schema: Schema | undefined, schemas: SchemaMap, path = "", out: string[] = []): string[] {
  const s = resolveSchema(schema, schemas);
  if (!s || out.length >= MAX_REPORTED || s["x-kubernetes-preserve-unknown-fields"] || s.oneOf) return out;
  if (Array.isArray(value)) {
    if (s.items) value.forEach((item, i) => unknownFields(item, s.items as Schema, schemas, `${path}[${i}]`, out));
    return out;
  }
  if (typeof value !== "object" || value === null) return out;
  const props = s.properties as Record<string, Schema> | undefined;
  const additional = s.additionalProperties as Schema | boolean | undefined;
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith("$")) continue; // strategic-merge directives ($patch, $setElementOrder/…)
    const childPath = path ? `${path}.${key}` : key;
    if (props && key in props) unknownFields(child, props[key], schemas, childPath, out);
    else if (additional && typeof additional === "object") unknownFields(child, additional, schemas, childPath, out);
    else if (props && !additional) out.push(childPath);
    if (out.length >= MAX_REPORTED) break;
  }
  return out;
}

/** Applies the request's fieldValidation mode to a decoded body of `apiVersion`/`kind`. */
export function checkFields(body: unknown, apiVersion: string, kind: string, mode: FieldValidation, res: ServerResponse): void {
  if (mode === "Ignore") return;
  const schemas = componentSchemas();
  const name = schemaNameFor(apiVersion, kind, schemas);
  if (!name) return;
  const unknown = unknownFields(body, schemas[name], schemas);
  if (unknown.length === 0) return;
  if (mode === "Strict") {
    const list = unknown.map((f) => `unknown field "${f}"`).join(", ");
    throw errors.badRequest(`${kind} in version "${apiVersion.split("/").pop()}" cannot be handled as a ${kind}: strict decoding error: ${list}`);
  }
  for (const f of unknown) addWarning(res, `unknown field "${f}"`);
}
