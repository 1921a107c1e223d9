// Node selectors compiled once and matched per node without parsing (component-helpers
// nodeaffinity): nodeSelectorTerms ORed, matchExpressions (labels) AND matchFields (metadata.name).
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PreferredSchedulingTerm } from "kubernetes-types/core/v1.js";
import { newRequirement } from "../../../apimachinery/labels.ts";
import type { LabelOperator } from "../../../apimachinery/labels.ts";

type Labels = Readonly<Record<string, string>>;

// Label requirement operators (numbers so the per-node switch compares small integers).
const IN = 0;
const NOT_IN = 1;
const EXISTS = 2;
const DOES_NOT_EXIST = 3;
const GT = 4;
const LT = 5;

const operators: Readonly<Record<string, readonly [number, LabelOperator]>> = {
  In: [IN, "in"], NotIn: [NOT_IN, "notin"], Exists: [EXISTS, "exists"], DoesNotExist: [DOES_NOT_EXIST, "!"], Gt: [GT, "gt"], Lt: [LT, "lt"],
};
const supportedOperators = '"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"';

interface LabelRequirement {
  readonly key: string;
  readonly op: number;
  /** The only value of a single-valued In/NotIn (compared directly). */
  readonly one: string | undefined;
  /** The values of a multi-valued In/NotIn. */
  readonly set: ReadonlySet<string> | undefined;
  /** The parsed bound of Gt/Lt. */
  readonly bound: number | bigint;
}

interface FieldRequirement {
  readonly key: string;
  readonly equal: boolean;
  readonly value: string;
}

/** A parsed nodeSelectorTerm; a term with parse errors matches no node. */
export interface CompiledTerm {
  readonly labels: readonly LabelRequirement[] | undefined;
  readonly fields: readonly FieldRequirement[] | undefined;
  readonly errors: readonly string[] | undefined;
}

export interface WeightedTerm extends CompiledTerm {
  readonly weight: number;
}

