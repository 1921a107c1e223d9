// apimachinery types whose JSON form is not their protobuf shape: Time, MicroTime, Duration,
// Quantity, IntOrString, RawExtension and FieldsV1. Each turns a message's bytes into its JSON value;
// `undefined` stands for Go's JSON `null` (zero time, no raw bytes), which the decoder omits.
import { errors } from "../../apimachinery/status.ts";
import { scanFields, lastBytes, lastVarint, decodeString } from "./wire.ts";

const META = "k8s.io.apimachinery.pkg.apis.meta.v1";
/** Go's zero time.Time (0001-01-01T00:00:00Z) in Unix seconds. */
const GO_ZERO_SECONDS = -62135596800n;
const MIN_SECONDS = -62167219200n; // 0000-01-01T00:00:00Z
const MAX_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z

export const WELL_KNOWN: Readonly<Record<string, (data: Uint8Array) => unknown>> = {
  [`${META}.Time`]: time,
  [`${META}.MicroTime`]: microTime,
  [`${META}.Duration`]: duration,
  [`${META}.FieldsV1`]: (data) => rawJson(data, "FieldsV1"),
  "k8s.io.apimachinery.pkg.runtime.RawExtension": (data) => rawJson(data, "RawExtension"),
  "k8s.io.apimachinery.pkg.api.resource.Quantity": quantity,
  "k8s.io.apimachinery.pkg.util.intstr.IntOrString": intOrString,
};

/** metav1.Time: `{seconds, nanos}`; Go reads seconds only. Empty bytes are the zero time. */
function time(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  const seconds = BigInt.asIntN(64, lastVarint(scanFields(data), 1, "Time.seconds") ?? 0n);
  return seconds === GO_ZERO_SECONDS ? undefined : `${isoSeconds(seconds)}Z`;
}

/** metav1.MicroTime: like Time but keeps nanos, printed as 6 fractional digits (truncated). */
function microTime(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  const fields = scanFields(data);
  let seconds = BigInt.asIntN(64, lastVarint(fields, 1, "MicroTime.seconds") ?? 0n);
  let nanos = BigInt.asIntN(32, lastVarint(fields, 2, "MicroTime.nanos") ?? 0n);
  // time.Unix normalises nanos outside [0, 1e9) into the seconds.
  seconds += nanos / 1_000_000_000n;
  nanos %= 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    seconds -= 1n;
  }
  if (seconds === GO_ZERO_SECONDS && nanos === 0n) return undefined;
  return `${isoSeconds(seconds)}.${String(nanos / 1000n).padStart(6, "0")}Z`;
}

/** "YYYY-MM-DDTHH:MM:SS" in UTC; years outside 0000–9999 are refused. */
function isoSeconds(seconds: bigint): string {
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) throw errors.badRequest(`protobuf: time ${seconds}s is outside years 0000-9999`);
  return new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
}

/** metav1.Duration: `{duration: int64 ns}`, as Go's time.Duration.String() ("1h0m0s", "1.5ms"). */
function duration(data: Uint8Array): string {
  return goDuration(BigInt.asIntN(64, lastVarint(scanFields(data), 1, "Duration.duration") ?? 0n));
}

export function goDuration(d: bigint): string {
  if (d === 0n) return "0s";
  const sign = d < 0n ? "-" : "";
  const u = d < 0n ? -d : d;
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${fraction(u, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${fraction(u, 6)}ms`;
  const secs = u / 1_000_000_000n;
  const frac = fraction(u, 9).slice(String(secs).length);
  let out = `${secs % 60n}${frac}s`;
  const mins = secs / 60n;
  if (mins > 0n) out = `${mins % 60n}m${out}`;
  if (mins >= 60n) out = `${mins / 60n}h${out}`;
  return sign + out;
}

/** `v / 10^digits` printed with its fraction, trailing zeros (and a bare point) dropped. */
function fraction(v: bigint, digits: number): string {
  const p = 10n ** BigInt(digits);
  const f = v % p;
  return f === 0n ? String(v / p) : `${v / p}.${String(f).padStart(digits, "0").replace(/0+$/, "")}`;
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/** resource.Quantity: `{string}`. Go re-parses it; we check the syntax and keep the text as sent. */
function quantity(data: Uint8Array): string {
  const bytes = lastBytes(scanFields(data), 1, "Quantity.string");
  if (bytes === undefined || bytes.length === 0) return "0";
  const s = decodeString(bytes);
  if (!QUANTITY.test(s)) throw errors.badRequest(`quantities must match the regular expression '${QUANTITY.source}'`);
  return s;
}

/** intstr.IntOrString: `{type (0 int, 1 string), intVal, strVal}` → a number or a string. */
function intOrString(data: Uint8Array): number | string {
  const fields = scanFields(data);
  const type = lastVarint(fields, 1, "IntOrString.type") ?? 0n;
  if (type === 0n) return Number(BigInt.asIntN(32, lastVarint(fields, 2, "IntOrString.intVal") ?? 0n));
  if (type === 1n) return decodeString(lastBytes(fields, 3, "IntOrString.strVal") ?? new Uint8Array());
  throw errors.badRequest(`protobuf: impossible IntOrString.Type ${BigInt.asIntN(64, type)}`);
}

/** RawExtension and FieldsV1 carry JSON bytes in field 1; none (or `null`) is JSON null. */
function rawJson(data: Uint8Array, what: string): unknown {
  const raw = lastBytes(scanFields(data), 1, `${what}.raw`);
  if (raw === undefined || raw.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(decodeString(raw));
  } catch (err) {
    throw errors.badRequest(`protobuf: ${what} does not hold valid JSON: ${(err as Error).message}`);
  }
  return value === null ? undefined : value;
}
