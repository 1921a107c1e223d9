import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { createServer as createTcpServer } from "node:net";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { realClock } from "../../client/index.ts";
import { freePort } from "../../testing/wait.ts";
import { httpProbe, resolvePort, tcpProbe } from "./handlers.ts";

test("httpGet: 200–399 succeed, others fail with the status code; headers and user agent are sent", async (t) => {
  let seen: IncomingHttpHeaders = {};
  const server = createServer((req, res) => {
    seen = req.headers;
    if (req.url === "/healthz") res.end("ok");
    else if (req.url === "/moved") res.writeHead(302, { location: "/elsewhere" }).end();
    else res.writeHead(500).end("boom");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const ok = await httpProbe({ path: "/healthz", port, httpHeaders: [{ name: "X-Probe", value: "yes" }, { name: "Host", value: "example.com" }] }, "127.0.0.1", port, 1, realClock, "kube-probe/1.32");
  assert.deepEqual(ok, { result: "success", output: "ok" });
  assert.equal(seen["user-agent"], "kube-probe/1.32");
  assert.equal(seen["x-probe"], "yes");
  assert.equal(seen.host, "example.com");
  assert.equal((await httpProbe({ path: "/moved", port }, "127.0.0.1", port, 1, realClock, "ua")).result, "success");
  assert.deepEqual(await httpProbe({ path: "broken", port }, "127.0.0.1", port, 1, realClock, "ua"), { result: "failure", output: "HTTP probe failed with statuscode: 500" });
});

test("httpGet and tcpSocket against a closed port fail with Go's dial error", async () => {
  const port = await freePort();
  assert.deepEqual(await httpProbe({ path: "/healthz", port }, "127.0.0.1", port, 1, realClock, "ua"), {
    result: "failure", output: `Get "http://127.0.0.1:${port}/healthz": dial tcp 127.0.0.1:${port}: connect: connection refused`,
  });
  assert.deepEqual(await tcpProbe("127.0.0.1", port, 1, realClock), { result: "failure", output: `dial tcp 127.0.0.1:${port}: connect: connection refused` });
});

test("tcpSocket succeeds when the port accepts", async (t) => {
  const server = createTcpServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  assert.deepEqual(await tcpProbe("127.0.0.1", port, 1, realClock), { result: "success", output: "" });
});

test("ports: numbers, named container ports, numeric strings", () => {
  const c = { name: "web", ports: [{ name: "http", containerPort: 8080 }] };
  assert.equal(resolvePort(80, c), 80);
  assert.equal(resolvePort("http", c), 8080);
  assert.equal(resolvePort("9090", c), 9090);
  assert.throws(() => resolvePort("nope", c), /couldn't find port/);
  assert.throws(() => resolvePort(70000, c), /invalid port number: 70000/);
});
