import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../client/index.ts";
import { makePod } from "../testing.ts";
import { SchedulingQueue } from "./scheduling-queue.ts";

const names = (q: SchedulingQueue): string[] => {
  const out: string[] = [];
  for (let p = q.popNow(); p; p = q.popNow()) out.push(p.podInfo.pod.metadata!.name!);
  return out;
};

test("pops by priority, then by the time the pod was added", () => {
  const clock = new FakeClock();
  const q = new SchedulingQueue({ clock });
  q.add(makePod("low-old", { priority: 0 }));
  clock.advance(10);
  q.add(makePod("high", { priority: 100 }));
  clock.advance(10);
  q.add(makePod("low-new", { priority: 0 }));
  assert.deepEqual(names(q), ["high", "low-old", "low-new"]);
});

test("pop waits for a pod and ends when closed", async () => {
  const q = new SchedulingQueue();
  const popped = q.pop();
  q.add(makePod("a"));
  assert.equal((await popped)?.podInfo.pod.metadata?.name, "a");
  const waiting = q.pop();
  q.close();
  assert.equal(await waiting, undefined);
});

test("an unschedulable pod waits for an event its plugin registered, then backs off 1 s doubling to 10 s", () => {
  const clock = new FakeClock();
  const q = new SchedulingQueue({ clock, pluginEvents: new Map([["NodeResourcesFit", [{ resource: "Node", actions: ["Add"] }]]]) });
  q.add(makePod("p"));
  let info = q.popNow()!;
  info.unschedulablePlugins = new Set(["NodeResourcesFit"]);
  q.addUnschedulable(info, q.cycle);
  assert.deepEqual(q.lengths(), { active: 0, backoff: 0, unschedulable: 1, inFlight: 0 });
  q.onEvent("Pod", "Add"); // NodeResourcesFit did not ask for pod adds
  assert.equal(q.lengths().unschedulable, 1);
  q.onEvent("Node", "Add");
  assert.deepEqual(q.lengths(), { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 });
  clock.advance(999);
  q.flushBackoffCompleted();
  assert.equal(q.lengths().active, 0);
  clock.advance(1);
  q.flushBackoffCompleted();
  info = q.popNow()!;
  assert.equal(info.attempts, 2);
  assert.equal(q.backoffDuration(info), 2000);
  info.attempts = 10;
  assert.equal(q.backoffDuration(info), 10_000);
});

test("a pod failing while an event arrived mid-cycle backs off rather than waiting", () => {
  const clock = new FakeClock();
  const q = new SchedulingQueue({ clock });
  q.add(makePod("p"));
  const info = q.popNow()!;
  const cycle = q.cycle;
  q.onEvent("Node", "Update");
  q.addUnschedulable(info, cycle);
  assert.deepEqual(q.lengths(), { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 });
});

test("unschedulable pods are retried after five minutes without any event", () => {
  const clock = new FakeClock();
  const q = new SchedulingQueue({ clock });
  q.add(makePod("p"));
  q.addUnschedulable(q.popNow()!, q.cycle);
  clock.advance(5 * 60_000 - 1);
  q.flushUnschedulableLeftover();
  assert.equal(q.lengths().unschedulable, 1);
  clock.advance(1);
  q.flushUnschedulableLeftover();
  assert.equal(q.lengths().active, 1);
});

test("gated pods wait until their scheduling gates are removed; deleted pods leave every queue", () => {
  const q = new SchedulingQueue({ clock: new FakeClock() });
  const gated = { ...makePod("g"), spec: { ...makePod("g").spec!, schedulingGates: [{ name: "example.com/wait" }] } };
  q.add(gated);
  q.onEvent("Node", "Add");
  assert.deepEqual(q.lengths(), { active: 0, backoff: 0, unschedulable: 1, inFlight: 0 });
  q.update({ ...gated, spec: { ...gated.spec, schedulingGates: [] } });
  assert.equal(q.lengths().active, 1);
  q.delete(gated);
  assert.deepEqual(q.lengths(), { active: 0, backoff: 0, unschedulable: 0, inFlight: 0 });
});
