// InterPodAffinity PreScore/Score/NormalizeScore: preferred terms of the incoming pod and of
// existing pods, hardPodAffinityWeight, Skip cases, normalisation, and argument validation.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Affinity, Pod, WeightedPodAffinityTerm } from "kubernetes-types/core/v1.js";
import { makeNode, makePod, nodeInfo, fakeHandle, newState } from "../../testing.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { InterPodAffinity, interPodAffinityArgs, newInterPodAffinity } from "./index.ts";

const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";

const pref = (weight: number, matchLabels: Record<string, string>, topologyKey: string): WeightedPodAffinityTerm => ({
  weight, podAffinityTerm: { labelSelector: { matchLabels }, topologyKey },
});

const zoned = (name: string, zone: string) => makeNode(name, { labels: { [ZONE]: zone } });

function plugin(nodes: NodeInfo[], args?: Record<string, unknown>): InterPodAffinity {
  return newInterPodAffinity(args, fakeHandle(nodes)) as InterPodAffinity;
}

/** PreScore, Score on every node and NormalizeScore; raw and final scores by node name. */
function scoreAll(pl: InterPodAffinity, pod: Pod, nodes: NodeInfo[]) {
  const state = newState();
  const pre = pl.preScore(state, pod, nodes);
  if (pre.code !== "Success") return { pre, raw: {}, final: {} };
  const scores = Float64Array.from(nodes, (n) => pl.score(state, pod, n));
  const byName = () => Object.fromEntries(nodes.map((n, i) => [n.name, scores[i]]));
  const raw = byName();
  assert.equal(pl.normalizeScore(state, pod, nodes, scores).code, "Success");
  return { pre, raw, final: byName() };
}

const withPreferred = (name: string, labels: Record<string, string>, affinity: Affinity): Pod => makePod(name, { labels, affinity });

test("preferred affinity: nodes in the zone of matching pods score highest", () => {
  const nodes = [
    nodeInfo(zoned("n1", "a"), makePod("db1", { labels: { app: "db" } }), makePod("db2", { labels: { app: "db" } })),
    nodeInfo(zoned("n2", "a")),
    nodeInfo(zoned("n3", "b"), makePod("db3", { labels: { app: "db" } })),
    nodeInfo(zoned("n4", "c")),
  ];
  const pod = withPreferred("in", {}, { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(5, { app: "db" }, ZONE)] } });
  const { pre, raw, final } = scoreAll(plugin(nodes), pod, nodes);
  assert.equal(pre.code, "Success");
  assert.deepEqual(raw, { n1: 10, n2: 10, n3: 5, n4: 0 });
  assert.deepEqual(final, { n1: 100, n2: 100, n3: 50, n4: 0 });
});

test("preferred anti-affinity: nodes away from matching pods score highest", () => {
  const nodes = [
    nodeInfo(zoned("n1", "a"), makePod("w1", { labels: { app: "web" } })),
    nodeInfo(zoned("n2", "b")),
    nodeInfo(zoned("n3", "c"), makePod("w2", { labels: { app: "web" } }), makePod("w3", { labels: { app: "web" } })),
  ];
  const pod = withPreferred("in", { app: "web" }, {
    podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(10, { app: "web" }, HOST), pref(3, { app: "web" }, ZONE)] },
  });
  const { raw, final } = scoreAll(plugin(nodes), pod, nodes);
  assert.deepEqual(raw, { n1: -13, n2: 0, n3: -26 });
  assert.deepEqual(final, { n1: 50, n2: 100, n3: 0 });
});

