// Which nodes count for a spread constraint (nodeAffinityPolicy / nodeTaintsPolicy): the pod's
// required node affinity (nodeSelector AND required nodeAffinity terms, as component-helpers'
// GetRequiredNodeAffinity) and whether the pod tolerates the node's NoSchedule/NoExecute taints.
// Toleration matching is TaintToleration's own.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration } from "kubernetes-types/core/v1.js";
import { tolerationsTolerateTaint } from "../tainttoleration.ts";
import { matchesLabels, newRequirement, selectorFromSet } from "../../../apimachinery/labels.ts";
import type { LabelOperator, Requirement, Selector } from "../../../apimachinery/labels.ts";

/** A parsed node selector term; `invalid` terms never match (Kubernetes ignores parse errors here). */
interface Term {
  readonly labels: Selector | undefined;
  readonly fields: ReadonlyArray<{ key: string; value: string; equal: boolean }> | undefined;
  readonly invalid: boolean;
}

const labelOperators: Record<string, LabelOperator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!", Gt: "gt", Lt: "lt" };

function parseTerm(t: NodeSelectorTerm): Term {
  let labels: Selector | undefined;
  let fields: Array<{ key: string; value: string; equal: boolean }> | undefined;
  try {
    if (t.matchExpressions?.length) {
      const reqs: Requirement[] = t.matchExpressions.map((e: NodeSelectorRequirement) => {
        const op = Object.hasOwn(labelOperators, e.operator) ? labelOperators[e.operator] : undefined;
        if (!op) throw new Error(`${e.operator} is not a valid node selector operator`);
        return newRequirement(e.key, op, e.values ?? []);
      });
      labels = { requirements: reqs };
    }
    if (t.matchFields?.length) {
      fields = t.matchFields.map((e) => {
        if ((e.values ?? []).length !== 1 || (e.operator !== "In" && e.operator !== "NotIn")) throw new Error("invalid field selector");
        return { key: e.key, value: e.values![0]!, equal: e.operator === "In" };
      });
    }
  } catch {
    return { labels: undefined, fields: undefined, invalid: true };
  }
  return { labels, fields, invalid: false };
}

function termMatches(t: Term, node: Node): boolean {
  if (t.invalid) return false;
  if (t.labels && !matchesLabels(t.labels, node.metadata?.labels)) return false;
  const name = node.metadata?.name ?? "";
  if (t.fields && name !== "") {
    for (const f of t.fields) {
      const value = f.key === "metadata.name" ? name : "";
      if ((value === f.value) !== f.equal) return false;
    }
  }
  return true;
}

/** The pod's required node affinity as a predicate; undefined when it accepts every node. */
export function requiredNodeAffinity(pod: Pod): ((node: Node) => boolean) | undefined {
  const nodeSelector = pod.spec?.nodeSelector;
  const selector = nodeSelector && Object.keys(nodeSelector).length > 0 ? selectorFromSet(nodeSelector) : undefined;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  // An empty term (no expressions, no fields) selects nothing and is dropped.
  const terms = required
    ? required.nodeSelectorTerms.filter((t) => (t.matchExpressions?.length ?? 0) + (t.matchFields?.length ?? 0) > 0).map(parseTerm)
    : undefined;
  if (!selector && !terms) return undefined;
  return (node) => {
    if (selector && !matchesLabels(selector, node.metadata?.labels)) return false;
    if (!terms) return true;
    for (const t of terms) if (termMatches(t, node)) return true;
    return false;
  };
}

/** Whether some NoSchedule/NoExecute taint of the node is not tolerated by `tolerations`. */
export function hasUntoleratedTaint(node: Node, tolerations: readonly Toleration[]): boolean {
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute") continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) return true;
  }
  return false;
}
