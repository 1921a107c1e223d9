// The structure server-side apply needs from the OpenAPI schemas, as kube-openapi's schemaconv
// derives it: which lists are atomic, sets or maps keyed by fields, which objects are atomic,
// granular maps or structs. Kinds without a schema are "deduced" (maps granular, lists atomic).
import { componentSchemas, schemaNameFor } from "../openapi/index.ts";
import type { Schema } from "../openapi/index.ts";

export type ScalarType = "string" | "numeric" | "boolean" | "untyped";

export interface ListType {
  atomic: boolean;
  /** Key fields of an associative list of objects (list-type map); empty for sets. */
  keys: readonly string[];
  elem: TypeRef;
}

export interface MapType {
  atomic: boolean;
  /** Struct fields (OpenAPI properties). */
  fields: ReadonlyMap<string, TypeRef>;
  /** Type of other keys; null when the struct allows no other fields. */
  elem: TypeRef | null;
  /** Schema defaults of fields (used for missing list-map keys). */
  defaults: ReadonlyMap<string, unknown>;
  /** Fields the schema lists as required (Go fields without omitempty). */
  required: ReadonlySet<string>;
}

/** One type; a value picks the part matching its own shape (an int-or-string may be either). */
export interface Atom {
  scalar?: ScalarType;
  list?: ListType;
  map?: MapType;
}

export class TypeRef {
  private atom: Atom | undefined;
  private readonly build: () => Atom;
  constructor(build: () => Atom) {
    this.build = build;
  }
  resolve(): Atom {
    this.atom ??= this.build();
    return this.atom;
  }
}

const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension";

/**
 * Defaults Kubernetes declares with `+default` that the served schemas do not carry; SMD uses
 * them for list-map keys left out of an item (a container port without `protocol` is TCP).
 */
const KEY_DEFAULTS: Record<string, Record<string, unknown>> = {
  "io.k8s.api.core.v1.ContainerPort": { protocol: "TCP" },
  "io.k8s.api.core.v1.ServicePort": { protocol: "TCP" },
};

const emptyFields: ReadonlyMap<string, TypeRef> = new Map();

/** Any value: a scalar, an atomic list or an atomic map. */
export const untypedAtomic: TypeRef = new TypeRef(() => ({
  scalar: "untyped",
  list: { atomic: true, keys: [], elem: untypedAtomic },
  map: { atomic: true, fields: emptyFields, elem: untypedAtomic, defaults: new Map(), required: new Set() },
}));

/** Any value: a scalar, an atomic list or a granular map of deduced values. */
export const deduced: TypeRef = new TypeRef(() => ({
  scalar: "untyped",
  list: { atomic: true, keys: [], elem: untypedAtomic },
  map: { atomic: false, fields: emptyFields, elem: deduced, defaults: new Map(), required: new Set() },
}));

const named = new Map<string, TypeRef>();

function namedType(name: string, override: unknown, preserve: boolean): TypeRef {
  const id = `${name}|${String(override ?? "")}|${preserve}`;
  let ref = named.get(id);
  if (!ref) {
    ref = new TypeRef(() => {
      let atom: Atom;
      const schema = componentSchemas()[name];
      if (name === QUANTITY) atom = { scalar: "untyped" };
      else if (name === RAW_EXTENSION) atom = untypedAtomic.resolve();
      else if (!schema) atom = deduced.resolve();
      else atom = parseSchema(schema, preserve, name);
      if (atom.map && (override === "atomic" || override === "granular")) atom = { ...atom, map: { ...atom.map, atomic: override === "atomic" } };
      return atom;
    });
    named.set(id, ref);
  }
  return ref;
}

function refName(s: Schema): string | undefined {
  let ref = s.$ref;
  if (typeof ref !== "string" && Array.isArray(s.allOf) && s.allOf.length === 1) ref = (s.allOf[0] as Schema | undefined)?.$ref;
  if (typeof ref !== "string") return undefined;
  const name = ref.slice(ref.lastIndexOf("/") + 1);
  return name || undefined;
}

function makeRef(s: unknown, preserve: boolean): TypeRef {
  if (typeof s !== "object" || s === null) return deduced;
  const schema = s as Schema;
  const name = refName(schema);
  if (name) return namedType(name, schema["x-kubernetes-map-type"], preserve || schema["x-kubernetes-preserve-unknown-fields"] === true);
  return new TypeRef(() => parseSchema(schema, preserve));
}

