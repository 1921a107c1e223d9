// NodeAffinity: nodeSelector and required terms in Filter, PreFilter skip and node-name narrowing,
// addedAffinity, and preferred-term scoring with normalisation.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Affinity, NodeSelectorRequirement, Pod, PreferredSchedulingTerm } from "kubernetes-types/core/v1.js";
import { fakeHandle, makeNode, makePod, newState, nodeInfo } from "../testing.ts";
import type { NodeInfo } from "../framework/node-info.ts";
import { ERR_REASON_CONFLICT, ERR_REASON_ENFORCED, ERR_REASON_POD, NodeAffinity, newNodeAffinity, requiredNodeNames } from "./nodeaffinity.ts";

const expr = (key: string, operator: string, ...values: string[]): NodeSelectorRequirement => ({ key, operator, values });
const required = (...terms: { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[]): Affinity => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
});
const preferred = (...terms: PreferredSchedulingTerm[]): Affinity => ({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms } });

const nodes = [
  nodeInfo(makeNode("n1", { labels: { zone: "a", disk: "ssd" } })),
  nodeInfo(makeNode("n2", { labels: { zone: "b", disk: "ssd" } })),
  nodeInfo(makeNode("n3", { labels: { zone: "c" } })),
];

/** Names of the nodes passing PreFilter + Filter. */
function feasible(pl: NodeAffinity, pod: Pod): string[] | string {
  const state = newState();
  const pre = pl.preFilter(state, pod, nodes);
  if (pre.status.code === "Skip") return nodes.map((n) => n.name);
  if (pre.status.code !== "Success") return pre.status.reasons.join();
  return nodes.filter((n) => pl.filter(state, pod, n).code === "Success").map((n) => n.name);
}

describe("NodeAffinity Filter", () => {
  const pl = newNodeAffinity(undefined, fakeHandle(nodes)) as NodeAffinity;

  it("skips pods without nodeSelector or required affinity", () => {
    assert.equal(pl.preFilter(newState(), makePod("p"), nodes).status.code, "Skip");
    assert.equal(pl.preFilter(newState(), makePod("p", { affinity: preferred() }), nodes).status.code, "Skip");
  });

  it("requires every nodeSelector label", () => {
    assert.deepEqual(feasible(pl, makePod("p", { nodeSelector: { disk: "ssd" } })), ["n1", "n2"]);
    assert.deepEqual(feasible(pl, makePod("p", { nodeSelector: { disk: "ssd", zone: "b" } })), ["n2"]);
  });

  it("rejects with Kubernetes' reason as unresolvable", () => {
    const state = newState();
    const pod = makePod("p", { nodeSelector: { zone: "z" } });
    pl.preFilter(state, pod, nodes);
    const s = pl.filter(state, pod, nodes[0]);
    assert.equal(s.code, "UnschedulableAndUnresolvable");
    assert.deepEqual(s.reasons, [ERR_REASON_POD]);
    assert.equal(ERR_REASON_POD, "node(s) didn't match Pod's node affinity/selector");
  });

  it("ORs required terms and ANDs their expressions, together with nodeSelector", () => {
    const affinity = required({ matchExpressions: [expr("zone", "In", "a")] }, { matchExpressions: [expr("zone", "In", "c")] });
    assert.deepEqual(feasible(pl, makePod("p", { affinity })), ["n1", "n3"]);
    assert.deepEqual(feasible(pl, makePod("p", { affinity, nodeSelector: { disk: "ssd" } })), ["n1"]);
    assert.deepEqual(feasible(pl, makePod("p", { affinity: required({ matchExpressions: [expr("disk", "Exists"), expr("zone", "NotIn", "a")] }) })), ["n2"]);
  });

  it("matches nothing with no terms or only empty terms; a malformed term only fails itself", () => {
    assert.deepEqual(feasible(pl, makePod("p", { affinity: required() })), []);
    assert.deepEqual(feasible(pl, makePod("p", { affinity: required({}) })), []);
    const mixed = required({ matchExpressions: [expr("zone", "Near", "a")] }, { matchExpressions: [expr("zone", "In", "b")] });
    assert.deepEqual(feasible(pl, makePod("p", { affinity: mixed })), ["n2"]);
  });

  it("narrows to the node names every term pins with matchFields In", () => {
    const pod = makePod("p", { affinity: required({ matchFields: [expr("metadata.name", "In", "n1")] }, { matchFields: [expr("metadata.name", "In", "n3")] }) });
    const pre = pl.preFilter(newState(), pod, nodes);
    assert.deepEqual([...pre.result!.nodeNames!].sort(), ["n1", "n3"]);
    assert.deepEqual(feasible(pl, pod), ["n1", "n3"]);
  });

  it("does not narrow when some term leaves every node eligible", () => {
    const pod = makePod("p", { affinity: required({ matchFields: [expr("metadata.name", "In", "n1")] }, { matchExpressions: [expr("zone", "In", "b")] }) });
    assert.equal(pl.preFilter(newState(), pod, nodes).result, undefined);
    assert.deepEqual(feasible(pl, pod), ["n1", "n2"]);
  });

  it("intersects names within a term and reports conflicting terms", () => {
    const within = (a: string[], b: string[]) =>
      requiredNodeNames(makePod("p", { affinity: required({ matchFields: [expr("metadata.name", "In", ...a), expr("metadata.name", "In", ...b)] }) }));
    assert.deepEqual([...within(["n1", "n2"], ["n2", "n3"])!], ["n2"]);
    const pod = makePod("p", { affinity: required({ matchFields: [expr("metadata.name", "In", "n1"), expr("metadata.name", "In", "n2")] }) });
    const pre = pl.preFilter(newState(), pod, nodes);
    assert.equal(pre.status.code, "UnschedulableAndUnresolvable");
    assert.deepEqual(pre.status.reasons, [ERR_REASON_CONFLICT]);
  });

  it("computes the requirements itself when PreFilter did not run", () => {
    assert.equal(pl.filter(newState(), makePod("p", { nodeSelector: { zone: "b" } }), nodes[1]).code, "Success");
    assert.equal(pl.filter(newState(), makePod("p", { nodeSelector: { zone: "b" } }), nodes[0]).code, "UnschedulableAndUnresolvable");
  });
});

