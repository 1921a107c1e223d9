// IntOrString fields ("25%" or 3) as apps/policy validation checks them (ValidatePositiveIntOrPercent,
// IsNotMoreThan100Percent) and as the printers show them.
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import { fieldErrors } from "../../../apimachinery/status.ts";

export type IntOrString = number | string;

const PERCENT = /^(-?\d+)%$/;

/** The number of an int, or of a "N%" percentage; undefined for anything else. */
export function intOrPercentValue(v: IntOrString | undefined | null): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  const m = PERCENT.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** ValidatePositiveIntOrPercent (plus IsNotMoreThan100Percent when `max100`). */
export function validateIntOrPercent(v: IntOrString | undefined | null, path: string, max100 = false): StatusCause[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string" && !/^[0-9]+%$/.test(v)) return [fieldErrors.invalid(path, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  const n = intOrPercentValue(v)!;
  if (n < 0) return [fieldErrors.invalid(path, v, "must be greater than or equal to 0")];
  if (max100 && typeof v === "string" && n > 100) return [fieldErrors.invalid(path, v, "must not be greater than 100%")];
  return [];
}

/** intstr.String(): "25%" or "3". */
export const intOrStringText = (v: IntOrString): string => String(v);
