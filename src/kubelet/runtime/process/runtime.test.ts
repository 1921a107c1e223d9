// ProcessRuntime with real processes (host network, no cgroups): logs, exit codes, stop,
// re-adoption by a new instance, images, exec, log rotation, orphans.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { ProcessRuntime } from "./runtime.ts";
import { ExecTimeoutError } from "./exec.ts";
import { parseCriLog, rotatedLogs } from "./logwriter.ts";
import { isAlive } from "./proc.ts";
import { ImageError } from "../types.ts";
import type { ContainerConfig } from "../types.ts";
import { waitFor } from "../../../testing/wait.ts";
import { containerConfig, sandboxConfig, scratchDir } from "./testutil.ts";

const scratch = scratchDir("procrt");
const dir = scratch.dir;
const runtimes: ProcessRuntime[] = [];
const pids: number[] = [];

function newRuntime(stateDir = join(dir, "state"), extra: { logMaxBytes?: number } = {}): ProcessRuntime {
  const rt = new ProcessRuntime({ stateDir, cgroups: "none", hostIP: "127.0.0.1", ...extra });
  runtimes.push(rt);
  return rt;
}

after(async () => {
  for (const pid of pids) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const rt of runtimes) {
    for (const sb of await rt.listPodSandboxes()) await rt.removePodSandbox(sb.id).catch(() => undefined);
    await rt.close();
  }
  scratch.cleanup();
});

async function run(rt: ProcessRuntime, pod: string, name: string, image: string, command: string[], over: Partial<ContainerConfig> = {}) {
  const sb = await rt.runPodSandbox(sandboxConfig(dir, pod));
  const cfg = containerConfig(dir, pod, name, image, command, over);
  const id = await rt.createContainer(sb, cfg);
  await rt.startContainer(id);
  const pid = (await rt.containerStatus(id))!.pid;
  if (pid) pids.push(pid);
  return { sb, id, cfg, pid };
}

const readLog = (path: string) => (existsSync(path) ? parseCriLog(readFileSync(path, "utf8")) : []);

test("busybox container: CRI log lines, exit code and reason", async () => {
  const rt = newRuntime();
  const { id, cfg, sb } = await run(rt, "echo", "main", "busybox:1.36", ["sh", "-c", "echo hi; echo err >&2; printf tail; exit 3"]);
  await rt.waitContainer(id);
  const st = (await rt.containerStatus(id))!;
  assert.equal(st.state, "exited");
  assert.equal(st.exitCode, 3);
  assert.equal(st.reason, "Error");
  assert.equal(st.imageRef, "/bin/busybox");
  assert.ok(st.startedAt! <= st.finishedAt!);
  const recs = readLog(cfg.logPath).map((r) => [r.stream, r.tag, r.content]);
  assert.deepEqual(recs.filter((r) => r[0] === "stdout"), [["stdout", "F", "hi"], ["stdout", "P", "tail"]]);
  assert.deepEqual(recs.filter((r) => r[0] === "stderr"), [["stderr", "F", "err"]]);

  const ok = await rt.createContainer(sb, containerConfig(dir, "echo", "ok", "busybox", ["true"], { attempt: 1 }));
  await rt.startContainer(ok);
  await rt.waitContainer(ok);
  assert.deepEqual([(await rt.containerStatus(ok))!.exitCode, (await rt.containerStatus(ok))!.reason], [0, "Completed"]);
  assert.equal((await rt.listContainers({ sandboxId: sb })).length, 2);
});

test("default command, env, working directory created", async () => {
  const rt = newRuntime();
  const wd = join(dir, "work", "nested");
  const { id, cfg } = await run(rt, "envpod", "main", "busybox", [], {
    args: ["sh", "-c", 'echo "$GREETING $HOSTNAME $(pwd)"'],
    env: [{ name: "GREETING", value: "hello" }],
    workingDir: wd,
  });
  await rt.waitContainer(id);
  assert.equal((await rt.containerStatus(id))!.exitCode, 0);
  assert.deepEqual(readLog(cfg.logPath).map((r) => r.content), [`hello envpod ${wd}`]);
});

