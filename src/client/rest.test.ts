// The REST client against a real k8ts API server: CRUD, the four patch types, pagination, delete
// options, Status errors, watch streams (events, bookmarks, timeout, 410), and kubeconfig loading.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import type { ConfigMap, Namespace } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../apimachinery/status.ts";
import { startTestApiServer } from "../testing/apiserver.ts";
import type { TestApiServer } from "../testing/apiserver.ts";
import { Client } from "./rest.ts";
import { resources } from "./resources.ts";
import { loadKubeconfig } from "./kubeconfig.ts";
import type { WatchEvent } from "./watch.ts";
import { isGone } from "./transport.ts";

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap => ({
  apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default", labels }, data,
});

describe("REST client against the API server", () => {
  let t: TestApiServer;
  let client: Client;

  before(async () => {
    t = await startTestApiServer();
    client = await Client.fromKubeconfig(t.kubeconfig, { userAgent: "k8ts-test/v0.1.0" });
  });
  after(async () => {
    client?.close();
    await t?.close();
  });

  it("reads the kubeconfig the server writes (cert auth) and a token config", async () => {
    const config = await loadKubeconfig(t.kubeconfig);
    assert.equal(config.server, t.server.url);
    assert.match(config.caPem ?? "", /BEGIN CERTIFICATE/);
    assert.match(config.certPem ?? "", /BEGIN CERTIFICATE/);
    assert.match(config.keyPem ?? "", /PRIVATE KEY/);
    const byToken = await Client.inCluster({ server: t.server.url, caPem: t.server.caPem, token: t.server.adminToken });
    const ns = await byToken.get<Namespace>(resources.namespaces, "default");
    assert.equal(ns.metadata?.name, "default");
    byToken.close();
  });

  it("creates, gets, updates and deletes, with Conflict and NotFound as StatusErrors", async () => {
    const created = await client.create(resources.configmaps, cm("crud", { a: "1" }));
    assert.ok(created.metadata?.uid);
    const got = await client.get<ConfigMap>(resources.configmaps, "crud", { namespace: "default" });
    assert.deepEqual(got.data, { a: "1" });
    const updated = await client.update(resources.configmaps, { ...got, data: { a: "2" } });
    assert.notEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion);
    await assert.rejects(client.update(resources.configmaps, { ...got, data: { a: "3" } }), (err) => isStatusError(err, "Conflict") && err.code === 409);
    await assert.rejects(client.create(resources.configmaps, cm("crud")), (err) => isStatusError(err, "AlreadyExists"));
    await assert.rejects(
      client.delete(resources.configmaps, "crud", { namespace: "default", preconditions: { uid: "not-the-uid" } }),
      (err) => isStatusError(err, "Conflict"),
    );
    await client.delete(resources.configmaps, "crud", { namespace: "default", propagationPolicy: "Background", gracePeriodSeconds: 0 });
    await assert.rejects(client.get(resources.configmaps, "crud", { namespace: "default" }), (err) => isStatusError(err, "NotFound") && err.code === 404);
  });

  it("patches with merge, strategic, JSON patch and server-side apply", async () => {
    const cms = client.resource<ConfigMap>(resources.configmaps, "default");
    await cms.create(cm("patched", { a: "1" }));
    assert.deepEqual((await cms.patch("patched", { data: { b: "2" } }, { type: "merge" })).data, { a: "1", b: "2" });
    assert.deepEqual((await cms.patch("patched", { data: { c: "3" } }, { type: "strategic" })).data, { a: "1", b: "2", c: "3" });
    assert.deepEqual((await cms.patch("patched", [{ op: "remove", path: "/data/a" }], { type: "json" })).data, { b: "2", c: "3" });
    const applied = await cms.patch("applied", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "applied" }, data: { x: "1" } }, { type: "apply", fieldManager: "test", force: true });
    assert.deepEqual(applied.data, { x: "1" });
    await assert.rejects(cms.patch("patched", {}, { type: "apply" }), /fieldManager/);
  });

  it("lists with selectors and pages through everything with listAll", async () => {
    const cms = client.resource<ConfigMap>(resources.configmaps, "default");
    for (let i = 0; i < 7; i++) await cms.create(cm(`page-${i}`, {}, { group: "paged", parity: i % 2 ? "odd" : "even" }));
    const page = await cms.list({ labelSelector: "group=paged", limit: 3 });
    assert.equal(page.items.length, 3);
    assert.ok(page.metadata.continue);
    const all = await cms.listAll({ labelSelector: { group: "paged" }, limit: 2 });
    assert.deepEqual(all.items.map((o) => o.metadata?.name), [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
    assert.ok(all.metadata.resourceVersion);
    const odd = await cms.list({ labelSelector: "group=paged,parity=odd" });
    assert.equal(odd.items.length, 3);
    const byName = await cms.list({ fieldSelector: "metadata.name=page-3" });
    assert.deepEqual(byName.items.map((o) => o.metadata?.name), ["page-3"]);
    const deleted = await cms.deleteCollection({ labelSelector: "group=paged,parity=even" });
    assert.equal(deleted.items.length, 4);
    assert.equal((await cms.list({ labelSelector: "group=paged" })).items.length, 3);
  });

  it("updates the status subresource (namespaces)", async () => {
    const ns = await client.create<Namespace>(resources.namespaces, { metadata: { name: "status-ns" } });
    const updated = await client.updateStatus<Namespace>(resources.namespaces, { ...ns, status: { phase: "Active", conditions: [] } });
    assert.equal(updated.status?.phase, "Active");
  });

  it("watches: events in order, bookmarks, ends cleanly at timeoutSeconds", async () => {
    const cms = client.resource<ConfigMap>(resources.configmaps, "default");
    const start = await cms.list({ labelSelector: "w=1" });
    const events: WatchEvent<ConfigMap>[] = [];
    const done = (async () => {
      for await (const ev of cms.watch({ labelSelector: "w=1", resourceVersion: start.metadata.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 2 })) {
        events.push(ev);
      }
    })();
    await cms.create(cm("w1", { v: "1" }, { w: "1" }));
    await cms.patch("w1", { data: { v: "2" } }, { type: "merge" });
    await cms.delete("w1");
    await done; // the server ends the stream after 2 s
    assert.deepEqual(events.filter((e) => e.type !== "BOOKMARK").map((e) => `${e.type} ${e.object.data?.v}`), ["ADDED 1", "MODIFIED 2", "DELETED 2"]);
  });

  it("stops a watch when its signal aborts", async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const ev of client.watch<ConfigMap>(resources.configmaps, { namespace: "default", signal: ac.signal })) seen.push(ev.type);
    })();
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await done;
    assert.ok(seen.every((s) => s === "ADDED"));
  });

  it("a watch from a resourceVersion the server no longer has throws 410 Expired", async () => {
    const small = await startTestApiServer({ watchCacheCapacity: 2 });
    const c = await Client.fromKubeconfig(small.kubeconfig);
    try {
      const first = await c.create(resources.configmaps, cm("old"));
      for (let i = 0; i < 5; i++) await c.patch(resources.configmaps, "old", { data: { i: String(i) } }, { type: "merge", namespace: "default" });
      const iterate = async () => {
        for await (const _ of c.watch(resources.configmaps, { namespace: "default", resourceVersion: first.metadata?.resourceVersion })) void _;
      };
      await assert.rejects(iterate(), (err) => isGone(err) && isStatusError(err, "Expired"));
    } finally {
      c.close();
      await small.close();
    }
  });

  it("a generic request reaches non-resource paths; errors come back as StatusError", async () => {
    const version = await client.request<{ gitVersion?: string }>("GET", "/version");
    assert.ok(version.gitVersion);
    await assert.rejects(client.request("GET", "/api/v1/namespaces/default/nosuchthings"), (err) => isStatusError(err, "NotFound"));
  });

  it("rate-limits on the client side (qps/burst)", async () => {
    const slow = await Client.fromKubeconfig(t.kubeconfig, { qps: 5, burst: 1 });
    const started = Date.now();
    for (let i = 0; i < 4; i++) await slow.get(resources.namespaces, "default");
    slow.close();
    assert.ok(Date.now() - started >= 550, `4 requests at 5 qps burst 1 take ≥ 600 ms (took ${Date.now() - started})`);
  });

  it("retries reads on connection errors, never writes", async () => {
    const dead = new Client({ server: "https://127.0.0.1:1", caPem: t.server.caPem }, { readRetries: 2 });
    const started = Date.now();
    await assert.rejects(dead.get(resources.namespaces, "default"), (err: NodeJS.ErrnoException) => err.code === "ECONNREFUSED");
    assert.ok(Date.now() - started >= 200, "two retries with back-off");
    const writeStarted = Date.now();
    await assert.rejects(dead.create(resources.namespaces, { metadata: { name: "x" } }), (err: NodeJS.ErrnoException) => err.code === "ECONNREFUSED");
    assert.ok(Date.now() - writeStarted < 200, "no retry for writes");
    dead.close();
  });
});

