// The pod lifecycle against a real API server with the fake runtime: a pod bound to the node runs
// and is reported Running/Ready; findContainer locates it; a graceful delete stops its containers
// and the kubelet removes the object. Plus findContainer's choices (fake clock, stub informer).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Event, Node, Pod } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../apimachinery/status.ts";
import { Client, EventRecorder, FakeClock, SharedInformer, createInformer, flushMicrotasks, resources } from "../client/index.ts";
import { startTestApiServer } from "../testing/apiserver.ts";
import { waitFor } from "../testing/wait.ts";
import { silentLogger } from "../util/log.ts";
import { ContainerLookupError, PodManager } from "./pod-manager.ts";
import { PodWorkers } from "./pods/index.ts";
import { FakeApi, makePod } from "./pods/test-helpers.ts";
import { FakeRuntime } from "./runtime/fake/index.ts";

test("a pod bound to the node runs, turns Ready, and a graceful delete ends with the object gone", { timeout: 120_000 }, async (t) => {
  const server = await startTestApiServer();
  const dir = await mkdtemp(join(tmpdir(), "k8ts-kubelet-"));
  const client = await Client.fromKubeconfig(server.kubeconfig);
  const runtime = new FakeRuntime();
  const recorder = new EventRecorder(client, { component: "kubelet", host: "node-1", log: silentLogger });
  const informer = createInformer<Pod>(client, resources.pods, { fieldSelector: "spec.nodeName=node-1" }, { log: silentLogger, freezeObjects: true });
  const workers = new PodWorkers({ client, runtime, nodeName: "node-1", podLogsDir: dir, hostIPs: () => ["192.168.0.10"], recorder, log: silentLogger });
  const podManager = new PodManager({ informer, workers, runtime, podLogsDir: dir, log: silentLogger });
  t.after(async () => {
    await podManager.stop();
    await informer.stop();
    await recorder.flush();
    client.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  await client.create<Node>(resources.nodes, { apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } });
  await client.create(resources.configmaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: "default" }, data: { greeting: "hello" } });
  runtime.onExec({ container: "web", command: ["cat", "/tmp/ready"] }, { exitCode: 0, stdout: "yes" });
  informer.start();
  await podManager.start();

  const created = await client.create<Pod>(resources.pods, {
    apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "default" },
    spec: {
      nodeName: "node-1",
      containers: [{
        name: "web", image: "busybox:1.36", command: ["sh", "-c", "echo $(GREETING); sleep 3600"],
        env: [{ name: "GREETING", valueFrom: { configMapKeyRef: { name: "cfg", key: "greeting" } } }],
        readinessProbe: { exec: { command: ["cat", "/tmp/ready"] }, periodSeconds: 1 },
      }],
    },
  });
  const uid = created.metadata!.uid!;

  const running = await waitFor("the pod to be Running and Ready", async () => {
    const p = await client.get<Pod>(resources.pods, "web", { namespace: "default" });
    const ready = p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    return p.status?.phase === "Running" && ready ? p : undefined;
  });
  const cs = running.status!.containerStatuses![0]!;
  assert.equal(cs.ready, true);
  assert.equal(cs.restartCount, 0);
  assert.match(cs.containerID ?? "", /^fake:\/\//);
  assert.equal(running.status!.podIP, "10.88.0.2");
  assert.equal(running.status!.hostIP, "192.168.0.10");
  assert.equal(running.status!.qosClass, "BestEffort");
  assert.deepEqual(running.status!.conditions!.map((c) => `${c.type}=${c.status}`).sort(),
    ["ContainersReady=True", "Initialized=True", "PodReadyToStartContainers=True", "PodScheduled=True", "Ready=True"]);
  const config = runtime.callsTo("createContainer")[0]![1] as { command: string[]; env: { name: string; value: string }[] };
  assert.deepEqual(config.command, ["sh", "-c", "echo hello; sleep 3600"]);

  const loc = await podManager.findContainer("default", "web");
  assert.equal(`fake://${loc!.containerId}`, cs.containerID);
  assert.equal(loc!.running, true);
  assert.equal(loc!.logPath, join(dir, `default_web_${uid}`, "web", "0.log"));
  await assert.rejects(podManager.findContainer("default", "web", "web", true), (err: unknown) =>
    err instanceof ContainerLookupError && err.message === 'previous terminated container "web" in pod "web" not found');
  assert.equal(await podManager.findContainer("default", "nope"), undefined);
  assert.equal(await podManager.findContainer("default", "web", "nope"), undefined);
  assert.deepEqual(await podManager.findSandbox("default", "web"), { podUID: uid, sandboxId: loc!.sandboxId });
  assert.deepEqual(podManager.activePods().map((p) => p.metadata?.name), ["web"]);

  await recorder.flush();
  const events = await client.list<Event>(resources.events, { namespace: "default" });
  const reasons = events.items.filter((e) => e.involvedObject.name === "web").map((e) => `${e.reason}: ${e.message}`);
  assert.ok(reasons.includes("Started: Started container web"), reasons.join("\n"));
  assert.ok(reasons.includes("Created: Created container: web"));

  await client.delete(resources.pods, "web", { namespace: "default" });
  await waitFor("the pod object to be gone", async () => {
    try {
      await client.get<Pod>(resources.pods, "web", { namespace: "default" });
      return undefined;
    } catch (err) {
      return isStatusError(err, "NotFound") ? true : undefined;
    }
  });
  assert.deepEqual(runtime.callsTo("stopContainer"), [[loc!.containerId, 30]], "stopped with the pod's grace period");
  assert.equal(runtime.running().length, 0);
  assert.equal(runtime.sandboxes.size, 0);
  await waitFor("the worker to be forgotten", () => workers.state(uid) === undefined);
});

