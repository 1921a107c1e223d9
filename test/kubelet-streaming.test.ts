// End to end with the real kubectl: the API server proxies pods/log, exec, attach, portforward and
// nodes/proxy to a kubelet server (fake host and runtime), with its own kubelet client
// certificate. kubectl 1.32 uses WebSockets (v5.channel.k8s.io; SPDY tunnelled in a WebSocket
// for port-forward) and falls back to SPDY upgrades: both paths are run.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KUBECTL, apiRequest, startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { freePort, waitFor } from "../src/testing/wait.ts";
import { KubeletServer } from "../src/kubelet/server/index.ts";
import { TestKubeletHost, containerRef, kubeletTestCerts, writeCri } from "../src/kubelet/server/testkit.ts";
import { silentLogger } from "../src/util/log.ts";

const running = { phase: "Running" };

describe("kubectl logs/exec/attach/port-forward through the API server to a kubelet", () => {
  let t: TestApiServer;
  let kubelet: KubeletServer;
  let host: TestKubeletHost;
  let logs: string;
  let echo: Server;
  const echoSockets = new Set<Socket>();
  const children = new Set<ChildProcess>();
  const kubeletUsers: string[] = [];
  const app = () => host.podTable.get("default/web")!.containers.app!.current!;

  async function createPod(name: string, spec: Record<string, unknown>, status?: Record<string, unknown>, annotations?: Record<string, string>): Promise<void> {
    const res = await apiRequest(t.server, "POST", "/api/v1/namespaces/default/pods", { apiVersion: "v1", kind: "Pod", metadata: { name, annotations }, spec });
    assert.equal(res.status, 201, res.body);
    if (status) {
      const put = await apiRequest(t.server, "PUT", `/api/v1/namespaces/default/pods/${name}/status`, { ...res.json, status });
      assert.equal(put.status, 200, put.body);
    }
  }

  /** Starts kubectl in the background (killed at the end of the suite). */
  function background(args: string[], env: Record<string, string> = {}, viaScript = false) {
    const argv = ["--kubeconfig", t.kubeconfig, ...args];
    const child = viaScript
      ? spawn("script", ["-q", "-e", "-c", `stty cols 100 rows 30; ${KUBECTL} ${argv.map((a) => `'${a}'`).join(" ")}`, "/dev/null"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(t.dir, "home"), TERM: "xterm", ...env } })
      : spawn(KUBECTL, argv, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(t.dir, "home"), ...env } });
    children.add(child);
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => (out += d));
    child.stderr!.on("data", (d: Buffer) => (err += d));
    const exited = new Promise<number>((resolve) => child.on("exit", (code) => {
      children.delete(child);
      resolve(code ?? -1);
    }));
    return { child, out: () => out, err: () => err, exited };
  }

  before(async () => {
    t = await startTestApiServer();
    const ca = { cert: t.server.caPem, key: await readFile(join(t.dir, "data", "tls", "ca.key"), "utf8") };
    const certs = await kubeletTestCerts(ca);
    logs = await mkdtemp(join(tmpdir(), "k8ts-e2e-logs-"));
    host = new TestKubeletHost("node-1");
    const ref = (name: string, o: { restart?: number; running?: boolean } = {}) => containerRef(logs, { namespace: "default", pod: "web", uid: "uid-web", name, sandboxId: "sandbox-web", ...o });
    host.addPod("default", "web", {
      uid: "uid-web", sandboxId: "sandbox-web",
      containers: { app: { current: ref("app", { restart: 1 }), previous: ref("app", { restart: 0, running: false }) }, side: { current: ref("side") }, init: { waiting: "PodInitializing" } },
    });
    await writeCri(ref("app", { restart: 1 }).logPath, [["stdout", "F", "line 1"], ["stderr", "F", "line 2"], ["stdout", "P", "line "], ["stdout", "F", "3"]]);
    await writeCri(ref("app", { restart: 0 }).logPath, [["stdout", "F", "before the restart"]]);
    await writeCri(ref("side").logPath, [["stdout", "F", "sidecar says hi"]]);
    echo = createServer((s) => {
      echoSockets.add(s);
      s.on("close", () => echoSockets.delete(s));
      s.on("data", (d: Buffer) => s.write(`echo: ${d}`));
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    host.runtime.portMap.set(8080, (echo.address() as { port: number }).port);
    host.runtime.portMap.set(9999, 1);
    kubelet = await KubeletServer.start({
      host, tls: { cert: certs.serving.cert, key: certs.serving.key, caPem: ca.cert }, address: "127.0.0.1", port: 0, log: silentLogger, logPollIntervalMs: 100,
      authorize: (user) => {
        kubeletUsers.push(user.username);
        return user.username === "kube-apiserver-kubelet-client" && user.groups.includes("system:masters");
      },
    });
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: "node-1" }, status: { addresses: [{ type: "Hostname", address: "node-1.invalid" }, { type: "InternalIP", address: "127.0.0.1" }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } };
    assert.equal((await apiRequest(t.server, "POST", "/api/v1/nodes", node)).status, 201);
    const containers = [{ name: "app", image: "busybox", stdin: true, tty: true }, { name: "side", image: "busybox" }];
    await createPod("web", { nodeName: "node-1", initContainers: [{ name: "init", image: "busybox" }], containers }, running, { "kubectl.kubernetes.io/default-container": "app" });
    await createPod("multi", { nodeName: "node-1", containers }, running);
    await createPod("pending", { containers: [{ name: "c", image: "busybox" }] });
    await createPod("lost", { nodeName: "node-gone", containers: [{ name: "c", image: "busybox" }] }, running);
    await createPod("ghost", { nodeName: "node-1", containers: [{ name: "c", image: "busybox" }] }, running);
  });

  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    await kubelet?.close();
    for (const s of echoSockets) s.destroy();
    await new Promise((r) => echo?.close(r));
    await t?.close();
    await rm(logs, { recursive: true, force: true });
  });

  const ok = async (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => {
    const r = await t.kubectl(args, opts);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
    return r;
  };

  it("kubectl logs: default container, --tail, --timestamps, -c, --previous, and the kubelet's errors", async () => {
    assert.equal((await ok(["logs", "web"])).stdout, "line 1\nline 2\nline 3\n");
    assert.equal((await ok(["logs", "web", "--tail=1"])).stdout, "line 3\n");
    assert.match((await ok(["logs", "web", "--timestamps", "--tail=1"])).stdout, /^2026-01-01T00:00:\d\d\.000000001Z line 3\n$/);
    assert.equal((await ok(["logs", "web", "-c", "side"])).stdout, "sidecar says hi\n");
    assert.equal((await ok(["logs", "web", "--previous"])).stdout, "before the restart\n");
    assert.equal((await ok(["logs", "web", "--limit-bytes=4"])).stdout, "line");
    const prev = await t.kubectl(["logs", "web", "-c", "side", "--previous"]);
    assert.equal(prev.code, 1);
    assert.match(prev.stderr, /Error from server \(BadRequest\): previous terminated container "side" in pod "web" not found/);
    const waiting = await t.kubectl(["logs", "web", "-c", "init"]);
    assert.match(waiting.stderr, /Error from server \(BadRequest\): container "init" in pod "web" is waiting to start: PodInitializing/);
    assert.ok(kubeletUsers.length > 0 && kubeletUsers.every((u) => u === "kube-apiserver-kubelet-client"));
  });

  it("kubectl logs -f shows lines as they are written and ends when the container does", async () => {
    const k = background(["logs", "-f", "web", "--tail=1"]);
    await waitFor("tail", () => k.out() === "line 3\n", 15_000);
    await writeCri(app().logPath, [["stdout", "F", "appended while following"]]);
    await waitFor("appended line", () => k.out() === "line 3\nappended while following\n", 15_000);
    host.runtime.setState(app().containerId, "exited");
    assert.equal(await k.exited, 0, k.err());
    host.runtime.setState(app().containerId, "running");
  });

  for (const [name, env] of [["WebSocket", {}], ["SPDY", { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false" }]] as const) {
    it(`kubectl exec over ${name}: output, exit codes, stdin`, async () => {
      const hi = await ok(["exec", "web", "--", "sh", "-c", "echo hi; echo to-stderr >&2"], { env });
      assert.equal(hi.stdout, "hi\n");
      assert.equal(hi.stderr, "to-stderr\n");
      const fail = await t.kubectl(["exec", "web", "--", "false"], { env });
      assert.equal(fail.code, 1);
      assert.equal(fail.stderr, "command terminated with exit code 1\n");
      const three = await t.kubectl(["exec", "web", "-c", "side", "--", "sh", "-c", "exit 3"], { env });
      assert.equal(three.code, 3);
      assert.equal(three.stderr, "command terminated with exit code 3\n");
      const cat = await ok(["exec", "-i", "web", "--", "sh", "-c", "tr a-z A-Z"], { input: "from stdin\n", env });
      assert.equal(cat.stdout, "FROM STDIN\n");
    });

    it(`kubectl exec -it over ${name}: a terminal, with its size`, async () => {
      const before = host.runtime.resizes.length;
      const k = background(["exec", "-it", "web", "--", "sh"], env, true);
      await waitFor("terminal", () => k.out().includes("tty ready"), 15_000);
      await waitFor("size", () => k.out().includes("resize 100x30"), 15_000);
      k.child.stdin!.write("hello\r");
      await waitFor("echo", () => k.out().includes("HELLO"), 15_000);
      k.child.stdin!.write("exit\r");
      assert.equal(await k.exited, 0, k.out());
      assert.deepEqual(host.runtime.resizes.slice(before), [{ width: 100, height: 30 }]);
      assert.equal(host.runtime.execs.at(-1)?.tty, true);
    });
  }

  it("kubectl attach -i", async () => {
    const r = await ok(["attach", "-i", "web"], { input: "typed in\n" });
    assert.equal(r.stdout, "attached\ntyped in\n");
  });

  for (const [name, env] of [["SPDY tunnelled in a WebSocket", {}], ["SPDY", { KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" }]] as const) {
    it(`kubectl port-forward over ${name}`, async () => {
      const local = await freePort();
      const k = background(["port-forward", "pod/web", `${local}:8080`], env);
      await waitFor("listening", () => k.out().includes(`Forwarding from 127.0.0.1:${local} -> 8080`), 15_000);
      for (const msg of ["first", "second"]) {
        const socket = connect(local, "127.0.0.1");
        let got = "";
        socket.on("data", (d: Buffer) => (got += d));
        socket.write(msg);
        await waitFor(`echo of ${msg}`, () => got === `echo: ${msg}`, 15_000);
        socket.end();
        await new Promise((r) => socket.on("close", r));
      }
      k.child.kill("SIGINT");
      await k.exited;
    });
  }

  it("kubectl port-forward to a port nobody listens on reports the kubelet's error", async () => {
    const local = await freePort();
    const k = background(["port-forward", "pod/web", `${local}:9999`]);
    await waitFor("listening", () => k.out().includes("Forwarding from"), 15_000);
    const socket = connect(local, "127.0.0.1");
    socket.on("error", () => undefined);
    await waitFor("error", () => k.err().includes("error forwarding port 9999 to pod sandbox-web, uid : connect ECONNREFUSED"), 15_000);
    socket.destroy();
    k.child.kill("SIGINT");
    await k.exited;
  });

  it("answers with kube-apiserver's errors before reaching a kubelet", async () => {
    const get = (path: string, headers?: Record<string, string>) => apiRequest(t.server, "GET", `/api/v1/namespaces/default/pods/${path}`, undefined, headers);
    const multi = await get("multi/log");
    assert.deepEqual([multi.status, multi.json.message], [400, "a container name must be specified for pod multi, choose one of: [app side]"]);
    const bad = await get("web/exec?command=ls&container=nope&stdout=true");
    assert.deepEqual([bad.status, bad.json.message], [400, "container nope is not valid for pod web"]);
    const unbound = await get("pending/exec?command=ls&stdout=true");
    assert.deepEqual([unbound.status, unbound.json.message], [400, "pod pending does not have a host assigned"]);
    const pf = await get("pending/portforward");
    assert.deepEqual([pf.status, pf.json.message], [400, "pod pending does not have a host assigned"]);
    const noUpgrade = await apiRequest(t.server, "POST", "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true");
    assert.deepEqual([noUpgrade.status, noUpgrade.json.message], [400, "Upgrade request required"]);
    const pendingLog = await get("pending/log");
    assert.deepEqual([pendingLog.status, pendingLog.body], [200, ""]);
    const invalid = await get("web/log?tailLines=-1");
    assert.equal(invalid.status, 422);
    assert.equal(invalid.json.message, `PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0`);
    const missing = await get("nope/log");
    assert.deepEqual([missing.status, missing.json.message], [404, `pods "nope" not found`]);
    const lost = await get("lost/log");
    assert.deepEqual([lost.status, lost.json.message], [404, `nodes "node-gone" not found`]);
    const execLost = await t.kubectl(["exec", "lost", "--", "ls"]);
    assert.match(execLost.stderr, /nodes "node-gone" not found/);
    // Known to the API server, not (yet) to its kubelet: the kubelet's 404 as kube-apiserver words it.
    const ghostLog = await t.kubectl(["logs", "ghost"]);
    assert.equal(ghostLog.stderr.trim(), "Error from server (NotFound): the server could not find the requested resource ( pods/log ghost)");
    const ghostExec = await t.kubectl(["exec", "ghost", "--", "ls"]);
    assert.equal(ghostExec.stderr.trim(), "error: unable to upgrade connection: pod does not exist");
  });

  it("says 'error dialing backend' when the kubelet cannot be reached", async () => {
    const port = await freePort();
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: "node-down" }, status: { addresses: [{ type: "InternalIP", address: "127.0.0.1" }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } };
    await apiRequest(t.server, "POST", "/api/v1/nodes", node);
    await createPod("down", { nodeName: "node-down", containers: [{ name: "c", image: "busybox" }] }, running);
    const r = await t.kubectl(["exec", "down", "--", "ls"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`error dialing backend: dial tcp 127\\.0\\.0\\.1:${port}: connect: connection refused`));
    const log = await t.kubectl(["logs", "down"]);
    assert.match(log.stderr, new RegExp(`Error from server: Get "https://127\\.0\\.0\\.1:${port}/containerLogs/default/down/c": dial tcp 127\\.0\\.0\\.1:${port}: connect: connection refused`));
  });

  it("proxies nodes/<name>/proxy/… to the kubelet (kubectl get --raw)", async () => {
    assert.equal((await ok(["get", "--raw", "/api/v1/nodes/node-1/proxy/healthz"])).stdout, "ok");
    const summary = JSON.parse((await ok(["get", "--raw", "/api/v1/nodes/node-1/proxy/stats/summary"])).stdout);
    assert.equal(summary.node.nodeName, "node-1");
    assert.match((await ok(["get", "--raw", "/api/v1/nodes/node-1/proxy/metrics/resource"])).stdout, /^container_memory_working_set_bytes\{container="app",namespace="default",pod="web"\} 1000000 \d+$/m);
    const missing = await apiRequest(t.server, "GET", "/api/v1/nodes/node-1/proxy/nothing");
    assert.deepEqual([missing.status, missing.body], [404, "404 page not found"]);
  });

  it("lists the connect subresources in discovery and keeps its kubelet client certificate in the data dir", async () => {
    const v1 = (await apiRequest(t.server, "GET", "/api/v1")).json as { resources: { name: string; kind: string; verbs: string[] }[] };
    const kinds = Object.fromEntries(v1.resources.map((r) => [r.name, r.kind]));
    assert.deepEqual([kinds["pods/log"], kinds["pods/exec"], kinds["pods/attach"], kinds["pods/portforward"], kinds["nodes/proxy"]], ["Pod", "PodExecOptions", "PodAttachOptions", "PodPortForwardOptions", "NodeProxyOptions"]);
    const cert = new X509Certificate(await readFile(join(t.dir, "data", "tls", "kubelet-client.crt")));
    assert.match(cert.subject, /CN=kube-apiserver-kubelet-client/);
    assert.match(cert.subject, /O=system:masters/);
    assert.ok(cert.checkIssued(new X509Certificate(t.server.caPem)));
  });

  // Last: it stops the API server.
  it("closing the API server drops live proxied streams (kubectl exec -i waiting on stdin)", async () => {
    const execs = host.runtime.execs.length;
    const k = background(["exec", "-i", "web", "--", "cat"]);
    await waitFor("exec running", () => host.runtime.execs.length > execs, 15_000);
    await t.server.close();
    assert.notEqual(await k.exited, -1);
  });
});