function parseSchema(s: Schema, inheritedPreserve: boolean, name?: string): Atom {
  const preserve = inheritedPreserve || s["x-kubernetes-preserve-unknown-fields"] === true;
  const type = typeof s.type === "string" ? s.type : Array.isArray(s.type) && typeof s.type[0] === "string" ? s.type[0] : "";
  switch (type) {
    case "":
      return { scalar: "untyped", list: parseList(s, preserve), map: parseObject(s, preserve, name) };
    case "object":
      return { map: parseObject(s, preserve, name) };
    case "array":
      return { list: parseList(s, preserve) };
    case "integer":
    case "number":
      return { scalar: "numeric" };
    case "boolean":
      return { scalar: "boolean" };
    case "string":
      return { scalar: s.format === undefined || s.format === "" || s.format === "byte" ? "string" : "untyped" };
    default:
      return { scalar: "untyped" };
  }
}

function parseObject(s: Schema, preserve: boolean, name?: string): MapType {
  const fields = new Map<string, TypeRef>();
  const defaults = new Map<string, unknown>(Object.entries(name ? (KEY_DEFAULTS[name] ?? {}) : {}));
  const props = typeof s.properties === "object" && s.properties !== null ? (s.properties as Record<string, unknown>) : {};
  for (const [field, member] of Object.entries(props)) {
    fields.set(field, makeRef(member, preserve));
    if (typeof member === "object" && member !== null && "default" in member) defaults.set(field, (member as Schema).default);
  }
  const ap = s.additionalProperties;
  let elem: TypeRef | null;
  if (ap === undefined || ap === null) elem = preserve || fields.size === 0 ? deduced : null;
  else if (ap === true) elem = deduced;
  else if (ap === false) elem = null;
  else elem = makeRef(ap, preserve);
  const required = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === "string") : []);
  return { atomic: s["x-kubernetes-map-type"] === "atomic", fields, elem, defaults, required };
}

function parseList(s: Schema, preserve: boolean): ListType {
  const elem = s.items !== undefined && s.items !== null ? makeRef(s.items, preserve) : untypedAtomic;
  const listType = s["x-kubernetes-list-type"];
  if (listType !== undefined) {
    if (listType === "set") return { atomic: false, keys: [], elem };
    if (listType === "map") {
      const keys = s["x-kubernetes-list-map-keys"];
      return { atomic: false, keys: Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [], elem };
    }
    return { atomic: true, keys: [], elem };
  }
  const strategy = s["x-kubernetes-patch-strategy"];
  if (strategy === "merge" || strategy === "merge,retainKeys") {
    const key = s["x-kubernetes-patch-merge-key"];
    return { atomic: false, keys: typeof key === "string" ? [key] : [], elem };
  }
  return { atomic: true, keys: [], elem };
}

/** The type of a kind's objects (deduced when no schema describes the kind). */
export function rootType(apiVersion: string, kind: string): TypeRef {
  const name = schemaNameFor(apiVersion, kind);
  return name ? namedType(name, undefined, false) : deduced;
}

/** The type of a struct field or map value; deduced for fields the schema does not know. */
export function fieldType(map: MapType, field: string): TypeRef {
  return map.fields.get(field) ?? map.elem ?? deduced;
}

/** Struct fields Go serialises even when unset: non-pointer structs in object envelopes. */
const ALWAYS_PRESENT = new Set(["metadata", "spec", "status", "template", "strategy", "updateStrategy"]);

/**
 * The object an empty Go value of the type serialises to (what Kubernetes compares a create
 * against): required fields as null, always-present nested structs as their own empty value.
 */
export function emptyValue(tr: TypeRef, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const map = tr.resolve().map;
  if (!map || depth > 8 || map.fields.size === 0) return out;
  for (const [name, ref] of map.fields) {
    if (!map.required.has(name) && !ALWAYS_PRESENT.has(name)) continue;
    const atom = ref.resolve();
    if (atom.map && !atom.scalar && atom.map.fields.size > 0) out[name] = emptyValue(ref, depth + 1);
    else if (map.required.has(name)) out[name] = null;
  }
  return out;
}
