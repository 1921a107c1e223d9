import assert from "node:assert/strict";
import { test } from "node:test";
import type { Container, Pod, PodStatus } from "kubernetes-types/core/v1.js";
import { FakeClock } from "../../client/index.ts";
import { FakeRuntime } from "../runtime/fake/index.ts";
import { rfc3339 } from "../status/index.ts";
import { RecordingEvents } from "../pods/test-helpers.ts";
import { ProbeManager } from "./manager.ts";
import type { ProbeKind, ProbeResult } from "./types.ts";

/** A pod with one running container in a FakeRuntime, and a status provider the test refreshes like the pod worker does. */
async function setup(container: Container) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock });
  const events = new RecordingEvents();
  const pod: Pod = { metadata: { name: "web", namespace: "default", uid: "u1" }, spec: { restartPolicy: "Always", containers: [container] } };
  const sb = await runtime.runPodSandbox({ namespace: "default", name: "web", uid: "u1", attempt: 0, hostname: "web", hostNetwork: false, labels: {}, annotations: {}, logDirectory: "/tmp", portMappings: [] });
  const statuses = new Map<string, PodStatus>();
  const changes: [ProbeKind, ProbeResult][] = [];
  let containerId = "";
  const startContainer = async () => {
    containerId = await runtime.createContainer(sb, { name: container.name, image: "img", command: [], args: [], env: [], mounts: [], attempt: 0, stdin: false, stdinOnce: false, tty: false, resources: {}, labels: {}, annotations: {}, logPath: "/tmp/x.log" });
    await runtime.startContainer(containerId);
    refresh();
  };
  const refresh = () => {
    const status: PodStatus = {
      phase: "Running", podIP: "10.88.0.2",
      containerStatuses: [{ name: container.name, containerID: `fake://${containerId}`, ready: false, restartCount: 0, image: "img", imageID: "", state: { running: { startedAt: rfc3339(clock.now()) } } }],
    };
    manager.updatePodStatus(pod, status);
    statuses.set("u1", status);
  };
  const manager: ProbeManager = new ProbeManager({
    runtime, clock, recorder: events, statusProvider: { getPodStatus: (uid) => statuses.get(uid) },
    onChange: (_uid, kind, _id, result) => {
      changes.push([kind, result]);
      refresh();
    },
  });
  await startContainer();
  const execs = (cmd: string) => runtime.callsTo("execSync").filter((a) => (a[1] as string[]).join(" ") === cmd).length;
  return { clock, runtime, events, pod, manager, changes, refresh, startContainer, execs, status: () => statuses.get("u1")!.containerStatuses![0]!, id: () => `fake://${containerId}` };
}

test("liveness: initialDelaySeconds, periodSeconds, failureThreshold; on hold until a new container", async () => {
  const t = await setup({ name: "web", livenessProbe: { exec: { command: ["check"] }, initialDelaySeconds: 15, periodSeconds: 10, failureThreshold: 3 } });
  t.runtime.onExec({ command: ["check"] }, { exitCode: 1, stdout: "unhealthy" });
  t.manager.addPod(t.pod);
  await t.clock.tick(10_000);
  assert.equal(t.execs("check"), 0, "no probe during the initial delay");
  await t.clock.tick(20_000);
  assert.equal(t.execs("check"), 2);
  assert.equal(t.manager.result("liveness", t.id()), "success", "below the failure threshold");
  await t.clock.tick(10_000);
  assert.equal(t.execs("check"), 3);
  assert.equal(t.manager.result("liveness", t.id()), "failure");
  assert.deepEqual(t.changes, [["liveness", "success"], ["liveness", "failure"]]);
  assert.deepEqual(t.events.lines(), Array(3).fill("Unhealthy: Liveness probe failed: unhealthy"));
  assert.equal(t.events.events[0]!.fieldPath, "spec.containers{web}");
  await t.clock.tick(30_000);
  assert.equal(t.execs("check"), 3, "on hold after the failure");
  const old = t.id();
  await t.startContainer();
  t.runtime.onExec({ command: ["check"] }, { exitCode: 0 });
  await t.clock.tick(30_000);
  assert.equal(t.manager.result("liveness", old), undefined, "the old container's result is dropped");
  assert.equal(t.manager.result("liveness", t.id()), "success");
  assert.ok(t.execs("check") > 3, "probing resumed for the new container");
  t.manager.stop();
});