describe("REST client transport (plain HTTP test server)", () => {
  it("sends User-Agent and bearer token, retries reads on 429, never writes, and times out", async () => {
    const seen: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = [];
    let throttle = 2;
    const srv = createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers });
      if (req.url?.startsWith("/slow")) return void setTimeout(() => res.end("{}"), 2000);
      if (throttle-- > 0) {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "0" });
        return void res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "TooManyRequests", code: 429, message: "slow down" }));
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Namespace", metadata: { name: "x" } }));
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    const client = new Client({ server: url, token: "secret" }, { userAgent: "k8ts-controller-manager/v0.1.0", timeoutMs: 300 });
    try {
      const ns = await client.get(resources.namespaces, "x");
      assert.equal(ns.metadata?.name, "x");
      assert.equal(seen.length, 3, "two 429s retried");
      assert.equal(seen[0]!.headers["user-agent"], "k8ts-controller-manager/v0.1.0");
      assert.equal(seen[0]!.headers.authorization, "Bearer secret");
      assert.equal(seen[0]!.url, "/api/v1/namespaces/x");
      throttle = 1;
      await assert.rejects(client.create(resources.namespaces, { metadata: { name: "y" } }), (err) => isStatusError(err, "TooManyRequests"));
      assert.equal(seen.length, 4, "a write is not retried");
      await assert.rejects(client.request("GET", "/slow"), (err: NodeJS.ErrnoException) => err.code === "ETIMEDOUT");
    } finally {
      client.close();
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });
});
