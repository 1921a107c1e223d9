// PodTopologySpread PreScore/Score/NormalizeScore: log-weighted counts per domain, hostname
// counted in Score, nodes missing a key, system default constraints, and argument validation.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Pod, TopologySpreadConstraint } from "kubernetes-types/core/v1.js";
import { makeNode, makePod, nodeInfo, fakeHandle, newState } from "../../testing.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { selectorFromSet } from "../../../apimachinery/labels.ts";
import { newPodTopologySpread, PodTopologySpread, podTopologySpreadArgs } from "./index.ts";

const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";
const web = { app: "web" };

const soft = (topologyKey: string, maxSkew = 1): TopologySpreadConstraint => ({
  maxSkew, topologyKey, whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: web },
});

const webPods = (prefix: string, n: number): Pod[] => Array.from({ length: n }, (_, i) => makePod(`${prefix}-${i}`, { labels: web }));
const zoned = (name: string, zone?: string) => makeNode(name, { labels: zone ? { [ZONE]: zone } : {} });

function plugin(nodes: NodeInfo[], args?: Record<string, unknown>): PodTopologySpread {
  return newPodTopologySpread(args, fakeHandle(nodes)) as PodTopologySpread;
}

/** PreScore over `filtered` (default: all), Score and NormalizeScore; raw and final by node name. */
function scoreAll(pl: PodTopologySpread, pod: Pod, nodes: NodeInfo[], filtered = nodes) {
  const state = newState();
  const pre = pl.preScore(state, pod, filtered);
  if (pre.code !== "Success") return { pre, raw: {}, final: {} };
  const scores = Float64Array.from(filtered, (n) => pl.score(state, pod, n));
  const byName = () => Object.fromEntries(filtered.map((n, i) => [n.name, scores[i]]));
  const raw = byName();
  assert.equal(pl.normalizeScore(state, pod, filtered, scores).code, "Success");
  return { pre, raw, final: byName() };
}

test("PreScore skips a pod without ScheduleAnyway constraints", () => {
  const nodes = [nodeInfo(zoned("n1", "a"))];
  assert.equal(scoreAll(plugin(nodes), makePod("p", { labels: web }), nodes).pre.code, "Skip");
  const hard = makePod("p", { labels: web, topologySpreadConstraints: [{ ...soft(ZONE), whenUnsatisfiable: "DoNotSchedule" }] });
  assert.equal(scoreAll(plugin(nodes), hard, nodes).pre.code, "Skip");
  assert.equal(scoreAll(plugin(nodes), makePod("p", { labels: web, topologySpreadConstraints: [soft(ZONE)] }), nodes, []).pre.code, "Skip");
});

test("zone spreading: fewer matching pods in the zone scores higher, weighted by log(zones + 2)", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), ...webPods("a", 3)), nodeInfo(zoned("n2", "a")), nodeInfo(zoned("n3", "b"), ...webPods("b", 1))];
  const pod = makePod("in", { labels: web, topologySpreadConstraints: [soft(ZONE)] });
  const { raw, final } = scoreAll(plugin(nodes), pod, nodes);
  // log(4) = 1.386: zone a 3 * 1.386 = 4.16 → 4, zone b 1.386 → 1.
  assert.deepEqual(raw, { n1: 4, n2: 4, n3: 1 });
  // 100 * (max + min - score) / max: a 100 * 1 / 4 = 25, b 100.
  assert.deepEqual(final, { n1: 25, n2: 25, n3: 100 });
});

test("hostname spreading counts each node's own pods; maxSkew - 1 softens differences", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), ...webPods("a", 2)), nodeInfo(zoned("n2", "a"), ...webPods("b", 1)), nodeInfo(zoned("n3", "a"))];
  const pod = makePod("in", { labels: web, topologySpreadConstraints: [soft(HOST)] });
  // log(5) = 1.609: n1 3.22 → 3, n2 1.61 → 2, n3 0.
  const { raw, final } = scoreAll(plugin(nodes), pod, nodes);
  assert.deepEqual(raw, { n1: 3, n2: 2, n3: 0 });
  assert.deepEqual(final, { n1: 0, n2: 33, n3: 100 });
  const relaxed = makePod("in", { labels: web, topologySpreadConstraints: [soft(HOST, 5)] });
  // + 4 each: 7, 6, 4 → 100 * (7 + 4 - s) / 7.
  assert.deepEqual(scoreAll(plugin(nodes), relaxed, nodes).final, { n1: 57, n2: 71, n3: 100 });
});

