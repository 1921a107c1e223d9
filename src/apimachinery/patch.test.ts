// JSON patch (RFC 6902) and JSON merge patch (RFC 7386) as the API server applies them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyJsonPatch, applyMergePatch } from "./patch.ts";
import { assertStatus } from "../testing/status.ts";


const pod = () => ({
  apiVersion: "v1", kind: "Pod", metadata: { name: "web", labels: { app: "web" } },
  spec: { containers: [{ name: "a", image: "nginx" }, { name: "b", image: "redis" }] },
});

// ---- JSON patch (RFC 6902) ----

test("JSON patch: add, replace, remove, move, copy, test", () => {
  const doc = pod();
  const out = applyJsonPatch(doc, [
    { op: "test", path: "/metadata/name", value: "web" },
    { op: "replace", path: "/spec/containers/0/image", value: "nginx:2" },
    { op: "add", path: "/metadata/labels/tier", value: "front" },
    { op: "add", path: "/spec/containers/-", value: { name: "c", image: "busybox" } },
    { op: "remove", path: "/spec/containers/1" },
    { op: "copy", from: "/metadata/labels/app", path: "/metadata/labels/copy" },
    { op: "move", from: "/metadata/labels/tier", path: "/metadata/labels/moved" },
    { op: "add", path: "/metadata/annotations", value: { "a~b/c": "1" } },
    { op: "test", path: "/metadata/annotations/a~0b~1c", value: "1" },
  ]);
  assert.deepEqual(out, {
    apiVersion: "v1", kind: "Pod",
    metadata: { name: "web", labels: { app: "web", copy: "web", moved: "front" }, annotations: { "a~b/c": "1" } },
    spec: { containers: [{ name: "a", image: "nginx:2" }, { name: "c", image: "busybox" }] },
  });
  assert.deepEqual(doc, pod(), "input document must not be mutated");
});

test("JSON patch: neither the document nor the operations are shared with the result", () => {
  const value = { name: "c", image: "busybox" };
  const ops = [{ op: "add", path: "/spec/containers/-", value }];
  const out = applyJsonPatch(pod(), ops) as { spec: { containers: Array<{ image: string }> } };
  out.spec.containers[2]!.image = "changed";
  assert.equal(value.image, "busybox");
});

test("JSON patch: a failed test is a 422 with json-patch's message", () => {
  assertStatus(() => applyJsonPatch(pod(), [{ op: "test", path: "/metadata/name", value: "other" }]), 422, "Invalid", "testing value /metadata/name failed: test failed");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "test", path: "/spec/containers", value: [] }]), 422, "Invalid", "testing value /spec/containers failed: test failed");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "test", path: "/nope/deeper", value: 1 }]), 422, "Invalid", "test operation does not apply: is missing path: /nope/deeper: missing value");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "test", path: "/spec/containers/9", value: 1 }]), 422, "Invalid", /Unable to access invalid index: 9/);
  // as in Kubernetes' json-patch, a null value matches a missing key, and a missing value means null
  applyJsonPatch(pod(), [{ op: "test", path: "/metadata/missing", value: null }]);
  applyJsonPatch(pod(), [{ op: "test", path: "/metadata/missing" }]);
  applyJsonPatch(pod(), [{ op: "test", path: "", value: pod() }]);
});

