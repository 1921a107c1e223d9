// TaintToleration: toleration matching, Filter on NoSchedule/NoExecute, Score on PreferNoSchedule.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Taint, Toleration } from "kubernetes-types/core/v1.js";
import { fakeHandle, makeNode, makePod, newState, nodeInfo } from "../testing.ts";
import { TaintToleration, doNotScheduleTaint, findUntoleratedTaint, newTaintToleration, toleratesTaint, tolerationsTolerateTaint } from "./tainttoleration.ts";

const taint = (key: string, effect: string, value?: string): Taint => ({ key, effect, value });

describe("toleration matching", () => {
  const t = taint("k", "NoSchedule", "v");

  it("Equal (the default) compares key and value", () => {
    assert.equal(toleratesTaint({ key: "k", value: "v" }, t), true);
    assert.equal(toleratesTaint({ key: "k", operator: "Equal", value: "v", effect: "NoSchedule" }, t), true);
    assert.equal(toleratesTaint({ key: "k", operator: "Equal", value: "w" }, t), false);
    assert.equal(toleratesTaint({ key: "other", value: "v" }, t), false);
  });

  it("Exists ignores the value; an empty key with Exists tolerates every taint", () => {
    assert.equal(toleratesTaint({ key: "k", operator: "Exists" }, t), true);
    assert.equal(toleratesTaint({ operator: "Exists" }, t), true);
    assert.equal(toleratesTaint({ operator: "Exists", effect: "NoExecute" }, t), false);
  });

  it("an empty effect matches all effects, a set one only its own", () => {
    assert.equal(toleratesTaint({ key: "k", operator: "Exists" }, taint("k", "NoExecute")), true);
    assert.equal(toleratesTaint({ key: "k", operator: "Exists", effect: "PreferNoSchedule" }, t), false);
  });

  it("an unknown operator tolerates nothing", () => {
    assert.equal(toleratesTaint({ key: "k", operator: "Gt", value: "v" }, t), false);
  });

  it("finds the first untolerated taint passing the filter", () => {
    const taints = [taint("a", "PreferNoSchedule"), taint("b", "NoSchedule"), taint("c", "NoExecute")];
    assert.equal(findUntoleratedTaint(taints, [], doNotScheduleTaint)?.key, "b");
    assert.equal(findUntoleratedTaint(taints, [{ key: "b", operator: "Exists" }], doNotScheduleTaint)?.key, "c");
    assert.equal(findUntoleratedTaint(taints, [{ operator: "Exists" }]), undefined);
    assert.equal(findUntoleratedTaint(taints, undefined)?.key, "a");
    assert.equal(tolerationsTolerateTaint(undefined, taints[0]), false);
  });
});

describe("TaintToleration", () => {
  const pl = newTaintToleration(undefined, fakeHandle([])) as TaintToleration;
  const filter = (taints: Taint[], tolerations?: Toleration[]) => pl.filter(newState(), makePod("p", { tolerations }), nodeInfo(makeNode("n", { taints })));

  it("rejects an untolerated NoSchedule or NoExecute taint with Kubernetes' message", () => {
    const s = filter([taint("node.kubernetes.io/unreachable", "NoExecute")]);
    assert.equal(s.code, "UnschedulableAndUnresolvable");
    assert.deepEqual(s.reasons, ["node(s) had untolerated taint {node.kubernetes.io/unreachable: }"]);
    assert.deepEqual(filter([taint("dedicated", "NoSchedule", "gpu")]).reasons, ["node(s) had untolerated taint {dedicated: gpu}"]);
  });

  it("passes untainted nodes, tolerated taints and PreferNoSchedule taints", () => {
    assert.equal(filter([]).code, "Success");
    assert.equal(filter([taint("soft", "PreferNoSchedule")]).code, "Success");
    assert.equal(filter([taint("dedicated", "NoSchedule", "gpu")], [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }]).code, "Success");
  });

  it("reports the first untolerated taint in node order", () => {
    const s = filter([taint("a", "NoSchedule"), taint("b", "NoSchedule")], [{ key: "a", operator: "Exists" }]);
    assert.deepEqual(s.reasons, ["node(s) had untolerated taint {b: }"]);
  });

  it("scores by untolerated PreferNoSchedule taints, reversed: fewer is better", () => {
    const nodes = [
      nodeInfo(makeNode("clean")),
      nodeInfo(makeNode("one", { taints: [taint("a", "PreferNoSchedule"), taint("hard", "NoSchedule")] })),
      nodeInfo(makeNode("two", { taints: [taint("a", "PreferNoSchedule"), taint("b", "PreferNoSchedule")] })),
      nodeInfo(makeNode("tolerated", { taints: [taint("c", "PreferNoSchedule")] })),
    ];
    // A NoSchedule toleration does not count for PreferNoSchedule taints; an empty effect does.
    const pod = makePod("p", { tolerations: [{ key: "c", operator: "Exists" }, { key: "b", operator: "Exists", effect: "NoSchedule" }] });
    const state = newState();
    assert.equal(pl.preScore(state, pod, nodes).code, "Success");
    const scores = Float64Array.from(nodes, (n) => pl.score(state, pod, n));
    assert.deepEqual([...scores], [0, 1, 2, 0]);
    pl.normalizeScore(state, pod, nodes, scores);
    assert.deepEqual([...scores], [100, 50, 0, 100]);
  });

  it("normalises all-zero counts to 100", () => {
    const scores = Float64Array.of(0, 0);
    pl.normalizeScore(newState(), makePod("p"), [nodeInfo(makeNode("a")), nodeInfo(makeNode("b"))], scores);
    assert.deepEqual([...scores], [100, 100]);
  });

  it("throws from Score when PreScore did not run (the framework's Error status)", () => {
    assert.throws(() => pl.score(newState(), makePod("p"), nodeInfo(makeNode("n"))), /not found/);
  });
});
