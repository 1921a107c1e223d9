// The inverse of wellknown.ts: the JSON value of Time, MicroTime, Duration, Quantity, IntOrString,
// RawExtension and FieldsV1 back to their message bytes, as gogo's generated Marshal writes them.
import { varintField, stringField, bytesField } from "./writer.ts";

/** Thrown for a value the schema cannot represent; encodeKubernetesProtobuf turns it into `null`. */
export class UnencodableError extends Error {}

const META = "k8s.io.apimachinery.pkg.apis.meta.v1";

export const WELL_KNOWN_ENCODE: Readonly<Record<string, (value: unknown) => Buffer>> = {
  [`${META}.Time`]: (v) => timestamp(v, false),
  [`${META}.MicroTime`]: (v) => timestamp(v, true),
  [`${META}.Duration`]: duration,
  [`${META}.FieldsV1`]: rawJson,
  "k8s.io.apimachinery.pkg.runtime.RawExtension": rawJson,
  "k8s.io.apimachinery.pkg.api.resource.Quantity": quantity,
  "k8s.io.apimachinery.pkg.util.intstr.IntOrString": intOrString,
};

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Time/MicroTime: `{seconds, nanos}` (both always written); absent or null is the zero time: no bytes. */
function timestamp(v: unknown, micro: boolean): Buffer {
  if (v === undefined || v === null) return Buffer.alloc(0);
  if (typeof v !== "string") throw new UnencodableError(`time must be a string, not ${typeof v}`);
  const m = RFC3339.exec(v);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new UnencodableError(`invalid RFC 3339 time ${JSON.stringify(v)}`);
  const seconds = BigInt(Math.floor(ms / 1000));
  // metav1.Time is second-precision in JSON; keep whatever fraction was given for MicroTime.
  const nanos = micro && m[2] ? Number(m[2].padEnd(9, "0")) : 0;
  return Buffer.concat([varintField(1, seconds), varintField(2, nanos)]);
}

const UNITS: Record<string, bigint> = {
  ns: 1n, us: 1000n, "µs": 1000n, "μs": 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};

/** metav1.Duration: `{duration: int64 ns}`, parsed as Go's time.ParseDuration. */
function duration(v: unknown): Buffer {
  return varintField(1, v === undefined || v === null ? 0n : parseGoDuration(v));
}

export function parseGoDuration(v: unknown): bigint {
  if (typeof v !== "string") throw new UnencodableError(`duration must be a string, not ${typeof v}`);
  let s = v;
  let sign = 1n;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1n;
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw new UnencodableError(`invalid duration ${JSON.stringify(v)}`);
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m || (m[1] === "" && !m[2])) throw new UnencodableError(`invalid duration ${JSON.stringify(v)}`);
    const unit = UNITS[m[3]!]!;
    const frac = m[2] ?? "";
    total += BigInt(m[1] || "0") * unit + (frac === "" ? 0n : (BigInt(frac) * unit) / 10n ** BigInt(frac.length));
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** resource.Quantity: `{string}`, always written ("0" for the zero quantity). */
function quantity(v: unknown): Buffer {
  if (v === undefined || v === null) return stringField(1, "0");
  if (typeof v === "number" && Number.isFinite(v)) return stringField(1, String(v));
  if (typeof v !== "string") throw new UnencodableError(`quantity must be a string, not ${typeof v}`);
  return stringField(1, v);
}

/** intstr.IntOrString: `{type, intVal, strVal}`, all three always written. */
function intOrString(v: unknown): Buffer {
  if (v === undefined || v === null) v = 0;
  if (typeof v === "number" && Number.isInteger(v)) return Buffer.concat([varintField(1, 0), varintField(2, v), stringField(3, "")]);
  if (typeof v === "string") return Buffer.concat([varintField(1, 1), varintField(2, 0), stringField(3, v)]);
  throw new UnencodableError(`IntOrString must be an integer or a string, not ${typeof v}`);
}

/** RawExtension / FieldsV1: the JSON bytes in field 1; null or absent writes nothing. */
function rawJson(v: unknown): Buffer {
  if (v === undefined || v === null) return Buffer.alloc(0);
  return bytesField(1, Buffer.from(JSON.stringify(v), "utf8"));
}