test("stopContainer: SIGTERM to the group, SIGKILL after the timeout", async () => {
  const rt = newRuntime();
  const marker = join(dir, "termed");
  const graceful = await run(rt, "stop1", "c", "busybox", ["sh", "-c", `trap 'echo term > ${marker}; exit 0' TERM; echo ready; while true; do sleep 0.1; done`]);
  await waitFor("graceful container ready", () => readLog(graceful.cfg.logPath).length > 0, 10_000);
  await rt.stopContainer(graceful.id, 10);
  assert.equal(readFileSync(marker, "utf8"), "term\n");
  assert.deepEqual([(await rt.containerStatus(graceful.id))!.exitCode, (await rt.containerStatus(graceful.id))!.reason], [0, "Completed"]);

  const stubborn = await run(rt, "stop2", "c", "busybox", ["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"]);
  await waitFor("stubborn container ready", () => readLog(stubborn.cfg.logPath).length > 0, 10_000);
  const t0 = Date.now();
  await rt.stopContainer(stubborn.id, 1);
  assert.ok(Date.now() - t0 >= 1000, "waited for the grace period");
  const st = (await rt.containerStatus(stubborn.id))!;
  assert.deepEqual([st.state, st.exitCode, st.reason], ["exited", 137, "Error"]);
  assert.equal(isAlive(stubborn.pid!, undefined), false);
  await rt.stopContainer(stubborn.id, 1); // stopping an exited container is a no-op

  const waiting = await run(rt, "stop3", "c", "busybox", ["sleep", "3600"]);
  const ac = new AbortController();
  const waited = rt.waitContainer(waiting.id, ac.signal);
  ac.abort(new Error("gave up"));
  await assert.rejects(waited, /gave up/);
  const exited = rt.waitContainer(waiting.id);
  await rt.stopContainer(waiting.id, 0);
  await exited;
});

test("a new runtime instance re-adopts running containers and notices their exit", async () => {
  const stateDir = join(dir, "adopt-state");
  const rt1 = newRuntime(stateDir);
  const { id, cfg, pid, sb } = await run(rt1, "adopt", "ticker", "busybox", ["sh", "-c", "i=0; while true; echo tick $i; i=$((i+1)); do sleep 0.1; done"]);
  const dead = await rt1.createContainer(sb, containerConfig(dir, "adopt", "dies", "busybox", ["sleep", "3600"]));
  await rt1.startContainer(dead);
  const deadPid = (await rt1.containerStatus(dead))!.pid!;
  await waitFor("first ticks", () => readLog(cfg.logPath).length >= 2, 10_000);
  await rt1.close();
  process.kill(deadPid, "SIGKILL"); // exits while no runtime watches it
  await waitFor("process gone", () => !isAlive(deadPid, undefined), 5000);

  const rt2 = newRuntime(stateDir);
  const st = (await rt2.containerStatus(id))!;
  assert.deepEqual([st.state, st.pid, st.sandboxId], ["running", pid, sb]);
  assert.equal((await rt2.podSandboxStatus(sb))?.state, "ready");
  const deadSt = (await rt2.containerStatus(dead))!;
  assert.deepEqual([deadSt.state, deadSt.exitCode, deadSt.reason], ["exited", 137, "ContainerStatusUnknown"]);
  await rt2.waitContainer(dead);
  // Output keeps flowing into the log through the reopened FIFOs.
  const n = readLog(cfg.logPath).length;
  await waitFor("ticks after adoption", () => readLog(cfg.logPath).length >= n + 3, 10_000);
  const exec = await rt2.execSync(id, ["echo", "adopted"], 10);
  assert.equal(exec.stdout.toString(), "adopted\n");

  process.kill(-pid!, "SIGKILL");
  await rt2.waitContainer(id);
  const done = (await rt2.containerStatus(id))!;
  assert.deepEqual([done.state, done.exitCode, done.reason], ["exited", 137, "ContainerStatusUnknown"]);
  const ticks = readLog(cfg.logPath).map((r) => Number(r.content.split(" ")[1]));
  assert.deepEqual(ticks, ticks.map((_, i) => i), "no tick lost or repeated across the restart");
});

test("images the process runtime cannot run", async () => {
  const rt = newRuntime();
  await assert.rejects(rt.pullImage("nginx:1.25", "IfNotPresent"), (e: unknown) => e instanceof ImageError && e.reason === "ErrImagePull" && /nginx:1.25/.test(e.message) && /busybox/.test(e.message));
  await assert.rejects(rt.pullImage("Not Valid", "Always"), (e: unknown) => e instanceof ImageError && e.reason === "InvalidImageName");
  assert.equal((await rt.pullImage("docker.io/library/busybox:latest", "Always")).imageRef, "/bin/busybox");
  assert.equal((await rt.pullImage("node:24-slim", "Always")).imageRef, process.execPath);
  assert.equal((await rt.pullImage("k8ts.local/host-tools:v1", "Never")).imageRef, "host");
  const sb = await rt.runPodSandbox(sandboxConfig(dir, "badimg"));
  await assert.rejects(rt.createContainer(sb, containerConfig(dir, "badimg", "c", "redis", [])), ImageError);
  const id = await rt.createContainer(sb, containerConfig(dir, "badimg", "c", "host", ["no-such-command-k8ts"]));
  await assert.rejects(rt.startContainer(id), /executable file not found/);
  const st = (await rt.containerStatus(id))!;
  assert.deepEqual([st.state, st.reason, st.exitCode], ["exited", "ContainerCannotRun", 128]);
});

