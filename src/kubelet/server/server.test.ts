import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Counter, Registry } from "prom-client";
import WebSocket from "ws";
import { createCA } from "../../apiserver/auth/index.ts";
import type { CertKeyPair } from "../../apiserver/auth/index.ts";
import { silentLogger } from "../../util/log.ts";
import { waitFor } from "../../testing/wait.ts";
import { KubeletServer } from "./server.ts";
import { SpdySession } from "./spdy/session.ts";
import { TestKubeletHost, containerRef, kubeletTestCerts, writeCri } from "./testkit.ts";

interface Client {
  cert?: string;
  key?: string;
  token?: string;
}

describe("kubelet server", () => {
  let ca: CertKeyPair;
  let certs: Awaited<ReturnType<typeof kubeletTestCerts>>;
  let foreign: CertKeyPair;
  let dir: string;
  let host: TestKubeletHost;
  let server: KubeletServer;
  let echo: Server;
  const echoSockets = new Set<Socket>();
  let client: Client;
  const hostMetrics = new Registry();
  new Counter({ name: "kubelet_test_host_metric", help: "from the host", registers: [hostMetrics] }).inc();

  const web = containerRef("", { namespace: "default", pod: "web", uid: "uid-web", name: "app" });
  const side = containerRef("", { namespace: "default", pod: "web", uid: "uid-web", name: "side" });

  before(async () => {
    ca = await createCA();
    certs = await kubeletTestCerts(ca);
    const otherCA = await createCA();
    foreign = (await kubeletTestCerts(otherCA)).apiserverClient;
    client = { cert: certs.apiserverClient.cert, key: certs.apiserverClient.key };
    dir = await mkdtemp(join(tmpdir(), "k8ts-kubelet-server-"));
    host = new TestKubeletHost("node-1");
    Object.assign(host, { metricsRegistry: hostMetrics });
    const app = containerRef(dir, { namespace: "default", pod: "web", uid: "uid-web", name: "app", restart: 1 });
    const appPrev = containerRef(dir, { namespace: "default", pod: "web", uid: "uid-web", name: "app", restart: 0, running: false });
    Object.assign(web, app);
    Object.assign(side, containerRef(dir, { namespace: "default", pod: "web", uid: "uid-web", name: "side" }));
    host.addPod("default", "web", { uid: "uid-web", sandboxId: "sandbox-web", containers: { app: { current: app, previous: appPrev }, side: { current: side }, init: { waiting: "PodInitializing" } } });
    await writeCri(app.logPath, [["stdout", "F", "app line 1"], ["stderr", "F", "app error"], ["stdout", "P", "joined "], ["stdout", "F", "line"]]);
    await writeCri(appPrev.logPath, [["stdout", "F", "from the previous instance"]]);
    echo = createServer((s) => {
      echoSockets.add(s);
      s.on("close", () => echoSockets.delete(s));
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    host.runtime.portMap.set(8080, (echo.address() as { port: number }).port);
    host.runtime.portMap.set(9999, 1); // nothing listens there
    server = await KubeletServer.start({
      host, tls: { cert: certs.serving.cert, key: certs.serving.key, caPem: ca.cert }, address: "127.0.0.1", port: 0,
      tokens: [{ token: "secret-token", user: { username: "system:node-admin", groups: [] } }],
      authorize: (user, attrs) => !(user.username === "jane" && attrs.subresource !== "healthz"),
      log: silentLogger, logPollIntervalMs: 50, streamCreationTimeoutMs: 2000,
    });
  });

  after(async () => {
    await server?.close();
    for (const s of echoSockets) s.destroy();
    await new Promise((r) => echo?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  function request(path: string, opts: { method?: string; as?: Client; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    const as = opts.as ?? client;
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: "127.0.0.1", port: server.port, path, method: opts.method ?? "GET", ca: ca.cert, cert: as.cert, key: as.key, agent: false,
        headers: { ...(as.token ? { authorization: `Bearer ${as.token}` } : {}), ...opts.headers },
      }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  /** Opens a WebSocket; resolves with the socket and its received messages once open (or the HTTP error). */
  function ws(path: string, protocols: string[], as: Client = client): Promise<{ socket: WebSocket; messages: Buffer[]; closed: Promise<void> } | { status: number; body: string }> {
    return new Promise((resolve) => {
      const socket = new WebSocket(`wss://127.0.0.1:${server.port}${path}`, protocols, { ca: ca.cert, cert: as.cert, key: as.key, headers: as.token ? { authorization: `Bearer ${as.token}` } : {} });
      const messages: Buffer[] = [];
      const closed = new Promise<void>((r) => socket.on("close", () => r()));
      socket.on("message", (data: Buffer) => messages.push(Buffer.from(data)));
      socket.on("open", () => resolve({ socket, messages, closed }));
      socket.on("unexpected-response", (_req, res: IncomingMessage) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      socket.on("error", () => undefined);
    });
  }

  /** Joins the messages of one channel (first byte) as text. */
  const channel = (messages: Buffer[], n: number) => Buffer.concat(messages.filter((m) => m[0] === n).map((m) => m.subarray(1))).toString();

  function spdy(path: string, protocols: string[]): Promise<{ session: SpdySession; headers: IncomingHttpHeaders } | { status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: "127.0.0.1", port: server.port, path, method: "POST", ca: ca.cert, cert: client.cert, key: client.key, agent: false,
        headers: { connection: "Upgrade", upgrade: "SPDY/3.1", "x-stream-protocol-version": protocols },
      });
      req.on("upgrade", (res: IncomingMessage, socket: Socket, head: Buffer) => {
        if (head.length) socket.unshift(head);
        resolve({ session: new SpdySession(socket, { server: false }), headers: res.headers });
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  const readAll = (s: NodeJS.ReadableStream) => new Promise<string>((resolve) => {
    let out = "";
    s.on("data", (c: Buffer) => (out += c));
    s.on("end", () => resolve(out));
  });

  it("authenticates by CA-signed client certificate or known bearer token; 401 otherwise, 403 when not allowed", async () => {
    assert.equal((await request("/healthz")).body, "ok");
    assert.equal((await request("/healthz", { as: { token: "secret-token" } })).status, 200);
    assert.deepEqual(await request("/healthz", { as: {} }).then((r) => [r.status, r.body]), [401, "Unauthorized"]);
    assert.equal((await request("/healthz", { as: { token: "wrong" } })).status, 401);
    assert.equal((await request("/healthz", { as: { cert: foreign.cert, key: foreign.key } })).status, 401);
    const jane = { cert: certs.otherClient.cert, key: certs.otherClient.key };
    assert.equal((await request("/healthz", { as: jane })).status, 200);
    const denied = await request("/stats/summary", { as: jane });
    assert.deepEqual([denied.status, denied.body], [403, "Forbidden (user=jane, verb=get, resource=nodes, subresource(s)=[stats])"]);
    const exec = "/exec/default/web/app?command=true&stdout=1";
    assert.deepEqual(await ws(exec, ["v5.channel.k8s.io"], {}), { status: 401, body: "Unauthorized" });
    assert.deepEqual(await ws(exec, ["v5.channel.k8s.io"], jane), { status: 403, body: "Forbidden (user=jane, verb=create, resource=nodes, subresource(s)=[proxy])" });
    const byToken = await ws(exec, ["v5.channel.k8s.io"], { token: "secret-token" });
    assert.ok("socket" in byToken);
    await byToken.closed;
  });

  it("by default lets in system:masters and token users only", async () => {
    const strict = await KubeletServer.start({
      host, tls: { cert: certs.serving.cert, key: certs.serving.key, caPem: ca.cert }, address: "127.0.0.1", port: 0, log: silentLogger,
      tokens: [{ token: "metrics-token", user: { username: "metrics-reader", groups: [] } }],
    });
    try {
      const get = (as: Client) => new Promise<number>((resolve, reject) => {
        https.get({ host: "127.0.0.1", port: strict.port, path: "/healthz", ca: ca.cert, cert: as.cert, key: as.key, agent: false, headers: as.token ? { authorization: `Bearer ${as.token}` } : {} }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on("error", reject);
      });
      assert.equal(await get(client), 200);
      assert.equal(await get({ token: "metrics-token" }), 200);
      assert.equal(await get({ cert: certs.otherClient.cert, key: certs.otherClient.key }), 403);
      assert.equal(await get({}), 401);
    } finally {
      await strict.close();
    }
  });

  it("serves /healthz (and its checks), /metrics with the host's metrics, /metrics/resource, /stats/summary", async () => {
    assert.equal((await request("/healthz/ping")).body, "ok");
    assert.match((await request("/healthz?verbose")).body, /\[\+\]syncloop ok\nhealthz check passed/);
    host.isHealthy = false;
    const bad = await request("/healthz");
    assert.equal(bad.status, 500);
    assert.match(bad.body, /\[-\]syncloop failed: reason withheld/);
    assert.equal((await request("/healthz/syncloop")).status, 500);
    host.isHealthy = true;
    const metrics = (await request("/metrics")).body;
    assert.match(metrics, /kubelet_http_requests_total\{method="GET",path="healthz",server_type="readwrite",long_running="false"\} \d+/);
    assert.match(metrics, /kubelet_test_host_metric 1/);
    const resource = (await request("/metrics/resource")).body;
    assert.match(resource, /^container_cpu_usage_seconds_total\{container="app",namespace="default",pod="web"\} 1 \d+$/m);
    assert.match(resource, /^node_memory_working_set_bytes 1073741824 \d+$/m);
    assert.match(resource, /^resource_scrape_error 0$/m);
    const summary = JSON.parse((await request("/stats/summary")).body);
    assert.equal(summary.node.nodeName, "node-1");
    assert.equal(summary.pods[0].containers[0].rootfs.usedBytes, 5);
    const slim = JSON.parse((await request("/stats/summary?only_cpu_and_memory=true")).body);
    assert.equal(slim.pods[0].containers[0].rootfs, undefined);
    assert.equal(slim.pods[0].containers[0].memory.workingSetBytes, 1e6);
    assert.equal((await request("/nothing")).status, 404);
  });

  it("serves container logs with the kubelet's options and errors", async () => {
    const logs = (q = "") => request(`/containerLogs/default/web/app${q}`);
    assert.equal((await logs()).body, "app line 1\napp error\njoined line\n");
    assert.equal((await logs("?tailLines=1")).body, "joined line\n");
    assert.equal((await logs("?limitBytes=5")).body, "app l");
    assert.match((await logs("?timestamps=true&tailLines=1")).body, /^2026-01-01T00:00:1\d\.000000001Z joined line\n$/);
    assert.equal((await logs("?previous=true")).body, "from the previous instance\n");
    assert.deepEqual(await request("/containerLogs/default/web/side?previous=true").then((r) => [r.status, r.body]), [400, `previous terminated container "side" in pod "web" not found`]);
    assert.deepEqual(await request("/containerLogs/default/web/init").then((r) => [r.status, r.body]), [400, `container "init" in pod "web" is waiting to start: PodInitializing`]);
    assert.deepEqual(await request("/containerLogs/default/web/nope").then((r) => [r.status, r.body]), [404, `container "nope" not found in pod "web"`]);
    assert.deepEqual(await request("/containerLogs/default/gone/app").then((r) => [r.status, r.body]), [404, `pod "gone" does not exist`]);
    assert.equal((await logs("?tailLines=-1")).status, 422);
    assert.equal((await logs("?tailLines=abc")).status, 400);
  });

  it("follows logs until the container stops running", async () => {
    const ref = containerRef(dir, { namespace: "default", pod: "follow", uid: "uid-f", name: "c" });
    host.addPod("default", "follow", { uid: "uid-f", sandboxId: "sb-f", containers: { c: { current: ref } } });
    await writeCri(ref.logPath, [["stdout", "F", "before"]]);
    let out = "";
    let status = 0;
    const done = new Promise<void>((resolve, reject) => {
      https.get({ host: "127.0.0.1", port: server.port, path: "/containerLogs/default/follow/c?follow=true", ca: ca.cert, cert: client.cert, key: client.key, agent: false }, (res) => {
        status = res.statusCode ?? 0;
        res.on("data", (c: Buffer) => (out += c));
        res.on("end", () => resolve());
      }).on("error", reject);
    });
    await waitFor("first line", () => out === "before\n", 5000);
    await writeCri(ref.logPath, [["stdout", "P", "after "], ["stdout", "F", "append"]]);
    await waitFor("appended", () => out === "before\nafter append\n", 5000);
    host.runtime.setState(ref.containerId, "exited");
    await done;
    assert.equal(status, 200);
  });

  it("runs a command with POST /run", async () => {
    const r = await request("/run/default/web/app?cmd=echo%20hello%20there", { method: "POST" });
    assert.deepEqual([r.status, r.body], [200, "hello there\n"]);
    assert.equal((await request("/run/default/web/app?cmd=echo", { method: "GET" })).status, 405);
  });

  it("execs over WebSocket v5: output channels, exit status, stdin with the CLOSE signal", async () => {
    const conn = await ws("/exec/default/web/app?command=sh&command=-c&command=echo%20out%3B%20echo%20err%20%3E%262%3B%20exit%203&stdout=1&stderr=1", ["v5.channel.k8s.io", "v4.channel.k8s.io"]);
    assert.ok("socket" in conn);
    assert.equal(conn.socket.protocol, "v5.channel.k8s.io");
    await conn.closed;
    assert.equal(channel(conn.messages, 1), "out\n");
    assert.equal(channel(conn.messages, 2), "err\n");
    const status = JSON.parse(channel(conn.messages, 3));
    assert.equal(status.status, "Failure");
    assert.equal(status.reason, "NonZeroExitCode");
    assert.deepEqual(status.details.causes, [{ reason: "ExitCode", message: "3" }]);

    const cat = await ws("/exec/default/web/app?command=cat&stdin=1&stdout=1", ["v5.channel.k8s.io"]);
    assert.ok("socket" in cat);
    cat.socket.send(Buffer.concat([Buffer.from([0]), Buffer.from("piped in\n")]));
    cat.socket.send(Buffer.from([255, 0]));
    await cat.closed;
    assert.equal(channel(cat.messages, 1), "piped in\n");
    assert.deepEqual(JSON.parse(channel(cat.messages, 3)), { metadata: {}, status: "Success" });
  });

  it("execs with a TTY: resize messages reach the runtime", async () => {
    const conn = await ws("/exec/default/web/app?command=sh&stdin=1&stdout=1&stderr=1&tty=1", ["v5.channel.k8s.io"]);
    assert.ok("socket" in conn);
    await waitFor("ready", () => channel(conn.messages, 1).includes("tty ready"), 5000);
    conn.socket.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: 120, Height: 40 }))]));
    await waitFor("resize", () => channel(conn.messages, 1).includes("resize 120x40"), 5000);
    conn.socket.send(Buffer.concat([Buffer.from([0]), Buffer.from("exit")]));
    await conn.closed;
    assert.equal(channel(conn.messages, 1), "tty ready\r\nresize 120x40\r\nEXIT");
    assert.equal(host.runtime.execs.at(-1)?.tty, true);
  });

  it("speaks the older WebSocket protocols: v4 and base64.channel.k8s.io (text errors)", async () => {
    const v4 = await ws("/exec/default/web/app?command=head&command=-c&command=3&stdin=1&stdout=1", ["v4.channel.k8s.io"]);
    assert.ok("socket" in v4);
    v4.socket.send(Buffer.concat([Buffer.from([0]), Buffer.from("abcdef")]));
    await v4.closed;
    assert.equal(channel(v4.messages, 1), "abc");
    assert.equal(JSON.parse(channel(v4.messages, 3)).status, "Success");

    const b64 = await ws("/exec/default/web/app?command=sh&command=-c&command=echo%20hi%3B%20exit%202&stdout=1", ["base64.channel.k8s.io"]);
    assert.ok("socket" in b64);
    await b64.closed;
    const text = b64.messages.map((m) => m.toString());
    const decoded = (ch: string) => text.filter((t) => t[0] === ch).map((t) => Buffer.from(t.slice(1), "base64").toString()).join("");
    assert.equal(decoded("1"), "hi\n");
    assert.match(decoded("3"), /command terminated with non-zero exit code: error executing command \[sh -c echo hi; exit 2\], exit code 2/);
  });

  it("attaches over WebSocket", async () => {
    const conn = await ws("/attach/default/web/app?stdin=1&stdout=1", ["v5.channel.k8s.io"]);
    assert.ok("socket" in conn);
    conn.socket.send(Buffer.concat([Buffer.from([0]), Buffer.from("typed")]));
    conn.socket.send(Buffer.from([255, 0]));
    await conn.closed;
    assert.equal(channel(conn.messages, 1), "attached\ntyped");
  });

  it("execs over SPDY: one stream per stdio stream, the status on the error stream", async () => {
    const up = await spdy("/exec/default/web/app?command=sh&command=-c&command=cat%3B%20echo%20bye%20%3E%262%3B%20exit%207&stdin=1&stdout=1&stderr=1", ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io"]);
    assert.ok("session" in up);
    assert.equal(up.headers["x-stream-protocol-version"], "v4.channel.k8s.io");
    const error = await up.session.openStream({ streamtype: ["error"] });
    const stdin = await up.session.openStream({ streamtype: ["stdin"] });
    const stdout = await up.session.openStream({ streamtype: ["stdout"] });
    const stderr = await up.session.openStream({ streamtype: ["stderr"] });
    const [out, err, status] = [readAll(stdout), readAll(stderr), readAll(error)];
    stdin.end("spdy stdin\n");
    assert.equal(await out, "spdy stdin\n");
    assert.equal(await err, "bye\n");
    const st = JSON.parse(await status);
    assert.deepEqual([st.reason, st.details.causes[0].message], ["NonZeroExitCode", "7"]);
    await up.session.closed;
  });

  it("execs over SPDY v2: a failure is plain text on the error stream", async () => {
    const up = await spdy("/exec/default/web/app?command=false&stdout=1", ["v2.channel.k8s.io"]);
    assert.ok("session" in up);
    const error = await up.session.openStream({ streamtype: ["error"] });
    const stdout = await up.session.openStream({ streamtype: ["stdout"] });
    stdout.resume();
    assert.match(await readAll(error), /^command terminated with non-zero exit code: error executing command \[false\], exit code 1$/);
  });

  it("refuses bad streaming requests before upgrading, with the kubelet's messages", async () => {
    assert.deepEqual(await request("/exec/default/web/app?command=ls&stdout=1", { method: "POST" }).then((r) => [r.status, r.body]), [400, "unable to upgrade: missing upgrade headers in request"]);
    assert.deepEqual(await ws("/exec/default/web/nope?command=ls&stdout=1", ["v5.channel.k8s.io"]), { status: 500, body: `container not found ("nope")` });
    assert.deepEqual(await ws("/exec/default/web/init?command=ls&stdout=1", ["v5.channel.k8s.io"]), { status: 500, body: `container not found ("init")` });
    assert.deepEqual(await ws("/exec/default/gone/app?command=ls&stdout=1", ["v5.channel.k8s.io"]), { status: 404, body: "pod does not exist" });
    assert.deepEqual(await ws("/exec/default/web/app?command=ls", ["v5.channel.k8s.io"]), { status: 400, body: "you must specify at least 1 of stdin, stdout, stderr" });
    const r = await ws("/exec/default/web/app?command=ls&stdout=1", ["v9.channel.k8s.io"]);
    assert.ok("status" in r && r.status === 400 && r.body.startsWith("requested protocol(s) are not supported"));
    const s = await spdy("/exec/default/web/app?command=ls&stdout=1", ["v9.channel.k8s.io"]);
    assert.ok("status" in s && s.status === 403 && s.body.includes("unable to negotiate protocol"));
    assert.deepEqual(await spdy("/exec/default/web/app?command=ls&stdout=1", []), { status: 400, body: "unable to upgrade: X-Stream-Protocol-Version is required" });
  });

  it("port-forwards over SPDY: a stream pair per connection, errors on the error stream", async () => {
    const up = await spdy("/portForward/default/web", ["portforward.k8s.io"]);
    assert.ok("session" in up);
    assert.equal(up.headers["x-stream-protocol-version"], "portforward.k8s.io");
    for (const requestId of ["0", "1"]) {
      const error = await up.session.openStream({ streamtype: ["error"], port: ["8080"], requestid: [requestId] });
      error.end();
      const data = await up.session.openStream({ streamtype: ["data"], port: ["8080"], requestid: [requestId] });
      const errText = readAll(error);
      let got = "";
      data.on("data", (c: Buffer) => (got += c));
      data.write(`hello ${requestId}`);
      await waitFor("echo", () => got === `hello ${requestId}`, 5000);
      data.end(); // half-close: the pod side sees EOF, the echo server closes, both streams end
      assert.equal(await errText, "");
    }
    const error = await up.session.openStream({ streamtype: ["error"], port: ["9999"], requestid: ["2"] });
    const data = await up.session.openStream({ streamtype: ["data"], port: ["9999"], requestid: ["2"] });
    data.resume();
    assert.match(await readAll(error), /^error forwarding port 9999 to pod sandbox-web, uid : connect ECONNREFUSED 127\.0\.0\.1:1$/);
    await assert.rejects(up.session.openStream({ streamtype: ["data"], port: ["0"], requestid: ["3"] }), /reset/);
    up.session.close();
  });

  it("port-forwards over the WebSocket channel protocol (ports in the query)", async () => {
    const conn = await ws("/portForward/default/web?port=8080", ["v4.channel.k8s.io"]);
    assert.ok("socket" in conn);
    await waitFor("port prefixes", () => conn.messages.length >= 2, 5000);
    assert.deepEqual(conn.messages.slice(0, 2).map((m) => [...m]), [[0, 0x90, 0x1f], [1, 0x90, 0x1f]]);
    conn.socket.send(Buffer.concat([Buffer.from([0]), Buffer.from("over ws")]));
    await waitFor("echo", () => channel(conn.messages.slice(2), 0) === "over ws", 5000);
    conn.socket.close();
    await conn.closed;
    assert.deepEqual(await ws("/portForward/default/web", ["v4.channel.k8s.io"]), { status: 400, body: `query parameter "port" is required` });
    assert.deepEqual(await ws("/portForward/default/gone?port=1", ["v4.channel.k8s.io"]), { status: 404, body: "pod does not exist" });
  });
});