test("readiness: false until the first success, successThreshold, then failureThreshold", async () => {
  const t = await setup({ name: "web", readinessProbe: { exec: { command: ["ready"] }, periodSeconds: 5, successThreshold: 2, failureThreshold: 2 } });
  let ok = true;
  t.runtime.onExec({ command: ["ready"] }, () => ({ exitCode: ok ? 0 : 1, stdout: Buffer.from(ok ? "" : "not yet"), stderr: Buffer.alloc(0) }));
  t.manager.addPod(t.pod);
  t.refresh();
  assert.equal(t.status().ready, false, "not ready before any probe");
  assert.equal(t.status().started, true, "started: no startup probe");
  await t.clock.tick(1);
  assert.equal(t.status().ready, false, "one success is below successThreshold 2");
  await t.clock.tick(5_000);
  assert.equal(t.status().ready, true);
  ok = false;
  await t.clock.tick(5_000);
  assert.equal(t.status().ready, true, "one failure is below failureThreshold 2");
  await t.clock.tick(5_000);
  assert.equal(t.status().ready, false);
  assert.deepEqual(t.changes.map((c) => c.join(" ")), ["readiness failure", "readiness success", "readiness failure"]);
  assert.ok(t.events.lines().every((l) => l === "Unhealthy: Readiness probe failed: not yet"));
  t.manager.stop();
});

test("startup probe gates liveness and readiness; started once it succeeds", async () => {
  const t = await setup({
    name: "web",
    startupProbe: { exec: { command: ["started"] }, periodSeconds: 10, failureThreshold: 30 },
    livenessProbe: { exec: { command: ["alive"] }, periodSeconds: 10 },
    readinessProbe: { exec: { command: ["ready"] }, periodSeconds: 10 },
  });
  let started = false;
  t.runtime.onExec({ command: ["started"] }, () => ({ exitCode: started ? 0 : 1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }));
  t.manager.addPod(t.pod);
  t.refresh();
  await t.clock.tick(30_000);
  assert.equal(t.status().started, false);
  assert.equal(t.status().ready, false);
  assert.equal(t.execs("alive") + t.execs("ready"), 0, "liveness and readiness wait for startup");
  assert.ok(t.execs("started") >= 3);
  started = true;
  await t.clock.tick(10_000);
  assert.equal(t.status().started, true);
  await t.clock.tick(10_000);
  assert.ok(t.execs("alive") >= 1 && t.execs("ready") >= 1, "probing after startup");
  assert.equal(t.status().ready, true);
  const startupProbes = t.execs("started");
  await t.clock.tick(30_000);
  assert.equal(t.execs("started"), startupProbes, "the startup probe stops once started");
  t.manager.stop();
});

test("startup probe failure past its threshold marks the container failed (to be restarted)", async () => {
  const t = await setup({ name: "web", startupProbe: { exec: { command: ["started"] }, periodSeconds: 1, failureThreshold: 3 } });
  t.runtime.onExec({ command: ["started"] }, { exitCode: 1, stdout: "no" });
  t.manager.addPod(t.pod);
  t.refresh();
  await t.clock.tick(2_500);
  assert.equal(t.manager.result("startup", t.id()), "failure");
  assert.deepEqual(t.events.lines(), Array(3).fill("Unhealthy: Startup probe failed: no"));
  t.manager.stop();
});

test("exec probes that time out fail with Kubernetes' message; errors are reported, not counted", async () => {
  const t = await setup({ name: "web", livenessProbe: { exec: { command: ["sleep", "10"] }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 1 } });
  t.runtime.onExec({ command: ["sleep", "10"] }, () => new Promise(() => undefined));
  t.manager.addPod(t.pod);
  await t.clock.tick(2_000);
  assert.deepEqual(t.events.lines(), ['Unhealthy: Liveness probe failed: command "sleep 10" timed out']);
  assert.equal(t.manager.result("liveness", t.id()), "failure");
  t.manager.stop();
});

test("a probe that cannot run is an error event and keeps the last result", async () => {
  const t = await setup({ name: "web", readinessProbe: { httpGet: { port: "metrics" }, periodSeconds: 10 } });
  t.manager.addPod(t.pod);
  t.refresh();
  await t.clock.tick(1);
  assert.match(t.events.lines()[0]!, /^Unhealthy: Readiness probe errored and resulted in unknown state: couldn't find port: metrics/);
  assert.equal(t.status().ready, false);
  t.manager.stop();
});
