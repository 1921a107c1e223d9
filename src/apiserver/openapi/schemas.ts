// The generated component schemas (schemas.json, from scripts/gen-openapi-schemas.ts): loading,
// lookup by group-version-kind, reference closure, and the OpenAPI-v2-style view the strategic
// merge patch engine reads.
import { readFileSync } from "node:fs";

/** An OpenAPI schema object, kept as plain JSON. */
export type Schema = Record<string, unknown>;
export type SchemaMap = Readonly<Record<string, Schema>>;

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const V3_PREFIX = "#/components/schemas/";
const V2_PREFIX = "#/definitions/";
const GVK_EXTENSION = "x-kubernetes-group-version-kind";

let loaded: SchemaMap | undefined;

/**
 * The component schemas of every served group, keyed as Kubernetes names them
 * (`io.k8s.api.core.v1.Pod`), references as `#/components/schemas/<name>`. Parsed once; callers
 * must not mutate the result.
 */
export function componentSchemas(): SchemaMap {
  loaded ??= JSON.parse(readFileSync(new URL("./schemas.json", import.meta.url), "utf8")) as SchemaMap;
  return loaded;
}

const gvkIndexes = new WeakMap<SchemaMap, Map<string, string>>();

function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

function isGVK(value: unknown): value is GroupVersionKind {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.group === "string" && typeof v.version === "string" && typeof v.kind === "string";
}

/** The group-version-kinds a schema declares (the array-valued extension on top-level kinds). */
export function schemaGVKs(schema: Schema): GroupVersionKind[] {
  const ext = schema[GVK_EXTENSION];
  return Array.isArray(ext) ? ext.filter(isGVK) : [];
}

/**
 * The schema name of a kind (`schemaNameFor("apps/v1", "Deployment")` is
 * `io.k8s.api.apps.v1.Deployment`), or undefined when no schema declares that kind.
 */
export function schemaNameFor(apiVersion: string, kind: string, schemas: SchemaMap = componentSchemas()): string | undefined {
  let index = gvkIndexes.get(schemas);
  if (!index) {
    index = new Map();
    for (const [name, schema] of Object.entries(schemas)) {
      for (const gvk of schemaGVKs(schema)) index.set(gvkKey(gvk.group, gvk.version, gvk.kind), name);
    }
    gvkIndexes.set(schemas, index);
  }
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  return index.get(gvkKey(group, apiVersion.slice(slash + 1), kind));
}

/** Calls `visit` with every `$ref` string anywhere inside `value`. */
export function forEachRef(value: unknown, visit: (ref: string) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) forEachRef(item, visit);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === "$ref" && typeof item === "string") visit(item);
      else forEachRef(item, visit);
    }
  }
}

/**
 * The names of the schemas reachable from `roots` (themselves included) through `$ref`s.
 * Unknown names are skipped. The result is sorted.
 */
export function schemaClosure(roots: Iterable<string>, schemas: SchemaMap = componentSchemas()): string[] {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const name = stack.pop() as string;
    if (seen.has(name) || !schemas[name]) continue;
    seen.add(name);
    forEachRef(schemas[name], (ref) => {
      if (ref.startsWith(V3_PREFIX)) stack.push(ref.slice(V3_PREFIX.length));
    });
  }
  return [...seen].sort();
}

/** A v3 schema rewritten the way the v2 (swagger) documents spell it. */
function toV2(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toV2);
  if (typeof value !== "object" || value === null) return value;
  const src = value as Schema;
  // `{allOf: [{$ref}], description}` is how v3 attaches a description to a reference; v2 puts
  // the description beside a plain $ref.
  const allOf = src.allOf;
  const out: Schema = {};
  for (const [key, item] of Object.entries(src)) {
    if (key === "allOf" && Array.isArray(allOf) && allOf.length === 1) Object.assign(out, toV2(allOf[0]));
    else if (key === "$ref" && typeof item === "string") out.$ref = item.startsWith(V3_PREFIX) ? V2_PREFIX + item.slice(V3_PREFIX.length) : item;
    else out[key] = toV2(item);
  }
  // v2 has no oneOf: IntOrString and Quantity are strings there (with int-or-string format).
  if (Array.isArray(out.oneOf)) {
    delete out.oneOf;
    out.type = "string";
  }
  return out;
}

const v2Caches = new WeakMap<SchemaMap, Record<string, Schema>>();

/**
 * The schemas as OpenAPI v2 `definitions` (refs `#/definitions/<name>`, no `allOf` wrappers, no
 * `oneOf`), for `patchMetaFromOpenAPI(definitions, definitionName)`. Built once per schema map;
 * callers must not mutate it.
 */
export function definitionsForPatch(schemas: SchemaMap = componentSchemas()): Readonly<Record<string, Schema>> {
  let defs = v2Caches.get(schemas);
  if (!defs) {
    defs = {};
    for (const [name, schema] of Object.entries(schemas)) defs[name] = toV2(schema) as Schema;
    v2Caches.set(schemas, defs);
  }
  return defs;
}
