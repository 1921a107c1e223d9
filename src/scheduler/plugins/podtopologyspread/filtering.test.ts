// PodTopologySpread PreFilter/Filter: maxSkew across zones, minDomains, the missing-label reason,
// node inclusion policies, matchLabelKeys, what is counted, and the preemption extensions.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Pod, TopologySpreadConstraint } from "kubernetes-types/core/v1.js";
import { makeNode, makePod, nodeInfo, fakeHandle, newState } from "../../testing.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { newPodInfo } from "../../framework/pod-info.ts";
import type { CycleState } from "../../framework/cycle-state.ts";
import type { Status } from "../../framework/status.ts";
import { newPodTopologySpread, PodTopologySpread } from "./index.ts";
import { CriticalPaths } from "./filtering.ts";

const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";
const web = { app: "web" };

const spread = (topologyKey: string, maxSkew = 1, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew, topologyKey, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: web }, ...extra,
});

const incoming = (constraints: TopologySpreadConstraint[], extra: Parameters<typeof makePod>[1] = {}): Pod =>
  makePod("in", { labels: web, topologySpreadConstraints: constraints, ...extra });

const webPods = (prefix: string, n: number): Pod[] => Array.from({ length: n }, (_, i) => makePod(`${prefix}-${i}`, { labels: web }));

const zoned = (name: string, zone: string | undefined, extra: Parameters<typeof makeNode>[1] = {}) =>
  makeNode(name, { ...extra, labels: { ...(zone ? { [ZONE]: zone } : {}), ...extra.labels } });

function plugin(nodes: NodeInfo[]): PodTopologySpread {
  return newPodTopologySpread(undefined, fakeHandle(nodes)) as PodTopologySpread;
}

function run(pl: PodTopologySpread, pod: Pod, nodes: NodeInfo[], state: CycleState = newState()) {
  const pre = pl.preFilter(state, pod, nodes).status;
  const results: Record<string, Status> = {};
  if (pre.code === "Success") for (const n of nodes) results[n.name] = pl.filter(state, pod, n);
  return { pre, results, state };
}

const codes = (results: Record<string, Status>) => Object.fromEntries(Object.entries(results).map(([k, s]) => [k, s.code]));

test("PreFilter skips a pod without DoNotSchedule constraints", () => {
  const nodes = [nodeInfo(zoned("n1", "a"))];
  assert.equal(run(plugin(nodes), makePod("plain", { labels: web }), nodes).pre.code, "Skip");
  assert.equal(run(plugin(nodes), incoming([spread(ZONE, 1, { whenUnsatisfiable: "ScheduleAnyway" })]), nodes).pre.code, "Skip");
});

test("maxSkew 1 across zones rejects the over-full zone", () => {
  const nodes = [
    nodeInfo(zoned("n1", "a"), ...webPods("a", 2)),
    nodeInfo(zoned("n2", "b"), ...webPods("b", 1)),
    nodeInfo(zoned("n3", "b")),
  ];
  const { pre, results } = run(plugin(nodes), incoming([spread(ZONE)]), nodes);
  assert.equal(pre.code, "Success");
  assert.deepEqual(codes(results), { n1: "Unschedulable", n2: "Success", n3: "Success" });
  assert.deepEqual(results.n1!.reasons, ["node(s) didn't match pod topology spread constraints"]);
  // maxSkew 2 tolerates it.
  assert.deepEqual(codes(run(plugin(nodes), incoming([spread(ZONE, 2)]), nodes).results), { n1: "Success", n2: "Success", n3: "Success" });
});

test("a pod not matching its own selector does not count itself", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), ...webPods("a", 2)), nodeInfo(zoned("n2", "b"), ...webPods("b", 1))];
  const other = makePod("in", { labels: { app: "api" }, topologySpreadConstraints: [spread(ZONE)] });
  // a: 2 + 0 - 1 = 1 <= 1.
  assert.deepEqual(codes(run(plugin(nodes), other, nodes).results), { n1: "Success", n2: "Success" });
});

test("only matching, non-terminating pods of the same namespace are counted", () => {
  const t = makePod("t", { labels: web });
  const terminating: Pod = { ...t, metadata: { ...t.metadata, deletionTimestamp: "2024-01-01T00:00:00Z" } };
  const nodes = [
    nodeInfo(zoned("n1", "a"), makePod("o1", { labels: web, namespace: "other" }), makePod("o2", { labels: { app: "db" } }), terminating),
    nodeInfo(zoned("n2", "b"), ...webPods("b", 1)),
  ];
  assert.deepEqual(codes(run(plugin(nodes), incoming([spread(ZONE)]), nodes).results), { n1: "Success", n2: "Unschedulable" });
});

