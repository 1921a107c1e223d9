// Go's fmt %v rendering of decoded JSON values ("map[a:1 b:[x y]]", "1e+06", "<nil>"), so error
// messages built from patch content read exactly as Kubernetes' do.
import { isPlainObject } from "./object.ts";

/** Go's %v of a float64: shortest digits, exponent form below 1e-4 and from 1e6 ("1e+06"). */
function goFloat(n: number): string {
  if (!Number.isFinite(n) || n === 0) return String(n);
  const [mantissa, exp] = n.toExponential().split("e") as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 6) return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  return String(n);
}

export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "number") return goFloat(v);
  if (Array.isArray(v)) return `[${v.map(goFormat).join(" ")}]`;
  if (isPlainObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goFormat(v[k])}`).join(" ")}]`;
  return String(v);
}

export function goType(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return "[]interface {}";
  if (isPlainObject(v)) return "map[string]interface {}";
  return typeof v === "number" ? "float64" : typeof v;
}