test("JSON patch: missing paths and bad indexes are 422s, never crashes", () => {
  assertStatus(() => applyJsonPatch(pod(), [{ op: "replace", path: "/spec/replicas", value: 3 }]), 422, "Invalid", "replace operation does not apply: doc is missing key: /spec/replicas: missing value");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "replace", path: "/nope/x", value: 3 }]), 422, "Invalid", "replace operation does not apply: doc is missing path: \"/nope/x\": missing value");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "remove", path: "/metadata/nope" }]), 422, "Invalid", "error in remove for path: '/metadata/nope': Unable to remove nonexistent key: nope: missing value");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "add", path: "/a/b/c", value: 1 }]), 422, "Invalid", "add operation does not apply: doc is missing path: \"/a/b/c\": missing value");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "add", path: "/spec/containers/5", value: {} }]), 422, "Invalid", "error in add for path: '/spec/containers/5': Unable to access invalid index: 5: invalid index referenced");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "remove", path: "/spec/containers/x" }]), 422, "Invalid");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "move", from: "/nope", path: "/x" }]), 422, "Invalid", "move operation does not apply: doc is missing from path: /nope: missing value");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "copy", path: "/x" }]), 422, "Invalid", /copy operation failed to decode from/);
  assertStatus(() => applyJsonPatch(pod(), [{ op: "bogus", path: "/x" }]), 422, "Invalid", "Unexpected kind: bogus");
  assertStatus(() => applyJsonPatch(pod(), [{ path: "/x", value: 1 }]), 422, "Invalid", "Unexpected kind: unknown");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "_get", path: "/kind", value: 1 }]), 422, "Invalid", "Unexpected kind: _get");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "add", value: 1 }]), 422, "Invalid", /missing path field/);
  assertStatus(() => applyJsonPatch(pod(), [{ op: "add", path: "x", value: 1 }]), 422, "Invalid");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "test", path: "kind", value: "Pod" }]), 422, "Invalid", "test operation does not apply: is missing path: kind: missing value");
  assertStatus(() => applyJsonPatch(pod(), [{ op: "replace", path: "", value: [1] }]), 422, "Invalid", "the patched document is not a JSON object");
});

test("JSON patch: later operations see earlier ones; a failure leaves the input untouched", () => {
  const doc = pod();
  assertStatus(() => applyJsonPatch(doc, [{ op: "remove", path: "/metadata/labels" }, { op: "test", path: "/metadata/labels", value: null }, { op: "remove", path: "/nope" }]), 422, "Invalid");
  assert.deepEqual(doc, pod());
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: "add", path: "/b" }]), { a: 1, b: null });
});

test("JSON patch: prototype pollution is refused", () => {
  assertStatus(() => applyJsonPatch({}, [{ op: "add", path: "/__proto__/polluted", value: true }]), 422, "Invalid");
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("JSON patch: malformed bodies are 400, too many operations 413", () => {
  assertStatus(() => applyJsonPatch(pod(), { op: "add" }), 400, "BadRequest", /cannot unmarshal object/);
  assertStatus(() => applyJsonPatch(pod(), ["add"]), 400, "BadRequest", /cannot unmarshal string into Go value of type jsonpatch.Operation/);
  const many = Array.from({ length: 10001 }, () => ({ op: "test", path: "/kind", value: "Pod" }));
  assertStatus(() => applyJsonPatch(pod(), many), 413, "RequestEntityTooLarge", "The allowed maximum operations in a JSON patch is 10000, got 10001");
  assert.equal(applyJsonPatch(pod(), many.slice(0, 10000)).kind, "Pod");
});

// ---- JSON merge patch (RFC 7386) ----

test("merge patch: RFC 7386 appendix A examples", () => {
  const cases: Array<[object, unknown, object]> = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [doc, patch, expected] of cases) {
    const before = structuredClone(doc);
    assert.deepEqual(applyMergePatch(doc, patch), expected, JSON.stringify([doc, patch]));
    assert.deepEqual(doc, before);
  }
});

test("merge patch: the kubectl patch docs example replaces the whole containers list", () => {
  const deployment = { spec: { template: { spec: { containers: [{ name: "patch-demo-ctr", image: "nginx" }, { name: "patch-demo-ctr-2", image: "redis" }] } } } };
  const patch = { spec: { template: { spec: { containers: [{ name: "patch-demo-ctr-3", image: "gcr.io/google-samples/hello-app:2.0" }] } } } };
  assert.deepEqual(applyMergePatch(deployment, patch), patch);
});

test("merge patch: a __proto__ key in the body never re-parents objects", () => {
  const out = applyMergePatch({ a: {} }, JSON.parse('{"__proto__": {"polluted": true}, "a": {"__proto__": {"x": 1}, "b": {"__proto__": {"y": 1}}}}'));
  assert.deepEqual(out, { a: { b: {} } });
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal((out as Record<string, unknown>).polluted, undefined);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("merge patch: bad patches", () => {
  assertStatus(() => applyMergePatch({}, null), 400, "BadRequest", "Invalid JSON Patch");
  assertStatus(() => applyMergePatch({}, "x"), 400, "BadRequest", "Invalid JSON Patch");
  assertStatus(() => applyMergePatch({}, [1]), 422, "Invalid");
  assertStatus(() => applyMergePatch([] as unknown as object, {}), 400, "BadRequest", "Invalid JSON Document");
});
