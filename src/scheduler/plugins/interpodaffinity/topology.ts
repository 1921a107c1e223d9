// Topology bookkeeping shared by InterPodAffinity's Filter and Score: counts per (topology key,
// value) pair kept as nested maps so per-node lookups build no strings, and term matching for the
// incoming pod's terms with namespace labels looked up once per namespace.
import type { Pod } from "kubernetes-types/core/v1.js";
import { matchesLabels, nothing } from "../../../apimachinery/labels.ts";
import type { AffinityTerm } from "../../framework/pod-info.ts";
import type { Handle } from "../../framework/types.ts";

type Labels = Readonly<Record<string, string>>;

/** The value of label `key`, or undefined when absent (safe for keys like "constructor"). */
export function labelValue(labels: Labels | undefined, key: string): string | undefined {
  if (labels === undefined) return undefined;
  const v = labels[key];
  // Object.prototype has no string-valued properties, so inherited names read as absent.
  return typeof v === "string" ? v : undefined;
}

/** Counts per topology pair (topologyPair → int64 in Kubernetes); a pair reaching 0 is removed. */
export class TopologyCounts {
  private readonly byKey = new Map<string, Map<string, number>>();
  /** Number of pairs held (Kubernetes' len(map)). */
  size = 0;

  /** Adds `delta` to the pair (key, the node's value for key); nothing when the node lacks the label. */
  addForNode(labels: Labels | undefined, key: string, delta: number): boolean {
    const value = labelValue(labels, key);
    if (value === undefined) return false;
    this.add(key, value, delta);
    return true;
  }

  add(key: string, value: string, delta: number): void {
    let values = this.byKey.get(key);
    if (values === undefined) this.byKey.set(key, (values = new Map()));
    const prev = values.get(value);
    const next = (prev ?? 0) + delta;
    if (next === 0) {
      if (prev !== undefined) {
        values.delete(value);
        this.size--;
        if (values.size === 0) this.byKey.delete(key);
      }
      return;
    }
    if (prev === undefined) this.size++;
    values.set(value, next);
  }

  get(key: string, value: string): number {
    return this.byKey.get(key)?.get(value) ?? 0;
  }

  /** Whether some pair (k, labels[k]) has a positive count: the node is in a counted domain. */
  anyPositiveFor(labels: Labels | undefined): boolean {
    if (labels === undefined) return false;
    for (const [key, values] of this.byKey) {
      const v = labelValue(labels, key);
      if (v !== undefined && (values.get(v) ?? 0) > 0) return true;
    }
    return false;
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (const [k, values] of this.byKey) c.byKey.set(k, new Map(values));
    c.size = this.size;
    return c;
  }
}

/**
 * Namespace labels looked up at most once per namespace per cycle. Kubernetes resolves the
 * incoming pod's namespaceSelector into a namespace list in PreFilter; matching a namespace's
 * labels lazily against the selector gives the same answer without listing namespaces.
 */
export class NamespaceLabels {
  private readonly cache = new Map<string, Labels | undefined>();
  private readonly handle: Handle;

  constructor(handle: Handle) {
    this.handle = handle;
  }

  of(ns: string): Labels | undefined {
    if (this.cache.has(ns)) return this.cache.get(ns);
    const labels = this.handle.namespaceLabels(ns);
    this.cache.set(ns, labels);
    return labels;
  }
}

/** What term matching looks at in a pod; a PodInfo is one (so existing pods are matched without reading the Pod). */
export interface PodLabels {
  readonly namespace: string;
  readonly labels: Labels | undefined;
}

export const podLabels = (pod: Pod): PodLabels => ({ namespace: pod.metadata?.namespace ?? "", labels: pod.metadata?.labels });

/** Whether a term of the incoming pod selects `pod` (AffinityTerm.Matches with merged namespaces). */
export function incomingTermMatches(term: AffinityTerm, pod: PodLabels, ns: NamespaceLabels): boolean {
  const podNs = pod.namespace;
  if (!term.namespaces.has(podNs)) {
    if (term.namespaceSelector === nothing || !matchesLabels(term.namespaceSelector, ns.of(podNs) ?? {})) return false;
  }
  return matchesLabels(term.selector, pod.labels);
}

/** True when there are terms and `pod` matches all of them (how affinity terms combine). */
export function matchesAllIncomingTerms(terms: readonly AffinityTerm[], pod: PodLabels, ns: NamespaceLabels): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!incomingTermMatches(t, pod, ns)) return false;
  return true;
}
