// Server-side apply and update tracking, against Kubernetes' behaviour (structured-merge-diff):
// ownership, conflicts, pruning, list merging, managedFields bookkeeping.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../apimachinery/object.ts";
import { StatusError } from "../../apimachinery/status.ts";
import { applyConfiguration, LAST_APPLIED_ANNOTATION, resetFieldsFor, trackUpdate } from "./fieldmanager.ts";
import type { ApplyOptions } from "./fieldmanager.ts";

const T0 = new Date("2024-05-01T10:00:00Z");
const T1 = new Date("2024-05-01T11:00:00Z");

type Obj = KubeObject & Record<string, any>;

function cm(data: Record<string, string> | undefined, extra: Record<string, unknown> = {}): Obj {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "default", ...extra }, ...(data ? { data } : {}) };
}

function apply(live: Obj | null, config: Obj, manager: string, o: Partial<ApplyOptions> = {}): Obj {
  return applyConfiguration(live, config, { manager, force: false, apiVersion: config.apiVersion!, kind: config.kind!, now: T0, ...o }) as Obj;
}

/** A stored object: what the registry adds on create. */
function stored(obj: Obj): Obj {
  return { ...obj, metadata: { ...obj.metadata, uid: "uid-1", creationTimestamp: "2024-05-01T09:00:00Z" } };
}

function fields(obj: Obj, manager: string, operation = "Apply"): unknown {
  return obj.metadata?.managedFields?.find((m) => m.manager === manager && m.operation === operation)?.fieldsV1;
}

function conflictOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    return err;
  }
  assert.fail("expected a conflict");
}

test("apply creates the object and records the manager's Apply entry", () => {
  const obj = apply(null, cm({ a: "1" }, { labels: { app: "x" } }), "mgr");
  assert.deepEqual(obj.data, { a: "1" });
  assert.deepEqual(obj.metadata!.managedFields, [{
    manager: "mgr", operation: "Apply", apiVersion: "v1", time: "2024-05-01T10:00:00Z", fieldsType: "FieldsV1",
    fieldsV1: { "f:data": { "f:a": {} }, "f:metadata": { "f:labels": { "f:app": {} } } },
  }]);
});

test("applying the same configuration twice changes nothing (not even the time)", () => {
  const first = stored(apply(null, cm({ a: "1" }), "mgr"));
  const second = apply(first, cm({ a: "1" }), "mgr", { now: T1 });
  assert.deepEqual(second, first);
});

test("two managers applying different fields both own theirs", () => {
  const a = stored(apply(null, cm({ a: "1" }), "alice"));
  const b = apply(a, cm({ b: "2" }), "bob");
  assert.deepEqual(b.data, { a: "1", b: "2" });
  assert.deepEqual(fields(b, "alice"), { "f:data": { "f:a": {} } });
  assert.deepEqual(fields(b, "bob"), { "f:data": { "f:b": {} } });
});

test("a different value for a field another manager owns is a 409 conflict; the same value is shared", () => {
  const a = stored(apply(null, cm({ a: "1", b: "2" }), "alice"));
  const err = conflictOf(() => apply(a, cm({ a: "changed" }), "bob"));
  assert.equal(err.code, 409);
  assert.equal(err.reason, "Conflict");
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "alice": .data.a');
  assert.deepEqual(err.status.details, { causes: [{ reason: "FieldManagerConflict", message: 'conflict with "alice"', field: ".data.a" }] });

  const two = conflictOf(() => apply(a, cm({ a: "x", b: "y" }), "bob"));
  assert.equal(two.message, 'Apply failed with 2 conflicts: conflicts with "alice":\n- .data.a\n- .data.b');

  const shared = apply(a, cm({ a: "1" }), "bob");
  assert.deepEqual(fields(shared, "alice"), { "f:data": { "f:a": {}, "f:b": {} } });
  assert.deepEqual(fields(shared, "bob"), { "f:data": { "f:a": {} } });
});

