import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { FakeClock, flushMicrotasks } from "../../client/index.ts";
import { FakeRuntime } from "../runtime/fake/index.ts";
import type { ContainerConfig } from "../runtime/types.ts";
import { PodWorkers } from "./pod-workers.ts";
import type { PodWorkersOptions } from "./pod-workers.ts";
import { waitFor } from "../../testing/wait.ts";
import { FakeApi, RecordingEvents, makePod } from "./test-helpers.ts";

async function setup(t: { after(fn: () => Promise<void> | void): void }, extra: Partial<PodWorkersOptions> = {}) {
  const clock = new FakeClock(Date.parse("2024-05-01T10:00:00Z"));
  const runtime = new FakeRuntime({ clock });
  const api = new FakeApi();
  const events = new RecordingEvents();
  const dir = await mkdtemp(join(tmpdir(), "k8ts-pods-"));
  const make = () => new PodWorkers({ client: api.client, runtime, nodeName: "node-1", podLogsDir: dir, hostIPs: () => ["192.168.0.10"], recorder: events, clock, ...extra });
  const workers = make();
  t.after(async () => {
    await workers.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const settle = async (w = workers) => {
    for (let i = 0; i < 20; i++) {
      await flushMicrotasks();
      await w.waitIdle();
      await w.statusManager.flush();
    }
  };
  const run = async (pod: Pod) => {
    const stored = api.putPod(pod);
    workers.updatePod(stored);
    await settle();
    return stored;
  };
  /** Advances fake time in steps (timers fire, async work settles in between). */
  const advance = async (ms: number, step = 1000) => {
    for (let done = 0; done < ms; done += step) {
      clock.advance(Math.min(step, ms - done));
      await settle();
    }
  };
  const status = (pod: Pod) => api.pod(pod.metadata!.namespace!, pod.metadata!.name!)?.status ?? {};
  const created = () => runtime.callsTo("createContainer").map((a) => (a[1] as ContainerConfig).name);
  return { clock, runtime, api, events, dir, workers, make, settle, run, advance, status, created };
}

const web = (extra: Partial<Container> = {}): Container => ({ name: "web", image: "busybox:1.36", imagePullPolicy: "IfNotPresent", ...extra });
const cond = (s: { conditions?: { type: string; status: string }[] }, type: string) => s.conditions?.find((c) => c.type === type)?.status;

test("a new pod: sandbox, container with expanded command and env, Running and Ready written, Kubernetes' events", async (t) => {
  const s = await setup(t);
  const pod = await s.run(makePod("web", [web({ command: ["sh", "-c", "echo $(GREETING) from $(POD)"], env: [{ name: "GREETING", value: "hi" }, { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] })]));
  const uid = pod.metadata!.uid!;
  const [sandbox] = s.runtime.callsTo("runPodSandbox")[0] as [{ logDirectory: string; uid: string }];
  assert.equal(sandbox.logDirectory, join(s.dir, `default_web_${uid}`));
  const config = s.runtime.callsTo("createContainer")[0]![1] as ContainerConfig;
  assert.deepEqual(config.command, ["sh", "-c", "echo hi from web"]);
  assert.deepEqual(config.env, [{ name: "GREETING", value: "hi" }, { name: "POD", value: "web" }]);
  assert.equal(config.logPath, join(s.dir, `default_web_${uid}`, "web", "0.log"));
  const st = s.status(pod);
  assert.equal(st.phase, "Running");
  assert.equal(st.podIP, "10.88.0.2");
  assert.equal(st.hostIP, "192.168.0.10");
  assert.equal(st.qosClass, "BestEffort");
  assert.ok(st.startTime);
  assert.equal(cond(st, "Ready"), "True");
  assert.equal(cond(st, "PodReadyToStartContainers"), "True");
  assert.equal(st.conditions?.find((c) => c.type === "PodScheduled")?.lastTransitionTime, "2024-01-01T00:00:00Z", "the scheduler's condition is kept");
  const cs = st.containerStatuses![0]!;
  assert.match(cs.containerID ?? "", /^fake:\/\/c/);
  assert.deepEqual([cs.ready, cs.started, cs.restartCount, cs.image, cs.imageID], [true, true, 0, "busybox:1.36", "fake://busybox:1.36"]);
  assert.deepEqual(s.events.lines(), ['Pulled: Container image "busybox:1.36" already present on machine', "Created: Created container: web", "Started: Started container web"]);
  assert.equal(s.events.events[0]!.fieldPath, "spec.containers{web}");
  const puts = s.api.calls.filter((c) => c.startsWith("PUT")).length;
  s.workers.requestSync(uid);
  await s.settle();
  assert.equal(s.api.calls.filter((c) => c.startsWith("PUT")).length, puts, "an unchanged status is not written again");
});

test("images with policy Always are pulled with Pulling/Pulled events", async (t) => {
  const s = await setup(t);
  await s.run(makePod("web", [{ name: "web", image: "busybox" }]));
  assert.deepEqual(s.events.lines().slice(0, 2), ['Pulling: Pulling image "busybox"', 'Pulled: Successfully pulled image "busybox" in 0s (0s including waiting)']);
  assert.deepEqual(s.runtime.callsTo("pullImage")[0], ["busybox", "Always"]);
});

test("crash loop: immediate first restart, then CrashLoopBackOff 10s, 20s, 40s … 5m0s; pruned dead instances", async (t) => {
  const s = await setup(t);
  s.runtime.script("web", { exitCode: 1 });
  const pod = await s.run(makePod("web", [web()]));
  const full = `web_default(${pod.metadata!.uid})`;
  const messages: string[] = [];
  for (let i = 0; i < 8; i++) {
    const cs = s.status(pod).containerStatuses![0]!;
    assert.equal(cs.state?.waiting?.reason, "CrashLoopBackOff");
    assert.equal(cs.restartCount, i + 1);
    assert.equal(cs.lastState?.terminated?.exitCode, 1);
    messages.push(cs.state!.waiting!.message!);
    const backoff = Number(/back-off (?:(\d+)m)?(\d+)s/.exec(cs.state!.waiting!.message!)!.slice(1).reduce((a, x, j) => a + (j === 0 ? Number(x ?? 0) * 60 : Number(x)), 0));
    await s.advance(backoff * 1000 - 1000, 1000);
    assert.equal(s.status(pod).containerStatuses![0]!.restartCount, i + 1, "still backing off one second before the end");
    await s.advance(1000);
  }
  assert.deepEqual(messages.map((m) => m.replace(` pod=${full}`, "")), [
    "back-off 10s restarting failed container=web", "back-off 20s restarting failed container=web", "back-off 40s restarting failed container=web",
    "back-off 1m20s restarting failed container=web", "back-off 2m40s restarting failed container=web", "back-off 5m0s restarting failed container=web",
    "back-off 5m0s restarting failed container=web", "back-off 5m0s restarting failed container=web",
  ]);
  assert.ok(messages.every((m) => m.endsWith(` pod=${full}`)));
  assert.ok(s.events.lines().includes(`BackOff: Back-off restarting failed container web in pod ${full}`));
  assert.equal(s.status(pod).phase, "Running");
  assert.ok([...s.runtime.containers.values()].filter((c) => c.status.name === "web").length <= 2, "older dead instances are removed");
});

test("crash loop back-off resets after a container ran for 10 minutes", async (t) => {
  const s = await setup(t);
  s.runtime.script("web", { exitCode: 1 });
  const pod = await s.run(makePod("web", [web()]));
  await s.advance(10_000);
  await s.advance(20_000);
  assert.match(s.status(pod).containerStatuses![0]!.state?.waiting?.message ?? "", /back-off 40s/);
  s.runtime.script("web", { exitAfterMs: 11 * 60_000 });
  await s.advance(40_000);
  const restarts = s.status(pod).containerStatuses![0]!.restartCount!;
  assert.ok(s.status(pod).containerStatuses![0]!.state?.running);
  s.runtime.script("web", { exitAfterMs: 0 });
  await s.advance(11 * 60_000, 30_000);
  const cs = s.status(pod).containerStatuses![0]!;
  assert.equal(cs.restartCount, restarts + 1, "restarted at once after the long run (then crashed again)");
  assert.match(cs.state?.waiting?.message ?? "", /^back-off 10s /, "the back-off started over");
});

test("restartPolicy OnFailure/Never: the pod ends Succeeded/Failed, sandbox removed, object kept", async (t) => {
  const s = await setup(t);
  s.runtime.script("ok", { exitCode: 0, exitAfterMs: 1000 });
  s.runtime.script("bad", { exitCode: 3, exitAfterMs: 1000 });
  const done = await s.run(makePod("done", [{ ...web(), name: "ok" }], { restartPolicy: "OnFailure" }));
  const failed = await s.run(makePod("failed", [{ ...web(), name: "bad" }], { restartPolicy: "Never" }));
  await s.advance(1000);
  assert.equal(s.status(done).phase, "Succeeded");
  assert.equal(s.status(failed).phase, "Failed");
  assert.deepEqual(s.status(done).containerStatuses![0]!.state?.terminated?.reason, "Completed");
  assert.deepEqual(s.status(failed).containerStatuses![0]!.state?.terminated?.exitCode, 3);
  assert.equal(cond(s.status(done), "Ready"), "False");
  assert.equal(s.runtime.sandboxes.size, 0, "sandboxes removed");
  assert.ok(s.api.pod("default", "done") && s.api.pod("default", "failed"), "objects kept");
  assert.equal(s.api.deletes.length, 0);
  assert.equal(s.workers.state(done.metadata!.uid!), "terminated");
  assert.equal(s.created().length, 2, "nothing restarted");
});

test("init containers run in order, each after the previous exited 0; then the app containers", async (t) => {
  const s = await setup(t);
  s.runtime.script("init-1", { exitCode: 0, exitAfterMs: 5000 });
  s.runtime.script("init-2", { exitCode: 0, exitAfterMs: 5000 });
  const pod = await s.run(makePod("web", [web(), { ...web(), name: "side" }], { initContainers: [{ ...web(), name: "init-1" }, { ...web(), name: "init-2" }] }));
  assert.deepEqual(s.created(), ["init-1"]);
  assert.equal(s.status(pod).phase, "Pending");
  assert.deepEqual(s.status(pod).containerStatuses!.map((c) => c.state?.waiting?.reason), ["PodInitializing", "PodInitializing"]);
  await s.advance(5000);
  assert.deepEqual(s.created(), ["init-1", "init-2"]);
  await s.advance(5000);
  assert.deepEqual(s.created(), ["init-1", "init-2", "web", "side"]);
  const st = s.status(pod);
  assert.equal(st.phase, "Running");
  assert.equal(cond(st, "Initialized"), "True");
  assert.deepEqual(st.initContainerStatuses!.map((c) => [c.name, c.state?.terminated?.reason, c.ready]), [["init-1", "Completed", true], ["init-2", "Completed", true]]);
});

test("a failing init container: restarted with back-off (Always), fails the pod (Never)", async (t) => {
  const s = await setup(t);
  s.runtime.script("init", { exitCode: 1 });
  const always = await s.run(makePod("always", [web()], { initContainers: [{ ...web(), name: "init" }] }));
  const ics = s.status(always).initContainerStatuses![0]!;
  assert.equal(ics.state?.waiting?.reason, "CrashLoopBackOff");
  assert.equal(ics.restartCount, 1);
  assert.equal(s.status(always).phase, "Pending");
  assert.ok(!s.created().includes("web"));
  const never = await s.run(makePod("never", [web()], { restartPolicy: "Never", initContainers: [{ ...web(), name: "init" }, { ...web(), name: "init-2" }] }));
  assert.equal(s.status(never).phase, "Failed");
  assert.ok(!s.created().includes("init-2") && !s.created().includes("web"));
});

test("image pulls: ErrImagePull, then ImagePullBackOff until the back-off ends, then the container runs", async (t) => {
  const s = await setup(t);
  s.runtime.failPull("nginx:bad", "manifest unknown");
  const pod = await s.run(makePod("web", [web({ image: "nginx:bad" })]));
  assert.deepEqual(s.status(pod).containerStatuses![0]!.state, { waiting: { reason: "ErrImagePull", message: "manifest unknown" } });
  assert.deepEqual(s.events.lines(), ['Failed: Failed to pull image "nginx:bad": manifest unknown', "Failed: Error: ErrImagePull"]);
  s.events.clear();
  s.workers.requestSync(pod.metadata!.uid!);
  await s.settle();
  assert.deepEqual(s.status(pod).containerStatuses![0]!.state, { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "nginx:bad"' } });
  assert.deepEqual(s.events.lines(), ['BackOff: Back-off pulling image "nginx:bad"', "Failed: Error: ImagePullBackOff"]);
  s.runtime.failPull("nginx:bad", null);
  await s.advance(10_000);
  assert.ok(s.status(pod).containerStatuses![0]!.state?.running);
});

test("a missing ConfigMap key: CreateContainerConfigError with Kubernetes' message, retried until it appears", async (t) => {
  const s = await setup(t);
  const pod = await s.run(makePod("web", [web({ env: [{ name: "MODE", valueFrom: { configMapKeyRef: { name: "cfg", key: "mode" } } }] })]));
  assert.deepEqual(s.status(pod).containerStatuses![0]!.state, { waiting: { reason: "CreateContainerConfigError", message: 'configmap "cfg" not found' } });
  s.api.configMaps.set("default/cfg", { metadata: { name: "cfg", namespace: "default" }, data: { other: "x" } });
  await s.advance(10_000);
  assert.deepEqual(s.status(pod).containerStatuses![0]!.state, { waiting: { reason: "CreateContainerConfigError", message: "couldn't find key mode in ConfigMap default/cfg" } });
  assert.ok(s.events.lines().includes("Failed: Error: couldn't find key mode in ConfigMap default/cfg"));
  s.api.configMaps.set("default/cfg", { metadata: { name: "cfg", namespace: "default" }, data: { mode: "prod" } });
  await s.advance(10_000);
  assert.ok(s.status(pod).containerStatuses![0]!.state?.running);
  assert.deepEqual((s.runtime.callsTo("createContainer")[0]![1] as ContainerConfig).env, [{ name: "MODE", value: "prod" }]);
});

test("a failed liveness probe kills and restarts the container with Kubernetes' events and grace period", async (t) => {
  const s = await setup(t);
  s.runtime.onExec({ command: ["check"] }, { exitCode: 1, stdout: "down" });
  const pod = await s.run(makePod("web", [web({ livenessProbe: { exec: { command: ["check"] }, periodSeconds: 10, failureThreshold: 3, terminationGracePeriodSeconds: 5 } })]));
  const first = s.status(pod).containerStatuses![0]!.containerID!;
  await s.advance(30_000);
  const lines = s.events.lines((e) => e.reason === "Unhealthy" || e.reason === "Killing");
  assert.deepEqual(lines, [
    "Unhealthy: Liveness probe failed: down", "Unhealthy: Liveness probe failed: down", "Unhealthy: Liveness probe failed: down",
    "Killing: Container web failed liveness probe, will be restarted",
  ]);
  assert.deepEqual(s.runtime.callsTo("stopContainer")[0], [first.slice("fake://".length), 5], "the probe's terminationGracePeriodSeconds");
  const cs = s.status(pod).containerStatuses![0]!;
  assert.equal(cs.restartCount, 1);
  assert.ok(cs.state?.running);
  assert.notEqual(cs.containerID, first);
  assert.equal(cs.lastState?.terminated?.exitCode, 143);
});

test("readiness gates Ready: not ready until the probe succeeds", async (t) => {
  const s = await setup(t);
  let ready = false;
  s.runtime.onExec({ command: ["ready"] }, () => ({ exitCode: ready ? 0 : 1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }));
  const pod = await s.run(makePod("web", [web({ readinessProbe: { exec: { command: ["ready"] }, periodSeconds: 5 } })]));
  assert.equal(cond(s.status(pod), "Ready"), "False");
  assert.equal(s.status(pod).containerStatuses![0]!.ready, false);
  ready = true;
  await s.advance(5000);
  assert.equal(cond(s.status(pod), "Ready"), "True");
  assert.equal(cond(s.status(pod), "ContainersReady"), "True");
});

test("activeDeadlineSeconds: Failed with DeadlineExceeded, containers stopped, object kept", async (t) => {
  const s = await setup(t);
  const pod = await s.run(makePod("job", [web()], { activeDeadlineSeconds: 60 }));
  await s.advance(59_000);
  assert.equal(s.status(pod).phase, "Running");
  await s.advance(1000);
  const st = s.status(pod);
  assert.deepEqual([st.phase, st.reason, st.message], ["Failed", "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"]);
  assert.ok(s.events.lines().includes("DeadlineExceeded: Pod was active on the node longer than the specified deadline"));
  assert.ok(s.events.lines().includes("Killing: Stopping container web"));
  assert.equal(s.runtime.running().length, 0);
  assert.equal(st.containerStatuses![0]!.state?.terminated?.exitCode, 143);
  assert.ok(s.api.pod("default", "job"));
});

test("evictPod: containers stopped with the given grace period, Failed with the reason and a DisruptionTarget condition", async (t) => {
  const s = await setup(t);
  const pod = await s.run(makePod("web", [web()]));
  const message = "The node was low on resource: memory. ";
  assert.equal(s.workers.evictPod(pod.metadata!.uid!, {
    reason: "Evicted", message, gracePeriodSeconds: 5,
    condition: { type: "DisruptionTarget", status: "True", reason: "TerminationByKubelet", message },
  }), true);
  await s.settle();
  const st = s.status(pod);
  assert.deepEqual([st.phase, st.reason, st.message], ["Failed", "Evicted", message]);
  assert.equal(st.conditions?.find((c) => c.type === "DisruptionTarget")?.reason, "TerminationByKubelet");
  assert.deepEqual(s.runtime.callsTo("stopContainer").map((x) => x[1]), [5]);
  assert.equal(s.runtime.sandboxes.size, 0);
  assert.ok(s.api.pod("default", "web"), "the object stays");
});

test("graceful deletion: preStop, stop with the deletion grace period, sandbox removed, DELETE with uid precondition", async (t) => {
  const s = await setup(t);
  const pod = await s.run(makePod("web", [web({ lifecycle: { preStop: { exec: { command: ["drain"] } } } })], { terminationGracePeriodSeconds: 45 }));
  const uid = pod.metadata!.uid!;
  const id = s.status(pod).containerStatuses![0]!.containerID!.slice("fake://".length);
  s.runtime.onExec({ command: ["drain"] }, async () => {
    await new Promise<void>((resolve) => s.clock.setTimer(3000, resolve));
    return { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  });
  const deleting = s.api.putPod({ ...s.api.pod("default", "web")!, metadata: { ...s.api.pod("default", "web")!.metadata, deletionTimestamp: "2024-05-01T10:00:20Z", deletionGracePeriodSeconds: 20 } });
  s.workers.updatePod(deleting);
  await waitFor("the preStop hook to run", () => s.runtime.callsTo("execSync").length === 1);
  s.clock.advance(3000);
  await s.settle();
  assert.deepEqual(s.runtime.callsTo("execSync").map((a) => a[1]), [["drain"]]);
  assert.deepEqual(s.runtime.callsTo("stopContainer"), [[id, 17]], "grace 20 minus 3 s of preStop");
  assert.ok(s.events.lines().includes("Killing: Stopping container web"));
  assert.equal(s.runtime.sandboxes.size, 0);
  assert.deepEqual(s.api.deletes, [{ name: "web", opts: { namespace: "default", gracePeriodSeconds: 0, preconditions: { uid } } }]);
  assert.equal(s.api.pod("default", "web"), undefined, "the object is gone");
  s.workers.removePod(uid);
  await s.settle();
  assert.equal(s.workers.state(uid), undefined);
  assert.equal(existsSync(join(s.dir, `default_web_${uid}`)), false, "its logs are removed");
});

test("termination: a failing preStop hook is an event; a slow one is cut at the grace period", async (t) => {
  const s = await setup(t);
  s.runtime.onExec({ command: ["fail"] }, { exitCode: 1, stdout: "nope" });
  s.runtime.onExec({ command: ["hang"] }, () => new Promise(() => undefined));
  const a = await s.run(makePod("a", [web({ lifecycle: { preStop: { exec: { command: ["fail"] } } } })]));
  const b = await s.run(makePod("b", [web({ lifecycle: { preStop: { exec: { command: ["hang"] } } } })]));
  const del = (p: Pod) => {
    const cur = s.api.pod("default", p.metadata!.name!)!;
    s.workers.updatePod(s.api.putPod({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: "2024-05-01T10:00:10Z", deletionGracePeriodSeconds: 10 } }));
  };
  del(a);
  del(b);
  await waitFor("a to be deleted and b's hook to hang", () => !s.api.pod("default", "a") && s.runtime.callsTo("execSync").length === 2);
  assert.ok(s.events.lines().includes("FailedPreStopHook: PreStopHook failed"));
  assert.ok(s.api.pod("default", "b"), "b still runs its preStop hook");
  s.clock.advance(10_000);
  await s.settle();
  assert.equal(s.api.pod("default", "b"), undefined);
  assert.deepEqual(s.runtime.callsTo("stopContainer").map((x) => x[1]), [10, 2], "a got its full grace period, b the 2 s minimum");
});

test("an httpGet preStop hook is called", async (t) => {
  const { createServer } = await import("node:http");
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const s = await setup(t);
  await s.run(makePod("web", [web({ lifecycle: { preStop: { httpGet: { host: "127.0.0.1", port, path: "/shutdown" } } } })]));
  const cur = s.api.pod("default", "web")!;
  s.workers.updatePod(s.api.putPod({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: "2024-05-01T10:00:30Z", deletionGracePeriodSeconds: 30 } }));
  for (let i = 0; i < 50 && s.api.pod("default", "web"); i++) await s.settle();
  assert.deepEqual(hits, ["/shutdown"]);
  assert.equal(s.api.pod("default", "web"), undefined);
});

test("a restarted kubelet re-adopts running containers: no duplicates, restart counts from the runtime", async (t) => {
  const s = await setup(t);
  s.runtime.script("web", { exitCode: 1 });
  const pod = await s.run(makePod("web", [web()]));
  await s.advance(10_000);
  s.runtime.script("web", null);
  await s.advance(20_000);
  const before = s.status(pod).containerStatuses![0]!;
  assert.ok(before.state?.running);
  assert.equal(before.restartCount, 3);
  await s.workers.stop();
  const calls = s.runtime.calls.length;
  const again = s.make();
  t.after(() => again.stop());
  again.updatePod(s.api.pod("default", "web")!);
  await s.settle(again);
  const creates = s.runtime.calls.slice(calls).filter((c) => c.method === "createContainer" || c.method === "runPodSandbox");
  assert.deepEqual(creates, []);
  const after = again.statusManager.getPodStatus(pod.metadata!.uid!)!.containerStatuses![0]!;
  assert.equal(after.restartCount, 3);
  assert.equal(after.containerID, before.containerID);
  await again.cleanupOrphans(new Set([pod.metadata!.uid!]));
  assert.equal(s.runtime.running().length, 1, "a known pod is not an orphan");
  await again.cleanupOrphans(new Set());
  assert.equal(s.runtime.running().length, 1, "a pod with a worker is not an orphan");
});

test("orphaned sandboxes (pods no longer bound here) are stopped and removed", async (t) => {
  const s = await setup(t);
  const sb = await s.runtime.runPodSandbox({ namespace: "default", name: "gone", uid: "gone-uid", attempt: 0, hostname: "gone", hostNetwork: false, labels: {}, annotations: { "io.kubernetes.pod.terminationGracePeriod": "7" }, logDirectory: s.dir, portMappings: [] });
  const id = await s.runtime.createContainer(sb, { name: "c", image: "i", command: [], args: [], env: [], mounts: [], attempt: 0, stdin: false, stdinOnce: false, tty: false, resources: {}, labels: {}, annotations: {}, logPath: join(s.dir, "c.log") });
  await s.runtime.startContainer(id);
  await s.workers.cleanupOrphans(new Set());
  assert.deepEqual(s.runtime.callsTo("stopContainer"), [[id, 7]]);
  assert.equal(s.runtime.sandboxes.size, 0);
});

test("a pod deleted before its image could be pulled ends Failed and is deleted", async (t) => {
  const s = await setup(t);
  s.runtime.failPull("nginx:bad", "manifest unknown");
  const pod = await s.run(makePod("web", [web({ image: "nginx:bad" })]));
  const cur = s.api.pod("default", "web")!;
  s.workers.updatePod(s.api.putPod({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: "2024-05-01T10:00:30Z", deletionGracePeriodSeconds: 30 } }));
  await s.settle();
  assert.equal(s.api.pod("default", "web"), undefined);
  assert.equal(s.api.deletes[0]!.opts.preconditions?.uid, pod.metadata!.uid);
});

test("a pod removed from the API without a graceful deletion is stopped and forgotten", async (t) => {
  const s = await setup(t);
  const pod = await s.run(makePod("web", [web()]));
  s.api.pods.delete("default/web");
  s.workers.removePod(pod.metadata!.uid!);
  await s.settle();
  assert.equal(s.runtime.running().length, 0);
  assert.equal(s.runtime.sandboxes.size, 0);
  assert.equal(s.workers.state(pod.metadata!.uid!), undefined);
  assert.deepEqual(s.runtime.callsTo("stopContainer").map((x) => x[1]), [30]);
});
