import { test } from "node:test";
import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.js";
import { CycleState } from "../../framework/cycle-state.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import { newPodInfo } from "../../framework/pod-info.ts";
import type { PodInfo } from "../../framework/pod-info.ts";
import { StatusError } from "../../../apimachinery/status.ts";
import { unresolvable, unschedulable } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import { makeNode, makePod, nodeInfo } from "../../testing.ts";
import { DefaultPreemption, DEFAULT_PREEMPTION, DEFAULT_PREEMPTION_ARGS, newDefaultPreemption } from "./index.ts";
import { preemptionHandle } from "./testkit.ts";

const node = (name: string, ...pods: Pod[]) => nodeInfo(makeNode(name, { cpu: "4" }), ...pods);
const pod = (name: string, priority: number, cpu = "1", extra: Partial<Pod> = {}) => ({ ...makePod(name, { priority, cpu }), ...extra });
const insufficient = (nodes: NodeInfo[], status: Status = unschedulable("Insufficient cpu")) => new Map(nodes.map((n) => [n.name, status]));

function setup(nodes: NodeInfo[], opts: { nominated?: Record<string, PodInfo[]>; random?: number; args?: Partial<typeof DEFAULT_PREEMPTION_ARGS> } = {}) {
  const t = preemptionHandle(nodes, opts.nominated);
  const plugin = new DefaultPreemption({ ...DEFAULT_PREEMPTION_ARGS, ...opts.args }, t.handle, { random: () => opts.random ?? 0 });
  return { ...t, plugin };
}

test("a high-priority pod preempts the lowest-priority pods on the best node", async () => {
  const nodes = [
    node("n1", pod("a1", 10, "2"), pod("a2", 10, "2")),
    node("n2", pod("b1", 5, "2"), pod("b2", 100, "2")),
    node("n3", pod("c1", 1, "3"), pod("c2", 1000, "1")),
  ];
  const { plugin, client, events } = setup(nodes);
  const preemptor = pod("big", 500, "2");
  const r = await plugin.postFilter(new CycleState(), preemptor, insufficient(nodes));
  assert.deepEqual(r, { nominatedNodeName: "n3", status: r.status });
  assert.equal(r.status.code, "Success");
  assert.deepEqual(client.deleted(), ["c1"]);
  const del = client.calls.find((c) => c.verb === "delete")!;
  assert.deepEqual(del.opts, { namespace: "default", preconditions: { uid: nodes[2].pods[0].pod.metadata!.uid } });
  // The victim is marked as preempted before it is deleted.
  const condition = client.calls[0]!;
  assert.equal(condition.verb, "patch");
  assert.equal(condition.opts!.type, "strategic");
  assert.equal(condition.opts!.subresource, "status");
  assert.deepEqual((condition.body as { status: { conditions: object[] } }).status.conditions, [{
    type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler",
    message: "default-scheduler: preempting to accommodate a higher priority pod", lastTransitionTime: "2025-01-01T12:00:00Z",
  }]);
  assert.deepEqual(events, [{ name: "c1", kind: "Pod", type: "Normal", reason: "Preempted", message: `Preempted by pod ${preemptor.metadata!.uid} on node n3` }]);
  assert.deepEqual(client.nominations(), { big: "n3" });
  // The snapshot is not changed by the dry run.
  assert.deepEqual(nodes.map((n) => n.pods.length), [2, 2, 2]);
});

test("pods of equal or higher priority are never victims", async () => {
  const nodes = [node("n1", pod("a", 100, "4")), node("n2", pod("b", 100, "4")), node("n3", pod("c", 200, "4"))];
  const { plugin, client } = setup(nodes);
  const r = await plugin.postFilter(new CycleState(), pod("p", 100, "1"), insufficient(nodes));
  assert.equal(r.nominatedNodeName, "");
  assert.deepEqual(r.status, { code: "Unschedulable", reasons: ["preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."] });
  assert.deepEqual(client.calls, []);
});

