// What the scheduler precomputes once per pod (framework.PodInfo): requests, host ports and the
// parsed pod (anti-)affinity terms, so that Filter and Score never re-parse selectors per node.
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from "kubernetes-types/core/v1.js";
import { labelSelectorAsSelector, matchesLabels, nothing } from "../../apimachinery/labels.ts";
import type { Selector } from "../../apimachinery/labels.ts";
import { podRequests } from "./resources.ts";
import { asPropertyName, Interner, internLabels, internString } from "./intern.ts";
import type { Resource } from "./resources.ts";

export interface AffinityTerm {
  /** Namespaces listed in the term (or the pod's own when neither list nor selector is given). */
  readonly namespaces: ReadonlySet<string>;
  /** Matches namespaces by their labels; `nothing` when the term has no namespaceSelector. */
  readonly namespaceSelector: Selector;
  readonly selector: Selector;
  readonly topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

export interface HostPort {
  readonly ip: string;
  readonly protocol: string;
  readonly port: number;
}

export interface PodInfo {
  readonly pod: Pod;
  readonly key: string;
  /**
   * The pod's namespace, labels and whether it is terminating, read without going through `pod`;
   * namespace and labels are shared between pods with equal ones (see intern.ts): do not mutate.
   */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
  readonly terminating: boolean;
  readonly requests: Resource;
  /** Requests with the scoring defaults for containers that request nothing. */
  readonly nonZeroRequests: Resource;
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];
}

export const podKey = (pod: Pod): string => `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;

function safeSelector(s: PodAffinityTerm["labelSelector"]): Selector {
  try {
    return labelSelectorAsSelector(s);
  } catch {
    return nothing;
  }
}

/**
 * Parsed terms by their text (with the pod's namespace when the term defaults to it), so that the
 * pods of one template share one immutable term.
 */
const terms = new Interner<AffinityTerm>();
const intern = <T extends AffinityTerm>(key: string, make: () => T): T => terms.get(key, () => Object.freeze(make())) as T;

/** The parsed term (shared with every pod having the same term in the same namespace: do not mutate it). */
export function affinityTerm(pod: Pod, t: PodAffinityTerm): AffinityTerm {
  const listed = t.namespaces ?? [];
  const ownNamespace = listed.length === 0 && !t.namespaceSelector;
  const key = `${ownNamespace ? (pod.metadata?.namespace ?? "") : ""}\u0000${JSON.stringify(t)}`;
  return intern(key, () => {
    const namespaces = new Set(ownNamespace ? [pod.metadata?.namespace ?? ""] : listed);
    const namespaceSelector = t.namespaceSelector ? safeSelector(t.namespaceSelector) : nothing;
    return { namespaces, namespaceSelector, selector: t.labelSelector ? safeSelector(t.labelSelector) : nothing, topologyKey: asPropertyName(t.topologyKey) };
  });
}

/** A weighted term, shared as `affinityTerm`. */
export function weightedAffinityTerm(pod: Pod, w: WeightedPodAffinityTerm): WeightedAffinityTerm {
  const term = affinityTerm(pod, w.podAffinityTerm);
  const ns = w.podAffinityTerm.namespaces?.length || w.podAffinityTerm.namespaceSelector ? "" : (pod.metadata?.namespace ?? "");
  return intern(`w${w.weight}\u0000${ns}\u0000${JSON.stringify(w.podAffinityTerm)}`, () => ({ ...term, weight: w.weight }));
}

const weighted = (pod: Pod, ts: readonly WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] =>
  (ts ?? []).map((w) => weightedAffinityTerm(pod, w));

/**
 * Whether `term` (of some pod) selects `pod`: the pod's namespace is listed or its labels match
 * the namespace selector, and the pod's labels match the term's selector.
 */
export function termMatches(term: AffinityTerm, pod: Pod, namespaceLabels: Readonly<Record<string, string>> | undefined): boolean {
  const ns = pod.metadata?.namespace ?? "";
  if (!term.namespaces.has(ns) && (term.namespaceSelector === nothing || !matchesLabels(term.namespaceSelector, namespaceLabels ?? {}))) return false;
  return matchesLabels(term.selector, pod.metadata?.labels ?? {});
}

export function newPodInfo(pod: Pod): PodInfo {
  const affinity = pod.spec?.affinity;
  const hostPorts: HostPort[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always"), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort && p.hostPort > 0) hostPorts.push({ ip: p.hostIP || "0.0.0.0", protocol: p.protocol || "TCP", port: p.hostPort });
    }
  }
  const requests = podRequests(pod);
  return {
    pod,
    key: podKey(pod),
    namespace: internString(pod.metadata?.namespace ?? ""),
    labels: internLabels(pod.metadata?.labels),
    terminating: !!pod.metadata?.deletionTimestamp,
    requests,
    nonZeroRequests: podRequests(pod, true),
    hostPorts,
    requiredAffinityTerms: (affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    requiredAntiAffinityTerms: (affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    preferredAffinityTerms: weighted(pod, affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinityTerms: weighted(pod, affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

