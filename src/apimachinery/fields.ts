// Field selectors as k8s.io/apimachinery/pkg/fields: "a=b,c!=d" with "\" escaping of `\ , =` in
// values, matching against an object's selectable fields, and the checks the API server applies.
import { errors } from "./status.ts";

export interface FieldRequirement {
  readonly field: string;
  /** "==" in the input is normalised to "=", as Kubernetes does. */
  readonly operator: "=" | "!=";
  readonly value: string;
}

/** Terms ANDed together. No terms = matches everything. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
}

export const everythingFields: FieldSelector = Object.freeze({ requirements: Object.freeze([]) });

/** Escapes `\`, `,` and `=` so a value survives the string form. */
export const escapeFieldValue = (s: string): string => s.replace(/[\\,=]/g, (c) => `\\${c}`);

/** fields.UnescapeValue; throws 400 with Kubernetes' messages on a bad escape or a bare `,`/`=`. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== "\\" && c !== "," && c !== "=") throw errors.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === "\\") {
      inSlash = true;
    } else if (c === "," || c === "=") {
      // Kubernetes prints the rune as a number here (%v of a rune).
      throw errors.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw errors.badRequest("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** Splits on commas that are not escaped. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator in the term, trying "!=", "==", "=" at each position. */
function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ["!=", "==", "="]) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/**
 * fields.ParseSelector: terms are sorted (so the result is canonical), empty terms skipped. No
 * whitespace trimming: Kubernetes does none. Bad input → 400 BadRequest with Kubernetes' message.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === "") continue;
    const t = splitTerm(part);
    if (!t) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const value = unescapeFieldValue(t.rhs);
    if (t.lhs === "" && value === "") continue; // an empty term selects everything
    reqs.push({ field: t.lhs, operator: t.op === "!=" ? "!=" : "=", value });
  }
  return { requirements: reqs };
}

/**
 * Whether an object matches. `get` returns the object's value for a selectable field; a missing
 * field counts as "" (as fields.Set.Get does), so `a!=x` matches objects without `a`.
 */
export function matchesFields(selector: FieldSelector, get: (field: string) => string | undefined): boolean {
  return selector.requirements.every((r) => {
    const v = get(r.field) ?? "";
    return r.operator === "=" ? v === r.value : v !== r.value;
  });
}

/** The distinct field names the selector uses, in order. */
export function fieldSelectorFields(selector: FieldSelector): string[] {
  return [...new Set(selector.requirements.map((r) => r.field))];
}

/** The value the selector demands for `field` with "=", if any (useful for index look-ups). */
export function fieldSelectorExactMatch(selector: FieldSelector, field: string): string | undefined {
  return selector.requirements.find((r) => r.field === field && r.operator === "=")?.value;
}

/** The canonical string form; parses back to the same selector. */
export function fieldSelectorToString(selector: FieldSelector): string {
  return selector.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(",");
}

const defaultFields = ["metadata.name", "metadata.namespace"];

/**
 * Rejects fields the kind cannot select on, with the API server's 400 messages. Kinds with their
 * own field-label conversion pass `supported` (including metadata.name/namespace) and get
 * "field label not supported: X"; the rest get the default metadata-only message.
 */
export function checkFieldSelector(selector: FieldSelector, supported?: readonly string[]): void {
  for (const field of fieldSelectorFields(selector)) {
    if (supported === undefined) {
      if (!defaultFields.includes(field)) {
        throw errors.badRequest(`${JSON.stringify(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
      }
    } else if (!supported.includes(field)) {
      throw errors.badRequest(`field label not supported: ${field}`);
    }
  }
}
