// Eviction signals and hard thresholds (pkg/kubelet/eviction/api and helpers.go): parsing
// `evictionHard` ("memory.available": "100Mi", "nodefs.available": "10%"), which thresholds an
// observation meets, the node condition and resource each signal stands for, and the reservation
// the thresholds take out of allocatable.
import { parseQuantity, quantityToString, quantityValue } from "../../../apimachinery/quantity.ts";

export const SIGNALS = ["memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree", "pid.available"] as const;
export type Signal = (typeof SIGNALS)[number];

/** The kubelet's Linux defaults (KubeletConfiguration evictionHard). */
export const DEFAULT_EVICTION_HARD: Readonly<Record<string, string>> = Object.freeze({
  "memory.available": "100Mi",
  "nodefs.available": "10%",
  "nodefs.inodesFree": "5%",
  "imagefs.available": "15%",
  "imagefs.inodesFree": "5%",
});

export interface Threshold {
  signal: Signal;
  /** An absolute amount (bytes, inodes, pids) … */
  quantity?: number;
  /** … or a fraction (0..1) of the signal's capacity. */
  percentage?: number;
  /** The value as written ("100Mi", "10%"). */
  text: string;
}

/** What was observed for a signal: the amount available and the total it is a part of. */
export interface Observation {
  available: number;
  capacity: number;
}

export type Observations = Partial<Record<Signal, Observation>>;

export type PressureCondition = "MemoryPressure" | "DiskPressure" | "PIDPressure";

const isSignal = (s: string): s is Signal => (SIGNALS as readonly string[]).includes(s);

/**
 * Parses thresholds from a map (`{ "memory.available": "100Mi" }`) or the flag form
 * ("memory.available<100Mi,nodefs.available<10%"). Throws on an unknown signal or a bad value.
 */
export function parseThresholds(spec: Readonly<Record<string, string>> | string): Threshold[] {
  const entries: [string, string][] = typeof spec === "string"
    ? spec.split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
      const lt = s.indexOf("<");
      if (lt < 0) throw new Error(`invalid eviction threshold syntax ${s}, expected <signal><operator><value>`);
      return [s.slice(0, lt).trim(), s.slice(lt + 1).trim()];
    })
    : Object.entries(spec);
  return entries.map(([signal, value]) => {
    if (!isSignal(signal)) throw new Error(`unsupported eviction signal ${signal}`);
    if (value.endsWith("%")) {
      const pct = Number(value.slice(0, -1));
      if (!Number.isFinite(pct) || pct < 0 || pct > 100) throw new Error(`eviction percentage threshold ${signal} must be >= 0% and <= 100%: ${value}`);
      return { signal, percentage: pct / 100, text: value };
    }
    const q = parseQuantity(value);
    if (q.nanos < 0n) throw new Error(`eviction threshold ${signal} must be positive: ${value}`);
    return { signal, quantity: Number(quantityValue(q)), text: value };
  });
}

/** The amount below which the threshold is met, given the signal's capacity (GetThresholdQuantity). */
export function thresholdQuantity(t: Threshold, capacity: number): number {
  return t.quantity ?? Math.floor(capacity * (t.percentage ?? 0));
}

/** The thresholds whose signal was observed with less available than the threshold. */
export function thresholdsMet(thresholds: readonly Threshold[], observations: Observations): Threshold[] {
  return thresholds.filter((t) => {
    const o = observations[t.signal];
    return o !== undefined && o.available < thresholdQuantity(t, o.capacity);
  });
}

/** The node condition a signal's threshold maps to. */
export function signalCondition(signal: Signal): PressureCondition {
  if (signal === "memory.available") return "MemoryPressure";
  if (signal === "pid.available") return "PIDPressure";
  return "DiskPressure";
}

/** The resource an eviction for the signal reclaims, as eviction messages name it. */
export function signalResource(signal: Signal): string {
  switch (signal) {
    case "memory.available":
      return "memory";
    case "nodefs.inodesFree":
    case "imagefs.inodesFree":
      return "inodes";
    case "pid.available":
      return "pids";
    default:
      return "ephemeral-storage";
  }
}

/** A count of the signal's unit as resource.Quantity prints it (bytes in binary SI, counts in decimal SI). */
export function formatSignalAmount(signal: Signal, amount: number): string {
  const binary = signalResource(signal) === "memory" || signalResource(signal) === "ephemeral-storage";
  return quantityToString({ nanos: BigInt(Math.max(0, Math.floor(amount))) * 1_000_000_000n, format: binary ? "BinarySI" : "DecimalSI" });
}

/** The threshold quantity as the eviction message prints it: as written for a quantity, computed for a percentage. */
export function formatThreshold(t: Threshold, capacity: number): string {
  return t.quantity !== undefined ? quantityToString(parseQuantity(t.text)) : formatSignalAmount(t.signal, thresholdQuantity(t, capacity));
}

/**
 * What hard thresholds take out of allocatable (hardEvictionReservation): the memory.available
 * amount from memory, the nodefs.available amount from ephemeral-storage. Capacities in bytes.
 */
export function hardEvictionReservation(thresholds: readonly Threshold[], capacity: { memory?: number; ephemeralStorage?: number }): { memory?: number; "ephemeral-storage"?: number } {
  const out: { memory?: number; "ephemeral-storage"?: number } = {};
  for (const t of thresholds) {
    if (t.signal === "memory.available" && capacity.memory !== undefined) out.memory = thresholdQuantity(t, capacity.memory);
    if (t.signal === "nodefs.available" && capacity.ephemeralStorage !== undefined) out["ephemeral-storage"] = thresholdQuantity(t, capacity.ephemeralStorage);
  }
  return out;
}
