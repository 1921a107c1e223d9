// InterPodAffinity PreFilter/Filter: required affinity and anti-affinity of the incoming pod,
// existing pods' anti-affinity, the first-pod-of-a-group case, namespaces, and the preemption
// extensions changing the Filter outcome.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Pod, PodAffinityTerm } from "kubernetes-types/core/v1.js";
import { makeNode, makePod, nodeInfo, fakeHandle, newState } from "../../testing.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { newPodInfo } from "../../framework/pod-info.ts";
import type { CycleState } from "../../framework/cycle-state.ts";
import type { Status } from "../../framework/status.ts";
import { InterPodAffinity, newInterPodAffinity } from "./index.ts";

const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";

const term = (matchLabels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({
  labelSelector: { matchLabels }, topologyKey, ...extra,
});

const withAffinity = (name: string, labels: Record<string, string>, affinity: PodAffinityTerm[] = [], anti: PodAffinityTerm[] = [], namespace?: string): Pod =>
  makePod(name, {
    labels, namespace,
    affinity: {
      podAffinity: affinity.length ? { requiredDuringSchedulingIgnoredDuringExecution: affinity } : undefined,
      podAntiAffinity: anti.length ? { requiredDuringSchedulingIgnoredDuringExecution: anti } : undefined,
    },
  });

function plugin(nodes: NodeInfo[], namespaces?: Record<string, Record<string, string>>): InterPodAffinity {
  return newInterPodAffinity(undefined, fakeHandle(nodes, namespaces)) as InterPodAffinity;
}

/** Runs PreFilter then Filter on every node; Filter results keyed by node name (absent after Skip). */
function run(pl: InterPodAffinity, pod: Pod, nodes: NodeInfo[], state: CycleState = newState()) {
  const pre = pl.preFilter(state, pod, nodes).status;
  const results: Record<string, Status> = {};
  if (pre.code === "Success") for (const n of nodes) results[n.name] = pl.filter(state, pod, n);
  return { pre, results, state };
}

const codes = (results: Record<string, Status>) => Object.fromEntries(Object.entries(results).map(([k, s]) => [k, s.code]));

const zoned = (name: string, zone: string | undefined) => makeNode(name, { labels: zone ? { [ZONE]: zone } : {} });

test("PreFilter skips a pod without terms when no existing pod has required anti-affinity", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), makePod("p", { labels: { app: "web" } }))];
  const { pre } = run(plugin(nodes), makePod("in", { labels: { app: "web" } }), nodes);
  assert.equal(pre.code, "Skip");
});

test("anti-affinity on hostname spreads replicas one per node", () => {
  const web = { app: "web" };
  const replica = (n: string) => withAffinity(n, web, [], [term(web, HOST)]);
  const nodes = [nodeInfo(zoned("n1", "a"), replica("r1")), nodeInfo(zoned("n2", "a")), nodeInfo(zoned("n3", "b"), makePod("other", { labels: { app: "db" } }))];
  const { pre, results } = run(plugin(nodes), replica("r2"), nodes);
  assert.equal(pre.code, "Success");
  assert.deepEqual(codes(results), { n1: "Unschedulable", n2: "Success", n3: "Success" });
  // The existing replica's own anti-affinity also forbids n1, but the incoming pod's rule is reported first.
  assert.deepEqual(results.n1!.reasons, ["node(s) didn't match pod anti-affinity rules"]);
});

test("affinity to a zone: only nodes in a zone hosting a matching pod pass", () => {
  const nodes = [
    nodeInfo(zoned("n1", "a"), makePod("db", { labels: { app: "db" } })),
    nodeInfo(zoned("n2", "a")),
    nodeInfo(zoned("n3", "b")),
    nodeInfo(zoned("n4", undefined)),
  ];
  const pod = withAffinity("in", { app: "web" }, [term({ app: "db" }, ZONE)]);
  const { results } = run(plugin(nodes), pod, nodes);
  assert.deepEqual(codes(results), { n1: "Success", n2: "Success", n3: "UnschedulableAndUnresolvable", n4: "UnschedulableAndUnresolvable" });
  assert.deepEqual(results.n3!.reasons, ["node(s) didn't match pod affinity rules"]);
});