test("a node without the topology label is UnschedulableAndUnresolvable", () => {
  const nodes = [nodeInfo(zoned("n1", "a")), nodeInfo(zoned("n2", undefined))];
  const { results } = run(plugin(nodes), incoming([spread(ZONE)]), nodes);
  assert.equal(results.n1!.code, "Success");
  assert.equal(results.n2!.code, "UnschedulableAndUnresolvable");
  assert.deepEqual(results.n2!.reasons, ["node(s) didn't match pod topology spread constraints (missing required label)"]);
});

test("minDomains: fewer eligible domains than minDomains makes the global minimum 0", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), ...webPods("a", 1)), nodeInfo(zoned("n2", "b"), ...webPods("b", 1))];
  // Two domains with one pod each: the minimum is 1, so either zone takes a second pod.
  assert.deepEqual(codes(run(plugin(nodes), incoming([spread(ZONE, 1, { minDomains: 2 })]), nodes).results), { n1: "Success", n2: "Success" });
  // minDomains 3: the minimum is taken as 0, so 1 + 1 - 0 = 2 > 1 everywhere.
  assert.deepEqual(codes(run(plugin(nodes), incoming([spread(ZONE, 1, { minDomains: 3 })]), nodes).results), { n1: "Unschedulable", n2: "Unschedulable" });
  // With maxSkew 2 the pod still fits.
  assert.deepEqual(codes(run(plugin(nodes), incoming([spread(ZONE, 2, { minDomains: 3 })]), nodes).results), { n1: "Success", n2: "Success" });
});

test("several constraints must all hold (zone and hostname)", () => {
  const nodes = [
    nodeInfo(zoned("n1", "a"), ...webPods("a", 1)),
    nodeInfo(zoned("n2", "a")),
    nodeInfo(zoned("n3", "b"), ...webPods("b", 1)),
    nodeInfo(zoned("n4", "b")),
  ];
  // Zones are balanced (1/1); per host n1 and n3 already have one pod while n2 and n4 have none.
  assert.deepEqual(codes(run(plugin(nodes), incoming([spread(ZONE), spread(HOST)]), nodes).results), {
    n1: "Unschedulable", n2: "Success", n3: "Unschedulable", n4: "Success",
  });
});

test("nodeAffinityPolicy: Honor (default) counts only nodes the pod may go to; Ignore counts all", () => {
  const nodes = [
    nodeInfo(zoned("n1", "a", { labels: { disk: "ssd" } }), ...webPods("a", 1)),
    nodeInfo(zoned("n2", "b", { labels: { disk: "ssd" } }), ...webPods("b", 2)),
    nodeInfo(zoned("n3", "c")),
  ];
  const selector = { nodeSelector: { disk: "ssd" } };
  // Honor: zone c is not eligible, the minimum is 1 (zone a): a: 1+1-1 = 1 ok, b: 2+1-1 = 2 > 1.
  assert.deepEqual(codes(run(plugin(nodes), incoming([spread(ZONE)], selector), nodes).results), { n1: "Success", n2: "Unschedulable", n3: "Success" });
  // Ignore: empty zone c makes the minimum 0, so a: 1+1-0 = 2 > 1.
  assert.deepEqual(codes(run(plugin(nodes), incoming([spread(ZONE, 1, { nodeAffinityPolicy: "Ignore" })], selector), nodes).results), {
    n1: "Unschedulable", n2: "Unschedulable", n3: "Success",
  });
  // Required node affinity is honoured the same way.
  const affinity = { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] }] } } } };
  assert.deepEqual(codes(run(plugin(nodes), incoming([spread(ZONE)], affinity), nodes).results), { n1: "Success", n2: "Unschedulable", n3: "Success" });
});

test("nodeTaintsPolicy: Honor leaves out nodes with untolerated NoSchedule taints; Ignore (default) counts them", () => {
  const taints = [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }];
  const nodes = [nodeInfo(zoned("n1", "a"), ...webPods("a", 1)), nodeInfo(zoned("n2", "b", { taints }))];
  assert.deepEqual(codes(run(plugin(nodes), incoming([spread(ZONE)]), nodes).results), { n1: "Unschedulable", n2: "Success" });
  const honor = [spread(ZONE, 1, { nodeTaintsPolicy: "Honor" })];
  assert.deepEqual(codes(run(plugin(nodes), incoming(honor), nodes).results), { n1: "Success", n2: "Success" });
  // A pod tolerating the taint counts the node again.
  const tolerant = incoming(honor, { tolerations: [{ key: "dedicated", operator: "Exists" }] });
  assert.deepEqual(codes(run(plugin(nodes), tolerant, nodes).results), { n1: "Unschedulable", n2: "Success" });
});