/** Terms ORed; empty terms were dropped (they select nothing). */
export interface CompiledNodeSelector {
  readonly terms: readonly CompiledTerm[];
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64): the value (a bigint only beyond 15 digits), or undefined. */
export function parseInt64(s: string): number | bigint | undefined {
  const n = s.length;
  let i = 0;
  const c0 = s.charCodeAt(0);
  if (c0 === 43 || c0 === 45) i = 1; // + or -
  if (i >= n) return undefined;
  for (let j = i; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  if (n - i <= 15) return Number(s);
  const b = BigInt(s);
  return b < INT64_MIN || b > INT64_MAX ? undefined : b;
}

function compileLabelRequirement(r: NodeSelectorRequirement, path: string, errors: string[]): LabelRequirement | undefined {
  const op = Object.hasOwn(operators, r.operator) ? operators[r.operator] : undefined;
  if (!op) {
    errors.push(`${path}.operator: Unsupported value: ${JSON.stringify(r.operator)}: supported values: ${supportedOperators}`);
    return undefined;
  }
  const values = r.values ?? [];
  try {
    newRequirement(r.key, op[1], values); // labels.NewRequirement's validation
  } catch (err) {
    errors.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const multi = (op[0] === IN || op[0] === NOT_IN) && values.length > 1;
  return {
    key: r.key,
    op: op[0],
    one: values.length === 1 ? values[0] : undefined,
    set: multi ? new Set(values) : undefined,
    bound: op[0] === GT || op[0] === LT ? parseInt64(values[0]!)! : 0,
  };
}

function compileFieldRequirement(r: NodeSelectorRequirement, path: string, errors: string[]): FieldRequirement | undefined {
  if (r.operator !== "In" && r.operator !== "NotIn") {
    errors.push(`${path}.operator: Unsupported value: ${JSON.stringify(r.operator)}: supported values: "In", "NotIn"`);
    return undefined;
  }
  const values = r.values ?? [];
  if (values.length !== 1) {
    errors.push(`${path}.values: Invalid value: ${JSON.stringify(values)}: must have one element`);
    return undefined;
  }
  return { key: r.key, equal: r.operator === "In", value: values[0]! };
}

const isEmptyTerm = (t: NodeSelectorTerm): boolean => (t.matchExpressions?.length ?? 0) === 0 && (t.matchFields?.length ?? 0) === 0;

/** Parses one term; errors are kept in the result (the term then never matches). */
export function compileTerm(term: NodeSelectorTerm, path = ""): CompiledTerm {
  const errors: string[] = [];
  let labels: LabelRequirement[] | undefined;
  let fields: FieldRequirement[] | undefined;
  const exprs = term.matchExpressions ?? [];
  if (exprs.length > 0) {
    labels = [];
    exprs.forEach((r, i) => {
      const c = compileLabelRequirement(r, `${path}matchExpressions[${i}]`, errors);
      if (c) labels!.push(c);
    });
  }
  const fs = term.matchFields ?? [];
  if (fs.length > 0) {
    fields = [];
    fs.forEach((r, i) => {
      const c = compileFieldRequirement(r, `${path}matchFields[${i}]`, errors);
      if (c) fields!.push(c);
    });
  }
  return errors.length > 0 ? { labels: undefined, fields: undefined, errors } : { labels, fields, errors: undefined };
}

function labelMatches(r: LabelRequirement, labels: Labels): boolean {
  const v = labels[r.key];
  // typeof rather than hasOwn: inherited Object.prototype members are never strings.
  const has = typeof v === "string";
  switch (r.op) {
    case IN:
      return has && (r.set ? r.set.has(v) : v === r.one);
    case NOT_IN:
      return !has || !(r.set ? r.set.has(v) : v === r.one);
    case EXISTS:
      return has;
    case DOES_NOT_EXIST:
      return !has;
    default: {
      if (!has) return false;
      const n = parseInt64(v);
      if (n === undefined) return false;
      return r.op === GT ? n > r.bound : n < r.bound;
    }
  }
}

/** Whether the term selects a node with these labels and name (matchFields are ignored for a nameless node). */
export function termMatches(t: CompiledTerm, labels: Labels, nodeName: string): boolean {
  if (t.errors) return false;
  const ls = t.labels;
  if (ls) for (let i = 0; i < ls.length; i++) if (!labelMatches(ls[i], labels)) return false;
  const fs = t.fields;
  if (fs && nodeName !== "") {
    for (let i = 0; i < fs.length; i++) {
      const f = fs[i];
      const v = f.key === "metadata.name" ? nodeName : "";
      if ((v === f.value) !== f.equal) return false;
    }
  }
  return true;
}

/** NewLazyErrorNodeSelector: parse errors only make their own term fail. */
export function compileNodeSelector(ns: NodeSelector): CompiledNodeSelector {
  const terms: CompiledTerm[] = [];
  ns.nodeSelectorTerms.forEach((t, i) => {
    if (!isEmptyTerm(t)) terms.push(compileTerm(t, `nodeSelectorTerms[${i}].`));
  });
  return { terms };
}

/** NewNodeSelector: like compileNodeSelector but throws with every parse error. */
export function compileNodeSelectorStrict(ns: NodeSelector): CompiledNodeSelector {
  const sel = compileNodeSelector(ns);
  const errors = sel.terms.flatMap((t) => t.errors ?? []);
  if (errors.length > 0) throw new Error(aggregate(errors));
  return sel;
}

/** Whether any term selects the node. */
export function nodeSelectorMatches(sel: CompiledNodeSelector, labels: Labels, nodeName: string): boolean {
  const ts = sel.terms;
  for (let i = 0; i < ts.length; i++) if (termMatches(ts[i], labels, nodeName)) return true;
  return false;
}

const aggregate = (errors: readonly string[]): string => (errors.length === 1 ? errors[0]! : `[${errors.join(", ")}]`);

/**
 * NewPreferredSchedulingTerms: terms with weight 0 or no requirements are dropped; any parse error
 * throws (Kubernetes reports them all at once).
 */
export function compilePreferredTerms(terms: readonly PreferredSchedulingTerm[]): WeightedTerm[] {
  const out: WeightedTerm[] = [];
  const errors: string[] = [];
  terms.forEach((t, i) => {
    if (!t.weight || isEmptyTerm(t.preference)) return;
    const c = compileTerm(t.preference, `[${i}].`);
    if (c.errors) errors.push(...c.errors);
    else out.push({ ...c, weight: t.weight });
  });
  if (errors.length > 0) throw new Error(aggregate(errors));
  return out;
}

/** Sum of the weights of the terms that select the node. */
export function preferredScore(terms: readonly WeightedTerm[], labels: Labels, nodeName: string): number {
  let score = 0;
  for (let i = 0; i < terms.length; i++) if (termMatches(terms[i], labels, nodeName)) score += terms[i].weight;
  return score;
}

/** A pod's spec.nodeSelector plus required node affinity (nodeaffinity.RequiredNodeAffinity). */
export interface RequiredNodeAffinity {
  /** nodeSelector as parallel arrays (absent when the pod has none). */
  readonly selectorKeys: readonly string[];
  readonly selectorValues: readonly string[];
  /** Required node affinity, parse errors kept lazily; undefined when the pod has none. */
  readonly nodeSelector: CompiledNodeSelector | undefined;
}

export function requiredNodeAffinity(pod: Pod): RequiredNodeAffinity {
  const selectorKeys: string[] = [];
  const selectorValues: string[] = [];
  const sel = pod.spec?.nodeSelector;
  if (sel) {
    for (const k of Object.keys(sel)) {
      selectorKeys.push(k);
      selectorValues.push(sel[k]!);
    }
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return { selectorKeys, selectorValues, nodeSelector: required ? compileNodeSelector(required) : undefined };
}

/** Whether a node with these labels and name satisfies the pod's nodeSelector and required node affinity. */
export function requiredNodeAffinityMatches(r: RequiredNodeAffinity, labels: Labels, nodeName: string): boolean {
  const ks = r.selectorKeys;
  for (let i = 0; i < ks.length; i++) {
    if (labels[ks[i]] !== r.selectorValues[i]) return false;
  }
  return r.nodeSelector === undefined || nodeSelectorMatches(r.nodeSelector, labels, nodeName);
}

/** Convenience for callers holding a Node (controllers): the pod's required node affinity and nodeSelector match it. */
export function podMatchesNode(pod: Pod, node: Node): boolean {
  return requiredNodeAffinityMatches(requiredNodeAffinity(pod), node.metadata?.labels ?? {}, node.metadata?.name ?? "");
}
