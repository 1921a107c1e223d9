// NodeResourcesBalancedAllocation: 100 × (1 − std of requested fractions), actual requests only.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.js";
import { fakeHandle, makeNode, makePod, newState, nodeInfo } from "../../testing.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { NodeResourcesBalancedAllocation, newNodeResourcesBalancedAllocation } from "./balanced-allocation.ts";

function podWith(name: string, requests: Record<string, string> = {}): Pod {
  const pod = makePod(name);
  pod.spec!.containers[0].resources = Object.keys(requests).length ? { requests } : undefined;
  return pod;
}

const plugin = (args?: Record<string, unknown>) => newNodeResourcesBalancedAllocation(args, fakeHandle([])) as NodeResourcesBalancedAllocation;

function scores(pl: NodeResourcesBalancedAllocation, pod: Pod, nodes: NodeInfo[]): number[] {
  const state = newState();
  assert.equal(pl.preScore(state, pod, nodes).code, "Success");
  return nodes.map((n) => pl.score(state, pod, n));
}

const sized = (name: string, cpu: string, memory: string, ...pods: Pod[]) => nodeInfo(makeNode(name, { cpu, memory }), ...pods);

describe("NodeResourcesBalancedAllocation", () => {
  const pl = plugin();

  it("is named as in Kubernetes and rejects nothing", () => {
    assert.equal(pl.name, "NodeResourcesBalancedAllocation");
    assert.deepEqual(pl.eventsToRegister(), []);
  });

  it("scores the spread of cpu and memory fractions (Kubernetes' test numbers)", () => {
    // balanced_allocation_test.go: "nothing scheduled, resources requested, differently sized nodes"
    const pod = podWith("p", { cpu: "3000m", memory: "5000" });
    assert.deepEqual(scores(pl, pod, [sized("n1", "4000m", "10000"), sized("n2", "6000m", "10000")]), [87, 100]);
    // With pods already there: cpu 6000/10000 = 0.6, memory 5000/20000 = 0.25 → 82
    const busy = sized("n3", "10000m", "20000", podWith("a", { cpu: "3000m" }), podWith("b", { memory: "0" }));
    assert.deepEqual(scores(pl, pod, [busy]), [82]);
  });

  it("caps fractions at 1", () => {
    // cpu 5000/4000 → 1, memory 0.5 → std 0.25 → 75
    assert.deepEqual(scores(pl, podWith("p", { cpu: "5000m", memory: "5000" }), [sized("n", "4000m", "10000")]), [75]);
  });

  it("uses actual requests: pods without requests do not count", () => {
    const node = sized("n", "4000m", "10000", makePod("a"), makePod("b"));
    assert.deepEqual(scores(pl, makePod("p"), [node]), [100]);
    assert.deepEqual(scores(pl, podWith("p", { cpu: "2000m" }), [node]), [75]);
  });

  it("computes the standard deviation over three resources, skipping ones the pod does not request", () => {
    const three = plugin({ resources: [{ name: "cpu", weight: 1 }, { name: "memory", weight: 1 }, { name: "example.com/gpu", weight: 1 }] });
    const node = nodeInfo(makeNode("g", { cpu: "4000m", memory: "10000", extra: { "example.com/gpu": "4" } }));
    // fractions 0.25, 0.5, 1 → mean 0.5833, std 0.3118 → 68
    assert.deepEqual(scores(three, podWith("p", { cpu: "1000m", memory: "5000", "example.com/gpu": "4" }), [node]), [68]);
    // No gpu request: only cpu and memory count → std 0.125 → 87
    assert.deepEqual(scores(three, podWith("p", { cpu: "1000m", memory: "5000" }), [node]), [87]);
  });

  it("scores 100 with a single resource", () => {
    const one = plugin({ resources: [{ name: "cpu" }] });
    assert.deepEqual(scores(one, podWith("p", { cpu: "1000m" }), [sized("n", "4000m", "10000")]), [100]);
  });

  it("computes the pod's requests itself when PreScore did not run", () => {
    assert.equal(pl.score(newState(), podWith("p", { cpu: "3000m", memory: "5000" }), sized("n1", "4000m", "10000")), 87);
  });

  it("rejects invalid resource weights", () => {
    assert.throws(() => plugin({ resources: [{ name: "cpu", weight: -1 }] }), /range 1-100/);
  });
});