describe("NodeAffinity addedAffinity", () => {
  const pl = newNodeAffinity(
    { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr("disk", "In", "ssd")] }] } } },
    fakeHandle(nodes),
  ) as NodeAffinity;

  it("filters every pod, with its own reason, even pods without affinity", () => {
    assert.deepEqual(feasible(pl, makePod("p")), ["n1", "n2"]);
    const s = pl.filter(newState(), makePod("p"), nodes[2]);
    assert.deepEqual(s.reasons, [ERR_REASON_ENFORCED]);
    assert.equal(s.code, "UnschedulableAndUnresolvable");
    assert.deepEqual(feasible(pl, makePod("p", { nodeSelector: { zone: "b" } })), ["n2"]);
  });

  it("rejects unparsable added affinity at construction", () => {
    assert.throws(
      () => newNodeAffinity({ addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr("a", "In")] }] } } }, fakeHandle([])),
      /parsing addedAffinity.requiredDuringSchedulingIgnoredDuringExecution/,
    );
  });
});

describe("NodeAffinity Score", () => {
  const scoreAll = (pl: NodeAffinity, pod: Pod, ns: NodeInfo[] = nodes) => {
    const state = newState();
    const pre = pl.preScore(state, pod, ns);
    if (pre.code !== "Success") return pre.code;
    const scores = Float64Array.from(ns, (n) => pl.score(state, pod, n));
    const raw = [...scores];
    pl.normalizeScore(state, pod, ns, scores);
    return { raw, normalized: [...scores] };
  };

  it("sums matching preferred weights and scales the best node to 100", () => {
    const pl = newNodeAffinity(undefined, fakeHandle(nodes)) as NodeAffinity;
    const pod = makePod("p", {
      affinity: preferred(
        { weight: 2, preference: { matchExpressions: [expr("disk", "In", "ssd")] } },
        { weight: 5, preference: { matchExpressions: [expr("zone", "In", "b")] } },
      ),
    });
    assert.deepEqual(scoreAll(pl, pod), { raw: [2, 7, 0], normalized: [28, 100, 0] });
  });

  it("skips pods without preferred terms, and errors on a malformed one", () => {
    const pl = newNodeAffinity(undefined, fakeHandle(nodes)) as NodeAffinity;
    assert.equal(scoreAll(pl, makePod("p")), "Skip");
    assert.equal(scoreAll(pl, makePod("p", { affinity: preferred({ weight: 1, preference: { matchExpressions: [expr("zone", "Gt", "x")] } }) })), "Error");
  });

  it("adds the profile's preferred terms", () => {
    const pl = newNodeAffinity(
      { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [expr("zone", "In", "c")] } }] } },
      fakeHandle(nodes),
    ) as NodeAffinity;
    assert.deepEqual(scoreAll(pl, makePod("p")), { raw: [0, 0, 10], normalized: [0, 0, 100] });
    const pod = makePod("p", { affinity: preferred({ weight: 5, preference: { matchExpressions: [expr("zone", "In", "a")] } }) });
    assert.deepEqual(scoreAll(pl, pod), { raw: [5, 0, 10], normalized: [50, 0, 100] });
  });

  it("leaves all-zero scores at 0", () => {
    const pl = newNodeAffinity(undefined, fakeHandle(nodes)) as NodeAffinity;
    const pod = makePod("p", { affinity: preferred({ weight: 5, preference: { matchExpressions: [expr("zone", "In", "z")] } }) });
    assert.deepEqual(scoreAll(pl, pod), { raw: [0, 0, 0], normalized: [0, 0, 0] });
  });
});
