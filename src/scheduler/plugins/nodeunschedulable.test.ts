// NodeUnschedulable: cordoned nodes take only pods tolerating node.kubernetes.io/unschedulable:NoSchedule.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Toleration } from "kubernetes-types/core/v1.js";
import { fakeHandle, makeNode, makePod, newState, nodeInfo } from "../testing.ts";
import { ERR_REASON_UNSCHEDULABLE, NodeUnschedulable, newNodeUnschedulable } from "./nodeunschedulable.ts";

describe("NodeUnschedulable", () => {
  const pl = newNodeUnschedulable(undefined, fakeHandle([])) as NodeUnschedulable;
  const cordoned = nodeInfo(makeNode("c", { unschedulable: true }));
  const open = nodeInfo(makeNode("o"));
  const filter = (tolerations?: Toleration[]) => pl.filter(newState(), makePod("p", { tolerations }), cordoned);

  it("lets any pod on a schedulable node", () => {
    assert.equal(pl.name, "NodeUnschedulable");
    assert.equal(pl.filter(newState(), makePod("p"), open).code, "Success");
  });

  it("rejects pods without the toleration as unresolvable", () => {
    const s = filter();
    assert.equal(s.code, "UnschedulableAndUnresolvable");
    assert.deepEqual(s.reasons, ["node(s) were unschedulable"]);
    assert.equal(ERR_REASON_UNSCHEDULABLE, "node(s) were unschedulable");
  });

  it("admits pods tolerating the unschedulable taint", () => {
    assert.equal(filter([{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }]).code, "Success");
    assert.equal(filter([{ key: "node.kubernetes.io/unschedulable", operator: "Exists" }]).code, "Success", "empty effect matches all");
    assert.equal(filter([{ operator: "Exists" }]).code, "Success", "empty key with Exists tolerates everything");
    assert.equal(filter([{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }]).code, "Success", "Equal with empty value");
  });

  it("does not accept tolerations for another effect, key or value", () => {
    assert.equal(filter([{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoExecute" }]).code, "UnschedulableAndUnresolvable");
    assert.equal(filter([{ key: "other", operator: "Exists" }]).code, "UnschedulableAndUnresolvable");
    assert.equal(filter([{ key: "node.kubernetes.io/unschedulable", operator: "Equal", value: "x" }]).code, "UnschedulableAndUnresolvable");
  });
});
