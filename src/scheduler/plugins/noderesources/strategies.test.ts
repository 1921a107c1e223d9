// The cpu+memory fast paths score exactly as the generic scorers over per-spec buffers.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  balancedCpuMemory, balancedResourceScorer, leastAllocatedScorer, leastRequestedScore, mostAllocatedScorer, mostRequestedScore, weightedCpuMemory,
} from "./strategies.ts";

/** Deterministic pseudo-random amounts, with zeros and over-commitment mixed in. */
function* cases(n: number): Generator<[number, number, number, number]> {
  let x = 12345;
  const next = (max: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % 5 === 0 ? 0 : x % max;
  };
  for (let i = 0; i < n; i++) yield [next(8000), next(4000), next(64 << 30), next(32 << 30)];
}

/** What `ResourceAllocation.fill` puts in the buffers: allocatable 0 zeroes the request. */
const buffers = (rc: number, ac: number, rm: number, am: number) => ({
  requested: Float64Array.of(ac === 0 ? 0 : rc, am === 0 ? 0 : rm),
  allocatable: Float64Array.of(ac, am),
});

test("weightedCpuMemory equals the Least/MostAllocated scorers", () => {
  for (const [rc, ac, rm, am] of cases(2000)) {
    const { requested, allocatable } = buffers(rc, ac, rm, am);
    for (const [w0, w1] of [[1, 1], [3, 1], [1, 7]]) {
      const weights = Float64Array.of(w0, w1);
      assert.equal(weightedCpuMemory(leastRequestedScore, rc, ac, rm, am, w0, w1), leastAllocatedScorer(requested, allocatable, weights));
      assert.equal(weightedCpuMemory(mostRequestedScore, rc, ac, rm, am, w0, w1), mostAllocatedScorer(requested, allocatable, weights));
    }
  }
});

test("balancedCpuMemory equals balancedResourceScorer", () => {
  for (const [rc, ac, rm, am] of cases(2000)) {
    const { requested, allocatable } = buffers(rc, ac, rm, am);
    assert.equal(balancedCpuMemory(rc, ac, rm, am), balancedResourceScorer(requested, allocatable));
  }
});
