import { test } from "node:test";
import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import { unresolvable, unschedulable, errorStatus } from "../../framework/status.ts";
import { makePod } from "../../testing.ts";
import { fitErrorMessage, numCandidates, pickOneNodeForPreemption } from "./candidates.ts";
import type { Candidate } from "./candidates.ts";
import { splitByPDBViolation } from "./victims.ts";

const NOW = Date.parse("2025-01-01T12:00:00Z");
const victim = (priority: number, startTime?: string, labels?: Record<string, string>): Pod => {
  const p = makePod(`v${priority}`, { priority, labels });
  return startTime ? { ...p, status: { startTime } } : p;
};
const candidate = (name: string, pods: Pod[], numPDBViolations = 0): Candidate => ({ name, victims: { pods, numPDBViolations } });
const pick = (...cs: Candidate[]) => pickOneNodeForPreemption(cs, NOW)?.name;

test("pickOneNodeForPreemption: each rule breaks the previous one's ties, in Kubernetes' order", () => {
  assert.equal(pick(), undefined);
  assert.equal(pick(candidate("only", [victim(5)])), "only");
  // Fewest PDB violations beats everything else.
  assert.equal(pick(candidate("a", [victim(1)], 1), candidate("b", [victim(50), victim(40)], 0)), "b");
  // Then the lowest highest-priority victim.
  assert.equal(pick(candidate("a", [victim(10)]), candidate("b", [victim(5), victim(5), victim(5)])), "b");
  // Then the smallest sum of priorities (negative priorities count as small, not as savings).
  assert.equal(pick(candidate("a", [victim(5), victim(4)]), candidate("b", [victim(5), victim(1)])), "b");
  assert.equal(pick(candidate("a", [victim(-5), victim(-5)]), candidate("b", [victim(-5)])), "b");
  // Then the fewest victims.
  assert.equal(pick(candidate("a", [victim(5), victim(0)]), candidate("b", [victim(5)]), candidate("c", [victim(5), victim(0)])), "b");
  // Then the latest start among the highest-priority victims.
  const early = "2025-01-01T10:00:00Z";
  const late = "2025-01-01T11:00:00Z";
  assert.equal(pick(candidate("a", [victim(5, early)]), candidate("b", [victim(5, late)])), "b");
  assert.equal(pick(candidate("a", [victim(5, late), victim(5, early)]), candidate("b", [victim(5, late), victim(5, late)])), "b");
  // A victim that has not started yet counts as starting now.
  assert.equal(pick(candidate("a", [victim(5, late)]), candidate("b", [victim(5)])), "b");
  // Then the first.
  assert.equal(pick(candidate("a", [victim(5, early)]), candidate("b", [victim(5, early)])), "a");
});

test("the number of candidates: a percentage of the nodes, at least the absolute, at most all", () => {
  assert.equal(numCandidates(1000, 10, 100), 100);
  assert.equal(numCandidates(5000, 10, 100), 500);
  assert.equal(numCandidates(50, 10, 100), 50);
  assert.equal(numCandidates(99, 10, 0), 9);
  assert.equal(numCandidates(4, 0, 1), 1);
});

test("the FitError message counts reasons per node, sorted, and the nodes preemption skipped", () => {
  const statuses = new Map([
    ["n1", unresolvable("No preemption victims found for incoming pod")],
    ["n2", unschedulable("Insufficient cpu", "Insufficient memory")],
    ["n3", unschedulable("Insufficient cpu")],
  ]);
  assert.equal(fitErrorMessage(5, statuses),
    "0/5 nodes are available: 1 Insufficient memory, 1 No preemption victims found for incoming pod, 2 Insufficient cpu, 2 Preemption is not helpful for scheduling.");
  assert.equal(fitErrorMessage(1, new Map([["n1", errorStatus("boom")]])), "0/1 nodes are available: 1 boom.");
  assert.equal(fitErrorMessage(0, new Map()), "0/0 nodes are available:");
});

test("PDB violations: budgets count down in order; other namespaces, empty selectors and disrupted pods do not count", () => {
  const pdb = (name: string, allowed: number, selector: PodDisruptionBudget["spec"] extends infer S ? S extends { selector?: infer L } ? L : never : never, extra: Partial<NonNullable<PodDisruptionBudget["status"]>> = {}, namespace = "default"): PodDisruptionBudget =>
    ({ metadata: { name, namespace }, spec: { selector }, status: { disruptionsAllowed: allowed, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, ...extra } });
  const items = [victim(3, undefined, { app: "a" }), victim(2, undefined, { app: "a" }), victim(1, undefined, { app: "b" }), victim(0)].map((pod) => ({ pod }));
  const names = (r: { violating: { pod: Pod }[]; nonViolating: { pod: Pod }[] }) =>
    [r.violating.map((i) => i.pod.metadata!.name), r.nonViolating.map((i) => i.pod.metadata!.name)];
  assert.deepEqual(names(splitByPDBViolation(items, [pdb("a", 1, { matchLabels: { app: "a" } })])), [["v2"], ["v3", "v1", "v0"]]);
  assert.deepEqual(names(splitByPDBViolation(items, [pdb("a", 1, { matchLabels: { app: "a" } }, {}, "other")])), [[], ["v3", "v2", "v1", "v0"]]);
  assert.deepEqual(names(splitByPDBViolation(items, [pdb("all", 0, {})])), [[], ["v3", "v2", "v1", "v0"]]);
  assert.deepEqual(names(splitByPDBViolation(items, [pdb("a", 1, { matchLabels: { app: "a" } }, { disruptedPods: { v3: "2025-01-01T11:59:00Z" } })])), [[], ["v3", "v2", "v1", "v0"]]);
  assert.deepEqual(names(splitByPDBViolation(items, [pdb("b", 0, { matchExpressions: [{ key: "app", operator: "In", values: ["b"] }] })])), [["v1"], ["v3", "v2", "v0"]]);
});
