// Node selector compilation and matching: operators, matchFields, term ORing, parse errors.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NodeSelectorRequirement, NodeSelectorTerm } from "kubernetes-types/core/v1.js";
import { makeNode, makePod } from "../../testing.ts";
import {
  compileNodeSelector,
  compileNodeSelectorStrict,
  compilePreferredTerms,
  compileTerm,
  nodeSelectorMatches,
  parseInt64,
  podMatchesNode,
  preferredScore,
  termMatches,
} from "./node-selector.ts";

const labels = { zone: "a", tier: "gold", cores: "16", big: "9223372036854775807", text: "x1" };
const expr = (key: string, operator: string, ...values: string[]): NodeSelectorRequirement => ({ key, operator, values });
const matches = (...exprs: NodeSelectorRequirement[]) => termMatches(compileTerm({ matchExpressions: exprs }), labels, "node-1");

describe("node selector terms", () => {
  it("In / NotIn", () => {
    assert.equal(matches(expr("zone", "In", "a", "b")), true);
    assert.equal(matches(expr("zone", "In", "b")), false);
    assert.equal(matches(expr("missing", "In", "a")), false);
    assert.equal(matches(expr("zone", "NotIn", "b", "c")), true);
    assert.equal(matches(expr("zone", "NotIn", "a")), false);
    assert.equal(matches(expr("missing", "NotIn", "a")), true, "NotIn matches a missing label");
  });

  it("Exists / DoesNotExist, not fooled by Object.prototype members", () => {
    assert.equal(matches(expr("zone", "Exists")), true);
    assert.equal(matches(expr("missing", "Exists")), false);
    assert.equal(matches(expr("missing", "DoesNotExist")), true);
    assert.equal(matches(expr("zone", "DoesNotExist")), false);
    assert.equal(matches(expr("constructor", "Exists")), false);
    assert.equal(matches(expr("toString", "DoesNotExist")), true);
  });

  it("Gt / Lt compare integers; non-integer labels never match", () => {
    assert.equal(matches(expr("cores", "Gt", "8")), true);
    assert.equal(matches(expr("cores", "Gt", "16")), false);
    assert.equal(matches(expr("cores", "Lt", "17")), true);
    assert.equal(matches(expr("cores", "Lt", "-3")), false);
    assert.equal(matches(expr("big", "Gt", "9223372036854775806")), true, "int64 precision");
    assert.equal(matches(expr("text", "Gt", "0")), false);
    assert.equal(matches(expr("missing", "Lt", "100")), false);
  });

  it("ANDs expressions and matchFields (metadata.name with In / NotIn)", () => {
    const term = (t: NodeSelectorTerm) => termMatches(compileTerm(t), labels, "node-1");
    assert.equal(term({ matchExpressions: [expr("zone", "In", "a"), expr("tier", "In", "silver")] }), false);
    assert.equal(term({ matchFields: [expr("metadata.name", "In", "node-1")] }), true);
    assert.equal(term({ matchFields: [expr("metadata.name", "NotIn", "node-1")] }), false);
    assert.equal(term({ matchExpressions: [expr("zone", "In", "a")], matchFields: [expr("metadata.name", "In", "node-2")] }), false);
    assert.equal(term({ matchFields: [expr("spec.other", "NotIn", "x")] }), true, "unknown fields read as empty");
  });

  it("marks invalid terms, which then match nothing", () => {
    for (const bad of [
      { matchExpressions: [expr("zone", "Equals", "a")] },
      { matchExpressions: [expr("zone", "In")] },
      { matchExpressions: [expr("zone", "Exists", "a")] },
      { matchExpressions: [expr("cores", "Gt", "x")] },
      { matchExpressions: [expr("cores", "Gt", "1", "2")] },
      { matchExpressions: [expr("bad key!", "Exists")] },
      { matchFields: [expr("metadata.name", "In", "a", "b")] },
      { matchFields: [expr("metadata.name", "Exists")] },
    ]) {
      const t = compileTerm(bad);
      assert.ok(t.errors && t.errors.length > 0, JSON.stringify(bad));
      assert.equal(termMatches(t, labels, "node-1"), false);
    }
  });

  it("ORs terms, drops empty ones, and keeps parse errors per term unless strict", () => {
    const sel = compileNodeSelector({ nodeSelectorTerms: [{ matchExpressions: [expr("zone", "Bad")] }, {}, { matchExpressions: [expr("zone", "In", "a")] }] });
    assert.equal(sel.terms.length, 2);
    assert.equal(nodeSelectorMatches(sel, labels, "node-1"), true);
    assert.equal(nodeSelectorMatches(compileNodeSelector({ nodeSelectorTerms: [{}] }), labels, "node-1"), false, "an empty term selects nothing");
    assert.equal(nodeSelectorMatches(compileNodeSelector({ nodeSelectorTerms: [] }), labels, "node-1"), false);
    assert.throws(() => compileNodeSelectorStrict({ nodeSelectorTerms: [{ matchExpressions: [expr("zone", "Bad")] }] }), /Unsupported value/);
  });

  it("sums the weights of matching preferred terms, skipping zero weights and empty terms", () => {
    const terms = compilePreferredTerms([
      { weight: 5, preference: { matchExpressions: [expr("zone", "In", "a")] } },
      { weight: 3, preference: { matchExpressions: [expr("tier", "In", "gold")] } },
      { weight: 7, preference: { matchExpressions: [expr("tier", "In", "silver")] } },
      { weight: 0, preference: { matchExpressions: [expr("zone", "Exists")] } },
      { weight: 9, preference: {} },
    ]);
    assert.equal(terms.length, 3);
    assert.equal(preferredScore(terms, labels, "node-1"), 8);
    assert.throws(() => compilePreferredTerms([{ weight: 1, preference: { matchExpressions: [expr("zone", "In")] } }]));
  });

  it("checks a pod's nodeSelector and required affinity against a Node", () => {
    const node = makeNode("n1", { labels: { disk: "ssd" } });
    assert.equal(podMatchesNode(makePod("p", { nodeSelector: { disk: "ssd" } }), node), true);
    assert.equal(podMatchesNode(makePod("p", { nodeSelector: { disk: "hdd" } }), node), false);
  });
});

describe("parseInt64", () => {
  it("parses like strconv.ParseInt(s, 10, 64)", () => {
    assert.equal(parseInt64("42"), 42);
    assert.equal(parseInt64("+7"), 7);
    assert.equal(parseInt64("-007"), -7);
    assert.equal(parseInt64("-9223372036854775808"), -(2n ** 63n));
    for (const bad of ["", "+", "1.5", "1e3", " 1", "0x10", "9223372036854775808", "1_000"]) assert.equal(parseInt64(bad), undefined, bad);
  });
});
