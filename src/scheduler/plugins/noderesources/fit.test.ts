// NodeResourcesFit: Filter reasons as Kubernetes lists them, ignored resources, and the three
// scoring strategies with Kubernetes' test numbers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.js";
import { fakeHandle, makeNode, makePod, newState, nodeInfo } from "../../testing.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { NodeResourcesFit, fits, newNodeResourcesFit } from "./fit.ts";
import { brokenLinearFunction } from "./strategies.ts";

/** A pod with one container requesting exactly `requests`. */
function podWith(name: string, requests: Record<string, string> = {}): Pod {
  const pod = makePod(name);
  pod.spec!.containers[0].resources = Object.keys(requests).length ? { requests } : undefined;
  return pod;
}

const plugin = (args?: Record<string, unknown>) => newNodeResourcesFit(args, fakeHandle([])) as NodeResourcesFit;

function filter(pl: NodeResourcesFit, pod: Pod, node: NodeInfo) {
  const state = newState();
  assert.equal(pl.preFilter(state, pod, [node]).status.code, "Success");
  return pl.filter(state, pod, node);
}

describe("NodeResourcesFit Filter", () => {
  const pl = plugin();
  const node = (...pods: Pod[]) => nodeInfo(makeNode("n", { cpu: "4", memory: "8Gi", pods: 3, extra: { "ephemeral-storage": "10Gi", "example.com/foo": "2", "hugepages-2Mi": "4Mi" } }), ...pods);

  it("passes a pod that fits", () => {
    assert.equal(filter(pl, podWith("p", { cpu: "4", memory: "8Gi" }), node()).code, "Success");
    assert.equal(filter(pl, podWith("p", { cpu: "1" }), node(podWith("a", { cpu: "3", memory: "8Gi" }))).code, "Success");
  });

  it("lists every insufficient resource in Kubernetes' order, as Unschedulable", () => {
    const existing = podWith("a", { cpu: "3", memory: "7Gi", "ephemeral-storage": "9Gi", "example.com/foo": "1" });
    const s = filter(pl, podWith("p", { cpu: "2", memory: "2Gi", "ephemeral-storage": "2Gi", "example.com/foo": "2" }), node(existing));
    assert.equal(s.code, "Unschedulable");
    assert.deepEqual(s.reasons, ["Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage", "Insufficient example.com/foo"]);
  });

  it("stays Unschedulable even when the request exceeds the whole node (v1.32)", () => {
    const s = filter(pl, podWith("p", { cpu: "5" }), node());
    assert.equal(s.code, "Unschedulable");
    assert.deepEqual(s.reasons, ["Insufficient cpu"]);
  });

  it("counts pods against allocatable pods, also for pods requesting nothing", () => {
    const full = node(makePod("a"), makePod("b"), makePod("c"));
    assert.deepEqual(filter(pl, makePod("p"), full).reasons, ["Too many pods"]);
    assert.deepEqual(filter(pl, podWith("p", { cpu: "5" }), full).reasons, ["Too many pods", "Insufficient cpu"]);
    assert.equal(filter(pl, makePod("p"), node(makePod("a"), makePod("b"))).code, "Success");
  });

  it("lets a pod requesting nothing onto an over-committed node", () => {
    const over = node(podWith("a", { cpu: "4", memory: "8Gi" }));
    over.requested.milliCPU = 5000;
    assert.equal(filter(pl, makePod("p"), over).code, "Success");
    assert.equal(filter(pl, podWith("p", { memory: "1" }), over).code, "Unschedulable");
  });

  it("checks hugepages and zero scalar requests as Kubernetes does", () => {
    assert.deepEqual(filter(pl, podWith("p", { "hugepages-2Mi": "6Mi" }), node()).reasons, ["Insufficient hugepages-2Mi"]);
    assert.equal(filter(pl, podWith("p", { "example.com/bar": "0" }), node()).code, "Success");
    assert.deepEqual(filter(pl, podWith("p", { "example.com/bar": "1" }), node()).reasons, ["Insufficient example.com/bar"]);
  });

  it("ignores listed extended resources and resource groups, but not hugepages", () => {
    const pod = podWith("p", { "example.com/foo": "3", "hugepages-2Mi": "6Mi" });
    assert.deepEqual(filter(plugin({ ignoredResources: ["example.com/foo", "hugepages-2Mi"] }), pod, node()).reasons, ["Insufficient hugepages-2Mi"]);
    assert.deepEqual(filter(plugin({ ignoredResourceGroups: ["example.com"] }), pod, node()).reasons, ["Insufficient hugepages-2Mi"]);
  });

  it("uses the pod's effective requests: the largest init container, sidecars and overhead", () => {
    const pod = podWith("p", { cpu: "1" });
    pod.spec!.initContainers = [{ name: "init", resources: { requests: { cpu: "3500m" } } }];
    assert.equal(filter(pl, pod, node()).code, "Success");
    pod.spec!.initContainers = [{ name: "init", resources: { requests: { cpu: "4500m" } } }];
    assert.deepEqual(filter(pl, pod, node()).reasons, ["Insufficient cpu"]);
    pod.spec!.initContainers = [{ name: "sidecar", restartPolicy: "Always", resources: { requests: { cpu: "2" } } }];
    pod.spec!.overhead = { cpu: "1500m" };
    assert.deepEqual(filter(pl, pod, node()).reasons, ["Insufficient cpu"]);
  });

  it("returns an error when PreFilter did not run", () => {
    assert.equal(pl.filter(newState(), makePod("p"), node()).code, "Error");
  });

  it("exposes Fits for callers outside a scheduling cycle", () => {
    assert.deepEqual(fits(podWith("p", { cpu: "5" }), node()), [{ resourceName: "cpu", reason: "Insufficient cpu", requested: 5000, used: 0, capacity: 4000 }]);
    assert.deepEqual(fits(podWith("p", { cpu: "1" }), node()), []);
  });

  it("wakes on pod deletes and node changes", () => {
    assert.deepEqual(pl.eventsToRegister(), [{ resource: "Pod", actions: ["Delete"] }, { resource: "Node", actions: ["Add", "Update"] }]);
  });
});

