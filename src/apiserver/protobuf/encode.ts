// Encodes objects (in their JSON form) as `application/vnd.kubernetes.protobuf` response bodies —
// the inverse of decode.ts, driven by the same field table — and watch events as protobuf frames.
import { protoSchema, type FieldSpec, type MessageSpec, type ValueKind, type ScalarKind } from "./schema.ts";
import { WELL_KNOWN_ENCODE, UnencodableError } from "./wellknown-encode.ts";
import { varint, varintField, bytesField, stringField, fixed64Field, fixed32Field, fieldKey } from "./writer.ts";
import { PROTOBUF_MAGIC } from "./decode.ts";

const MAX_DEPTH = 100;

/**
 * The object as gogo's marshaller writes it: "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind},
 * raw, contentEncoding "", contentType ""}. Value (non-pointer) fields are written even when zero,
 * pointer fields only when present, map entries sorted by key, `json:",inline"` fields gathered
 * from the parent object. Returns null — the caller answers JSON — when the kind is not in the
 * table (Table, discovery documents, custom resources) or a value does not fit its field.
 */
export function encodeKubernetesProtobuf(obj: unknown): Buffer | null {
  if (!isObject(obj)) return null;
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !apiVersion || !kind) return null;
  const schema = protoSchema();
  const name = schema.kindMessage(apiVersion, kind);
  const spec = name === undefined ? undefined : schema.message(name);
  if (!spec) return null;
  try {
    const raw = encodeObject(spec, obj, 1);
    return Buffer.concat([
      PROTOBUF_MAGIC,
      bytesField(1, Buffer.concat([stringField(1, apiVersion), stringField(2, kind)])),
      bytesField(2, raw),
      stringField(3, ""),
      stringField(4, ""),
    ]);
  } catch (err) {
    if (err instanceof UnencodableError) return null;
    throw err;
  }
}

/**
 * One frame of an `application/vnd.kubernetes.protobuf;stream=watch` response, as
 * LengthDelimitedFramer + RawSerializer write it: a 4-byte big-endian length, then the bare
 * meta.v1.WatchEvent message {type = 1, object = 2 RawExtension{raw = the object's envelope}} —
 * no magic and no Unknown around the event itself. Null when the object does not encode.
 */
export function encodeWatchEventProtobuf(type: string, obj: unknown): Buffer | null {
  const inner = encodeKubernetesProtobuf(obj);
  if (inner === null) return null;
  const event = Buffer.concat([stringField(1, type), bytesField(2, bytesField(1, inner))]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(event.length);
  return Buffer.concat([length, event]);
}

function encodeObject(spec: MessageSpec, obj: Record<string, unknown>, depth: number): Buffer {
  if (depth > MAX_DEPTH) throw new UnencodableError(`messages nested deeper than ${MAX_DEPTH}`);
  const parts: Buffer[] = [];
  const fields = [...spec.fields].sort((a, b) => a.number - b.number);
  for (const f of fields) {
    if (f.inline) {
      if (f.kind === "map" || !isMessage(f.kind)) throw new UnencodableError(`inline scalar ${spec.name}.${f.json}`);
      if (f.pointer && !inlinePresent(f.kind.slice(4), obj)) continue;
      parts.push(bytesField(f.number, encodeMessage(f.kind.slice(4), obj, depth + 1)));
      continue;
    }
    const value = Object.hasOwn(obj, f.json) ? obj[f.json] : undefined;
    parts.push(...encodeField(spec, f, value, depth));
  }
  return Buffer.concat(parts);
}

/** A pointer to an inlined struct is set when any of its JSON properties is. */
function inlinePresent(name: string, obj: Record<string, unknown>): boolean {
  const spec = protoSchema().message(name);
  return spec !== undefined && spec.fields.some((f) => (f.inline ? isMessage(f.kind) && inlinePresent(f.kind.slice(4), obj) : obj[f.json] != null));
}

function encodeField(spec: MessageSpec, f: FieldSpec, value: unknown, depth: number): Buffer[] {
  const what = `${spec.name}.${f.json}`;
  if (f.kind === "map") {
    if (value === undefined || value === null) return [];
    if (!isObject(value)) throw new UnencodableError(`${what} must be an object`);
    return Object.keys(value).sort(compareGo).map((k) =>
      bytesField(f.number, Buffer.concat([
        single(1, f.mapKey!, keyValue(f.mapKey!, k, what), what, depth),
        single(2, f.mapValue!, value[k], what, depth),
      ])));
  }
  if (f.repeated) {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new UnencodableError(`${what} must be an array`);
    return value.map((item) => single(f.number, f.kind as ValueKind, item, what, depth));
  }
  if (f.pointer && (value === undefined || value === null)) return [];
  return [single(f.number, f.kind, value, what, depth)];
}

/** Go sorts string map keys by bytes; for ASCII keys that is code-unit order. */
function compareGo(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function keyValue(kind: ValueKind, k: string, what: string): unknown {
  if (kind === "string") return k;
  if (isMessage(kind) || kind === "bytes") throw new UnencodableError(`${what}: unsupported map key kind ${kind}`);
  if (kind === "bool") return k === "true";
  return Number(k);
}

/** One field occurrence; an absent value is written as its zero. */
function single(number: number, kind: ValueKind, value: unknown, what: string, depth: number): Buffer {
  if (isMessage(kind)) return bytesField(number, encodeMessage(kind.slice(4), value, depth + 1));
  return scalar(number, kind, value, what);
}

function encodeMessage(name: string, value: unknown, depth: number): Buffer {
  const special = WELL_KNOWN_ENCODE[name];
  if (special) return special(value);
  const spec = protoSchema().message(name);
  if (!spec) throw new UnencodableError(`no schema for message ${name}`);
  if (spec.slice) {
    if (value !== undefined && value !== null && !Array.isArray(value)) throw new UnencodableError(`${name} must be an array`);
    return encodeObject(spec, { items: value ?? [] }, depth);
  }
  if (value === undefined || value === null) return encodeObject(spec, {}, depth);
  if (!isObject(value)) throw new UnencodableError(`${name} must be an object`);
  return encodeObject(spec, value, depth);
}

function scalar(number: number, kind: ScalarKind, value: unknown, what: string): Buffer {
  const bad = () => new UnencodableError(`${what}: ${JSON.stringify(value)} is not a ${kind}`);
  switch (kind) {
    case "string":
      if (value === undefined || value === null) return stringField(number, "");
      if (typeof value !== "string") throw bad();
      return stringField(number, value);
    case "bytes":
      if (value === undefined || value === null) return bytesField(number, Buffer.alloc(0));
      if (typeof value !== "string") throw bad();
      return bytesField(number, Buffer.from(value, "base64"));
    case "bool":
      if (value === undefined || value === null) return varintField(number, 0);
      if (typeof value !== "boolean") throw bad();
      return varintField(number, value ? 1 : 0);
    case "double":
    case "float": {
      const n = value === undefined || value === null ? 0 : value;
      if (typeof n !== "number") throw bad();
      return kind === "double" ? fixed64Field(number, n) : fixed32Field(number, n);
    }
    default: {
      const n = value === undefined || value === null ? 0 : value;
      if (typeof n !== "number" || !Number.isInteger(n)) throw bad();
      if ((kind === "uint" || kind === "uint32") && n < 0) throw bad();
      return Buffer.concat([fieldKey(number, 0), varint(BigInt(n))]);
    }
  }
}

function isMessage(kind: ValueKind | "map"): kind is `msg:${string}` {
  return kind.startsWith("msg:");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
