// resource.Quantity as k8s.io/apimachinery/pkg/api/resource: parsing ("100m", "1.5Gi", "2e3"),
// exact comparison and arithmetic in bigint nano-units, and Kubernetes' canonical string form.
import { errors } from "./status.ts";

export type QuantityFormat = "DecimalExponent" | "BinarySI" | "DecimalSI";

/**
 * An exact quantity. Every Kubernetes quantity is a whole number of nano-units (parsing rounds
 * finer fractions up, away from zero), so the value is kept as a bigint count of 1e-9.
 */
export interface Quantity {
  readonly nanos: bigint;
  readonly format: QuantityFormat;
  /** The input text, kept when Kubernetes keeps it (it already looked canonical); see quantityToString. */
  readonly text?: string;
}

const splitRe = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";
const errFormat = () => errors.badRequest(`quantities must match the regular expression '${splitRe}'`);
const errNumeric = () => errors.badRequest("unable to parse numeric part of quantity");
const errSuffix = () => errors.badRequest("unable to parse quantity's suffix");

const NANO = 1_000_000_000n;
const MAX_INT64 = 2n ** 63n - 1n;
/** Larger positive exponents are refused rather than materialised (Kubernetes has no such limit). */
const MAX_EXPONENT = 1000;

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const suffixForExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binaryNames = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

interface Parts {
  positive: boolean;
  num: string;
  denom: string;
  suffix: string;
}

/** Splits "-1.5Gi" into sign, integer digits (leading zeros dropped), fraction digits and suffix. */
function splitQuantity(s: string): Parts {
  let pos = 0;
  let positive = true;
  if (s[0] === "-" || s[0] === "+") {
    positive = s[0] === "+";
    pos++;
  }
  while (s[pos] === "0") pos++;
  const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
  let start = pos;
  while (isDigit(s[pos])) pos++;
  const num = s.slice(start, pos) || "0";
  let denom = "";
  if (s[pos] === ".") {
    start = ++pos;
    while (isDigit(s[pos])) pos++;
    denom = s.slice(start, pos);
  }
  const suffixStart = pos;
  while (pos < s.length && "eEinumkKMGTP".includes(s[pos]!)) pos++;
  if (s[pos] === "-" || s[pos] === "+") pos++;
  while (isDigit(s[pos])) pos++;
  if (pos < s.length) throw errFormat();
  return { positive, num, denom, suffix: s.slice(suffixStart) };
}

function interpretSuffix(suffix: string): { base: 10 | 2; exponent: number; format: QuantityFormat } {
  if (Object.hasOwn(decimalSuffixes, suffix)) return { base: 10, exponent: decimalSuffixes[suffix]!, format: "DecimalSI" };
  if (Object.hasOwn(binarySuffixes, suffix)) return { base: 2, exponent: binarySuffixes[suffix]!, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E") && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    if (exponent > MAX_EXPONENT) throw errNumeric();
    return { base: 10, exponent, format: "DecimalExponent" };
  }
  throw errSuffix();
}

/** ceil(|n| / d) for positive d: the magnitude rounded up, as Kubernetes rounds (away from zero). */
const divUp = (n: bigint, d: bigint): bigint => (n + d - 1n) / d;

/**
 * resource.ParseQuantity. Accepts a JSON number too (YAML `cpu: 1`). Throws a 400 BadRequest with
 * Kubernetes' message ("quantities must match the regular expression ...") on bad input.
 */
export function parseQuantity(input: string | number): Quantity {
  const s = typeof input === "number" ? String(input) : input;
  if (typeof s !== "string" || s.length === 0) throw errFormat();
  if (s === "0") return { nanos: 0n, format: "DecimalSI", text: "0" };
  const { positive, num, denom, suffix } = splitQuantity(s);
  const { base, exponent, format } = interpretSuffix(suffix);
  const digits = BigInt(num + denom);
  const sign = positive ? 1n : -1n;

  if (base === 10) {
    const scale = exponent - denom.length; // value = digits * 10^scale
    if (18 - (num.length + denom.length) >= 0 && scale >= -9) {
      // Kubernetes' int64 fast path: exact, and the input is kept when it already looks canonical.
      const shifted = num + denom;
      const keep = scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
      return { nanos: sign * digits * 10n ** BigInt(scale + 9), format, ...(keep ? { text: s } : {}) };
    }
    const shift = scale + 9;
    let nanos: bigint;
    if (digits === 0n) nanos = 0n;
    else if (shift >= 0) nanos = digits * 10n ** BigInt(shift);
    else if (-shift > num.length + denom.length) nanos = 1n; // below one nano: rounds up to 1n
    else nanos = divUp(digits, 10n ** BigInt(-shift));
    return { nanos: sign * nanos, format };
  }

  // Binary suffixes: value = digits * 2^exponent / 10^len(denom).
  const precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
  if (denom.length === 0 && precision >= 0) {
    const keep = digits % 8n !== 0n;
    return { nanos: sign * (digits << BigInt(exponent)) * NANO, format, ...(keep ? { text: s } : {}) };
  }
  const scaled = (digits << BigInt(exponent)) * NANO;
  let nanos = digits === 0n ? 0n : divUp(scaled, 10n ** BigInt(denom.length));
  if (nanos > MAX_INT64 * NANO) nanos = MAX_INT64 * NANO;
  const fmt: QuantityFormat = nanos > 0n && nanos < NANO ? "DecimalSI" : format;
  return { nanos: sign * nanos, format: fmt };
}

