import { test } from "node:test";
import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Client } from "../client/index.ts";
import { silentLogger } from "../util/log.ts";
import { Scheduler, numFeasibleNodesToFind } from "./scheduler.ts";
import { SUCCESS, unschedulable } from "./framework/status.ts";
import type { FilterPlugin, PluginFactory } from "./framework/types.ts";
import { newDefaultBinder } from "./plugins/defaultbinder.ts";
import { makeNode, makePod } from "./testing.ts";
import { FitError } from "./failure.ts";

test("the share of nodes to look at adapts to the cluster size, as Kubernetes", () => {
  assert.equal(numFeasibleNodesToFind(0, 50), 50);
  assert.equal(numFeasibleNodesToFind(0, 100), 100);
  assert.equal(numFeasibleNodesToFind(0, 1000), 420); // 50 - 1000/125 = 42%
  assert.equal(numFeasibleNodesToFind(0, 5000), 500); // 10%
  assert.equal(numFeasibleNodesToFind(0, 10_000), 500); // floor at 5%
  assert.equal(numFeasibleNodesToFind(0, 150), 100); // at least 100
  assert.equal(numFeasibleNodesToFind(30, 1000), 300);
  assert.equal(numFeasibleNodesToFind(100, 1000), 1000);
});

/** A scheduler whose only Filter records the nodes it sees and rejects those named in `reject`. */
function recordingScheduler(reject: Set<string> = new Set()) {
  const seen: string[] = [];
  const recorder: PluginFactory = (): FilterPlugin => ({
    name: "Recorder",
    filter: (_s, _p, node) => {
      seen.push(node.name);
      return reject.has(node.name) ? unschedulable("node(s) were rejected by the test") : SUCCESS;
    },
  });
  const scheduler = new Scheduler({
    client: {} as Client, log: silentLogger,
    registry: { Recorder: recorder, DefaultBinder: newDefaultBinder },
    profile: { schedulerName: "default-scheduler", plugins: [{ name: "Recorder" }, { name: "DefaultBinder" }] },
  });
  return { scheduler, seen };
}

const run = (s: Scheduler, pod: Pod) => s.schedulePod(s.framework.newCycleState(), pod);

test("each pod's search starts where the last one stopped (round robin over the nodes)", () => {
  const { scheduler, seen } = recordingScheduler();
  for (let i = 0; i < 200; i++) scheduler.cache.addNode(makeNode(`n${String(i).padStart(3, "0")}`));
  run(scheduler, makePod("a"));
  assert.equal(seen.length, 100);
  assert.equal(seen[0], "n000");
  seen.length = 0;
  run(scheduler, makePod("b"));
  assert.equal(seen.length, 100);
  assert.equal(seen[0], "n100");
  seen.length = 0;
  run(scheduler, makePod("c"));
  assert.equal(seen[0], "n000");
});

test("no feasible node gives a FitError listing each reason with its count", () => {
  const { scheduler } = recordingScheduler(new Set(["x", "y"]));
  scheduler.cache.addNode(makeNode("x"));
  scheduler.cache.addNode(makeNode("y"));
  assert.throws(() => run(scheduler, makePod("p")), (err: unknown) => {
    assert.ok(err instanceof FitError);
    assert.equal(err.message, "0/2 nodes are available: 2 node(s) were rejected by the test.");
    assert.deepEqual([...err.diagnosis.unschedulablePlugins], ["Recorder"]);
    return true;
  });
  assert.throws(() => recordingScheduler().scheduler.schedulePod(scheduler.framework.newCycleState(), makePod("q")), /no nodes available to schedule pods/);
});

test("an assumed pod counts against its node before the binding lands", () => {
  const scheduler = new Scheduler({ client: {} as Client, log: silentLogger });
  scheduler.cache.addNode(makeNode("one", { cpu: "1" }));
  const first = makePod("first", { cpu: "700m" });
  assert.equal(run(scheduler, first), "one");
  scheduler.cache.assumePod({ ...first, spec: { ...first.spec!, nodeName: "one" } });
  assert.throws(() => run(scheduler, makePod("second", { cpu: "700m" })), /0\/1 nodes are available: 1 Insufficient cpu\./);
  scheduler.cache.forgetPod({ ...first, spec: { ...first.spec!, nodeName: "one" } });
  assert.equal(run(scheduler, makePod("second", { cpu: "700m" })), "one");
});
