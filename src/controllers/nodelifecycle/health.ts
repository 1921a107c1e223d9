// Node health as the node lifecycle controller judges it (tryUpdateNodeHealth, ComputeZoneState):
// a node is alive while its Ready heartbeat or its Lease moves, measured on the controller's own
// clock; past the grace period its conditions become Unknown. Pure functions, tested alone.
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node, NodeCondition } from "kubernetes-types/core/v1.js";
import { condition } from "./taints.ts";

/** What the controller remembers of a node between passes (nodeHealthData). */
export interface NodeHealth {
  /** The Ready condition last seen in the node's status, if any. */
  ready?: { lastHeartbeatTime?: string; lastTransitionTime?: string };
  /** When (controller clock, ms) the node last showed a sign of life. */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The Lease's renewTime last seen. */
  leaseRenewTime?: string;
}

export interface HealthOptions {
  /** nodeMonitorGracePeriod (ms). */
  gracePeriodMs: number;
  /** nodeStartupGracePeriod (ms): for nodes that never posted a Ready condition. */
  startupGracePeriodMs: number;
}

export interface HealthResult {
  health: NodeHealth;
  /** The Ready condition as observed before this pass changed anything (a stand-in when there is none). */
  observedReady: NodeCondition;
  /** The node with its conditions set to Unknown, when that needs writing. */
  update?: Node;
}

/** metav1.Time / MicroTime in microseconds since the epoch (NaN when absent or malformed). */
export function microsOf(t: string | undefined): number {
  if (!t) return NaN;
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(t);
  if (!m) return NaN;
  const base = Date.parse(`${m[1]}Z`);
  const frac = Number(((m[2] ?? "") + "000000").slice(0, 6));
  return base * 1000 + frac;
}

/** metav1.Time: RFC 3339 in whole seconds. */
export const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

const CONDITION_TYPES = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/**
 * One node's health at `now` given what was remembered (`saved`) and its Lease. Probe time moves
 * when the Ready heartbeat changed or the Lease was renewed; past the grace period every kubelet
 * condition becomes Unknown (NodeStatusUnknown, "Kubelet stopped posting node status."), or is
 * added as Unknown (NodeStatusNeverUpdated) if the kubelet never posted it.
 */
export function assessNodeHealth(node: Node, saved: NodeHealth | undefined, lease: Lease | undefined, now: number, opts: HealthOptions): HealthResult {
  const created = Date.parse(node.metadata?.creationTimestamp ?? "") || now;
  const current = condition(node, "Ready");
  let gracePeriod = opts.gracePeriodMs;
  let observedReady: NodeCondition;
  let health: NodeHealth;
  if (!current) {
    const t = node.metadata?.creationTimestamp;
    observedReady = { type: "Ready", status: "Unknown", lastHeartbeatTime: t, lastTransitionTime: t };
    gracePeriod = opts.startupGracePeriodMs;
    health = saved ? { ...saved, ready: undefined } : { probeTimestamp: created, readyTransitionTimestamp: created };
  } else {
    observedReady = { ...current };
    const seen = { lastHeartbeatTime: current.lastHeartbeatTime, lastTransitionTime: current.lastTransitionTime };
    if (!saved) {
      health = { ready: seen, probeTimestamp: now, readyTransitionTimestamp: now };
    } else if (!saved.ready) {
      // The controller restarted with the node already there, or the kubelet just posted its first status.
      health = { ...saved, ready: seen, probeTimestamp: now, readyTransitionTimestamp: now };
    } else if (saved.ready.lastHeartbeatTime !== current.lastHeartbeatTime) {
      const transitioned = saved.ready.lastTransitionTime !== current.lastTransitionTime;
      health = { ...saved, ready: seen, probeTimestamp: now, readyTransitionTimestamp: transitioned ? now : saved.readyTransitionTimestamp };
    } else {
      health = { ...saved };
    }
  }
  // A renewed Lease is a sign of life too.
  const renew = lease?.spec?.renewTime;
  if (renew && (health.leaseRenewTime === undefined || microsOf(health.leaseRenewTime) < microsOf(renew))) {
    health = { ...health, leaseRenewTime: renew, probeTimestamp: now };
  }
  if (now <= health.probeTimestamp + gracePeriod) return { health, observedReady };

  const update = structuredClone(node);
  const status = (update as { status?: Node["status"] }).status ??= {};
  const conditions = (status.conditions ??= []);
  const t = rfc3339(now);
  for (const type of CONDITION_TYPES) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({ type, status: "Unknown", reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status.", lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: t });
    } else if (c.status !== "Unknown") {
      Object.assign(c, { status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: t });
    }
  }
  const after = conditions.find((x) => x.type === "Ready");
  const same = after && after.status === observedReady.status && after.reason === observedReady.reason && after.lastTransitionTime === observedReady.lastTransitionTime;
  return same ? { health, observedReady } : { health, observedReady, update };
}

export type ZoneState = "Initial" | "Normal" | "FullDisruption" | "PartialDisruption";

/** ComputeZoneState: no Ready node = full disruption; more than 2 not ready and at least the threshold fraction = partial. */
export function computeZoneState(readyStatuses: readonly (string | undefined)[], unhealthyZoneThreshold: number): { notReady: number; state: ZoneState } {
  const ready = readyStatuses.filter((s) => s === "True").length;
  const notReady = readyStatuses.length - ready;
  if (ready === 0 && notReady > 0) return { notReady, state: "FullDisruption" };
  if (notReady > 2 && notReady / (notReady + ready) >= unhealthyZoneThreshold) return { notReady, state: "PartialDisruption" };
  return { notReady, state: "Normal" };
}

/** The zone key of a node (topology.kubernetes.io/region + zone, as nodetopology.GetZoneKey). */
export function zoneOf(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const region = l["topology.kubernetes.io/region"] ?? l["failure-domain.beta.kubernetes.io/region"] ?? "";
  const zone = l["topology.kubernetes.io/zone"] ?? l["failure-domain.beta.kubernetes.io/zone"] ?? "";
  return region || zone ? `${region}:\u0000:${zone}` : "";
}
