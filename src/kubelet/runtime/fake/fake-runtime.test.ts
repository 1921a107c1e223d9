import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock, flushMicrotasks } from "../../../client/index.ts";
import { ImageError } from "../types.ts";
import type { ContainerConfig, PodSandboxConfig } from "../types.ts";
import { FakeRuntime } from "./fake-runtime.ts";

const sandboxConfig = (hostNetwork = false): PodSandboxConfig => ({
  namespace: "default", name: "p", uid: "u", attempt: 0, hostname: "p", hostNetwork, labels: {}, annotations: {}, logDirectory: "/logs", portMappings: [],
});
const containerConfig = (name: string, attempt = 0): ContainerConfig => ({
  name, image: "busybox", command: ["sleep"], args: ["1"], env: [], mounts: [], attempt, stdin: false, stdinOnce: false, tty: false, resources: {}, labels: {}, annotations: {}, logPath: `/logs/${name}/${attempt}.log`,
});

test("fake runtime: sandboxes get IPs; containers run until told to exit; waitContainer resolves on exit", async () => {
  const clock = new FakeClock();
  const rt = new FakeRuntime({ clock });
  const sb = await rt.runPodSandbox(sandboxConfig());
  const host = await rt.runPodSandbox(sandboxConfig(true));
  assert.deepEqual((await rt.podSandboxStatus(sb))!.ips, ["10.88.0.2"]);
  assert.deepEqual((await rt.podSandboxStatus(host))!.ips, ["192.168.0.10"]);
  const id = await rt.createContainer(sb, containerConfig("web"));
  assert.equal((await rt.containerStatus(id))!.state, "created");
  await rt.startContainer(id);
  let exited = false;
  const wait = rt.waitContainer(id).then(() => (exited = true));
  await flushMicrotasks();
  assert.equal(exited, false);
  rt.exit(id, 3);
  await wait;
  const s = (await rt.containerStatus(id))!;
  assert.deepEqual([s.state, s.exitCode, s.reason, s.logPath], ["exited", 3, "Error", "/logs/web/0.log"]);
  assert.deepEqual(rt.calls.map((c) => c.method), ["runPodSandbox", "runPodSandbox", "createContainer", "startContainer"]);
});

test("fake runtime: scripts per container name, stop semantics, sandbox stop/remove", async () => {
  const clock = new FakeClock();
  const rt = new FakeRuntime({ clock });
  const sb = await rt.runPodSandbox(sandboxConfig());
  rt.script("job", { exitCode: 0, exitAfterMs: 5000 });
  const job = await rt.createContainer(sb, containerConfig("job"));
  await rt.startContainer(job);
  clock.advance(5000);
  assert.deepEqual([(await rt.containerStatus(job))!.exitCode, (await rt.containerStatus(job))!.reason], [0, "Completed"]);
  rt.script("stubborn", { ignoreSigterm: true });
  const stubborn = await rt.createContainer(sb, containerConfig("stubborn"));
  await rt.startContainer(stubborn);
  const web = await rt.createContainer(sb, containerConfig("web"));
  await rt.startContainer(web);
  await rt.stopContainer(web, 30);
  assert.equal((await rt.containerStatus(web))!.exitCode, 143, "SIGTERM");
  let stopped = false;
  const stopping = rt.stopContainer(stubborn, 10).then(() => (stopped = true));
  clock.advance(9999);
  await flushMicrotasks();
  assert.equal(stopped, false);
  clock.advance(1);
  await stopping;
  assert.equal((await rt.containerStatus(stubborn))!.exitCode, 137, "SIGKILL after the timeout");
  rt.script("broken", { startError: "exec format error" });
  await assert.rejects(rt.startContainer(await rt.createContainer(sb, containerConfig("broken"))), /exec format error/);
  await rt.stopPodSandbox(sb);
  assert.equal((await rt.podSandboxStatus(sb))!.state, "notready");
  await assert.rejects(rt.createContainer(sb, containerConfig("late")), /not ready/);
  await rt.removePodSandbox(sb);
  assert.deepEqual([await rt.listPodSandboxes(), await rt.listContainers()], [[], []]);
});

test("fake runtime: pull failures and exec results per command", async () => {
  const rt = new FakeRuntime();
  rt.failPull("nginx:bad", "manifest unknown");
  await assert.rejects(rt.pullImage("nginx:bad", "Always"), (e: unknown) => e instanceof ImageError && e.reason === "ErrImagePull" && e.message === "manifest unknown");
  rt.failPull("nginx:bad", null);
  assert.deepEqual(await rt.pullImage("nginx:bad", "Always"), { imageRef: "fake://nginx:bad" });
  const sb = await rt.runPodSandbox(sandboxConfig());
  const id = await rt.createContainer(sb, containerConfig("web"));
  await assert.rejects(rt.execSync(id, ["true"], 1), /not running/);
  await rt.startContainer(id);
  rt.onExec({ command: ["cat", "/ready"] }, { exitCode: 1, stdout: "no" });
  rt.onExec({ container: "other", command: ["cat", "/ready"] }, { exitCode: 0 });
  const r = await rt.execSync(id, ["cat", "/ready"], 1);
  assert.deepEqual([r.exitCode, r.stdout.toString()], [1, "no"]);
  assert.equal((await rt.execSync(id, ["anything"], 1)).exitCode, 0, "unmatched commands succeed");
  rt.onExec({ container: "web" }, (cmd) => ({ exitCode: cmd.length, stdout: Buffer.from(cmd.join(",")), stderr: Buffer.alloc(0) }));
  assert.equal((await rt.execSync(id, ["a", "b"], 1)).stdout.toString(), "a,b", "later handlers win");
  assert.deepEqual(rt.callsTo("execSync").at(-1), [id, ["a", "b"], 1]);
});
