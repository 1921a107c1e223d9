// Server-side apply end to end with the real kubectl: field ownership in managedFields, conflicts
// as kubectl prints them, --force-conflicts, pruning, list merging by key, the upgrade from
// client-side apply, and the Update entries other writes record.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  time?: string;
}

const configMap = (name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ssa\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"\n`).join("")}`;

const deployment = (containers: { name: string; image: string }[]) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ssa
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
${containers.map((c) => `      - name: ${c.name}\n        image: ${c.image}\n`).join("")}`;

describe("server-side apply with kubectl", () => {
  let t: TestApiServer;
  const ok = async (args: string[], input?: string) => {
    const r = await t.kubectl(args, { input });
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };
  const ssa = (manager: string, doc: string, ...flags: string[]) => t.kubectl(["apply", "--server-side", `--field-manager=${manager}`, ...flags, "-f", "-"], { input: doc });
  const getJson = async (...args: string[]) => JSON.parse(await ok(["get", ...args, "-n", "ssa", "-o", "json", "--show-managed-fields"]));
  const entry = (obj: { metadata: { managedFields?: Entry[] } }, manager: string, operation = "Apply") =>
    obj.metadata.managedFields?.find((m) => m.manager === manager && m.operation === operation);

  before(async () => {
    t = await startTestApiServer();
    await ok(["create", "namespace", "ssa"]);
  });
  after(async () => {
    await t?.close();
  });

  it("applying the same configuration twice changes nothing", async () => {
    const doc = configMap("twice", { a: "1" });
    assert.equal((await ssa("alice", doc)).stdout, "configmap/twice serverside-applied\n");
    const first = await getJson("cm", "twice");
    assert.deepEqual(first.metadata.managedFields, [{
      apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:a": {} } }, manager: "alice", operation: "Apply", time: first.metadata.managedFields[0].time,
    }]);
    assert.equal((await ssa("alice", doc)).stdout, "configmap/twice serverside-applied\n");
    const second = await getJson("cm", "twice");
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion, "no write happened");
    assert.deepEqual(second, first);
  });

  it("two managers applying different fields both own theirs", async () => {
    assert.equal((await ssa("alice", configMap("shared", { a: "1" }))).code, 0);
    assert.equal((await ssa("bob", configMap("shared", { b: "2" }))).code, 0);
    const cm = await getJson("cm", "shared");
    assert.deepEqual(cm.data, { a: "1", b: "2" });
    assert.deepEqual(entry(cm, "alice")?.fieldsV1, { "f:data": { "f:a": {} } });
    assert.deepEqual(entry(cm, "bob")?.fieldsV1, { "f:data": { "f:b": {} } });
  });

  it("a conflicting value fails with kubectl's conflict message; --force-conflicts takes ownership", async () => {
    const r = await ssa("bob", configMap("shared", { a: "changed" }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: Apply failed with 1 conflict: conflict with "alice": \.data\.a\n/);
    assert.match(r.stderr, /--force-conflicts/);
    assert.equal((await getJson("cm", "shared")).data.a, "1", "nothing was written");

    // The same value is shared ownership, not a conflict.
    assert.equal((await ssa("carol", configMap("shared", { a: "1" }))).code, 0);

    const forced = await ssa("bob", configMap("shared", { a: "changed" }), "--force-conflicts");
    assert.equal(forced.code, 0, forced.stderr);
    const cm = await getJson("cm", "shared");
    assert.equal(cm.data.a, "changed");
    assert.deepEqual(entry(cm, "bob")?.fieldsV1, { "f:data": { "f:a": {} } });
    assert.equal(entry(cm, "alice"), undefined, "alice owned nothing else and is gone");
    assert.equal(entry(cm, "carol"), undefined);
  });

  it("a field removed from the configuration is removed from the object", async () => {
    assert.equal((await ssa("alice", configMap("prune", { a: "1", b: "2" }))).code, 0);
    assert.equal((await ssa("alice", configMap("prune", { a: "1" }))).code, 0);
    const cm = await getJson("cm", "prune");
    assert.deepEqual(cm.data, { a: "1" });
    assert.deepEqual(entry(cm, "alice")?.fieldsV1, { "f:data": { "f:a": {} } });
  });

  it("client-side apply, then server-side apply by another manager: conflict with kubectl-client-side-apply", async () => {
    assert.equal(await ok(["apply", "-f", "-"], configMap("upgrade", { key: "v1" })), "configmap/upgrade created\n");
    const created = await getJson("cm", "upgrade");
    assert.deepEqual(entry(created, "kubectl-client-side-apply", "Update")?.fieldsV1, {
      "f:data": { ".": {}, "f:key": {} },
      "f:metadata": { "f:annotations": { ".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {} } },
    });
    const r = await ssa("ssa-user", configMap("upgrade", { key: "v2" }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: \.data\.key\n/);
    // kubectl's own manager upgrades from client-side apply without a conflict.
    assert.equal((await t.kubectl(["apply", "--server-side", "-f", "-"], { input: configMap("upgrade", { key: "v2" }) })).stdout, "configmap/upgrade serverside-applied\n");
    const upgraded = await getJson("cm", "upgrade");
    assert.equal(upgraded.data.key, "v2");
    assert.deepEqual(entry(upgraded, "kubectl")?.fieldsV1, { "f:data": { "f:key": {} } });
    assert.match(upgraded.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"], /"data":\{"key":"v2"\}/);
  });

  it("containers applied by two managers merge by name", async () => {
    assert.equal((await ssa("alice", deployment([{ name: "nginx", image: "nginx:1.27" }]))).code, 0);
    const sidecar = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ssa\nspec:\n  template:\n    spec:\n      containers:\n      - name: sidecar\n        image: busybox\n`;
    const r = await ssa("bob", sidecar);
    assert.equal(r.code, 0, r.stderr);
    const dep = await getJson("deployment", "web");
    assert.deepEqual(dep.spec.template.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`), ["nginx=nginx:1.27", "sidecar=busybox"]);
    assert.deepEqual(entry(dep, "bob")?.fieldsV1, { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"sidecar"}': { ".": {}, "f:image": {}, "f:name": {} } } } } } });
    const conflict = await ssa("bob", sidecar.replace("- name: sidecar\n        image: busybox", "- name: nginx\n        image: nginx:1.28"));
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /conflict with "alice": \.spec\.template\.spec\.containers\[name="nginx"\]\.image/);
    // Alice drops nothing of bob's when she re-applies her own configuration.
    assert.equal((await ssa("alice", deployment([{ name: "nginx", image: "nginx:1.28" }]))).code, 0);
    const after = await getJson("deployment", "web");
    assert.deepEqual(after.spec.template.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`), ["nginx=nginx:1.28", "sidecar=busybox"]);
  });

  it("other writes record Update entries for the fields they change", async () => {
    await ok(["create", "configmap", "tracked", "-n", "ssa", "--from-literal=a=1"]);
    await ok(["label", "configmap", "tracked", "-n", "ssa", "team=x"]);
    await ok(["patch", "configmap", "tracked", "-n", "ssa", "--type=merge", "-p", '{"data":{"a":"2"}}']);
    const cm = await getJson("cm", "tracked");
    assert.deepEqual(cm.metadata.managedFields.map((m: Entry) => [m.manager, m.operation, m.fieldsV1]), [
      ["kubectl-create", "Update", { "f:data": {} }],
      ["kubectl-label", "Update", { "f:metadata": { "f:labels": { ".": {}, "f:team": {} } } }],
      ["kubectl-patch", "Update", { "f:data": { "f:a": {} } }],
    ]);
    const r = await ssa("alice", configMap("tracked", { a: "3" }));
    assert.match(r.stderr, /conflict with "kubectl-patch" using v1: \.data\.a/);
  });
});