/** Scores after PreScore for each node. */
function scores(pl: NodeResourcesFit, pod: Pod, nodes: NodeInfo[]): number[] {
  const state = newState();
  assert.equal(pl.preScore(state, pod, nodes).code, "Success");
  return nodes.map((n) => pl.score(state, pod, n));
}

const sized = (name: string, cpu: string, memory: string, ...pods: Pod[]) => nodeInfo(makeNode(name, { cpu, memory }), ...pods);

describe("NodeResourcesFit Score", () => {
  it("LeastAllocated by default: free share of cpu and memory, weight 1 each", () => {
    const pl = plugin();
    assert.equal(pl.strategy, "LeastAllocated");
    // least_allocated_test.go: "nothing scheduled, resources requested, differently sized nodes"
    const pod = podWith("p", { cpu: "3000m", memory: "5000" });
    assert.deepEqual(scores(pl, pod, [sized("n1", "4000m", "10000"), sized("n2", "6000m", "10000")]), [37, 50]);
    // Requests already on the node count; over-commit scores 0 for that resource.
    const busy = sized("n3", "4000m", "10000", podWith("a", { cpu: "2000m", memory: "6000" }));
    assert.deepEqual(scores(pl, pod, [busy]), [0]);
  });

  it("gives pods without requests the non-zero defaults (100m cpu, 200Mi memory)", () => {
    const pl = plugin();
    const node = sized("n", "1000m", `${400 * 1024 * 1024}`);
    // cpu: (1000-100)*100/1000 = 90; memory: half used = 50 → 70
    assert.deepEqual(scores(pl, makePod("p"), [node]), [70]);
    // An existing best-effort pod counts with the defaults too: cpu 80, memory 0 → 40
    assert.deepEqual(scores(pl, makePod("p"), [sized("n", "1000m", `${400 * 1024 * 1024}`, makePod("a"))]), [40]);
  });

  it("weights resources", () => {
    const pl = plugin({ scoringStrategy: { type: "LeastAllocated", resources: [{ name: "cpu", weight: 3 }, { name: "memory", weight: 1 }] } });
    const pod = podWith("p", { cpu: "3000m", memory: "5000" });
    // (25*3 + 50*1) / 4 = 31
    assert.deepEqual(scores(pl, pod, [sized("n1", "4000m", "10000")]), [31]);
  });

  it("MostAllocated favours the fullest node, capping over-commit", () => {
    const pl = plugin({ scoringStrategy: { type: "MostAllocated" } });
    // most_allocated_test.go: "nothing scheduled, resources requested, differently sized nodes"
    const pod = podWith("p", { cpu: "3000m", memory: "5000" });
    assert.deepEqual(scores(pl, pod, [sized("n1", "4000m", "10000"), sized("n2", "6000m", "10000")]), [62, 50]);
    const over = sized("n3", "1000m", "10000", podWith("a", { cpu: "2000m", memory: "5000" }));
    assert.deepEqual(scores(pl, pod, [over]), [100]);
  });

  it("scores scalar resources only when the pod requests them and the node has them", () => {
    const pl = plugin({ scoringStrategy: { type: "MostAllocated", resources: [{ name: "cpu", weight: 1 }, { name: "example.com/gpu", weight: 1 }] } });
    const gpuNode = nodeInfo(makeNode("g", { cpu: "4", extra: { "example.com/gpu": "4" } }));
    const plain = nodeInfo(makeNode("c", { cpu: "4" }));
    // cpu 1000/4000 = 25; gpu 2/4 = 50 → 37; without the gpu only cpu counts.
    assert.deepEqual(scores(pl, podWith("p", { cpu: "1", "example.com/gpu": "2" }), [gpuNode, plain]), [37, 25]);
    assert.deepEqual(scores(pl, podWith("p", { cpu: "1" }), [gpuNode]), [25]);
  });

  it("RequestedToCapacityRatio maps utilization through the shape and rounds the weighted mean", () => {
    const pl = plugin({
      scoringStrategy: {
        type: "RequestedToCapacityRatio",
        resources: [{ name: "cpu", weight: 1 }, { name: "memory", weight: 1 }],
        requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] },
      },
    });
    const pod = podWith("p", { cpu: "1000m", memory: "2000" });
    // n1: cpu 50, memory 50 → 50. n2: cpu 25, memory 20 → round(22.5) = 23.
    const n1 = sized("n1", "4000m", "10000", podWith("a", { cpu: "1000m", memory: "3000" }));
    assert.deepEqual(scores(pl, pod, [n1, sized("n2", "4000m", "10000")]), [50, 23]);
    // Over-commit reads as 100% utilization.
    assert.deepEqual(scores(pl, podWith("p", { cpu: "8", memory: "2000" }), [sized("n3", "4000m", "10000")]), [60]);
  });

  it("leaves resources scoring 0 out of RequestedToCapacityRatio's weights", () => {
    const pl = plugin({ scoringStrategy: { type: "RequestedToCapacityRatio", requestedToCapacityRatio: { shape: [{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }] } } });
    // Defaults: cpu 100m of 4000m → 2% → 98; memory 200Mi over 10000 bytes → 100% → 0, not counted.
    assert.deepEqual(scores(pl, makePod("p"), [sized("n", "4000m", "10000")]), [98]);
  });

  it("interpolates the shape with truncating integer steps", () => {
    const f = brokenLinearFunction([{ utilization: 10, score: 100 }, { utilization: 40, score: 0 }, { utilization: 70, score: 50 }]);
    assert.deepEqual([0, 10, 20, 39, 40, 55, 70, 100].map(f), [100, 100, 67, 4, 0, 25, 50, 50]);
  });

  it("computes the pod's requests itself when PreScore did not run", () => {
    const pl = plugin();
    assert.equal(pl.score(newState(), podWith("p", { cpu: "3000m", memory: "5000" }), sized("n1", "4000m", "10000")), 37);
  });

  it("rejects invalid arguments", () => {
    assert.throws(() => plugin({ scoringStrategy: { type: "Random" } }), /Unsupported value/);
    assert.throws(() => plugin({ scoringStrategy: { type: "LeastAllocated", resources: [{ name: "cpu", weight: 101 }] } }), /range 1-100/);
    assert.throws(() => plugin({ scoringStrategy: { type: "RequestedToCapacityRatio" } }), /at least one point/);
    assert.throws(
      () => plugin({ scoringStrategy: { type: "RequestedToCapacityRatio", requestedToCapacityRatio: { shape: [{ utilization: 50, score: 1 }, { utilization: 40, score: 2 }] } } }),
      /increasing/,
    );
    assert.throws(() => plugin({ ignoredResources: "example.com/foo" }), /list of strings/);
  });
});