test("conflicts with Update managers name the apiVersion; force takes the field over", () => {
  const created = stored(cm({ key: "v1" }));
  created.metadata!.managedFields = trackUpdate(null, created, { manager: "kubectl-client-side-apply", now: T0 });
  const err = conflictOf(() => apply(created, cm({ key: "v2" }), "ssa"));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.key');
  assert.equal(err.status.details!.causes![0].message, 'conflict with "kubectl-client-side-apply" using v1');

  const forced = apply(created, cm({ key: "v2" }), "ssa", { force: true, now: T1 });
  assert.equal(forced.data.key, "v2");
  assert.deepEqual(fields(forced, "ssa"), { "f:data": { "f:key": {} } });
  // The map itself stays with its creator: a member without children is written `{}`.
  assert.deepEqual(fields(forced, "kubectl-client-side-apply", "Update"), { "f:data": {} });
});

test("a field the manager stops applying is removed, unless another manager owns it too", () => {
  const a = stored(apply(null, cm({ a: "1", b: "2", c: "3" }), "alice"));
  const shared = stored(apply(a, cm({ c: "3" }), "bob"));
  const pruned = apply(shared, cm({ a: "1" }), "alice");
  assert.deepEqual(pruned.data, { a: "1", c: "3" });
  assert.deepEqual(fields(pruned, "alice"), { "f:data": { "f:a": {} } });
  // Removing everything the manager applied drops its entry and the emptied map.
  const gone = apply(stored(apply(null, cm({ a: "1" }), "alice")), cm(undefined), "alice");
  assert.equal(gone.data, undefined);
  assert.equal(gone.metadata!.managedFields, undefined);
});

const deployment = (containers: unknown[], extra: Record<string, unknown> = {}): Obj => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" },
  spec: { ...extra, template: { spec: { containers } } },
});

