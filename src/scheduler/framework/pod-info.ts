// What the scheduler precomputes once per pod (framework.PodInfo): requests, host ports and the
// parsed pod (anti-)affinity terms, so that Filter and Score never re-parse selectors per node.
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from "kubernetes-types/core/v1.js";
import { labelSelectorAsSelector, matchesLabels, nothing } from "../../apimachinery/labels.ts";
import type { Selector } from "../../apimachinery/labels.ts";
import { podRequests } from "./resources.ts";
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

export function affinityTerm(pod: Pod, t: PodAffinityTerm): AffinityTerm {
  const listed = t.namespaces ?? [];
  const namespaces = new Set(listed.length === 0 && !t.namespaceSelector ? [pod.metadata?.namespace ?? ""] : listed);
  const namespaceSelector = t.namespaceSelector ? safeSelector(t.namespaceSelector) : nothing;
  return { namespaces, namespaceSelector, selector: t.labelSelector ? safeSelector(t.labelSelector) : nothing, topologyKey: t.topologyKey };
}

const weighted = (pod: Pod, ts: readonly WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] =>
  (ts ?? []).map((w) => ({ ...affinityTerm(pod, w.podAffinityTerm), weight: w.weight }));

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
    requests,
    nonZeroRequests: podRequests(pod, true),
    hostPorts,
    requiredAffinityTerms: (affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    requiredAntiAffinityTerms: (affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    preferredAffinityTerms: weighted(pod, affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinityTerms: weighted(pod, affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

