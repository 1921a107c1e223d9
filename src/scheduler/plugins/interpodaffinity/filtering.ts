// InterPodAffinity PreFilter/Filter (interpodaffinity/filtering.go): PreFilter counts, per
// topology pair, the existing pods whose required anti-affinity selects the incoming pod and the
// existing pods selected by the incoming pod's required (anti-)affinity; Filter only looks the
// node's labels up in those counts. Preemption keeps the counts right through addPod/removePod.
import type { Node, Pod, PodAffinityTerm } from "kubernetes-types/core/v1.js";
import { labelSelectorAsSelector } from "../../../apimachinery/labels.ts";
import type { CycleState, StateData } from "../../framework/cycle-state.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { affinityTerm, termMatches } from "../../framework/pod-info.ts";
import type { AffinityTerm, PodInfo } from "../../framework/pod-info.ts";
import { errorStatus, SKIP, SUCCESS, unresolvable } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import type { Handle } from "../../framework/types.ts";
import { incomingTermMatches, labelValue, matchesAllIncomingTerms, NamespaceLabels, podLabels, TopologyCounts } from "./topology.ts";
import type { PodLabels } from "./topology.ts";

export const PRE_FILTER_STATE_KEY = "PreFilterInterPodAffinity";

export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";

type Labels = Readonly<Record<string, string>>;

