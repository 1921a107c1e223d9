// Label selectors as k8s.io/apimachinery/pkg/labels: the string syntax ("a=b,c in (x,y),!d"), the
// API LabelSelector type, matching, and the canonical string form. Bad input → 400 BadRequest.
import type { LabelSelector, StatusCause } from "kubernetes-types/meta/v1.js";
import { errors, fieldErrors } from "./status.ts";
import { isQualifiedName, isValidLabelValue } from "./validation.ts";

/** selection.Operator values, spelled as Kubernetes spells them. */
export type LabelOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface Requirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** Requirements ANDed together, sorted by key. No requirements = matches everything. */
export interface Selector {
  readonly requirements: readonly Requirement[];
  /** The selector that matches nothing (what a null LabelSelector converts to). */
  readonly nothing?: boolean;
}

export const everything: Selector = Object.freeze({ requirements: Object.freeze([]) });
export const nothing: Selector = Object.freeze({ requirements: Object.freeze([]), nothing: true });

/** True for a selector that does not restrict anything (not for `nothing`). */
export const isEverything = (s: Selector): boolean => !s.nothing && s.requirements.length === 0;

const binaryOperators = ["in", "notin", "=", "==", "!=", "gt", "lt"];
const intRe = /^[+-]?[0-9]+$/;
const isInt64 = (s: string): boolean => intRe.test(s) && BigInt(s) >= -(2n ** 63n) && BigInt(s) < 2n ** 63n;

/** "field: body" as a field.Error prints; several joined like an aggregate ("[a, b]"). */
function aggregate(causes: StatusCause[]): string {
  const msgs = [...new Set(causes.map((c) => `${c.field}: ${c.message}`))];
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(", ")}]`;
}

/** Validation of NewRequirement; `path` prefixes field names ("" prints like Kubernetes' nil path). */
function requirementCauses(key: string, op: string, values: readonly string[], path: string): StatusCause[] {
  const at = (child: string) => (path ? `${path}.${child}` : child);
  const causes: StatusCause[] = [];
  for (const msg of isQualifiedName(key)) causes.push(fieldErrors.invalid(at("key"), key, msg));
  const shown = values.length ? values : null;
  switch (op) {
    case "in":
    case "notin":
      if (values.length === 0) causes.push(fieldErrors.invalid(at("values"), shown, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (values.length !== 1) causes.push(fieldErrors.invalid(at("values"), shown, "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (values.length !== 0) causes.push(fieldErrors.invalid(at("values"), shown, "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (values.length !== 1) causes.push(fieldErrors.invalid(at("values"), shown, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (!isInt64(v)) causes.push(fieldErrors.invalid(`${at("values")}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      causes.push(fieldErrors.notSupported(at("operator"), op, [...binaryOperators, "exists", "!"]));
  }
  values.forEach((v, i) => {
    for (const msg of isValidLabelValue(v)) causes.push(fieldErrors.invalid(`${at("values")}[${i}][${key}]`, v, msg));
  });
  return causes;
}

/** labels.NewRequirement: a validated requirement, or a 400 with Kubernetes' aggregated message. */
export function newRequirement(key: string, operator: LabelOperator, values: readonly string[]): Requirement {
  const causes = requirementCauses(key, operator, values, "");
  if (causes.length) throw errors.badRequest(aggregate(causes));
  return { key, operator, values: [...values] };
}

const byKey = (a: Requirement, b: Requirement) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

// ---- the string syntax: a lexer and a recursive-descent parser, as labels/selector.go ----

type Tok = "error" | "eos" | ")" | "," | "!" | "==" | "=" | ">" | "id" | "in" | "<" | "!=" | "notin" | "(";
const keywords: Record<string, Tok> = { ")": ")", ",": ",", "!": "!", "==": "==", "=": "=", ">": ">", in: "in", "<": "<", "!=": "!=", notin: "notin", "(": "(" };
const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isSpecial = (c: string) => "=!(),><".includes(c);