test("matchLabelKeys narrows the selector to pods with the incoming pod's values", () => {
  const v = (name: string, version: string) => makePod(name, { labels: { ...web, version } });
  const nodes = [nodeInfo(zoned("n1", "a"), v("o1", "1"), v("o2", "1")), nodeInfo(zoned("n2", "b"), v("o3", "2"))];
  const pod = makePod("in", { labels: { ...web, version: "2" }, topologySpreadConstraints: [spread(ZONE, 1, { matchLabelKeys: ["version"] })] });
  // Only version=2 pods count: a has 0, b has 1, so b is over-full.
  assert.deepEqual(codes(run(plugin(nodes), pod, nodes).results), { n1: "Success", n2: "Unschedulable" });
});

test("an invalid constraint selector is an Error", () => {
  const nodes = [nodeInfo(zoned("n1", "a"))];
  const bad = incoming([spread(ZONE, 1, { labelSelector: { matchExpressions: [{ key: "app", operator: "Bogus" }] } })]);
  const { pre } = run(plugin(nodes), bad, nodes);
  assert.equal(pre.code, "Error");
  assert.match(pre.reasons[0]!, /^get constraints from pod: /);
});

test("critical paths keep the minimum while counts change", () => {
  const p = new CriticalPaths();
  for (const [v, n] of [["a", 3], ["b", 1], ["c", 2]] as const) p.update(v, n);
  assert.deepEqual([p.minValue, p.minNum, p.secondValue, p.secondNum], ["b", 1, "c", 2]);
  p.update("b", 4);
  assert.deepEqual([p.minValue, p.minNum], ["c", 2]);
  p.update("a", 0);
  assert.deepEqual([p.minValue, p.minNum, p.secondValue, p.secondNum], ["a", 0, "c", 2]);
});

test("removePod/addPod on a cloned state change the Filter outcome for preemption", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), ...webPods("a", 2)), nodeInfo(zoned("n2", "b"), ...webPods("b", 1))];
  const pl = plugin(nodes);
  const pod = incoming([spread(ZONE)]);
  const { state, results } = run(pl, pod, nodes);
  assert.equal(results.n1!.code, "Unschedulable");

  const copy = state.clone(true);
  const n1 = nodes[0]!.clone();
  const victim = n1.pods[0]!;
  n1.removePod(victim.pod);
  assert.equal(pl.preFilterExtensions().removePod(copy, pod, victim, n1).code, "Success");
  assert.equal(pl.filter(copy, pod, n1).code, "Success");
  assert.equal(pl.filter(state, pod, nodes[0]!).code, "Unschedulable", "the original state is untouched");

  // Adding two matching pods in zone b (3 vs 2) makes b the over-full zone and a the minimum.
  const copy2 = state.clone(true);
  for (const name of ["nb1", "nb2"]) pl.preFilterExtensions().addPod(copy2, pod, newPodInfo(makePod(name, { labels: web, nodeName: "n2" })), nodes[1]!);
  assert.equal(pl.filter(copy2, pod, nodes[1]!).code, "Unschedulable");
  assert.equal(pl.filter(copy2, pod, nodes[0]!).code, "Success");
  // Pods of other namespaces or not matching the selector change nothing.
  const copy3 = state.clone(true);
  pl.preFilterExtensions().addPod(copy3, pod, newPodInfo(makePod("x", { labels: web, namespace: "other" })), nodes[1]!);
  pl.preFilterExtensions().addPod(copy3, pod, newPodInfo(makePod("y", { labels: { app: "db" } })), nodes[1]!);
  assert.equal(pl.filter(copy3, pod, nodes[1]!).code, "Success");
});

test("eventsToRegister: pod add/update/delete and node add/update/delete", () => {
  const pl = plugin([]);
  assert.equal(pl.name, "PodTopologySpread");
  assert.deepEqual(pl.eventsToRegister(), [
    { resource: "Pod", actions: ["Add", "Update", "Delete"] },
    { resource: "Node", actions: ["Add", "Update", "Delete"] },
  ]);
});