test("containers merge by name; each applier owns its container; removal takes only its own", () => {
  const a = stored(apply(null, deployment([{ name: "nginx", image: "nginx:1", ports: [{ containerPort: 80 }] }], { selector: { matchLabels: { app: "web" } } }), "alice"));
  assert.deepEqual(fields(a, "alice"), {
    "f:spec": {
      "f:selector": {},
      "f:template": { "f:spec": { "f:containers": { 'k:{"name":"nginx"}': { ".": {}, "f:image": {}, "f:name": {}, "f:ports": { 'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} } } } } } },
    },
  });
  const b = stored(apply(a, deployment([{ name: "sidecar", image: "busybox" }]), "bob"));
  assert.deepEqual(b.spec.template.spec.containers.map((c: { name: string }) => c.name), ["nginx", "sidecar"]);
  assert.deepEqual(b.spec.selector, { matchLabels: { app: "web" } });
  const err = conflictOf(() => apply(b, deployment([{ name: "nginx", image: "nginx:2" }]), "bob"));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "alice": .spec.template.spec.containers[name="nginx"].image');
  const dropped = apply(b, deployment([]), "bob");
  assert.deepEqual(dropped.spec.template.spec.containers.map((c: { name: string }) => c.name), ["nginx"]);
});

test("atomic values are replaced whole, granular maps merge per key", () => {
  const a = stored(apply(null, deployment([{ name: "c", image: "i" }], { selector: { matchLabels: { app: "web", tier: "fe" } } }), "alice"));
  const b = apply(a, deployment([{ name: "c", image: "i" }], { selector: { matchLabels: { app: "web" } } }), "alice");
  assert.deepEqual(b.spec.selector, { matchLabels: { app: "web" } });
  const labels = stored(apply(null, cm(undefined, { labels: { a: "1" } }), "alice"));
  const merged = apply(labels, cm(undefined, { labels: { b: "2" } }), "bob");
  assert.deepEqual(merged.metadata!.labels, { a: "1", b: "2" });
});

test("sets (finalizers) merge by value", () => {
  const a = stored(apply(null, cm(undefined, { finalizers: ["x/a"] }), "alice"));
  const b = apply(a, cm(undefined, { finalizers: ["x/b"] }), "bob");
  assert.deepEqual(b.metadata!.finalizers, ["x/a", "x/b"]);
  assert.deepEqual(fields(b, "bob"), { "f:metadata": { "f:finalizers": { 'v:"x/b"': {} } } });
});

test("invalid configurations are 400s in Kubernetes' words", () => {
  const dup = () => apply(null, deployment([{ name: "a" }, { name: "a" }]), "m", { objectName: "default/web" });
  assert.throws(dup, (e: StatusError) => e.code === 400 && e.message === 'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]');
  assert.throws(() => apply(null, { ...cm({}), datta: { a: "b" } }, "m"), (e: StatusError) => e.code === 400 && /\.datta: field not declared in schema/.test(e.message));
  assert.throws(() => apply(null, { ...cm({}), data: "x" } as Obj, "m"), (e: StatusError) => e.code === 400 && /\.data: expected map/.test(e.message));
  assert.throws(() => apply(null, cm({}), "m", { kind: "Secret" }), (e: StatusError) => e.code === 400 && e.message === "invalid object type: /v1, Kind=ConfigMap");
  assert.throws(() => apply(null, cm({}, { managedFields: [] }), "m"), (e: StatusError) => e.code === 400 && e.message === "metadata.managedFields must be nil");
});

test("status is not applied through the main resource of a kind with a status subresource", () => {
  const pod: Obj = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec: { containers: [{ name: "c", image: "i" }] }, status: { phase: "Running" } };
  const obj = apply(null, pod, "m", { resetFields: resetFieldsFor("v1", "Pod", true, "") });
  assert.equal((fields(obj, "m") as Record<string, unknown>)["f:status"], undefined);
  assert.deepEqual(Object.keys(resetFieldsFor("v1", "Pod", true, "status").toFieldsV1()), ["f:spec"]);
});

test("kubectl's own manager takes over fields unchanged since the client-side apply, and refreshes last-applied", () => {
  const lastApplied = JSON.stringify({ apiVersion: "v1", data: { key: "v1" }, kind: "ConfigMap", metadata: { name: "cm", namespace: "default" } });
  const live = stored(cm({ key: "v1" }, { annotations: { [LAST_APPLIED_ANNOTATION]: lastApplied } }));
  live.metadata!.managedFields = trackUpdate(null, live, { manager: "kubectl-client-side-apply", now: T0 });
  const migrated = apply(live, cm({ key: "v2" }), "kubectl");
  assert.equal(migrated.data.key, "v2");
  assert.equal(migrated.metadata!.annotations![LAST_APPLIED_ANNOTATION], '{"apiVersion":"v1","data":{"key":"v2"},"kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"}}\n');
  // Another manager gets the conflict.
  assert.equal(conflictOf(() => apply(live, cm({ key: "v2" }), "other")).message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.key');
  // A field changed since the client-side apply (drifted from last-applied) still conflicts for kubectl.
  const drifted = stored(cm({ key: "edited" }, { annotations: { [LAST_APPLIED_ANNOTATION]: lastApplied } }));
  drifted.metadata!.managedFields = trackUpdate(null, drifted, { manager: "kubectl-edit", now: T0 });
  assert.match(conflictOf(() => apply(drifted, cm({ key: "v2" }), "kubectl")).message, /conflict with "kubectl-edit" using v1: \.data\.key/);
});

test("applying to an object without managedFields first gives its fields to before-first-apply", () => {
  const obj = apply(stored(cm({ a: "1" })), cm({ b: "2" }), "m");
  assert.deepEqual(fields(obj, "before-first-apply", "Update"), { "f:data": { ".": {}, "f:a": {} } });
  assert.deepEqual(obj.data, { a: "1", b: "2" });
});

test("trackUpdate: a create owns what it set, with '.' for maps and items it added", () => {
  const dep: Obj = {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", labels: { app: "web" } },
    spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image: "nginx" }] } } },
  };
  assert.deepEqual(trackUpdate(null, dep, { manager: "kubectl-create", now: T0 }), [{
    manager: "kubectl-create", operation: "Update", apiVersion: "apps/v1", time: "2024-05-01T10:00:00Z", fieldsType: "FieldsV1",
    fieldsV1: {
      "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
      "f:spec": {
        "f:replicas": {}, "f:selector": {},
        "f:strategy": { "f:rollingUpdate": { ".": {}, "f:maxSurge": {} }, "f:type": {} },
        "f:template": { "f:metadata": { "f:labels": { ".": {}, "f:app": {} } }, "f:spec": { "f:containers": { 'k:{"name":"nginx"}': { ".": {}, "f:image": {}, "f:name": {} } } } },
      },
    },
  }]);
});

