// Watch and write semantics over HTTPS as Kubernetes defines them: selectors applied to the old
// and new object, sendInitialEvents with its bookmark, WebSocket watches, resourceVersionMatch,
// dryRun, and graceful deletion of pods bound to a node.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import WebSocket from "ws";
import { startTestApiServer, apiRequest } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";

interface Event {
  type: string;
  object: { metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } };
}

/** An open chunked watch collecting its events. */
function openWatch(t: TestApiServer, path: string): { events: Event[]; close(): void; until(n: number): Promise<Event[]> } {
  const events: Event[] = [];
  let buffer = "";
  const req = request(`${t.server.url}${path}`, { ca: t.server.caPem, headers: { authorization: `Bearer ${t.server.adminToken}` } }, (res) => {
    res.on("data", (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        events.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
      }
    });
  });
  req.on("error", () => undefined);
  req.end();
  return {
    events,
    close: () => req.destroy(),
    until: async (n) => {
      const deadline = Date.now() + 10_000;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`got ${events.length}/${n} events: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return events;
    },
  };
}

describe("watch and write semantics", () => {
  let t: TestApiServer;
  const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => apiRequest(t.server, method, path, body, headers);
  const cm = (name: string, labels: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels } });

  before(async () => {
    t = await startTestApiServer();
  });
  after(async () => {
    await t.close();
  });

  it("an object entering a label selector is ADDED and one leaving it is DELETED for that watcher", async () => {
    const start = await api("GET", "/api/v1/namespaces/default/configmaps");
    const w = openWatch(t, `/api/v1/namespaces/default/configmaps?watch=1&labelSelector=tier%3Dfront&resourceVersion=${start.json.metadata.resourceVersion}`);
    try {
      await api("POST", "/api/v1/namespaces/default/configmaps", cm("moving", { tier: "back" }));
      await api("PATCH", "/api/v1/namespaces/default/configmaps/moving", { metadata: { labels: { tier: "front" } } }, { "content-type": "application/merge-patch+json" });
      await api("PATCH", "/api/v1/namespaces/default/configmaps/moving", { metadata: { labels: { extra: "x" } } }, { "content-type": "application/merge-patch+json" });
      await api("PATCH", "/api/v1/namespaces/default/configmaps/moving", { metadata: { labels: { tier: "back" } } }, { "content-type": "application/merge-patch+json" });
      await api("DELETE", "/api/v1/namespaces/default/configmaps/moving");
      // A later matching object: events arrive in order, so anything about "moving" came before it.
      await api("POST", "/api/v1/namespaces/default/configmaps", cm("sentinel", { tier: "front" }));
      const events = await w.until(4);
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ["ADDED moving", "MODIFIED moving", "DELETED moving", "ADDED sentinel"]);
    } finally {
      w.close();
    }
  });

  it("sendInitialEvents streams the current objects, then a bookmark marking their end", async () => {
    await api("POST", "/api/v1/namespaces/default/configmaps", cm("initial-a", { set: "i" }));
    await api("POST", "/api/v1/namespaces/default/configmaps", cm("initial-b", { set: "i" }));
    const w = openWatch(t, "/api/v1/namespaces/default/configmaps?watch=1&labelSelector=set%3Di&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true");
    try {
      const events = await w.until(3);
      assert.deepEqual(events.slice(0, 2).map((e) => `${e.type} ${e.object.metadata.name}`), ["ADDED initial-a", "ADDED initial-b"]);
      assert.equal(events[2]!.type, "BOOKMARK");
      assert.equal(events[2]!.object.metadata.annotations?.["k8s.io/initial-events-end"], "true");
      assert.ok(Number(events[2]!.object.metadata.resourceVersion) >= Number(events[1]!.object.metadata.resourceVersion));
    } finally {
      w.close();
    }
    const bad = await api("GET", "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true");
    assert.equal(bad.status, 422);
  });

  it("serves watches over WebSocket, authenticated by the bearer subprotocol", async () => {
    const token = Buffer.from(t.server.adminToken).toString("base64url");
    const ws = new WebSocket(`${t.server.url.replace("https", "wss")}/api/v1/namespaces/default/configmaps?watch=1&labelSelector=ws%3Dyes`, [`base64url.bearer.authorization.k8s.io.${token}`], { ca: t.server.caPem });
    const messages: Event[] = [];
    ws.on("message", (data: Buffer) => messages.push(JSON.parse(data.toString())));
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      await api("POST", "/api/v1/namespaces/default/configmaps", cm("over-ws", { ws: "yes" }));
      const deadline = Date.now() + 10_000;
      while (messages.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(messages.map((m) => `${m.type} ${m.object.metadata.name}`), ["ADDED over-ws"]);
    } finally {
      ws.close();
    }
    const denied = new WebSocket(`${t.server.url.replace("https", "wss")}/api/v1/namespaces/default/configmaps?watch=1`, { ca: t.server.caPem });
    const status = await new Promise<number>((resolve) => denied.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 401);
  });

  it("lists at an exact older resourceVersion, and dryRun changes nothing", async () => {
    const first = await api("POST", "/api/v1/namespaces/default/configmaps", cm("exact", { v: "1" }));
    await api("PATCH", "/api/v1/namespaces/default/configmaps/exact", { metadata: { labels: { v: "2" } } }, { "content-type": "application/merge-patch+json" });
    const old = await api("GET", `/api/v1/namespaces/default/configmaps?resourceVersionMatch=Exact&resourceVersion=${first.json.metadata.resourceVersion}&fieldSelector=metadata.name%3Dexact`);
    assert.equal(old.status, 200);
    assert.equal(old.json.items[0].metadata.labels.v, "1");
    assert.equal(old.json.metadata.resourceVersion, first.json.metadata.resourceVersion);
    const dry = await api("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", cm("dry", {}));
    assert.equal(dry.status, 201);
    assert.equal((await api("GET", "/api/v1/namespaces/default/configmaps/dry")).status, 404);
    assert.equal((await api("DELETE", "/api/v1/namespaces/default/configmaps/exact?dryRun=All")).status, 200);
    assert.equal((await api("GET", "/api/v1/namespaces/default/configmaps/exact")).status, 200);
  });

  it("deletes a pod on a node gracefully and an unbound pod at once", async () => {
    const pod = (name: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "c", image: "busybox" }], terminationGracePeriodSeconds: 20 } });
    assert.equal((await api("POST", "/api/v1/namespaces/default/pods", pod("unbound"))).status, 201);
    assert.equal((await api("DELETE", "/api/v1/namespaces/default/pods/unbound")).status, 200);
    assert.equal((await api("GET", "/api/v1/namespaces/default/pods/unbound")).status, 404);

    assert.equal((await api("POST", "/api/v1/namespaces/default/pods", pod("bound"))).status, 201);
    const bind = await api("POST", "/api/v1/namespaces/default/pods/bound/binding", { apiVersion: "v1", kind: "Binding", metadata: { name: "bound" }, target: { kind: "Node", name: "node-1" } });
    assert.equal(bind.status, 201);
    const again = await api("POST", "/api/v1/namespaces/default/pods/bound/binding", { apiVersion: "v1", kind: "Binding", metadata: { name: "bound" }, target: { kind: "Node", name: "node-2" } });
    assert.equal(again.status, 409);
    const bound = await api("GET", "/api/v1/namespaces/default/pods/bound");
    assert.equal(bound.json.spec.nodeName, "node-1");
    assert.ok(bound.json.status.conditions.some((c: { type: string; status: string }) => c.type === "PodScheduled" && c.status === "True"));
    const graceful = await api("DELETE", "/api/v1/namespaces/default/pods/bound");
    assert.equal(graceful.status, 200);
    assert.equal(graceful.json.metadata.deletionGracePeriodSeconds, 20);
    assert.ok(graceful.json.metadata.deletionTimestamp);
    assert.equal((await api("GET", "/api/v1/namespaces/default/pods/bound")).status, 200, "still there while the kubelet stops it");
    assert.equal((await api("DELETE", "/api/v1/namespaces/default/pods/bound", { gracePeriodSeconds: 0 })).status, 200);
    assert.equal((await api("GET", "/api/v1/namespaces/default/pods/bound")).status, 404);
  });
});
