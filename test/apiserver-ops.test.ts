// Operating the API server: Prometheus /metrics, the in-flight limit (429 with Retry-After), and a
// graceful shutdown that ends open watches cleanly.
import { it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { startTestApiServer, apiRequest } from "../src/testing/apiserver.ts";

it("exposes request counts and latencies on /metrics", async () => {
  const t = await startTestApiServer();
  try {
    await apiRequest(t.server, "GET", "/api/v1/namespaces/default/configmaps");
    await apiRequest(t.server, "GET", "/api/v1/namespaces/default/configmaps/missing");
    const m = await apiRequest(t.server, "GET", "/metrics");
    assert.equal(m.status, 200);
    assert.match(m.body, /apiserver_request_total\{verb="list",group="",resource="configmaps",subresource="",code="200"\} 1/);
    assert.match(m.body, /apiserver_request_total\{verb="get",group="",resource="configmaps",subresource="",code="404"\} 1/);
    assert.match(m.body, /apiserver_request_duration_seconds_bucket\{le="0.05",verb="list"/);
    assert.match(m.body, /apiserver_current_inflight_requests/);
    assert.match(m.body, /apiserver_storage_request_duration_seconds_count\{operation="get",resource="configmaps"\} 1/);
  } finally {
    await t.close();
  }
});

it("answers 429 with Retry-After beyond the in-flight limit, and serves the rest", async () => {
  const t = await startTestApiServer({ maxInFlight: 1 });
  try {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      apiRequest(t.server, "POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: `c${i}` }, data: { a: "x".repeat(10_000) } })));
    const limited = results.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, "some requests were limited");
    assert.ok(results.every((r) => r.status === 201 || r.status === 429));
    assert.equal(limited[0]!.headers["retry-after"], "1");
    assert.equal(limited[0]!.json.reason, "TooManyRequests");
    const m = await apiRequest(t.server, "GET", "/metrics");
    assert.match(m.body, new RegExp(`apiserver_flowcontrol_rejected_requests_total ${limited.length}`));
  } finally {
    await t.close();
  }
});

it("ends open watches cleanly on shutdown", async () => {
  const t = await startTestApiServer();
  let closed = false;
  let body = "";
  try {
    const ended = new Promise<string>((resolve, reject) => {
      const req = request(`${t.server.url}/api/v1/namespaces/default/configmaps?watch=1`, { ca: t.server.caPem, headers: { authorization: `Bearer ${t.server.adminToken}` } }, (res) => {
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve(body));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
    await apiRequest(t.server, "POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "seen" } });
    const deadline = Date.now() + 10_000;
    while (!body.includes('"seen"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await t.close();
    closed = true;
    assert.match(await ended, /"type":"ADDED".*"name":"seen"/);
  } finally {
    if (!closed) await t.close();
  }
});
