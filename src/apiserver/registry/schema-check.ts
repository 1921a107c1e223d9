// Type checks of incoming objects against the served OpenAPI schemas: what Go's JSON decoder
// rejects in kube-apiserver (a string where a list belongs…) is a 400 here too, before any
// kind-specific code sees the object.
import { errors } from "../../apimachinery/status.ts";
import { componentSchemas, schemaNameFor } from "../openapi/index.ts";
import type { Schema, SchemaMap } from "../openapi/index.ts";

const MAX_ERRORS = 10;

export function resolveSchema(schema: Schema | undefined, schemas: SchemaMap): Schema | undefined {
  let s = schema;
  for (let i = 0; s && i < 10; i++) {
    const ref = (s.$ref as string | undefined) ?? ((s.allOf as Schema[] | undefined)?.[0]?.$ref as string | undefined);
    if (!ref) return s;
    s = schemas[ref.slice(ref.lastIndexOf("/") + 1)];
  }
  return s;
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return "number";
  return typeof value;
}

function fits(value: unknown, type: string): boolean {
  switch (type) {
    case "string": return typeof value === "string";
    case "integer": return typeof value === "number" && Number.isInteger(value);
    case "number": return typeof value === "number";
    case "boolean": return typeof value === "boolean";
    case "array": return Array.isArray(value);
    case "object": return typeof value === "object" && !Array.isArray(value);
    default: return true;
  }
}

/** "<path>: expected <type>, got <json type>" for each mismatch (null is allowed anywhere). */
export function typeErrors(value: unknown, schema: Schema | undefined, schemas: SchemaMap, path = "", out: string[] = []): string[] {
  if (value === null || value === undefined || out.length >= MAX_ERRORS) return out;
  const s = resolveSchema(schema, schemas);
  if (!s || s["x-kubernetes-preserve-unknown-fields"]) return out;
  if (s.oneOf) {
    const options = (s.oneOf as Schema[]).map((o) => o.type as string);
    if (!options.some((t) => fits(value, t))) out.push(`${path || "."}: expected ${options.join(" or ")}, got ${jsonType(value)}`);
    return out;
  }
  const type = s.type as string | undefined;
  if (type && !fits(value, type)) {
    out.push(`${path || "."}: expected ${type}, got ${jsonType(value)}`);
    return out;
  }
  if (Array.isArray(value)) {
    if (s.items) {
      value.forEach((item, i) => {
        // A null list item would be a zero-valued struct in Go; here it is simply refused.
        if (item === null) out.push(`${path}[${i}]: expected a value, got null`);
        else typeErrors(item, s.items as Schema, schemas, `${path}[${i}]`, out);
      });
    }
  } else if (typeof value === "object") {
    const props = s.properties as Record<string, Schema> | undefined;
    const additional = s.additionalProperties as Schema | boolean | undefined;
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childPath = path ? `${path}.${key}` : key;
      if (props && key in props) typeErrors(child, props[key], schemas, childPath, out);
      else if (additional && typeof additional === "object") typeErrors(child, additional, schemas, childPath, out);
      if (out.length >= MAX_ERRORS) break;
    }
  }
  return out;
}

/** Throws 400 when `obj` does not fit the schema of apiVersion/kind (kinds without one pass). */
export function assertWellTyped(obj: unknown, apiVersion: string, kind: string): void {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw errors.badRequest(`${kind} in version "${apiVersion}" cannot be handled as a ${kind}: the body is not an object`);
  const schemas = componentSchemas();
  const name = schemaNameFor(apiVersion, kind, schemas);
  const found = name ? typeErrors(obj, schemas[name], schemas) : [];
  const meta = (obj as { metadata?: unknown }).metadata;
  if (!name && meta !== undefined && meta !== null && (typeof meta !== "object" || Array.isArray(meta))) found.push(`metadata: expected object, got ${jsonType(meta)}`);
  if (found.length > 0) {
    const version = apiVersion.slice(apiVersion.indexOf("/") + 1);
    throw errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${found.join("; ")}`);
  }
}

/**
 * Drops fields the schema does not declare, as kube-apiserver's typed decoding does for built-in
 * kinds (with fieldValidation Strict the request was refused before this). Returns what went.
 */
export function pruneUnknownFields(obj: unknown, apiVersion: string, kind: string): string[] {
  const schemas = componentSchemas();
  const name = schemaNameFor(apiVersion, kind, schemas);
  const removed: string[] = [];
  if (name) prune(obj, schemas[name], schemas, "", removed);
  return removed;
}

function prune(value: unknown, schema: Schema | undefined, schemas: SchemaMap, path: string, removed: string[]): void {
  const s = resolveSchema(schema, schemas);
  if (!s || s["x-kubernetes-preserve-unknown-fields"] || s.oneOf || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    if (s.items) value.forEach((item, i) => prune(item, s.items as Schema, schemas, `${path}[${i}]`, removed));
    return;
  }
  const props = s.properties as Record<string, Schema> | undefined;
  const additional = s.additionalProperties as Schema | boolean | undefined;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const childPath = path ? `${path}.${key}` : key;
    if (props && key in props) prune(record[key], props[key], schemas, childPath, removed);
    else if (additional && typeof additional === "object") prune(record[key], additional, schemas, childPath, removed);
    else if (props && !additional) {
      delete record[key];
      removed.push(childPath);
    }
  }
}