test("affinity terms are ANDed: one existing pod must match all of them", () => {
  const nodes = [
    nodeInfo(zoned("n1", "a"), makePod("db", { labels: { app: "db" } }), makePod("cache", { labels: { tier: "cache" } })),
    nodeInfo(zoned("n2", "b"), makePod("both", { labels: { app: "db", tier: "cache" } })),
  ];
  const pod = withAffinity("in", {}, [term({ app: "db" }, ZONE), term({ tier: "cache" }, HOST)]);
  assert.deepEqual(codes(run(plugin(nodes), pod, nodes).results), { n1: "UnschedulableAndUnresolvable", n2: "Success" });
});

test("the first pod of a group with affinity to itself may go to any node with the topology key", () => {
  const nodes = [nodeInfo(zoned("n1", "a")), nodeInfo(zoned("n2", "b")), nodeInfo(zoned("n3", undefined))];
  const self = withAffinity("in", { app: "web" }, [term({ app: "web" }, ZONE)]);
  assert.deepEqual(codes(run(plugin(nodes), self, nodes).results), { n1: "Success", n2: "Success", n3: "UnschedulableAndUnresolvable" });
  // A pod that does not match its own term gets no such exception.
  const other = withAffinity("in2", { app: "api" }, [term({ app: "web" }, ZONE)]);
  assert.deepEqual(codes(run(plugin(nodes), other, nodes).results), { n1: "UnschedulableAndUnresolvable", n2: "UnschedulableAndUnresolvable", n3: "UnschedulableAndUnresolvable" });
  // Once one matching pod exists somewhere, only its domain qualifies.
  const withOne = [nodeInfo(zoned("n1", "a"), makePod("w", { labels: { app: "web" } })), nodeInfo(zoned("n2", "b"))];
  assert.deepEqual(codes(run(plugin(withOne), self, withOne).results), { n1: "Success", n2: "UnschedulableAndUnresolvable" });
});

test("existing pods' anti-affinity rejects every node in their topology domain", () => {
  const guard = withAffinity("guard", { app: "guard" }, [], [term({ app: "web" }, ZONE)]);
  const nodes = [nodeInfo(zoned("n1", "a"), guard), nodeInfo(zoned("n2", "a")), nodeInfo(zoned("n3", "b"))];
  const { pre, results } = run(plugin(nodes), makePod("in", { labels: { app: "web" } }), nodes);
  assert.equal(pre.code, "Success", "existing anti-affinity matching the pod prevents Skip");
  assert.deepEqual(codes(results), { n1: "Unschedulable", n2: "Unschedulable", n3: "Success" });
  assert.deepEqual(results.n1!.reasons, ["node(s) didn't satisfy existing pods anti-affinity rules"]);
  // A pod the guard does not select is not affected (and is skipped altogether).
  assert.equal(run(plugin(nodes), makePod("x", { labels: { app: "api" } }), nodes).pre.code, "Skip");
});

test("namespaces: a term covers its pod's namespace, listed namespaces, or a namespaceSelector", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), makePod("db", { labels: { app: "db" }, namespace: "data" })), nodeInfo(zoned("n2", "b"))];
  const namespaces = { data: { team: "storage" }, default: { team: "web" } };
  const sameNs = withAffinity("a", {}, [term({ app: "db" }, ZONE)]);
  // Nothing in "default" matches; the pod does not match its own term either.
  assert.equal(run(plugin(nodes, namespaces), sameNs, nodes).results.n1!.code, "UnschedulableAndUnresolvable");
  const listed = withAffinity("b", {}, [term({ app: "db" }, ZONE, { namespaces: ["data"] })]);
  assert.deepEqual(codes(run(plugin(nodes, namespaces), listed, nodes).results), { n1: "Success", n2: "UnschedulableAndUnresolvable" });
  const bySelector = withAffinity("c", {}, [term({ app: "db" }, ZONE, { namespaceSelector: { matchLabels: { team: "storage" } } })]);
  assert.deepEqual(codes(run(plugin(nodes, namespaces), bySelector, nodes).results), { n1: "Success", n2: "UnschedulableAndUnresolvable" });
  const allNs = withAffinity("d", {}, [term({ app: "db" }, ZONE, { namespaceSelector: {} })]);
  assert.equal(run(plugin(nodes, namespaces), allNs, nodes).results.n1!.code, "Success");
  // An existing pod's anti-affinity with a namespaceSelector is matched against the incoming pod's namespace labels.
  const guard = withAffinity("g", {}, [], [term({ app: "web" }, HOST, { namespaceSelector: { matchLabels: { team: "web" } } })], "data");
  const guarded = [nodeInfo(zoned("n1", "a"), guard), nodeInfo(zoned("n2", "b"))];
  assert.deepEqual(codes(run(plugin(guarded, namespaces), makePod("w", { labels: { app: "web" } }), guarded).results), { n1: "Unschedulable", n2: "Success" });
  assert.equal(run(plugin(guarded, namespaces), makePod("w", { labels: { app: "web" }, namespace: "data" }), guarded).pre.code, "Skip");
});

