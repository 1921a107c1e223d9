// The API's error paths over HTTPS, as Kubernetes answers them: 401, 404, 409 (conflict and
// already exists), 422 with field causes, 400 for bad bodies, 413, 410 for a too-old watch or
// continue token, and 415 for an unknown content type.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestApiServer, apiRequest } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";

describe("API errors", () => {
  let t: TestApiServer;
  const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => apiRequest(t.server, method, path, body, headers);
  const cm = (name: string, data: Record<string, string> = { a: "1" }) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });

  before(async () => {
    t = await startTestApiServer();
  });
  after(async () => {
    await t.close();
  });

  const assertStatus = (r: { status: number; json: { kind?: string; code?: number; reason?: string } }, code: number, reason: string) => {
    assert.equal(r.status, code);
    assert.equal(r.json.kind, "Status");
    assert.equal(r.json.code, code);
    assert.equal(r.json.reason, reason);
  };

  it("401 without credentials or with a wrong token; public paths stay open", async () => {
    assertStatus(await api("GET", "/api/v1/namespaces", undefined, { authorization: "" }), 401, "Unauthorized");
    assertStatus(await api("GET", "/api/v1/namespaces", undefined, { authorization: "Bearer wrong" }), 401, "Unauthorized");
    assert.equal((await api("GET", "/readyz", undefined, { authorization: "" })).body, "ok");
    assert.equal((await api("GET", "/version", undefined, { authorization: "" })).json.gitVersion.startsWith("v1.32"), true);
  });

  it("404 for a missing object, namespace or resource", async () => {
    const r = await api("GET", "/api/v1/namespaces/default/configmaps/missing");
    assertStatus(r, 404, "NotFound");
    assert.equal(r.json.message, 'configmaps "missing" not found');
    assert.deepEqual(r.json.details, { name: "missing", kind: "configmaps" });
    assertStatus(await api("POST", "/api/v1/namespaces/nowhere/configmaps", cm("x")), 404, "NotFound");
    assertStatus(await api("GET", "/api/v1/widgets"), 404, "NotFound");
  });

  it("409 AlreadyExists, and 409 Conflict on a stale resourceVersion", async () => {
    const created = await api("POST", "/api/v1/namespaces/default/configmaps", cm("c1"));
    assert.equal(created.status, 201);
    const dup = await api("POST", "/api/v1/namespaces/default/configmaps", cm("c1"));
    assertStatus(dup, 409, "AlreadyExists");
    assert.equal(dup.json.message, 'configmaps "c1" already exists');
    const updated = await api("PUT", "/api/v1/namespaces/default/configmaps/c1", { ...created.json, data: { a: "2" } });
    assert.equal(updated.status, 200);
    assert.notEqual(updated.json.metadata.resourceVersion, created.json.metadata.resourceVersion);
    const stale = await api("PUT", "/api/v1/namespaces/default/configmaps/c1", { ...created.json, data: { a: "3" } });
    assertStatus(stale, 409, "Conflict");
    assert.match(stale.json.message, /the object has been modified; please apply your changes to the latest version and try again/);
    const stalePatch = await api("PATCH", "/api/v1/namespaces/default/configmaps/c1", { metadata: { resourceVersion: created.json.metadata.resourceVersion }, data: { a: "4" } }, { "content-type": "application/merge-patch+json" });
    assertStatus(stalePatch, 409, "Conflict");
    assert.equal((await api("GET", "/api/v1/namespaces/default/configmaps/c1")).json.data.a, "2");
  });

  it("422 Invalid with field causes", async () => {
    const r = await api("POST", "/api/v1/namespaces/default/configmaps", { ...cm("Bad_Name"), data: { "bad key!": "x" } });
    assertStatus(r, 422, "Invalid");
    const fields = r.json.details.causes.map((c: { field: string }) => c.field).sort();
    assert.deepEqual(fields, ["data[bad key!]", "metadata.name"]);
    assert.equal(r.json.details.kind, "ConfigMap");
    assert.match(r.json.message, /^ConfigMap "Bad_Name" is invalid: \[/);
  });

  it("400 for bodies that are not objects, mismatched names and unknown fields in Strict mode", async () => {
    assertStatus(await api("POST", "/api/v1/namespaces/default/configmaps", "{not json"), 400, "BadRequest");
    assertStatus(await api("POST", "/api/v1/namespaces/default/configmaps", "[1,2]"), 400, "BadRequest");
    assertStatus(await api("PUT", "/api/v1/namespaces/default/configmaps/c1", cm("other")), 400, "BadRequest");
    const strict = await api("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", { ...cm("s1"), dataa: { x: "1" } });
    assertStatus(strict, 400, "BadRequest");
    assert.match(strict.json.message, /strict decoding error: unknown field "dataa"/);
    const warn = await api("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Warn", { ...cm("w1"), dataa: { x: "1" } });
    assert.equal(warn.status, 201);
    assert.equal(warn.headers.warning, '299 - "unknown field \\"dataa\\""');
    assert.equal(warn.json.dataa, undefined, "unknown fields are dropped, as typed decoding drops them");
  });

  it("400 for values of the wrong type and absurd nesting, never a 500", async () => {
    const wrongMeta = await api("POST", "/api/v1/namespaces/default/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: "x" });
    assertStatus(wrongMeta, 400, "BadRequest");
    assert.match(wrongMeta.json.message, /ConfigMap in version "v1" cannot be handled as a ConfigMap: metadata: expected object, got string/);
    assertStatus(await api("POST", "/api/v1/namespaces/default/configmaps", { ...cm("f"), metadata: { name: "f", finalizers: "x" } }), 400, "BadRequest");
    assertStatus(await api("POST", "/api/v1/namespaces/default/configmaps", { ...cm("f"), data: { a: 1 } }), 400, "BadRequest");
    const deep = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":${'{"a":'.repeat(5000)}{}${"}".repeat(5000)}}`;
    const nested = await api("POST", "/api/v1/namespaces/default/configmaps", deep);
    assertStatus(nested, 400, "BadRequest");
    assert.match(nested.json.message, /nests deeper than 100 levels/);
    assertStatus(await api("PATCH", "/api/v1/namespaces/default/configmaps/c1", [{ op: "replace", path: "/data", value: ["not", "a", "map"] }], { "content-type": "application/json-patch+json" }), 400, "BadRequest");
    assertStatus(await api("GET", "//"), 404, "NotFound");
    assertStatus(await api("GET", "/api/v1/namespaces/%zz/configmaps"), 400, "BadRequest");
  });

  it("413 for a body over 3 MiB and 415 for an unknown content type", async () => {
    assertStatus(await api("POST", "/api/v1/namespaces/default/configmaps", cm("big", { a: "x".repeat(3.2 * 1024 * 1024) })), 413, "RequestEntityTooLarge");
    assertStatus(await api("POST", "/api/v1/namespaces/default/configmaps", "a=b", { "content-type": "text/plain" }), 415, "UnsupportedMediaType");
  });

  it("410 Gone for a continue token whose revision was compacted, and for a too-old watch", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await api("POST", "/api/v1/namespaces/default/configmaps", cm(`page-${i}`))).status, 201);
    const page = await api("GET", "/api/v1/namespaces/default/configmaps?limit=2");
    assert.ok(page.json.metadata.continue);
    const rv = Number(page.json.metadata.resourceVersion);
    for (let i = 0; i < 3; i++) await api("PUT", "/api/v1/namespaces/default/configmaps/page-0", cm("page-0", { n: String(i) }));
    await t.store.compact(rv + 2);
    const gone = await api("GET", `/api/v1/namespaces/default/configmaps?limit=2&continue=${page.json.metadata.continue}`);
    assertStatus(gone, 410, "Expired");
    assertStatus(await api("GET", "/api/v1/namespaces/default/configmaps?continue=garbage"), 400, "BadRequest");
    assertStatus(await api("GET", "/api/v1/namespaces/default/configmaps?resourceVersion=x"), 400, "BadRequest");
  });

  it("a watch from a resourceVersion older than the watch cache's window gets an ERROR event with 410", async () => {
    const small = await startTestApiServer({ watchCacheCapacity: 3 });
    try {
      const first = await apiRequest(small.server, "POST", "/api/v1/namespaces/default/configmaps", cm("w"));
      for (let i = 0; i < 5; i++) await apiRequest(small.server, "PUT", "/api/v1/namespaces/default/configmaps/w", cm("w", { n: String(i) }));
      const r = await apiRequest(small.server, "GET", `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${first.json.metadata.resourceVersion}`);
      assert.equal(r.status, 200);
      const event = JSON.parse(r.body.trim().split("\n")[0]!);
      assert.equal(event.type, "ERROR");
      assert.equal(event.object.code, 410);
      assert.equal(event.object.reason, "Expired");
      const recent = await apiRequest(small.server, "GET", "/api/v1/namespaces/default/configmaps/w");
      const ok = await apiRequest(small.server, "GET", `/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&resourceVersion=${Number(recent.json.metadata.resourceVersion) - 1}`);
      assert.equal(JSON.parse(ok.body.trim().split("\n")[0]!).type, "MODIFIED");
    } finally {
      await small.close();
    }
  });
});
