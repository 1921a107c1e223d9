// NodeName: PreFilter narrows to the named node, Filter rejects every other node.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fakeHandle, makeNode, makePod, newState, nodeInfo } from "../testing.ts";
import { ERR_REASON_NODE_NAME, NODE_NAME, NodeName, newNodeName } from "./nodename.ts";

describe("NodeName", () => {
  const n1 = nodeInfo(makeNode("n1"));
  const n2 = nodeInfo(makeNode("n2"));
  const pl = newNodeName(undefined, fakeHandle([n1, n2])) as NodeName;

  it("is named as in Kubernetes", () => {
    assert.equal(pl.name, "NodeName");
    assert.equal(NODE_NAME, "NodeName");
  });

  it("skips pods that name no node and lets them on any node", () => {
    const pod = makePod("p");
    assert.equal(pl.preFilter(newState(), pod, [n1, n2]).status.code, "Skip");
    assert.equal(pl.filter(newState(), pod, n1).code, "Success");
  });

  it("narrows candidates to the named node and rejects the others as unresolvable", () => {
    const pod = makePod("p", { nodeName: "n2" });
    const { result, status } = pl.preFilter(newState(), pod, [n1, n2]);
    assert.equal(status.code, "Success");
    assert.deepEqual([...result!.nodeNames!], ["n2"]);
    assert.equal(pl.filter(newState(), pod, n2).code, "Success");
    const s = pl.filter(newState(), pod, n1);
    assert.equal(s.code, "UnschedulableAndUnresolvable");
    assert.deepEqual(s.reasons, [ERR_REASON_NODE_NAME]);
    assert.equal(ERR_REASON_NODE_NAME, "node(s) didn't match the requested node name");
  });

  it("registers node events only", () => {
    assert.deepEqual(pl.eventsToRegister().map((e) => e.resource), ["Node"]);
  });
});