test("trackUpdate: an update takes the fields it changes from other managers and bumps only its own time", () => {
  const a = stored(apply(null, cm({ a: "1", b: "2" }), "alice"));
  const next = structuredClone(a);
  next.data.a = "edited";
  const mf = trackUpdate(a, next, { manager: "kubectl-edit", now: T1 })!;
  assert.deepEqual(mf.map((m) => [m.manager, m.operation, m.time, m.fieldsV1]), [
    ["alice", "Apply", "2024-05-01T10:00:00Z", { "f:data": { "f:b": {} } }],
    ["kubectl-edit", "Update", "2024-05-01T11:00:00Z", { "f:data": { "f:a": {} } }],
  ]);
  // A no-op update records nothing.
  assert.deepEqual(trackUpdate(a, structuredClone(a), { manager: "kubectl-edit", now: T1 }), a.metadata!.managedFields);
  // Removing a field removes it from its owners.
  const removed = structuredClone(a);
  delete removed.data.b;
  assert.deepEqual(trackUpdate(a, removed, { manager: "x", now: T1 })!.map((m) => m.fieldsV1), [{ "f:data": { "f:a": {} } }]);
});

test("trackUpdate: client-sent managedFields are honoured when valid, reset by [], replaced when invalid", () => {
  const a = stored(apply(null, cm({ a: "1" }), "alice"));
  const valid = structuredClone(a);
  valid.metadata!.managedFields = [{ manager: "someone", operation: "Update", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:a": {} } } }];
  assert.deepEqual(trackUpdate(a, valid, { manager: "x", now: T1 })!.map((m) => m.manager), ["someone"]);
  const reset = structuredClone(a);
  reset.metadata!.managedFields = [];
  assert.equal(trackUpdate(a, reset, { manager: "x", now: T1 }), undefined);
  for (const garbage of [[{ manager: "m", operation: "Nope", apiVersion: "v1", fieldsType: "FieldsV1" }], [{ operation: "Update", apiVersion: "v1", fieldsType: "FieldsV2" }], "junk", [{ operation: "Apply", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:a": 1 } }]]) {
    const bad = structuredClone(a) as Obj;
    bad.metadata!.managedFields = garbage as never;
    assert.deepEqual(trackUpdate(a, bad, { manager: "x", now: T1 }), a.metadata!.managedFields, JSON.stringify(garbage));
  }
  // An existing object that never had managedFields stays untracked by updates (as in Kubernetes).
  assert.equal(trackUpdate(stored(cm({ a: "1" })), stored(cm({ a: "2" })), { manager: "x", now: T1 }), undefined);
});

test("trackUpdate: status writes are separate entries; at most ten Update managers are kept", () => {
  const pod: Obj = stored({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "i" }] } });
  pod.metadata!.managedFields = trackUpdate(null, pod, { manager: "kubectl-run", now: T0 });
  const withStatus = { ...structuredClone(pod), status: { phase: "Running" } };
  const mf = trackUpdate(pod, withStatus, { manager: "kubelet", subresource: "status", now: T1 })!;
  assert.deepEqual(mf.find((m) => m.manager === "kubelet"), { manager: "kubelet", operation: "Update", apiVersion: "v1", time: "2024-05-01T11:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:status": { ".": {}, "f:phase": {} } }, subresource: "status" });

  let obj = stored(cm({}));
  obj.metadata!.managedFields = trackUpdate(null, obj, { manager: "creator", now: T0 });
  for (let i = 0; i < 12; i++) {
    const next = structuredClone(obj);
    next.data[`k${i}`] = "v";
    next.metadata!.managedFields = trackUpdate(obj, next, { manager: `writer-${i}`, now: new Date(T0.getTime() + i * 1000) });
    obj = next;
  }
  const managers = obj.metadata!.managedFields!.map((m) => m.manager);
  assert.equal(managers.length, 10);
  assert.equal(managers[0], "ancient-changes");
  // The creator (oldest) and the three oldest writers were folded together.
  assert.deepEqual(obj.metadata!.managedFields![0].fieldsV1, { "f:data": { ".": {}, "f:k0": {}, "f:k1": {}, "f:k2": {} } });
});