function lex(s: string): Array<{ tok: Tok; lit: string }> {
  const items: Array<{ tok: Tok; lit: string }> = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isSpace(s[pos]!)) pos++;
    if (pos >= s.length) {
      items.push({ tok: "eos", lit: "" });
      return items;
    }
    if (isSpecial(s[pos]!)) {
      let buf = "";
      let last: { tok: Tok; lit: string } | undefined;
      while (pos < s.length && isSpecial(s[pos]!)) {
        buf += s[pos];
        const t = Object.hasOwn(keywords, buf) ? keywords[buf] : undefined;
        if (t) last = { tok: t, lit: buf };
        else if (last) break;
        pos++;
      }
      items.push(last ?? { tok: "error", lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = "";
      while (pos < s.length && !isSpecial(s[pos]!) && !isSpace(s[pos]!)) buf += s[pos++];
      const t = Object.hasOwn(keywords, buf) ? keywords[buf] : undefined;
      items.push({ tok: t ?? "id", lit: buf });
    }
  }
}

const binaryTokens: Partial<Record<Tok, LabelOperator>> = { in: "in", "=": "=", "==": "==", ">": "gt", "<": "lt", notin: "notin", "!=": "!=" };

class ParseError extends Error {}

class Parser {
  private pos = 0;
  private readonly items: Array<{ tok: Tok; lit: string }>;
  constructor(s: string) {
    this.items = lex(s);
  }
  /** In a values context the keywords "in"/"notin" are plain identifiers. */
  private peek(values = true): { tok: Tok; lit: string } {
    const it = this.items[this.pos]!;
    return values && (it.tok === "in" || it.tok === "notin") ? { tok: "id", lit: it.lit } : it;
  }
  private next(values = true): { tok: Tok; lit: string } {
    const it = this.peek(values);
    this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek();
      if (tok === "eos") return reqs;
      if (tok !== "id" && tok !== "!") throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      reqs.push(this.requirement());
      const after = this.next();
      if (after.tok === "eos") return reqs;
      if (after.tok !== ",") throw new ParseError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek();
      if (t2.tok !== "id" && t2.tok !== "!") throw new ParseError(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let op: LabelOperator | undefined;
    let t = this.next();
    if (t.tok === "!") {
      op = "!";
      t = this.next();
    }
    if (t.tok !== "id") throw new RequirementError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new RequirementError(`<nil>: ${fieldErrors.invalid("", key, keyErrs.join("; ")).message}`);
    const la = this.peek().tok;
    if (la === "eos" || la === ",") op ??= "exists";
    if (op === "exists" || op === "!") return this.build(key, op, []);
    const opTok = this.next(false);
    const bin = binaryTokens[opTok.tok];
    if (!bin) throw new RequirementError(`found '${opTok.lit}', expected: ${binaryOperators.join(", ")}`);
    const values = bin === "in" || bin === "notin" ? this.setValues() : this.exactValue();
    return this.build(key, bin, [...values].sort());
  }

  private build(key: string, op: LabelOperator, values: string[]): Requirement {
    const causes = requirementCauses(key, op, values, "");
    if (causes.length) throw new RequirementError(aggregate(causes));
    return { key, operator: op, values };
  }

  private setValues(): Set<string> {
    const open = this.next();
    if (open.tok !== "(") throw new RequirementError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek();
    if (tok === ")") {
      this.next();
      return new Set([""]);
    }
    if (tok !== "id" && tok !== ",") throw new RequirementError(`found '${lit}', expected: ',', ')' or identifier`);
    const set = this.identifierList();
    if (this.next().tok !== ")") throw new RequirementError(`found '${lit}', expected: ')'`);
    return set;
  }

  /** A possibly empty, comma-separated list of possibly empty identifiers, up to ")". */
  private identifierList(): Set<string> {
    const set = new Set<string>();
    for (;;) {
      const { tok, lit } = this.next();
      if (tok === "id") {
        set.add(lit);
        const t2 = this.peek();
        if (t2.tok === ",") continue;
        if (t2.tok === ")") return set;
        throw new RequirementError(`found '${t2.lit}', expected: ',' or ')'`);
      }
      if (tok !== ",") throw new RequirementError(`found '${lit}', expected: ',', or identifier`);
      if (set.size === 0) set.add("");
      const t2 = this.peek().tok;
      if (t2 === ")") {
        set.add("");
        return set;
      }
      if (t2 === ",") set.add("");
    }
  }

  private exactValue(): Set<string> {
    const la = this.peek().tok;
    if (la === "eos" || la === ",") return new Set([""]);
    const { tok, lit } = this.next();
    if (tok === "id") return new Set([lit]);
    throw new RequirementError(`found '${lit}', expected: identifier`);
  }
}

/** An error inside one requirement: reported as "unable to parse requirement: ...". */
class RequirementError extends ParseError {}

/**
 * labels.Parse: the string form of a selector ("" matches everything). Throws a 400 BadRequest
 * with Kubernetes' message on bad syntax or invalid keys/values.
 */
export function parseLabelSelector(selector: string): Selector {
  try {
    const reqs = new Parser(selector).parse();
    return { requirements: reqs.sort(byKey) };
  } catch (err) {
    if (err instanceof RequirementError) throw errors.badRequest(`unable to parse requirement: ${err.message}`);
    if (err instanceof ParseError) throw errors.badRequest(err.message);
    throw err;
  }
}

function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case "in":
    case "=":
    case "==":
      return value !== undefined && r.values.includes(value);
    case "notin":
    case "!=":
      return value === undefined || !r.values.includes(value);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (value === undefined || !isInt64(value) || r.values.length !== 1 || !isInt64(r.values[0]!)) return false;
      const lhs = BigInt(value);
      const rhs = BigInt(r.values[0]!);
      return r.operator === "gt" ? lhs > rhs : lhs < rhs;
    }
  }
}

