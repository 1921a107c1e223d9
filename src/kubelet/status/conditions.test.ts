import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerStatus, PodSpec } from "kubernetes-types/core/v1.js";
import { containersReadyCondition, podInitializedCondition, podReadyCondition } from "./conditions.ts";

const cs = (name: string, ready: boolean, state: ContainerStatus["state"] = { running: {} }): ContainerStatus => ({ name, ready, restartCount: 0, image: "", imageID: "", state });
const spec: PodSpec = { containers: [{ name: "a" }, { name: "b" }], initContainers: [{ name: "init" }] };

test("ContainersReady and Ready: unknown and unready containers, terminal phases", () => {
  assert.deepEqual(containersReadyCondition(spec, undefined, "Pending"), { type: "ContainersReady", status: "False", reason: "UnknownContainerStatuses" });
  assert.deepEqual(containersReadyCondition(spec, [cs("a", true), cs("b", true)], "Running"), { type: "ContainersReady", status: "True" });
  assert.deepEqual(containersReadyCondition(spec, [cs("a", false)], "Running"), {
    type: "ContainersReady", status: "False", reason: "ContainersNotReady",
    message: "containers with unknown status: [b], containers with unready status: [a]",
  });
  assert.deepEqual(containersReadyCondition(spec, [cs("a", true), cs("b", true)], "Failed"), { type: "ContainersReady", status: "False", reason: "PodFailed" });
  assert.deepEqual(containersReadyCondition(spec, [cs("a", false), cs("b", false)], "Succeeded"), { type: "ContainersReady", status: "False", reason: "PodCompleted" });
  assert.deepEqual(podReadyCondition(spec, [], [cs("a", false), cs("b", true)], "Running"), {
    type: "Ready", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [a]",
  });
  assert.deepEqual(podReadyCondition(spec, [], [cs("a", true), cs("b", true)], "Running"), { type: "Ready", status: "True" });
});

test("Ready: readiness gates must be True", () => {
  const gated: PodSpec = { ...spec, readinessGates: [{ conditionType: "example.com/lb" }, { conditionType: "example.com/dns" }] };
  const all = [cs("a", true), cs("b", true)];
  assert.deepEqual(podReadyCondition(gated, [{ type: "example.com/lb", status: "False" }], all, "Running"), {
    type: "Ready", status: "False", reason: "ReadinessGatesNotReady",
    message: 'the status of pod readiness gate "example.com/lb" is not "True", but False, corresponding condition of pod readiness gate "example.com/dns" does not exist.',
  });
  assert.deepEqual(podReadyCondition(gated, [{ type: "example.com/lb", status: "True" }, { type: "example.com/dns", status: "True" }], all, "Running"), { type: "Ready", status: "True" });
});

test("Initialized: init containers complete, or a regular container has started", () => {
  assert.deepEqual(podInitializedCondition(spec, [cs("a", false, { waiting: {} })], "Pending"), {
    type: "Initialized", status: "False", reason: "ContainersNotInitialized", message: "containers with unknown status: [init]",
  });
  assert.deepEqual(podInitializedCondition(spec, [cs("init", false, { running: {} })], "Pending"), {
    type: "Initialized", status: "False", reason: "ContainersNotInitialized", message: "containers with incomplete status: [init]",
  });
  assert.deepEqual(podInitializedCondition(spec, [cs("init", true, { terminated: { exitCode: 0 } })], "Pending"), { type: "Initialized", status: "True" });
  assert.deepEqual(podInitializedCondition(spec, [cs("init", false, { waiting: {} }), cs("a", true)], "Running"), { type: "Initialized", status: "True" }, "an app container runs");
  assert.deepEqual(podInitializedCondition(spec, [cs("init", true, { terminated: { exitCode: 0 } }), cs("a", false), cs("b", false)], "Succeeded"), { type: "Initialized", status: "True", reason: "PodCompleted" });
  assert.deepEqual(podInitializedCondition({ containers: [{ name: "a" }] }, [], "Pending"), { type: "Initialized", status: "True" });
});
