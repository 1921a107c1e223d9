// NodeResourcesFit scoring strategies (least_allocated.go, most_allocated.go,
// requested_to_capacity_ratio.go): each maps per-resource requested/allocatable to a 0..100 score,
// with Kubernetes' integer arithmetic (truncating division) so scores match to the point.
import { MAX_NODE_SCORE } from "../../framework/types.ts";

/** Scores one node from per-resource amounts; allocatable 0 means "skip this resource". */
export type Scorer = (requested: Float64Array, allocatable: Float64Array, weights: Float64Array) => number;

export type ScoringStrategyType = "LeastAllocated" | "MostAllocated" | "RequestedToCapacityRatio";
export const SCORING_STRATEGY_TYPES: readonly ScoringStrategyType[] = ["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"];

/** Unused share of capacity on 0..100; 0 when over-committed. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** Used share of capacity on 0..100 (requests over capacity count as full: pods without requests get defaults). */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  if (requested > capacity) requested = capacity;
  return Math.floor((requested * MAX_NODE_SCORE) / capacity);
}

/** One resource's 0..100 score from its requested amount and capacity. */
export type ResourceScore = (requested: number, capacity: number) => number;

function weighted(perResource: ResourceScore): Scorer {
  return (requested, allocatable, weights) => {
    let score = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      score += perResource(requested[i], allocatable[i]) * weights[i];
      weightSum += weights[i];
    }
    return weightSum === 0 ? 0 : Math.floor(score / weightSum);
  };
}

/**
 * `weighted(perResource)` for exactly two resources, cpu then memory, from plain numbers: the
 * per-node fast path (no buffers to fill), with the same arithmetic.
 */
export function weightedCpuMemory(
  perResource: ResourceScore, requestedCpu: number, allocatableCpu: number, requestedMemory: number, allocatableMemory: number, cpuWeight: number, memoryWeight: number,
): number {
  let score = 0;
  let weightSum = 0;
  if (allocatableCpu !== 0) {
    score += perResource(requestedCpu, allocatableCpu) * cpuWeight;
    weightSum += cpuWeight;
  }
  if (allocatableMemory !== 0) {
    score += perResource(requestedMemory, allocatableMemory) * memoryWeight;
    weightSum += memoryWeight;
  }
  return weightSum === 0 ? 0 : Math.floor(score / weightSum);
}

/** Favours nodes with the most free capacity (the default). */
export const leastAllocatedScorer: Scorer = weighted(leastRequestedScore);
/** Favours the fullest nodes (bin packing). */
export const mostAllocatedScorer: Scorer = weighted(mostRequestedScore);

/** A point of the utilization→score shape; `score` on the config scale 0..10. */
export interface UtilizationShapePoint {
  readonly utilization: number;
  readonly score: number;
}

/** MaxCustomPriorityScore: shape scores are 0..10 in the config and scaled to 0..MAX_NODE_SCORE. */
export const MAX_CUSTOM_PRIORITY_SCORE = 10;

/**
 * helper.BuildBrokenLinearFunction: linear between points, flat before the first and after the
 * last. Points must have increasing utilization.
 */
export function brokenLinearFunction(shape: readonly UtilizationShapePoint[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      if (p <= shape[i].utilization) {
        if (i === 0) return shape[0].score;
        const a = shape[i - 1];
        const b = shape[i];
        return a.score + Math.trunc(((b.score - a.score) * (p - a.utilization)) / (b.utilization - a.utilization));
      }
    }
    return shape[shape.length - 1].score;
  };
}

/** Validates a shape as ValidateNodeResourcesFitArgs does; throws with the first problem. */
export function validateShape(shape: readonly UtilizationShapePoint[], path: string): void {
  if (!Array.isArray(shape)) throw new Error(`${path}: must be a list of {utilization, score}`);
  if (shape.length === 0) throw new Error(`${path}: Required value: at least one point must be specified`);
  shape.forEach((p, i) => {
    if (!Number.isInteger(p.utilization) || p.utilization < 0 || p.utilization > 100) {
      throw new Error(`${path}[${i}].utilization: Invalid value: ${p.utilization}: not in valid range [0, 100]`);
    }
    if (i > 0 && p.utilization <= shape[i - 1].utilization) {
      throw new Error(`${path}[${i}].utilization: Invalid value: ${p.utilization}: utilization values must be sorted in increasing order`);
    }
    if (!Number.isInteger(p.score) || p.score < 0 || p.score > MAX_CUSTOM_PRIORITY_SCORE) {
      throw new Error(`${path}[${i}].score: Invalid value: ${p.score}: not in valid range [0, ${MAX_CUSTOM_PRIORITY_SCORE}]`);
    }
  });
}

/**
 * RequestedToCapacityRatio: each resource's utilization (0..100, over-commit = 100) mapped through
 * the shape; resources scoring 0 do not count toward the weights; the weighted mean is rounded.
 */
export function requestedToCapacityRatioScorer(shape: readonly UtilizationShapePoint[]): Scorer {
  const scale = MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE;
  const raw = brokenLinearFunction(shape.map((p) => ({ utilization: p.utilization, score: p.score * scale })));
  const resourceScore = (requested: number, capacity: number): number =>
    capacity === 0 || requested > capacity ? raw(100) : raw(Math.floor((requested * 100) / capacity));
  return (requested, allocatable, weights) => {
    let score = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const s = resourceScore(requested[i], allocatable[i]);
      if (s > 0) {
        score += s * weights[i];
        weightSum += weights[i];
      }
    }
    return weightSum === 0 ? 0 : Math.round(score / weightSum);
  };
}

/** `balancedResourceScorer` for exactly cpu and memory, from plain numbers (the per-node fast path). */
export function balancedCpuMemory(requestedCpu: number, allocatableCpu: number, requestedMemory: number, allocatableMemory: number): number {
  if (allocatableCpu === 0 || allocatableMemory === 0) return MAX_NODE_SCORE; // at most one fraction: std 0
  const f0 = Math.min(requestedCpu / allocatableCpu, 1);
  const f1 = Math.min(requestedMemory / allocatableMemory, 1);
  return Math.trunc((1 - Math.abs((f0 - f1) / 2)) * MAX_NODE_SCORE);
}

/**
 * BalancedAllocation: 100 × (1 − standard deviation of the requested fractions, each capped at 1).
 * Two resources: |f0 − f1| / 2; one: 0.
 */
export function balancedResourceScorer(requested: Float64Array, allocatable: Float64Array): number {
  let n = 0;
  let total = 0;
  let f0 = 0;
  let f1 = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(requested[i] / allocatable[i], 1);
    if (n === 0) f0 = f;
    else if (n === 1) f1 = f;
    total += f;
    n++;
  }
  let std = 0;
  if (n === 2) {
    std = Math.abs((f0 - f1) / 2);
  } else if (n > 2) {
    const mean = total / n;
    let sum = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const d = Math.min(requested[i] / allocatable[i], 1) - mean;
      sum += d * d;
    }
    std = Math.sqrt(sum / n);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}