test("existing pods' preferred and required terms that select the incoming pod count too", () => {
  const likesWeb = withPreferred("likes", {}, { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(4, { app: "web" }, ZONE)] } });
  const hatesWeb = withPreferred("hates", {}, { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(2, { app: "web" }, ZONE)] } });
  const needsWeb = withPreferred("needs", {}, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "web" } }, topologyKey: HOST }] } });
  const nodes = [nodeInfo(zoned("n1", "a"), likesWeb), nodeInfo(zoned("n2", "b"), hatesWeb), nodeInfo(zoned("n3", "c"), needsWeb), nodeInfo(zoned("n4", "d"))];
  const web = makePod("in", { labels: { app: "web" } });
  // The incoming pod has no preferred terms: only nodes hosting pods with affinity are visited.
  const { raw, final } = scoreAll(plugin(nodes), web, nodes);
  assert.deepEqual(raw, { n1: 4, n2: -2, n3: 1, n4: 0 });
  assert.deepEqual(final, { n1: 100, n2: 0, n3: 50, n4: 33 });
  // hardPodAffinityWeight scales the required term; 0 ignores it.
  assert.deepEqual(scoreAll(plugin(nodes, { hardPodAffinityWeight: 10 }), web, nodes).raw, { n1: 4, n2: -2, n3: 10, n4: 0 });
  assert.deepEqual(scoreAll(plugin(nodes, { hardPodAffinityWeight: 0 }), web, nodes).raw, { n1: 4, n2: -2, n3: 0, n4: 0 });
  // ignorePreferredTermsOfExistingPods: a pod without preferred terms is skipped.
  assert.equal(scoreAll(plugin(nodes, { ignorePreferredTermsOfExistingPods: true }), web, nodes).pre.code, "Skip");
});

test("PreScore skips when nothing matches anywhere", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), makePod("x", { labels: { app: "x" } })), nodeInfo(zoned("n2", "b"))];
  assert.equal(scoreAll(plugin(nodes), makePod("plain"), nodes).pre.code, "Skip");
  const pod = withPreferred("in", {}, { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(5, { app: "db" }, ZONE)] } });
  assert.equal(scoreAll(plugin(nodes), pod, nodes).pre.code, "Skip");
});

test("equal raw scores normalise to 0; a term whose key no node has contributes nothing", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), makePod("db", { labels: { app: "db" } })), nodeInfo(zoned("n2", "a"))];
  const pod = withPreferred("in", {}, { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(5, { app: "db" }, ZONE), pref(7, { app: "db" }, "rack")] } });
  const { raw, final } = scoreAll(plugin(nodes), pod, nodes);
  assert.deepEqual(raw, { n1: 5, n2: 5 });
  assert.deepEqual(final, { n1: 0, n2: 0 });
});

test("normalisation truncates like Kubernetes: 100 * (score - min) / (max - min)", () => {
  const nodes = [
    nodeInfo(zoned("n1", "a"), makePod("d1", { labels: { app: "db" } })),
    nodeInfo(zoned("n2", "b"), makePod("d2", { labels: { app: "db" } }), makePod("d3", { labels: { app: "db" } })),
    nodeInfo(zoned("n3", "c"), makePod("d4", { labels: { app: "db" } }), makePod("d5", { labels: { app: "db" } }), makePod("d6", { labels: { app: "db" } })),
  ];
  const pod = withPreferred("in", {}, { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(1, { app: "db" }, ZONE)] } });
  assert.deepEqual(scoreAll(plugin(nodes), pod, nodes).final, { n1: 0, n2: 50, n3: 100 });
  const four = [...nodes, nodeInfo(zoned("n4", "d"))];
  assert.deepEqual(scoreAll(plugin(four), pod, four).final, { n1: 33, n2: 66, n3: 100, n4: 0 });
});

test("Score without PreScore state throws (the framework's Error status)", () => {
  const nodes = [nodeInfo(zoned("n1", "a"))];
  assert.throws(() => plugin(nodes).score(newState(), makePod("x"), nodes[0]!), /not found/);
});

test("arguments: hardPodAffinityWeight defaults to 1 and must be within 0..100", () => {
  assert.deepEqual(interPodAffinityArgs(undefined), { hardPodAffinityWeight: 1, ignorePreferredTermsOfExistingPods: false });
  assert.throws(() => interPodAffinityArgs({ hardPodAffinityWeight: 101 }), /^Error: hardPodAffinityWeight: Invalid value: 101: not in valid range \[0-100\]$/);
  assert.throws(() => interPodAffinityArgs({ hardPodAffinityWeight: -1 }), /not in valid range/);
});