test("findContainer: the current instance, --previous after a restart, and Kubernetes' errors", async (t) => {
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock });
  const api = new FakeApi();
  const dir = await mkdtemp(join(tmpdir(), "k8ts-kubelet-"));
  const pods = [
    makePod("web", [{ name: "web", image: "busybox:1.36", imagePullPolicy: "IfNotPresent" }, { name: "side", image: "busybox:1.36", imagePullPolicy: "IfNotPresent" }],
      {}, "default"),
    makePod("stuck", [{ name: "app", image: "nginx:bad", imagePullPolicy: "IfNotPresent" }]),
  ].map((p) => api.putPod(p));
  const informer = new SharedInformer<Pod>({
    list: async () => ({ metadata: { resourceVersion: "1" }, items: pods }),
    watch: ({ signal }) => (async function* () {
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
    })(),
  }, { clock, log: silentLogger });
  const workers = new PodWorkers({ client: api.client, runtime, nodeName: "node-1", podLogsDir: dir, clock, log: silentLogger });
  const pm = new PodManager({ informer, workers, runtime, podLogsDir: dir });
  t.after(async () => {
    await pm.stop();
    await informer.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const settle = async () => {
    for (let i = 0; i < 20; i++) {
      await flushMicrotasks();
      await workers.waitIdle();
      await workers.statusManager.flush();
    }
  };
  runtime.script("web", { exitCode: 1 });
  runtime.failPull("nginx:bad", "manifest unknown");
  informer.start();
  await pm.start();
  await settle();
  const uid = pods[0]!.metadata!.uid!;
  const logs = (n: number) => join(dir, `default_web_${uid}`, "web", `${n}.log`);

  // Crash loop: restartCount 1, the newest (exited) instance is both current and previous.
  let loc = (await pm.findContainer("default", "web", "web"))!;
  assert.deepEqual([loc.restartCount, loc.running, loc.logPath], [1, false, logs(1)]);
  assert.equal((await pm.findContainer("default", "web", "web", true))!.logPath, logs(1));
  runtime.script("web", null);
  clock.advance(10_000);
  await settle();
  loc = (await pm.findContainer("default", "web", "web"))!;
  assert.deepEqual([loc.restartCount, loc.running, loc.logPath], [2, true, logs(2)]);
  const prev = (await pm.findContainer("default", "web", "web", true))!;
  assert.deepEqual([prev.restartCount, prev.running, prev.logPath], [1, false, logs(1)]);
  assert.ok(prev.containerId && prev.sandboxId);

  const lookup = (ns: string, pod: string, c?: string) => pm.findContainer(ns, pod, c).then((r) => (r ? "found" : "unknown"), (e: Error) => e.message);
  assert.equal(await lookup("default", "web"), "a container name must be specified for pod web, choose one of: [web side]");
  assert.equal(await lookup("default", "web", "nope"), "unknown");
  assert.equal(await lookup("default", "stuck"), 'container "app" in pod "stuck" is waiting to start: image can\'t be pulled');
  assert.equal(await lookup("other", "web"), "unknown");
});