test("node and host images run their commands", async () => {
  const rt = newRuntime();
  const node = await run(rt, "nodeimg", "js", "node:24", ["node", "-e", "console.log(process.version)"]);
  const host = await run(rt, "hostimg", "sh", "host", ["sh", "-c", "echo from-host"]);
  await rt.waitContainer(node.id);
  await rt.waitContainer(host.id);
  assert.deepEqual(readLog(node.cfg.logPath).map((r) => r.content), [process.version]);
  assert.deepEqual(readLog(host.cfg.logPath).map((r) => r.content), ["from-host"]);
});

test("execSync and exec with streams run in the container's context", async () => {
  const rt = newRuntime();
  const wd = join(dir, "exec-wd");
  const { id } = await run(rt, "exec", "main", "busybox", ["sleep", "3600"], { env: [{ name: "A", value: "1" }], workingDir: wd });
  const r = await rt.execSync(id, ["sh", "-c", 'echo "$A $(pwd)"; echo oops >&2; exit 4'], 10);
  assert.deepEqual([r.stdout.toString(), r.stderr.toString(), r.exitCode], [`1 ${wd}\n`, "oops\n", 4]);
  const missing = await rt.execSync(id, ["no-such-applet"], 10);
  assert.equal(missing.exitCode, 127);
  await assert.rejects(rt.execSync(id, ["sleep", "30"], 1), ExecTimeoutError);

  // Non-tty: stdin in, stdout and stderr out, streams left open.
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const code = rt.exec(id, ["sh", "-c", "cat; echo done >&2; exit 2"], { stdin, stdout, stderr, tty: false });
  stdin.write("line one\n");
  stdin.end("line two\n");
  assert.equal(await code, 2);
  assert.equal(out, "line one\nline two\n");
  assert.equal(err, "done\n");
  assert.equal(stdout.writableEnded, false);

  // tty: a pty with the requested size; stderr goes to the terminal too.
  async function* sizes() {
    yield { width: 100, height: 30 };
  }
  let ttyOut = "";
  const ttyStdout = new PassThrough();
  ttyStdout.on("data", (d) => (ttyOut += d));
  const ttyCode = await rt.exec(
    id,
    ["sh", "-c", 'while [ "$(stty size)" != "30 100" ]; do sleep 0.05; done; tty; echo resized >&2; exit 5'],
    { stdout: ttyStdout, stdin: new PassThrough(), tty: true, resize: sizes() },
  );
  assert.equal(ttyCode, 5);
  assert.match(ttyOut, /\/dev\/pts\/\d+\r\nresized\r\n/);
});

test("the container log rotates by size", async () => {
  const rt = newRuntime(join(dir, "rotate-state"), { logMaxBytes: 4096 });
  const { id, cfg } = await run(rt, "rotate", "chatty", "busybox", ["sh", "-c", 'i=0; while [ $i -lt 200 ]; do echo "line $i ........................................"; i=$((i+1)); done']);
  await rt.waitContainer(id);
  const rotated = rotatedLogs(cfg.logPath);
  assert.equal(rotated.length, 1);
  assert.ok(statSync(cfg.logPath).size <= 4096);
  const last = readLog(cfg.logPath).map((r) => r.content);
  assert.match(last.at(-1)!, /^line 199 /);
});

test("killOrphans removes sandboxes the kubelet does not know, and their processes", async () => {
  const rt = newRuntime(join(dir, "orphan-state"));
  const keep = await run(rt, "keep", "c", "busybox", ["sleep", "3600"]);
  const gone = await run(rt, "gone", "c", "busybox", ["sleep", "3600"]);
  const removed = await rt.killOrphans([keep.sb]);
  assert.deepEqual(removed, [gone.sb]);
  assert.equal(await rt.podSandboxStatus(gone.sb), undefined);
  assert.equal(await rt.containerStatus(gone.id), undefined);
  assert.equal(isAlive(gone.pid!, undefined), false);
  assert.equal((await rt.containerStatus(keep.id))!.state, "running");

  // A process whose state was lost is still found by its sandbox marker.
  await rt.close();
  rmSync(join(dir, "orphan-state", "sandboxes"), { recursive: true });
  rmSync(join(dir, "orphan-state", "containers"), { recursive: true });
  const rt2 = newRuntime(join(dir, "orphan-state"));
  assert.deepEqual(await rt2.listContainers(), []);
  assert.equal(isAlive(keep.pid!, undefined), true);
  await rt2.killOrphans([]);
  await waitFor("marked process killed", () => !isAlive(keep.pid!, undefined), 5000);
});
