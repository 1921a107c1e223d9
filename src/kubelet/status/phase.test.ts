import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerStatus, Pod } from "kubernetes-types/core/v1.js";
import { getPhase, getPodQOS } from "./phase.ts";

const running = (name: string): ContainerStatus => ({ name, ready: true, restartCount: 0, image: "i", imageID: "", state: { running: { startedAt: "2024-01-01T00:00:00Z" } } });
const waiting = (name: string, lastExit?: number): ContainerStatus => ({
  name, ready: false, restartCount: 0, image: "i", imageID: "", state: { waiting: { reason: "ContainerCreating" } },
  ...(lastExit !== undefined ? { lastState: { terminated: { exitCode: lastExit } } } : {}),
});
const exited = (name: string, exitCode: number): ContainerStatus => ({ name, ready: false, restartCount: 0, image: "i", imageID: "", state: { terminated: { exitCode } } });

function pod(restartPolicy: string, containers: string[], inits: string[] = []): Pod {
  return {
    metadata: { name: "p", namespace: "ns", uid: "u" },
    spec: { restartPolicy, containers: containers.map((name) => ({ name, image: "i" })), initContainers: inits.map((name) => ({ name, image: "i" })) },
  };
}

test("getPhase: app containers (Kubernetes' TestPodPhase cases)", () => {
  const always = pod("Always", ["a", "b"]);
  assert.equal(getPhase(always, [running("a"), running("b")], false), "Running");
  assert.equal(getPhase(always, [running("a")], false), "Pending", "one unknown");
  assert.equal(getPhase(always, [running("a"), waiting("b")], false), "Pending", "one waiting");
  assert.equal(getPhase(always, [running("a"), exited("b", 1)], false), "Running", "one stopped, will restart");
  assert.equal(getPhase(always, [exited("a", 0), exited("b", 1)], false), "Running", "all stopped with Always");
  assert.equal(getPhase(always, [running("a"), waiting("b", 1)], false), "Running", "restarting (crash loop)");
  assert.equal(getPhase(always, [exited("a", 0), exited("b", 0)], true), "Succeeded", "terminal pod");
  assert.equal(getPhase(always, [exited("a", 0), exited("b", 137)], true), "Failed", "terminal pod with a failure");
  const never = pod("Never", ["a", "b"]);
  assert.equal(getPhase(never, [exited("a", 0), exited("b", 0)], false), "Succeeded");
  assert.equal(getPhase(never, [exited("a", 0), exited("b", 1)], false), "Failed");
  assert.equal(getPhase(never, [running("a"), exited("b", 1)], false), "Running");
  const onFailure = pod("OnFailure", ["a", "b"]);
  assert.equal(getPhase(onFailure, [exited("a", 0), exited("b", 0)], false), "Succeeded");
  assert.equal(getPhase(onFailure, [exited("a", 0), exited("b", 1)], false), "Running", "will restart b");
  assert.equal(getPhase(onFailure, [exited("a", 0), waiting("b", 1)], false), "Running");
});

test("getPhase: init containers", () => {
  const p = pod("Always", ["app"], ["i1", "i2"]);
  assert.equal(getPhase(p, [waiting("app")], false), "Pending", "no init status yet");
  assert.equal(getPhase(p, [exited("i1", 0), running("i2"), waiting("app")], false), "Pending");
  assert.equal(getPhase(p, [exited("i1", 0), exited("i2", 0), running("app")], false), "Running");
  assert.equal(getPhase(p, [exited("i1", 0), exited("i2", 1), waiting("app")], false), "Pending", "failed init, Always restarts it");
  assert.equal(getPhase(p, [exited("i1", 0), waiting("i2", 1), waiting("app")], false), "Pending", "init in crash loop");
  const never = pod("Never", ["app"], ["i1", "i2"]);
  assert.equal(getPhase(never, [exited("i1", 1), waiting("i2"), waiting("app")], false), "Failed");
  assert.equal(getPhase(never, [exited("i1", 0), exited("i2", 0), exited("app", 0)], false), "Succeeded");
});

test("getPodQOS: BestEffort, Burstable, Guaranteed as Kubernetes computes them", () => {
  const withResources = (...rs: { requests?: Record<string, string>; limits?: Record<string, string> }[]): Pod =>
    ({ spec: { containers: rs.map((r, i) => ({ name: `c${i}`, resources: r })) } });
  assert.equal(getPodQOS(withResources({})), "BestEffort");
  assert.equal(getPodQOS(withResources({ requests: { "nvidia.com/gpu": "1" } })), "BestEffort", "only cpu and memory count");
  assert.equal(getPodQOS(withResources({ requests: { cpu: "0" } })), "BestEffort", "zero quantities do not count");
  assert.equal(getPodQOS(withResources({ requests: { cpu: "100m" } })), "Burstable");
  assert.equal(getPodQOS(withResources({ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } })), "Guaranteed");
  assert.equal(getPodQOS(withResources({ requests: { cpu: "1000m", memory: "1024Mi" }, limits: { cpu: "1", memory: "1Gi" } })), "Guaranteed", "equal quantities in other units");
  assert.equal(getPodQOS(withResources({ requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } })), "Burstable");
  assert.equal(getPodQOS(withResources({ limits: { cpu: "1" } })), "Burstable", "cpu limit only");
  assert.equal(getPodQOS(withResources(
    { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } },
    { requests: { cpu: "1" }, limits: { cpu: "1" } },
  )), "Burstable", "one container without a memory limit");
  const defaulted: Pod = { ...withResources({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "1", memory: "1Gi" } }), status: { qosClass: "BestEffort" } };
  assert.equal(getPodQOS(defaulted), "BestEffort", "an existing status.qosClass is kept");
});