/** Parses, or returns undefined instead of throwing. */
export function tryParseQuantity(input: string | number): Quantity | undefined {
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

/** Mantissa and power of ten with the exponent a multiple of 3, for decimal forms. */
function decimalParts(nanos: bigint): { mantissa: bigint; exponent: number } {
  let mantissa = nanos;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  while (exponent % 3 !== 0) {
    mantissa *= 10n;
    exponent--;
  }
  return { mantissa, exponent };
}

/** The canonical form Kubernetes would serialise, ignoring any kept input text. */
function canonical(q: Quantity): string {
  if (q.nanos === 0n) return "0";
  const neg = q.nanos < 0n;
  const abs = neg ? -q.nanos : q.nanos;
  let format = q.format;
  if (format === "BinarySI" && (abs < 1024n * NANO || abs % NANO !== 0n)) format = "DecimalSI";
  let out: string;
  if (format === "BinarySI") {
    let value = abs / NANO;
    let power = 0;
    while (value % 1024n === 0n && power < 6) {
      value /= 1024n;
      power++;
    }
    out = `${value}${binaryNames[power]}`;
  } else {
    let { mantissa, exponent } = decimalParts(abs);
    if (format === "DecimalExponent") {
      out = exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
    } else {
      // Kubernetes drops the suffix past "E" (a bug: "1000E" prints as "1"); keep the value right.
      if (exponent > 18) {
        mantissa *= 10n ** BigInt(exponent - 18);
        exponent = 18;
      }
      out = `${mantissa}${suffixForExponent.get(exponent)}`;
    }
  }
  return neg ? `-${out}` : out;
}

/**
 * The string Kubernetes writes for the quantity: the original input when Kubernetes keeps it
 * (e.g. "100m", "1Ki"), else the canonical form ("1.5Gi" → "1536Mi", "1000m" → "1", "0.1" → "100m").
 */
export function quantityToString(q: Quantity): string {
  return q.text ?? canonical(q);
}

/** Parses and re-serialises, as a round trip through the API server does. */
export const canonicalizeQuantity = (input: string | number): string => quantityToString(parseQuantity(input));

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** ceil(q / 10^(9-digits)) with true ceiling (Kubernetes rounds negatives inconsistently). */
const ceilDiv = (n: bigint, d: bigint): bigint => (n >= 0n ? divUp(n, d) : -(-n / d));

/** ceil(q): whole units (bytes, cores). */
export const quantityValue = (q: Quantity): bigint => ceilDiv(q.nanos, NANO);
/** ceil(q * 1000): milli-units (millicores). */
export const quantityMilliValue = (q: Quantity): bigint => ceilDiv(q.nanos, 1_000_000n);
/** An approximation as a JS number, for display and scoring only. */
export const quantityToNumber = (q: Quantity): number => Number(q.nanos) / 1e9;
export const isZeroQuantity = (q: Quantity): boolean => q.nanos === 0n;

export function quantityFromValue(value: bigint | number, format: QuantityFormat = "DecimalSI"): Quantity {
  return { nanos: BigInt(value) * NANO, format };
}
export function quantityFromMilli(milli: bigint | number, format: QuantityFormat = "DecimalSI"): Quantity {
  return { nanos: BigInt(milli) * 1_000_000n, format };
}

/** a + b; the result keeps a's format unless a is zero (as Quantity.Add). */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format };
}
/** a - b; the result keeps a's format unless a is zero (as Quantity.Sub). */
export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos - b.nanos, format: a.nanos === 0n ? b.format : a.format };
}