test("only candidate domains are counted, from pods on all nodes", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), ...webPods("a", 2)), nodeInfo(zoned("n2", "a")), nodeInfo(zoned("n3", "b")), nodeInfo(zoned("n4", "c"), ...webPods("c", 5))];
  const pod = makePod("in", { labels: web, topologySpreadConstraints: [soft(ZONE)] });
  // Filter left n2 and n3: zone a (2 pods, on n1) and zone b; zone c is not a candidate. log(4) weights.
  const { raw, final } = scoreAll(plugin(nodes), pod, nodes, [nodes[1]!, nodes[2]!]);
  assert.deepEqual(raw, { n2: 3, n3: 0 });
  assert.deepEqual(final, { n2: 0, n3: 100 });
});

test("nodes missing a topology key are ignored and score 0", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), ...webPods("a", 1)), nodeInfo(zoned("n2", "b")), nodeInfo(zoned("n3"))];
  const pod = makePod("in", { labels: web, topologySpreadConstraints: [soft(ZONE), soft(HOST)] });
  const { final } = scoreAll(plugin(nodes), pod, nodes);
  assert.deepEqual(final, { n1: 0, n2: 100, n3: 0 });
  // Equal scores everywhere (all zero) give every node the maximum.
  const empty = [nodeInfo(zoned("n1", "a")), nodeInfo(zoned("n2", "b"))];
  assert.deepEqual(scoreAll(plugin(empty), pod, empty).final, { n1: 100, n2: 100 });
});

test("system default constraints apply to controlled pods without constraints, only when configured", () => {
  const rsPod = (name: string) => {
    const p = makePod(name, { labels: web });
    p.metadata!.ownerReferences = [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-1", uid: "rs", controller: true }];
    return p;
  };
  const nodes = [nodeInfo(zoned("n1", "a"), rsPod("r1"), rsPod("r2")), nodeInfo(zoned("n2", "b")), nodeInfo(zoned("n3"))];
  // Off by default.
  assert.equal(scoreAll(plugin(nodes), rsPod("in"), nodes).pre.code, "Skip");
  const pl = plugin(nodes, { defaultingType: "System" });
  // No DoNotSchedule defaults: Filter is skipped.
  assert.equal(pl.preFilter(newState(), rsPod("in"), nodes).status.code, "Skip");
  // Hostname (maxSkew 3, weight log(3 + 2)) and zone (maxSkew 5, domains a, b and n3's "" → log(5)):
  // n1 2 * 1.609 + 2 + 2 * 1.609 + 4 = 12.4; n2 2 + 4; n3 has no zone but is still scored by hostname: 2.
  const { raw, final } = scoreAll(pl, rsPod("in"), nodes);
  assert.deepEqual(raw, { n1: 12, n2: 6, n3: 2 });
  assert.deepEqual(final, { n1: 16, n2: 66, n3: 100 });
  // A pod without a controller gets no defaults; a custom selector hook overrides that.
  assert.equal(scoreAll(pl, makePod("bare", { labels: web }), nodes).pre.code, "Skip");
  const hooked = plugin(nodes, { defaultingType: "System", defaultSelector: () => selectorFromSet(web) });
  assert.equal(scoreAll(hooked, makePod("bare", { labels: web }), nodes).pre.code, "Success");
});

test("List defaulting uses the given default constraints", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), makePod("x", { labels: web })), nodeInfo(zoned("n2", "b"))];
  const pl = plugin(nodes, {
    defaultConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule" }],
    defaultSelector: () => selectorFromSet(web),
  });
  const state = newState();
  const pod = makePod("in", { labels: web });
  assert.equal(pl.preFilter(state, pod, nodes).status.code, "Success");
  assert.equal(pl.filter(state, pod, nodes[0]!).code, "Unschedulable");
  assert.equal(pl.filter(state, pod, nodes[1]!).code, "Success");
});

test("arguments are validated as Kubernetes does", () => {
  assert.throws(() => podTopologySpreadArgs({ defaultingType: "Other" }), /defaultingType: Unsupported value/);
  assert.throws(() => podTopologySpreadArgs({ defaultingType: "System", defaultConstraints: [soft(ZONE)] }), /must be empty/);
  assert.throws(() => podTopologySpreadArgs({ defaultConstraints: [soft(ZONE)] }), /must not define a selector/);
  const c = { maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "ScheduleAnyway" };
  assert.throws(() => podTopologySpreadArgs({ defaultConstraints: [c, c] }), /Duplicate value/);
  assert.throws(() => podTopologySpreadArgs({ defaultConstraints: [{ ...c, maxSkew: 0 }] }), /must be greater than zero/);
  assert.equal(podTopologySpreadArgs(undefined).defaultConstraints.length, 0);
});