// Filter's rejections are shared (a pod is often rejected by thousands of nodes per cycle).
const rejection = (code: Status["code"], reason: string): Status => Object.freeze({ code, reasons: Object.freeze([reason]), plugin: "InterPodAffinity" });
const REJECTED_AFFINITY = rejection("UnschedulableAndUnresolvable", ERR_REASON_AFFINITY_RULES_NOT_MATCH);
const REJECTED_ANTI_AFFINITY = rejection("Unschedulable", ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
const REJECTED_EXISTING_ANTI_AFFINITY = rejection("Unschedulable", ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);

/** What PreFilter computed for one pod; cloned for each preemption candidate node. */
export class PreFilterState implements StateData {
  /** Existing pods whose required anti-affinity terms select the incoming pod, per pair. */
  existingAntiAffinityCounts = new TopologyCounts();
  /** Existing pods matching all of the incoming pod's required affinity terms, per pair. */
  affinityCounts = new TopologyCounts();
  /** Existing pods matching the incoming pod's required anti-affinity terms, per pair. */
  antiAffinityCounts = new TopologyCounts();
  readonly pod: Pod;
  /** The incoming pod's namespace and labels (it may match its own affinity terms). */
  readonly self: PodLabels;
  readonly affinityTerms: readonly AffinityTerm[];
  readonly antiAffinityTerms: readonly AffinityTerm[];
  /** Labels of the incoming pod's namespace (for existing pods' namespaceSelectors). */
  readonly namespaceLabels: Labels | undefined;
  /** Lookup for other namespaces (for the incoming pod's namespaceSelectors). */
  readonly namespaces: NamespaceLabels;

  constructor(pod: Pod, affinityTerms: readonly AffinityTerm[], antiAffinityTerms: readonly AffinityTerm[], namespaces: NamespaceLabels) {
    this.pod = pod;
    this.self = podLabels(pod);
    this.affinityTerms = affinityTerms;
    this.antiAffinityTerms = antiAffinityTerms;
    this.namespaces = namespaces;
    this.namespaceLabels = namespaces.of(pod.metadata?.namespace ?? "");
  }

  clone(): PreFilterState {
    const c = new PreFilterState(this.pod, this.affinityTerms, this.antiAffinityTerms, this.namespaces);
    c.existingAntiAffinityCounts = this.existingAntiAffinityCounts.clone();
    c.affinityCounts = this.affinityCounts.clone();
    c.antiAffinityCounts = this.antiAffinityCounts.clone();
    return c;
  }

  /** Adds (multiplier 1) or removes (-1) the matches of `info`, a pod on `node`. */
  updateWithPod(info: PodInfo, node: Node | undefined, multiplier: number): void {
    const labels = node?.metadata?.labels;
    for (const t of info.requiredAntiAffinityTerms) {
      if (termMatches(t, this.pod, this.namespaceLabels)) this.existingAntiAffinityCounts.addForNode(labels, t.topologyKey, multiplier);
    }
    if (matchesAllIncomingTerms(this.affinityTerms, info, this.namespaces)) {
      for (const t of this.affinityTerms) this.affinityCounts.addForNode(labels, t.topologyKey, multiplier);
    }
    for (const t of this.antiAffinityTerms) {
      if (incomingTermMatches(t, info, this.namespaces)) this.antiAffinityCounts.addForNode(labels, t.topologyKey, multiplier);
    }
  }
}

/** Throws on the first invalid selector in the pod's (anti-)affinity terms, as NewPodInfo fails. */
function validateTerms(pod: Pod): void {
  const a = pod.spec?.affinity;
  const check = (t: PodAffinityTerm) => {
    labelSelectorAsSelector(t.labelSelector);
    if (t.namespaceSelector) labelSelectorAsSelector(t.namespaceSelector);
  };
  for (const t of a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) check(t);
  for (const t of a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) check(t);
  for (const w of a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) check(w.podAffinityTerm);
  for (const w of a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) check(w.podAffinityTerm);
}

/** Counts existing pods' required anti-affinity terms that select `pod`. */
function existingAntiAffinityCounts(pod: Pod, nsLabels: Labels | undefined, nodes: readonly NodeInfo[]): TopologyCounts {
  const counts = new TopologyCounts();
  // Pods of one template share their terms (see affinityTerm): match each term once in a row.
  let last: AffinityTerm | undefined;
  let lastMatched = false;
  for (const n of nodes) {
    if (!n.node) continue;
    const labels = n.labels;
    for (const existing of n.podsWithRequiredAntiAffinity) {
      for (const t of existing.requiredAntiAffinityTerms) {
        if (t !== last) {
          last = t;
          lastMatched = termMatches(t, pod, nsLabels);
        }
        if (lastMatched) counts.addForNode(labels, t.topologyKey, 1);
      }
    }
  }
  return counts;
}

/** Counts existing pods matched by the incoming pod's required affinity and anti-affinity terms. */
function incomingCounts(s: PreFilterState, nodes: readonly NodeInfo[]): void {
  if (s.affinityTerms.length === 0 && s.antiAffinityTerms.length === 0) return;
  for (const n of nodes) {
    const pods = n.pods;
    if (pods.length === 0 || !n.node) continue;
    const labels = n.labels;
    for (const existing of pods) {
      if (s.affinityTerms.length > 0 && matchesAllIncomingTerms(s.affinityTerms, existing, s.namespaces)) {
        for (const t of s.affinityTerms) s.affinityCounts.addForNode(labels, t.topologyKey, 1);
      }
      for (const t of s.antiAffinityTerms) {
        if (incomingTermMatches(t, existing, s.namespaces)) s.antiAffinityCounts.addForNode(labels, t.topologyKey, 1);
      }
    }
  }
}

/**
 * PreFilter: Skip when the pod has no required (anti-)affinity and no existing pod's required
 * anti-affinity selects it, so Filter is not run at all.
 */
export function preFilter(handle: Handle, state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
  const affinity = pod.spec?.affinity;
  if (affinity?.podAffinity || affinity?.podAntiAffinity) {
    try {
      validateTerms(pod);
    } catch (err) {
      return unresolvable(`parsing pod: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const affinityTerms = (affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t));
  const antiAffinityTerms = (affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t));
  const s = new PreFilterState(pod, affinityTerms, antiAffinityTerms, new NamespaceLabels(handle));
  s.existingAntiAffinityCounts = existingAntiAffinityCounts(pod, s.namespaceLabels, handle.snapshot().havePodsWithRequiredAntiAffinity());
  if (s.existingAntiAffinityCounts.size === 0 && affinityTerms.length === 0 && antiAffinityTerms.length === 0) return SKIP;
  incomingCounts(s, nodes);
  state.write(PRE_FILTER_STATE_KEY, s);
  return SUCCESS;
}

export function readPreFilterState(state: CycleState): PreFilterState | Status {
  const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
  if (!(s instanceof PreFilterState)) return errorStatus(`error reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`);
  return s;
}

/** Every term's topology key is on the node and, unless this is the first pod of its group, has matches there. */
function satisfiesPodAffinity(s: PreFilterState, labels: Labels | undefined): boolean {
  let podsExist = true;
  for (const t of s.affinityTerms) {
    const v = labelValue(labels, t.topologyKey);
    if (v === undefined) return false;
    if (s.affinityCounts.get(t.topologyKey, v) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group whose affinity selects itself: nothing matches anywhere yet, so
  // allow it on any node that has all the topology keys rather than leave it pending forever.
  return s.affinityCounts.size === 0 && matchesAllIncomingTerms(s.affinityTerms, s.self, s.namespaces);
}

function satisfiesPodAntiAffinity(s: PreFilterState, labels: Labels | undefined): boolean {
  if (s.antiAffinityCounts.size === 0) return true;
  for (const t of s.antiAffinityTerms) {
    const v = labelValue(labels, t.topologyKey);
    if (v !== undefined && s.antiAffinityCounts.get(t.topologyKey, v) > 0) return false;
  }
  return true;
}

export function filter(state: CycleState, node: NodeInfo): Status {
  const s = readPreFilterState(state);
  if (!(s instanceof PreFilterState)) return s;
  if (!node.node) return errorStatus("node not found");
  const labels = node.labels;
  if (!satisfiesPodAffinity(s, labels)) return REJECTED_AFFINITY;
  if (!satisfiesPodAntiAffinity(s, labels)) return REJECTED_ANTI_AFFINITY;
  if (s.existingAntiAffinityCounts.size > 0 && s.existingAntiAffinityCounts.anyPositiveFor(labels)) return REJECTED_EXISTING_ANTI_AFFINITY;
  return SUCCESS;
}

/** PreFilterExtensions.addPod/removePod: `delta` 1 adds `info` on `node`, -1 removes it. */
export function updateState(state: CycleState, info: PodInfo, node: NodeInfo, delta: number): Status {
  const s = readPreFilterState(state);
  if (!(s instanceof PreFilterState)) return s;
  s.updateWithPod(info, node.node, delta);
  return SUCCESS;
}
