import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { PodRuntimeStatus } from "../container/index.ts";
import type { ContainerStatus, PodSandboxStatus } from "../runtime/types.ts";
import { computePodActions } from "./actions.ts";
import type { PodActions, ProbeResults } from "./actions.ts";

let t = 1000;
function pod(restartPolicy = "Always", inits: string[] = []): Pod {
  return {
    metadata: { name: "p", namespace: "ns", uid: "u" },
    spec: { restartPolicy, containers: [{ name: "a", image: "img" }, { name: "b", image: "img" }], initContainers: inits.map((name) => ({ name, image: "img" })) },
  };
}
const sb = (state: "ready" | "notready" = "ready", attempt = 0): PodSandboxStatus => ({
  id: `sb${attempt}`, state, createdAt: t++, ips: ["10.0.0.2"],
  config: { namespace: "ns", name: "p", uid: "u", attempt, hostname: "p", hostNetwork: false, labels: {}, annotations: {}, logDirectory: "", portMappings: [] },
});
const c = (name: string, state: ContainerStatus["state"], exitCode?: number, image = "img"): ContainerStatus => ({
  id: `${name}${t}`, sandboxId: "sb0", name, image, imageRef: "", state, attempt: 0, createdAt: t++, logPath: "", ...(exitCode !== undefined ? { exitCode } : {}),
});
const rs = (sandboxes: PodSandboxStatus[], containers: ContainerStatus[]): PodRuntimeStatus => ({
  uid: "u", name: "p", namespace: "ns", sandboxes: sandboxes.reverse(), containers: containers.reverse(), ips: ["10.0.0.2"],
});
const noProbes: ProbeResults = { liveness: () => undefined, startup: () => undefined };
const summary = (a: PodActions) => ({
  killPod: a.killPod, createSandbox: a.createSandbox, attempt: a.attempt, init: a.nextInitContainer?.name,
  start: a.containersToStart, kill: a.containersToKill.map((k) => `${k.container.name}: ${k.message}`),
});

test("a new pod: create the sandbox and start every container", () => {
  assert.deepEqual(summary(computePodActions(pod(), rs([], []), "fake", noProbes)), { killPod: true, createSandbox: true, attempt: 0, init: undefined, start: [0, 1], kill: [] });
});

test("init containers run one at a time, in order, before any app container", () => {
  const p = pod("Always", ["i1", "i2"]);
  assert.equal(computePodActions(p, rs([], []), "fake", noProbes).nextInitContainer?.name, "i1");
  assert.deepEqual(summary(computePodActions(p, rs([sb()], [c("i1", "running")]), "fake", noProbes)), { killPod: false, createSandbox: false, attempt: 0, init: undefined, start: [], kill: [] }, "wait for i1");
  assert.equal(computePodActions(p, rs([sb()], [c("i1", "exited", 0)]), "fake", noProbes).nextInitContainer?.name, "i2");
  assert.deepEqual(summary(computePodActions(p, rs([sb()], [c("i1", "exited", 0), c("i2", "exited", 0)]), "fake", noProbes)).start, [0, 1]);
  assert.equal(computePodActions(p, rs([sb()], [c("i1", "exited", 0), c("i2", "exited", 1)]), "fake", noProbes).nextInitContainer?.name, "i2", "a failed init container is retried");
  const never = pod("Never", ["i1", "i2"]);
  const failed = computePodActions(never, rs([sb()], [c("i1", "exited", 2)]), "fake", noProbes);
  assert.equal(failed.killPod, true, "restartPolicy Never: a failed init container fails the pod");
  assert.equal(failed.nextInitContainer, undefined);
});

test("restart policies decide which exited containers start again", () => {
  const exitedBoth = [c("a", "exited", 0), c("b", "exited", 1)];
  assert.deepEqual(computePodActions(pod("Always"), rs([sb()], exitedBoth), "fake", noProbes).containersToStart, [0, 1]);
  assert.deepEqual(computePodActions(pod("OnFailure"), rs([sb()], exitedBoth), "fake", noProbes).containersToStart, [1]);
  const never = computePodActions(pod("Never"), rs([sb()], exitedBoth), "fake", noProbes);
  assert.deepEqual(never.containersToStart, []);
  assert.equal(never.killPod, true, "nothing left to run");
  assert.deepEqual(summary(computePodActions(pod("Never"), rs([sb()], [c("a", "running"), c("b", "exited", 1)]), "fake", noProbes)),
    { killPod: false, createSandbox: false, attempt: 0, init: undefined, start: [], kill: [] });
});

test("a dead sandbox is recreated (attempt + 1) unless the pod will not restart", () => {
  const dead = rs([sb("notready", 0)], [c("a", "exited", 137), c("b", "exited", 137)]);
  assert.deepEqual(summary(computePodActions(pod("Always"), dead, "fake", noProbes)), { killPod: true, createSandbox: true, attempt: 1, init: undefined, start: [0, 1], kill: [] });
  const never = computePodActions(pod("Never"), dead, "fake", noProbes);
  assert.deepEqual([never.killPod, never.createSandbox], [true, false]);
  const onFailure = computePodActions(pod("OnFailure"), rs([sb("notready", 0)], [c("a", "exited", 0), c("b", "exited", 1)]), "fake", noProbes);
  assert.deepEqual(onFailure.containersToStart, [1], "OnFailure skips containers that succeeded");
  assert.equal(computePodActions(pod("Always", ["i1"]), dead, "fake", noProbes).nextInitContainer?.name, "i1", "init containers run again in a new sandbox");
});

test("liveness/startup failures and image changes kill (and restart) running containers", () => {
  const running = rs([sb()], [c("a", "running"), c("b", "running", undefined, "img:v1")]);
  const ida = `fake://${running.containers.find((x) => x.name === "a")!.id}`;
  const probes: ProbeResults = { liveness: (id) => (id === ida ? "failure" : "success"), startup: () => undefined };
  assert.deepEqual(summary(computePodActions(pod("Always"), running, "fake", probes)), {
    killPod: false, createSandbox: false, attempt: 0, init: undefined, start: [0, 1],
    kill: ["a: Container a failed liveness probe, will be restarted", "b: Container b definition changed, will be restarted"],
  });
  const r2 = rs([sb()], [c("a", "running"), c("b", "running")]);
  const id2 = `fake://${r2.containers.find((x) => x.name === "a")!.id}`;
  const a2 = computePodActions(pod("Never"), r2, "fake", { liveness: () => undefined, startup: (id) => (id === id2 ? "failure" : undefined) });
  assert.deepEqual(a2.containersToKill.map((k) => [k.message, k.reason]), [["Container a failed startup probe", "startupProbe"]], "Never: killed, not restarted");
  assert.deepEqual(a2.containersToStart, []);
});

test("a pod being deleted starts nothing", () => {
  const base = pod();
  const p: Pod = { ...base, metadata: { ...base.metadata, deletionTimestamp: "2024-01-01T00:00:00Z" } };
  const a = computePodActions(p, rs([sb()], [c("a", "exited", 1), c("b", "exited", 0)]), "fake", noProbes);
  assert.deepEqual(a.containersToStart, []);
  assert.equal(a.killPod, true);
});
