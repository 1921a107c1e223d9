// Decodes `application/vnd.kubernetes.protobuf` request bodies (what kubectl's typed clients send)
// into the object's JSON form, driven by the generated field table in schema.json.
import { errors, StatusError } from "../../apimachinery/status.ts";
import {
  ProtoReader, scanFields, lastBytes, decodeString, wrongWire,
  WIRE_VARINT, WIRE_FIXED64, WIRE_BYTES, WIRE_FIXED32, type Occurrence,
} from "./wire.ts";
import { protoSchema, type FieldSpec, type MessageSpec, type ValueKind, type ScalarKind } from "./schema.ts";
import { WELL_KNOWN } from "./wellknown.ts";

export const PROTOBUF_CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
/** Every Kubernetes protobuf body starts with these 4 bytes: "k8s\0". */
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);
const MAX_DEPTH = 100;

/**
 * Decodes a Kubernetes protobuf body (magic + runtime.Unknown envelope) into the object as its JSON
 * form: `apiVersion` and `kind` from the envelope, then the fields under their JSON names.
 *
 * Presence follows Go: a value (non-pointer) field that is zero ("", 0, false, {}, zero time) is
 * omitted, since Go always sends it; a pointer field that was sent is kept even when zero
 * (`replicas: 0`). Maps become objects, bytes base64, int64 numbers, Time RFC 3339 strings,
 * Quantity/IntOrString their JSON scalars, RawExtension/FieldsV1 the embedded JSON, and
 * `json:",inline"` fields are flattened into their parent. Unknown field numbers are skipped.
 *
 * Throws only StatusError (400 BadRequest) — for a bad envelope, an unregistered kind, or malformed
 * protobuf — never anything else, whatever the bytes.
 */
