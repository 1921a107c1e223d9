// Protobuf responses from a real k8ts API server: a GET, a list and a 404 Status asked for in
// protobuf decode to the same objects as their JSON answers; the real kubectl (whose typed clients
// ask for protobuf first) still creates, gets and describes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { existsSync } from "node:fs";
import { startTestApiServer, apiRequest, KUBECTL } from "../../testing/apiserver.ts";
import type { TestApiServer } from "../../testing/apiserver.ts";
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from "./index.ts";

const PREFER = `${PROTOBUF_CONTENT_TYPE},application/json`;

/** A GET returning the raw bytes (apiRequest reads the body as text, which mangles protobuf). */
function getBytes(t: TestApiServer, path: string, accept: string): Promise<{ status: number; contentType: string; body: Buffer }> {
  const { url, caPem, adminToken } = t.server;
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { ca: caPem, headers: { authorization: `Bearer ${adminToken}`, accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"]), body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("protobuf responses", () => {
  let t: TestApiServer;
  before(async () => {
    t = await startTestApiServer();
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm1", namespace: "default", labels: { app: "x" } }, data: { b: "2", a: "1" } };
    assert.equal((await apiRequest(t.server, "POST", "/api/v1/namespaces/default/configmaps", cm)).status, 201);
    for (const name of ["p1", "p2"]) {
      const pod = { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "c", image: "nginx", resources: { limits: { cpu: "100m" } } }] } };
      assert.equal((await apiRequest(t.server, "POST", "/api/v1/namespaces/default/pods", pod)).status, 201);
    }
  });
  after(async () => {
    await t?.close();
  });

  for (const [what, path, status] of [
    ["a ConfigMap GET", "/api/v1/namespaces/default/configmaps/cm1", 200],
    ["a Pod list", "/api/v1/namespaces/default/pods", 200],
    ["a 404 Status", "/api/v1/namespaces/default/configmaps/missing", 404],
  ] as const) {
    it(`${what} in protobuf decodes to the JSON answer`, async () => {
      const json = await apiRequest(t.server, "GET", path);
      for (const accept of [PREFER, PROTOBUF_CONTENT_TYPE]) {
        const pb = await getBytes(t, path, accept);
        assert.equal(pb.status, status);
        assert.equal(pb.contentType, PROTOBUF_CONTENT_TYPE);
        assert.equal(json.status, status);
        assert.deepEqual(decodeKubernetesProtobuf(pb.body), withKind(json.json));
      }
    });
  }

  it("JSON first, Table, and protobuf-only for a kind without protobuf form", async () => {
    const path = "/api/v1/namespaces/default/configmaps/cm1";
    assert.equal((await getBytes(t, path, `application/json,${PROTOBUF_CONTENT_TYPE}`)).contentType, "application/json");
    const table = await getBytes(t, path, `application/json;as=Table;v=v1;g=meta.k8s.io,${PROTOBUF_CONTENT_TYPE}`);
    assert.equal(JSON.parse(table.body.toString()).kind, "Table");
    const onlyTable = await getBytes(t, path, `${PROTOBUF_CONTENT_TYPE};as=Table;v=v1;g=meta.k8s.io`);
    assert.equal(onlyTable.contentType, "application/json");
    const discovery = await getBytes(t, "/api", PROTOBUF_CONTENT_TYPE);
    assert.equal(discovery.status, 406);
    assert.equal(discovery.contentType, "application/json");
    assert.equal(JSON.parse(discovery.body.toString()).reason, "NotAcceptable");
    assert.equal((await getBytes(t, "/api", PREFER)).contentType, "application/json");
  });

  it("the real kubectl creates, gets and describes with protobuf answers", { skip: existsSync(KUBECTL) ? false : `no kubectl at ${KUBECTL}` }, async () => {
    const created = await t.kubectl(["create", "namespace", "pbns", "-v=8"]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /namespace\/pbns created/);
    // -v=8 logs the request's Content-Type (the protobuf body) and the response's: both protobuf.
    assert.equal(created.stderr.match(/Content-Type: application\/vnd\.kubernetes\.protobuf/g)?.length, 2, created.stderr);
    const got = await t.kubectl(["get", "namespace", "pbns"]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /pbns\s+Active/);
    const described = await t.kubectl(["describe", "configmap", "cm1", "-n", "default"]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /Name:\s+cm1/);
    assert.match(described.stdout, /app=x/);
    const pod = await t.kubectl(["describe", "pod", "p1", "-n", "default", "-v=8"]);
    assert.equal(pod.code, 0, pod.stderr);
    // GETs carry no Content-Type, so each logged one is a protobuf answer (the pod, its events).
    assert.ok((pod.stderr.match(/Content-Type: application\/vnd\.kubernetes\.protobuf/g)?.length ?? 0) >= 2, pod.stderr);
    assert.match(pod.stdout, /cpu:\s+100m/);
    const missing = await t.kubectl(["describe", "configmap", "nope", "-n", "default"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /configmaps "nope" not found/);
  });
});

/**
 * The JSON answer as the protobuf form carries it: list items have no apiVersion/kind (Go's typed
 * items have an empty TypeMeta, which is not in the message), a Status's empty `metadata` is not sent.
 */
function withKind(v: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(v.items)) {
    return { ...v, items: v.items.map((item: Record<string, unknown>) => {
      const { apiVersion: _a, kind: _k, ...rest } = item;
      return rest;
    }) };
  }
  if (v.kind === "Status" && typeof v.metadata === "object" && v.metadata !== null && Object.keys(v.metadata).length === 0) {
    const { metadata: _empty, ...rest } = v;
    return rest;
  }
  return v;
}
