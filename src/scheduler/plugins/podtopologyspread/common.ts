// Parsed spread constraints and the helpers Filter and Score share (podtopologyspread/common.go):
// constraints of one whenUnsatisfiable action with their selectors (matchLabelKeys merged in),
// which nodes are eligible for a constraint, and counting matching pods on a node.
import type { Node, Pod, TopologySpreadConstraint } from "kubernetes-types/core/v1.js";
import { isEverything, labelSelectorAsSelector, matchesLabels } from "../../../apimachinery/labels.ts";
import type { Requirement, Selector } from "../../../apimachinery/labels.ts";
import type { PodInfo } from "../../framework/pod-info.ts";
import { hasUntoleratedTaint, requiredNodeAffinity } from "./node-inclusion.ts";

export const HOSTNAME_LABEL = "kubernetes.io/hostname";
export const ZONE_LABEL = "topology.kubernetes.io/zone";

type Labels = Readonly<Record<string, string>>;

/** A TopologySpreadConstraint with its selector parsed and the optional fields defaulted. */
export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: Selector;
  /** Default 1. */
  readonly minDomains: number;
  /** "Honor" (default): only nodes matching the pod's nodeSelector/required node affinity count. */
  readonly nodeAffinityPolicy: string;
  /** "Ignore" (default); "Honor": nodes with untolerated NoSchedule/NoExecute taints do not count. */
  readonly nodeTaintsPolicy: string;
}

/** The value of label `key`, or undefined when absent (inherited names such as "constructor" read as absent). */
export function labelValue(labels: Labels | undefined, key: string): string | undefined {
  if (labels === undefined) return undefined;
  const v = labels[key];
  return typeof v === "string" ? v : undefined;
}

/** The selector ANDed with `key in (value)` for each matchLabelKeys key the pod has (as Kubernetes 1.32's scheduler does). */
function mergeMatchLabelKeys(selector: Selector, keys: readonly string[] | undefined, podLabels: Labels | undefined): Selector {
  if (!keys?.length || selector.nothing) return selector;
  const extra: Requirement[] = [];
  for (const key of keys) {
    const v = labelValue(podLabels, key);
    if (v !== undefined) extra.push({ key, operator: "=", values: [v] });
  }
  if (extra.length === 0) return selector;
  const requirements = [...extra, ...selector.requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { requirements };
}

/**
 * The constraints with `whenUnsatisfiable === action`, parsed. Throws (a 400 StatusError from
 * the label parser) on an invalid selector.
 */
export function filterConstraints(constraints: readonly TopologySpreadConstraint[], podLabels: Labels | undefined, action: string): SpreadConstraint[] {
  const out: SpreadConstraint[] = [];
  for (const c of constraints) {
    if (c.whenUnsatisfiable !== action) continue;
    const selector = mergeMatchLabelKeys(labelSelectorAsSelector(c.labelSelector), c.matchLabelKeys, podLabels);
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? "Honor",
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? "Ignore",
    });
  }
  return out;
}

/** Whether the node has every constraint's topology key. */
export function nodeHasAllKeys(labels: Labels | undefined, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) if (labelValue(labels, c.topologyKey) === undefined) return false;
  return true;
}

/**
 * Matching pods in namespace `ns` on one node, terminating pods excluded. An empty selector
 * counts nothing, as Kubernetes' countPodsMatchSelector.
 */
export function countMatchingPods(pods: readonly PodInfo[], selector: Selector, ns: string): number {
  if (isEverything(selector) || selector.nothing) return 0;
  let count = 0;
  for (let i = 0; i < pods.length; i++) {
    const p = pods[i];
    if (p.terminating || p.namespace !== ns) continue;
    if (matchesLabels(selector, p.labels)) count++;
  }
  return count;
}

/**
 * Decides per node which constraints count it (matchNodeInclusionPolicies), evaluating the
 * pod's node affinity and tolerations at most once per node.
 */
export class NodeInclusion {
  private readonly affinity: ((node: Node) => boolean) | undefined;
  private readonly pod: Pod;
  private readonly needAffinity: boolean;
  private readonly needTaints: boolean;
  private affinityOk = true;
  private taintsOk = true;

  constructor(pod: Pod, constraints: readonly SpreadConstraint[]) {
    this.pod = pod;
    this.affinity = requiredNodeAffinity(pod);
    this.needAffinity = this.affinity !== undefined && constraints.some((c) => c.nodeAffinityPolicy === "Honor");
    this.needTaints = constraints.some((c) => c.nodeTaintsPolicy === "Honor");
  }

  /** Evaluates the node once; `includes` then answers per constraint. */
  setNode(node: Node): void {
    this.affinityOk = !this.needAffinity || this.affinity!(node);
    this.taintsOk = !this.needTaints || !hasUntoleratedTaint(node, this.pod.spec?.tolerations ?? []);
  }

  includes(c: SpreadConstraint): boolean {
    return (c.nodeAffinityPolicy !== "Honor" || this.affinityOk) && (c.nodeTaintsPolicy !== "Honor" || this.taintsOk);
  }
}