export function decodeKubernetesProtobuf(body: Uint8Array): Record<string, unknown> {
  try {
    return decodeEnvelope(body);
  } catch (err) {
    if (err instanceof StatusError) throw err;
    // Defence in depth: no input may surface as a 500 or crash the server.
    throw errors.badRequest(`invalid protobuf body: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function decodeEnvelope(body: Uint8Array): Record<string, unknown> {
  if (body.length < 4 || PROTOBUF_MAGIC.some((b, i) => body[i] !== b)) {
    throw errors.badRequest('protobuf body does not start with the Kubernetes magic "k8s\\x00"');
  }
  // runtime.Unknown {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4}
  const unknown = scanFields(body.subarray(4));
  const typeMeta = scanFields(lastBytes(unknown, 1, "Unknown.typeMeta") ?? new Uint8Array());
  const apiVersion = decodeString(lastBytes(typeMeta, 1, "TypeMeta.apiVersion") ?? new Uint8Array());
  const kind = decodeString(lastBytes(typeMeta, 2, "TypeMeta.kind") ?? new Uint8Array());
  const raw = lastBytes(unknown, 2, "Unknown.raw") ?? new Uint8Array();
  const encoding = decodeString(lastBytes(unknown, 3, "Unknown.contentEncoding") ?? new Uint8Array());
  const contentType = decodeString(lastBytes(unknown, 4, "Unknown.contentType") ?? new Uint8Array());
  if (encoding !== "") throw errors.badRequest(`protobuf: unsupported content encoding "${encoding}"`);
  if (contentType !== "" && contentType !== PROTOBUF_CONTENT_TYPE) {
    throw errors.badRequest(`protobuf: unsupported embedded content type "${contentType}"`);
  }
  if (kind === "") throw errors.badRequest("Object 'Kind' is missing in protobuf body");
  if (apiVersion === "") throw errors.badRequest("Object 'apiVersion' is missing in protobuf body");
  const schema = protoSchema();
  const name = schema.kindMessage(apiVersion, kind);
  const spec = name === undefined ? undefined : schema.message(name);
  if (!spec) throw errors.badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
  return { apiVersion, kind, ...decodeObject(spec, raw, 1) };
}

function decodeObject(spec: MessageSpec, data: Uint8Array, depth: number): Record<string, unknown> {
  const fields = scanFields(data);
  const out: Record<string, unknown> = {};
  const own = new Set<string>();
  for (const f of spec.fields) {
    const occs = fields.get(f.number);
    if (!occs) continue;
    const value = decodeField(spec, f, occs, depth);
    if (value === undefined) continue;
    if (f.inline) {
      // Go's encoding/json: a field of the outer struct wins over a promoted one of the same name.
      if (isObject(value)) for (const [k, v] of Object.entries(value)) if (!own.has(k)) setKey(out, k, v);
      continue;
    }
    if (!f.repeated && !f.pointer && isZero(value)) continue;
    setKey(out, f.json, value);
    own.add(f.json);
  }
  return out;
}

function decodeField(spec: MessageSpec, f: FieldSpec, occs: Occurrence[], depth: number): unknown {
  const what = `${spec.name}.${f.json}`;
  if (f.kind === "map") {
    const out: Record<string, unknown> = {};
    for (const occ of occs) {
      if (occ.wire !== WIRE_BYTES) throw wrongWire(what, occ.wire);
      const entry = scanFields(occ.value);
      const key = single(f.mapKey!, entry.get(1), `${what} key`, depth);
      const value = single(f.mapValue!, entry.get(2), `${what} value`, depth);
      setKey(out, String(key), value ?? null);
    }
    return out;
  }
  if (f.repeated) {
    const out: unknown[] = [];
    for (const occ of occs) {
      if (isMessage(f.kind)) {
        if (occ.wire !== WIRE_BYTES) throw wrongWire(what, occ.wire);
        out.push(decodeMessage(f.kind.slice(4), occ.value, depth + 1) ?? null);
      } else if (occ.wire === WIRE_BYTES && f.kind !== "string" && f.kind !== "bytes") {
        out.push(...unpack(f.kind, occ.value, what));
      } else {
        out.push(scalar(f.kind, occ, what));
      }
    }
    return out;
  }
  return single(f.kind, occs, what, depth);
}

/** A singular field: the last occurrence of a scalar; messages merge (decode the concatenation). */
function single(kind: ValueKind, occs: Occurrence[] | undefined, what: string, depth: number): unknown {
  if (isMessage(kind)) {
    const parts = (occs ?? []).map((occ) => {
      if (occ.wire !== WIRE_BYTES) throw wrongWire(what, occ.wire);
      return occ.value;
    });
    return decodeMessage(kind.slice(4), parts.length === 1 ? parts[0]! : Buffer.concat(parts), depth + 1);
  }
  const last = occs?.at(-1);
  return last ? scalar(kind, last, what) : zeroOf(kind);
}

function decodeMessage(name: string, data: Uint8Array, depth: number): unknown {
  if (depth > MAX_DEPTH) throw errors.badRequest(`protobuf: messages nested deeper than ${MAX_DEPTH}`);
  const special = WELL_KNOWN[name];
  if (special) return special(data);
  const spec = protoSchema().message(name);
  if (!spec) throw errors.badRequest(`protobuf: no schema for message ${name}`);
  if (spec.slice) {
    // {items: [...]} is the wire form of a Go named slice; its JSON is the array.
    const items = decodeObject(spec, data, depth).items;
    return Array.isArray(items) ? items : [];
  }
  return decodeObject(spec, data, depth);
}

function scalar(kind: ScalarKind, occ: Occurrence, what: string): unknown {
  switch (kind) {
    case "string":
    case "bytes":
      if (occ.wire !== WIRE_BYTES) throw wrongWire(what, occ.wire);
      return kind === "string" ? decodeString(occ.value) : Buffer.from(occ.value).toString("base64");
    case "double":
    case "float": {
      const size = kind === "double" ? 8 : 4;
      if (occ.wire !== (size === 8 ? WIRE_FIXED64 : WIRE_FIXED32)) throw wrongWire(what, occ.wire);
      const view = new DataView(occ.value.buffer, occ.value.byteOffset, size);
      const n = size === 8 ? view.getFloat64(0, true) : view.getFloat32(0, true);
      if (!Number.isFinite(n)) throw errors.badRequest(`protobuf: ${what} is not a finite number`);
      return n;
    }
    default:
      if (occ.wire !== WIRE_VARINT) throw wrongWire(what, occ.wire);
      return varintValue(kind, occ.value);
  }
}

function varintValue(kind: ScalarKind, v: bigint): number | boolean {
  switch (kind) {
    case "bool": return v !== 0n;
    case "int32": return Number(BigInt.asIntN(32, v));
    case "uint32": return Number(BigInt.asUintN(32, v));
    case "uint": return Number(v);
    default: return Number(BigInt.asIntN(64, v)); // "int": int64, negatives sign-extended
  }
}

/** A packed repeated scalar field: values back to back in one length-delimited blob. */
function unpack(kind: ScalarKind, data: Uint8Array, what: string): unknown[] {
  const r = new ProtoReader(data);
  const out: unknown[] = [];
  while (!r.done) {
    if (kind === "double") out.push(scalar(kind, { wire: WIRE_FIXED64, value: r.take(8) }, what));
    else if (kind === "float") out.push(scalar(kind, { wire: WIRE_FIXED32, value: r.take(4) }, what));
    else out.push(varintValue(kind, r.varint()));
  }
  return out;
}

function zeroOf(kind: ScalarKind): unknown {
  return kind === "string" || kind === "bytes" ? "" : kind === "bool" ? false : 0;
}

function isMessage(kind: ValueKind): kind is `msg:${string}` {
  return kind.startsWith("msg:");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isZero(v: unknown): boolean {
  if (v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

/** Assigns even the key "__proto__" as an own property (map keys come from the client). */
function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