test("preemptionPolicy Never is not eligible", async () => {
  const nodes = [node("n1", pod("low", 1, "4"))];
  const { plugin, client } = setup(nodes);
  const never = pod("p", 100, "1");
  never.spec!.preemptionPolicy = "Never";
  const r = await plugin.postFilter(new CycleState(), never, insufficient(nodes));
  assert.deepEqual(r, { status: { code: "Unschedulable", reasons: ["preemption: not eligible due to preemptionPolicy=Never."] } });
  assert.deepEqual(client.calls, []);
});

test("a pod waits while a victim on its nominated node is terminating", async () => {
  const terminating = pod("old", 1, "4", { status: { conditions: [{ type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler" }] } });
  terminating.metadata = { ...terminating.metadata, deletionTimestamp: "2025-01-01T11:59:50Z" };
  const nodes = [node("n1", terminating), node("n2", pod("other", 1, "4"))];
  const { plugin, client } = setup(nodes);
  const waiting = pod("p", 100, "1", { status: { nominatedNodeName: "n1" } });
  const r = await plugin.postFilter(new CycleState(), waiting, insufficient(nodes));
  assert.deepEqual(r.status.reasons, ["preemption: not eligible due to a terminating pod on the nominated node."]);
  assert.deepEqual(client.calls, []);
  // Once its nominated node is out of the question for good, it may preempt elsewhere.
  const again = await plugin.postFilter(new CycleState(), waiting, new Map([["n1", unresolvable("node(s) had untolerated taint")], ["n2", unschedulable("Insufficient cpu")]]));
  assert.equal(again.nominatedNodeName, "n2");
});

test("UnschedulableAndUnresolvable nodes are not considered", async () => {
  const nodes = [node("n1", pod("cheap", 1, "4")), node("n2", pod("dear", 50, "4")), node("n3", pod("x", 1, "4"))];
  const { plugin, client } = setup(nodes);
  const filtered = new Map<string, Status>([["n1", unresolvable("node(s) didn't match Pod's node affinity/selector")], ["n2", unschedulable("Insufficient cpu")]]);
  const r = await plugin.postFilter(new CycleState(), pod("p", 100, "1"), filtered);
  assert.equal(r.nominatedNodeName, "n2");
  assert.deepEqual(client.deleted(), ["dear"]);

  // No node where preemption might help: say so, and drop the pod's old nomination.
  const none = setup(nodes);
  const nominated = pod("q", 100, "1", { status: { nominatedNodeName: "n1" } });
  const all = insufficient(nodes, unresolvable("node(s) had untolerated taint"));
  const r2 = await none.plugin.postFilter(new CycleState(), nominated, all);
  assert.deepEqual(r2, { nominatedNodeName: "", status: { code: "Unschedulable", reasons: ["preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."] } });
  assert.deepEqual(none.client.nominations(), { q: null });
  assert.deepEqual(none.client.deleted(), []);
});

test("the reprieve keeps every pod that need not go, most important first", async () => {
  const n = node("n1", pod("p1", 1), pod("p2", 2), pod("p3", 3), pod("p4", 4));
  const { plugin, client } = setup([n]);
  const r = await plugin.postFilter(new CycleState(), pod("big", 10, "2"), insufficient([n]));
  assert.equal(r.nominatedNodeName, "n1");
  assert.deepEqual(client.deleted().sort(), ["p1", "p2"]);
});

test("pods a PodDisruptionBudget protects are reprieved first", async () => {
  const db = pod("db", 1, "2");
  db.metadata = { ...db.metadata, labels: { app: "db" } };
  const n = node("n1", db, pod("web", 2, "2"));
  const { plugin, client } = setup([n]);
  client.pdbs = [{ metadata: { name: "db", namespace: "default" }, spec: { selector: { matchLabels: { app: "db" } } }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } }];
  await plugin.postFilter(new CycleState(), pod("big", 10, "2"), insufficient([n]));
  assert.deepEqual(client.deleted(), ["web"]);
  // Without the budget the lower-priority pod goes.
  const free = setup([node("n1", { ...db }, pod("web", 2, "2"))]);
  await free.plugin.postFilter(new CycleState(), pod("big", 10, "2"), insufficient([n]));
  assert.deepEqual(free.client.deleted(), ["db"]);
});

test("nominated pods: higher ones hold their room, lower ones lose their nomination", async () => {
  const n1 = node("n1", pod("a", 1, "2"), pod("b", 1, "2"));
  const n2 = node("n2", pod("c", 1, "2"), pod("d", 1, "2"));
  const higher = newPodInfo(pod("vip", 1000, "2", { status: { nominatedNodeName: "n1" } }));
  const lower = newPodInfo(pod("meh", 5, "1", { status: { nominatedNodeName: "n2" } }));
  const { plugin, client } = setup([n1, n2], { nominated: { n1: [higher], n2: [lower] } });
  const r = await plugin.postFilter(new CycleState(), pod("p", 100, "2"), insufficient([n1, n2]));
  // On n1 both pods would have to go (the vip takes 2 cpu); on n2 one is enough.
  assert.equal(r.nominatedNodeName, "n2");
  assert.equal(client.deleted().length, 1);
  assert.deepEqual(client.nominations(), { meh: null, p: "n2" });
});

test("the search starts at a random node and stops once it has enough candidates", async () => {
  const nodes = ["n1", "n2", "n3", "n4"].map((name, i) => node(name, pod(`v${i}`, i === 0 ? 1 : 50, "4")));
  const { plugin } = setup(nodes, { random: 0.5, args: { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 1 } });
  const r = await plugin.postFilter(new CycleState(), pod("p", 100, "1"), insufficient(nodes));
  // n1's victim is cheaper, but the search began at n3 and one candidate was enough.
  assert.equal(r.nominatedNodeName, "n3");
  const all = setup(nodes, { random: 0.5 });
  assert.equal((await all.plugin.postFilter(new CycleState(), pod("p", 100, "1"), insufficient(nodes))).nominatedNodeName, "n1");
});

test("API failures are an Error; a victim that is already gone is not", async () => {
  const n = node("n1", pod("a", 1, "4"));
  const failing = setup([n]);
  failing.client.fail = (c) => (c.verb === "delete" ? new Error("connection refused") : undefined);
  const r = await failing.plugin.postFilter(new CycleState(), pod("p", 100, "1"), insufficient([n]));
  assert.deepEqual(r.status, { code: "Error", reasons: ["preemption: connection refused"] });
  assert.equal(r.nominatedNodeName, undefined);

  const gone = setup([n]);
  gone.client.fail = (c) => (c.verb === "delete" ? new StatusError(404, "NotFound", 'pods "a" not found') : undefined);
  const ok = await gone.plugin.postFilter(new CycleState(), pod("p", 100, "1"), insufficient([n]));
  assert.equal(ok.status.code, "Success");
  assert.deepEqual(gone.events, []);
});

test("the factory validates its arguments", () => {
  const { handle } = preemptionHandle([]);
  const plugin = newDefaultPreemption(undefined, handle) as DefaultPreemption;
  assert.equal(plugin.name, DEFAULT_PREEMPTION);
  assert.deepEqual(plugin.args, { minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100 });
  assert.deepEqual(plugin.eventsToRegister(), []);
  assert.throws(() => newDefaultPreemption({ minCandidateNodesPercentage: 101 }, handle), /minCandidateNodesPercentage: Invalid value: 101: not in valid range \[0, 100\]/);
  assert.throws(() => newDefaultPreemption({ minCandidateNodesAbsolute: -1 }, handle), /minCandidateNodesAbsolute: Invalid value: -1: not in valid range \[0, inf\)/);
  assert.throws(() => newDefaultPreemption({ minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0 }, handle), /cannot be zero at the same time/);
});