/** Whether `labels` (absent = no labels) satisfy every requirement of the selector. */
export function matchesLabels(selector: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (selector.nothing) return false;
  const ls = labels ?? {};
  return selector.requirements.every((r) => requirementMatches(r, ls));
}

function requirementToString(r: Requirement): string {
  const sep: Record<LabelOperator, string> = { "=": "=", "==": "==", "!=": "!=", in: " in ", notin: " notin ", gt: ">", lt: "<", exists: "", "!": "" };
  if (r.operator === "exists") return r.key;
  if (r.operator === "!") return `!${r.key}`;
  const vals = r.values.length === 1 ? r.values[0]! : [...r.values].sort().join(",");
  const set = r.operator === "in" || r.operator === "notin";
  return `${r.key}${sep[r.operator]}${set ? `(${vals})` : vals}`;
}

/** The canonical string form ("a=b,c in (x,y)"), which parses back to the same selector. */
export function selectorToString(selector: Selector): string {
  return selector.requirements.map(requirementToString).join(",");
}

/** A selector matching exactly the given labels (labels.SelectorFromSet); empty → everything. */
export function selectorFromSet(set: Readonly<Record<string, string>> | undefined): Selector {
  const reqs = Object.entries(set ?? {}).map(([key, v]): Requirement => ({ key, operator: "=", values: [v] }));
  return { requirements: reqs.sort(byKey) };
}

/** The value the selector demands for `key` ("=", "==" or a single-valued "in"), if any. */
export function requiresExactMatch(selector: Selector, key: string): string | undefined {
  const r = selector.requirements.find((x) => x.key === key);
  if (!r || r.values.length !== 1) return undefined;
  return r.operator === "=" || r.operator === "==" || r.operator === "in" ? r.values[0] : undefined;
}

const apiOperators: Record<string, LabelOperator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" };

/**
 * metav1.LabelSelectorAsSelector: null/undefined matches nothing, an empty selector matches
 * everything; otherwise matchLabels AND matchExpressions. Invalid content → 400 BadRequest.
 */
export function labelSelectorAsSelector(ps: LabelSelector | null | undefined): Selector {
  if (ps === null || ps === undefined) return nothing;
  const matchLabels = Object.entries(ps.matchLabels ?? {});
  const exprs = ps.matchExpressions ?? [];
  if (matchLabels.length + exprs.length === 0) return everything;
  const reqs: Requirement[] = matchLabels.map(([k, v]) => newRequirement(k, "=", [v]));
  for (const expr of exprs) {
    const op = Object.hasOwn(apiOperators, expr.operator) ? apiOperators[expr.operator] : undefined;
    if (!op) throw errors.badRequest(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(expr.key, op, expr.values ?? []));
  }
  return { requirements: reqs.sort(byKey) };
}