test("an invalid selector in the pod's terms is UnschedulableAndUnresolvable at PreFilter", () => {
  const nodes = [nodeInfo(zoned("n1", "a"))];
  const bad = makePod("bad", {
    affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchExpressions: [{ key: "a", operator: "Bogus" }] } }] } },
  });
  const { pre } = run(plugin(nodes), bad, nodes);
  assert.equal(pre.code, "UnschedulableAndUnresolvable");
  assert.match(pre.reasons[0]!, /^parsing pod: /);
});

test("Filter without PreFilter state is an Error", () => {
  const nodes = [nodeInfo(zoned("n1", "a"))];
  assert.equal(plugin(nodes).filter(newState(), makePod("x"), nodes[0]!).code, "Error");
});

test("removePod/addPod on a cloned state change the Filter outcome for preemption", () => {
  const web = { app: "web" };
  const replica = (n: string) => withAffinity(n, web, [], [term(web, HOST)]);
  const victim = replica("r1");
  const nodes = [nodeInfo(zoned("n1", "a"), victim), nodeInfo(zoned("n2", "a"))];
  const pl = plugin(nodes);
  const pod = replica("r2");
  const { state, results } = run(pl, pod, nodes);
  assert.equal(results.n1!.code, "Unschedulable");

  // Preemption removes the victim from n1 on a copy: n1 now fits; the original state is unchanged.
  const copy = state.clone(true);
  const n1 = nodes[0]!.clone();
  const victimInfo = n1.pods[0]!;
  n1.removePod(victimInfo.pod);
  assert.equal(pl.preFilterExtensions().removePod(copy, pod, victimInfo, n1).code, "Success");
  assert.equal(pl.filter(copy, pod, n1).code, "Success");
  assert.equal(pl.filter(state, pod, nodes[0]!).code, "Unschedulable");

  // Adding a (nominated) replica on n2 makes n2 reject for both the pod's and the replica's anti-affinity.
  const copy2 = state.clone(true);
  const nominated = newPodInfo({ ...replica("r3"), spec: { ...replica("r3").spec!, nodeName: "n2" } });
  assert.equal(pl.preFilterExtensions().addPod(copy2, pod, nominated, nodes[1]!).code, "Success");
  assert.equal(pl.filter(copy2, pod, nodes[1]!).code, "Unschedulable");
  assert.equal(pl.filter(state, pod, nodes[1]!).code, "Success");
  // Removing it again restores the original outcome.
  pl.preFilterExtensions().removePod(copy2, pod, nominated, nodes[1]!);
  assert.equal(pl.filter(copy2, pod, nodes[1]!).code, "Success");
});

test("addPod of a matching pod satisfies required affinity in its zone", () => {
  const nodes = [nodeInfo(zoned("n1", "a"), makePod("db", { labels: { app: "db" } })), nodeInfo(zoned("n2", "b"))];
  const pl = plugin(nodes);
  const pod = withAffinity("in", { app: "web" }, [term({ app: "db" }, ZONE)]);
  const { state, results } = run(pl, pod, nodes);
  assert.equal(results.n2!.code, "UnschedulableAndUnresolvable");
  const copy = state.clone(true);
  pl.preFilterExtensions().addPod(copy, pod, newPodInfo(makePod("db2", { labels: { app: "db" }, nodeName: "n2" })), nodes[1]!);
  assert.equal(pl.filter(copy, pod, nodes[1]!).code, "Success");
  // Removing the only db pod from n1 leaves n1 without a match (and no first-pod exception: db2 matches).
  pl.preFilterExtensions().removePod(copy, pod, nodes[0]!.pods[0]!, nodes[0]!);
  assert.equal(pl.filter(copy, pod, nodes[0]!).code, "UnschedulableAndUnresolvable");
});

test("eventsToRegister: pod add/update/delete and node add/update", () => {
  const pl = plugin([]);
  assert.deepEqual(pl.eventsToRegister(), [
    { resource: "Pod", actions: ["Add", "Update", "Delete"] },
    { resource: "Node", actions: ["Add", "Update"] },
  ]);
  assert.equal(pl.name, "InterPodAffinity");
});
