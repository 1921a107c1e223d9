// The private node-inclusion helpers: required node affinity (nodeSelector, expressions, fields,
// invalid and empty terms) and untolerated NoSchedule/NoExecute taints.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { NodeSelectorTerm, Taint, Toleration } from "kubernetes-types/core/v1.js";
import { makeNode, makePod } from "../../testing.ts";
import { hasUntoleratedTaint, requiredNodeAffinity } from "./node-inclusion.ts";

const withTerms = (terms: NodeSelectorTerm[], nodeSelector?: Record<string, string>) =>
  requiredNodeAffinity(makePod("p", { nodeSelector, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } }));

test("a pod without nodeSelector or required affinity accepts every node", () => {
  assert.equal(requiredNodeAffinity(makePod("p")), undefined);
  assert.equal(requiredNodeAffinity(makePod("p", { nodeSelector: {} })), undefined);
});

test("nodeSelector and required terms are ANDed; terms are ORed; expressions ANDed", () => {
  const m = withTerms([
    { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }, { key: "gpu", operator: "DoesNotExist" }] },
    { matchExpressions: [{ key: "cores", operator: "Gt", values: ["8"] }] },
  ], { region: "eu" })!;
  const node = (labels: Record<string, string>) => makeNode("n1", { labels });
  assert.equal(m(node({ region: "eu", disk: "ssd" })), true);
  assert.equal(m(node({ region: "us", disk: "ssd" })), false);
  assert.equal(m(node({ region: "eu", disk: "ssd", gpu: "1" })), false);
  assert.equal(m(node({ region: "eu", cores: "16" })), true);
  assert.equal(m(node({ region: "eu", cores: "4" })), false);
  assert.equal(m(node({ region: "eu", cores: "many" })), false);
});

test("matchFields selects by metadata.name; invalid and empty terms match nothing", () => {
  const byName = withTerms([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }])!;
  assert.equal(byName(makeNode("n1")), true);
  assert.equal(byName(makeNode("n2")), false);
  const notName = withTerms([{ matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["n1"] }] }])!;
  assert.equal(notName(makeNode("n2")), true);
  const invalid = withTerms([{ matchExpressions: [{ key: "disk", operator: "In", values: [] }] }])!;
  assert.equal(invalid(makeNode("n1", { labels: { disk: "ssd" } })), false);
  const bogus = withTerms([{ matchExpressions: [{ key: "disk", operator: "Bogus" }] }, { matchExpressions: [{ key: "disk", operator: "Exists" }] }])!;
  assert.equal(bogus(makeNode("n1", { labels: { disk: "ssd" } })), true, "an invalid term is skipped, others still count");
  const empty = withTerms([{}])!;
  assert.equal(empty(makeNode("n1")), false);
  assert.equal(withTerms([])!(makeNode("n1")), false);
});

test("untolerated taints: only NoSchedule and NoExecute count; tolerations match key, value, effect", () => {
  const node = (taints: Taint[]) => makeNode("n1", { taints });
  const t: Taint = { key: "dedicated", value: "gpu", effect: "NoSchedule" };
  const check = (taints: Taint[], tolerations: Toleration[]) => hasUntoleratedTaint(node(taints), tolerations);
  assert.equal(check([t], []), true);
  assert.equal(check([{ ...t, effect: "PreferNoSchedule" }], []), false);
  assert.equal(check([{ ...t, effect: "NoExecute" }], []), true);
  assert.equal(check([t], [{ key: "dedicated", value: "gpu" }]), false);
  assert.equal(check([t], [{ key: "dedicated", operator: "Equal", value: "cpu" }]), true);
  assert.equal(check([t], [{ key: "dedicated", operator: "Exists", effect: "NoExecute" }]), true);
  assert.equal(check([t], [{ operator: "Exists" }]), false);
});
