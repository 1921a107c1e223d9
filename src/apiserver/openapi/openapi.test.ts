// Shape of the generated schemas and of the /openapi/v3 documents: what kubectl reads from them
// (operation GVKs, fieldValidation, patch content types, component GVKs, patch metadata) and how
// they are served (hash URLs, ETags, redirects).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { patchMetaFromOpenAPI } from "../../apimachinery/index.ts";
import { Registry } from "../registry/registry.ts";
import { OpenAPIDocuments } from "./openapi.ts";
import { componentSchemas, definitionsForPatch, forEachRef, schemaNameFor } from "./schemas.ts";
import type { Schema } from "./schemas.ts";

const registry = new Registry().add(
  { group: "", version: "v1", kind: "Pod", plural: "pods", singular: "pod", namespaced: true, status: true, subresources: ["log", "binding", "eviction", "exec"] },
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", singular: "configmap", namespaced: true },
  { group: "", version: "v1", kind: "Namespace", plural: "namespaces", singular: "namespace", namespaced: false, status: true },
  {
    group: "apps", version: "v1", kind: "Deployment", plural: "deployments", singular: "deployment", namespaced: true, status: true,
    scale: { specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas" },
  },
  { group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview", plural: "selfsubjectaccessreviews", singular: "selfsubjectaccessreview", namespaced: false, verbs: ["create"] },
  { group: "example.com", version: "v1", kind: "Widget", plural: "widgets", singular: "widget", namespaced: true },
);

const schemas = componentSchemas();
const props = (name: string) => schemas[name].properties as Record<string, Schema>;
const docs = new OpenAPIDocuments(registry.resources(), { now: () => new Date("2025-03-01T00:00:00Z") });
const doc = (gv: string) => docs.documentObject(gv) as { paths: Record<string, Record<string, Schema>>; components: { schemas: Record<string, Schema> } };
const paramNames = (op: Schema) => (op.parameters as { name: string; in: string }[]).filter((p) => p.in === "query").map((p) => p.name);

describe("generated schemas", () => {
  it("names kinds as Kubernetes does, with array-valued group-version-kind", () => {
    assert.deepEqual(schemas["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"], [{ group: "", kind: "Pod", version: "v1" }]);
    assert.deepEqual(schemas["io.k8s.api.apps.v1.DeploymentList"]["x-kubernetes-group-version-kind"], [{ group: "apps", kind: "DeploymentList", version: "v1" }]);
    assert.equal(schemas["io.k8s.api.core.v1.PodSpec"]["x-kubernetes-group-version-kind"], undefined);
    assert.equal(schemaNameFor("v1", "Pod"), "io.k8s.api.core.v1.Pod");
    assert.equal(schemaNameFor("coordination.k8s.io/v1", "Lease"), "io.k8s.api.coordination.v1.Lease");
    assert.equal(schemaNameFor("autoscaling/v2", "HorizontalPodAutoscaler"), "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler");
    assert.equal(schemaNameFor("v1", "Nope"), undefined);
  });

  it("carries descriptions, types, formats, required and references", () => {
    const pod = props("io.k8s.api.core.v1.Pod");
    assert.deepEqual(pod.spec.allOf, [{ $ref: "#/components/schemas/io.k8s.api.core.v1.PodSpec" }]);
    assert.match(String(pod.spec.description), /^Specification of the desired behavior of the pod/);
    const spec = props("io.k8s.api.core.v1.PodSpec");
    assert.deepEqual(spec.containers.items, { $ref: "#/components/schemas/io.k8s.api.core.v1.Container" });
    assert.equal(spec.containers.type, "array");
    assert.deepEqual([spec.terminationGracePeriodSeconds.type, spec.terminationGracePeriodSeconds.format], ["integer", "int64"]);
    assert.deepEqual(spec.nodeSelector.additionalProperties, { type: "string" });
    assert.ok((schemas["io.k8s.api.core.v1.PodSpec"].required as string[]).includes("containers"));
    assert.deepEqual(schemas["io.k8s.api.core.v1.Container"].required, ["name"]);
    assert.deepEqual(props("io.k8s.api.apps.v1.DeploymentSpec").replicas, { description: props("io.k8s.api.apps.v1.DeploymentSpec").replicas.description, type: "integer", format: "int32" });
    assert.deepEqual(props("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").generation.format, "int64");
    assert.deepEqual(props("io.k8s.api.core.v1.ResourceRequirements").limits.additionalProperties, { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity" });
    // Multi-line JSDoc keeps its line structure.
    assert.match(String(props("io.k8s.api.core.v1.AppArmorProfile").type.description), /Valid options are:\n {2}Localhost - /);
  });

  it("describes the scalar wrapper types as the real v3 documents do", () => {
    const ios = schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
    assert.equal(ios.format, "int-or-string");
    assert.deepEqual(ios.oneOf, [{ type: "integer" }, { type: "string" }]);
    assert.deepEqual(schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"].oneOf, [{ type: "string" }, { type: "number" }]);
    assert.equal(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"].format, "date-time");
    assert.equal(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"].type, "string");
    assert.equal(schemas["io.k8s.apimachinery.pkg.runtime.RawExtension"].type, "object");
    assert.equal(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"].type, "object");
    assert.deepEqual(props("io.k8s.api.apps.v1.RollingUpdateDeployment").maxSurge.allOf, [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString" }]);
  });

  it("carries the patch and list metadata of the Go struct tags", () => {
    const spec = props("io.k8s.api.core.v1.PodSpec");
    assert.equal(spec.containers["x-kubernetes-patch-merge-key"], "name");
    assert.equal(spec.containers["x-kubernetes-patch-strategy"], "merge");
    assert.equal(spec.volumes["x-kubernetes-patch-strategy"], "merge,retainKeys");
    assert.deepEqual(spec.containers["x-kubernetes-list-map-keys"], ["name"]);
    const container = props("io.k8s.api.core.v1.Container");
    assert.deepEqual(container.ports["x-kubernetes-list-map-keys"], ["containerPort", "protocol"]);
    assert.equal(container.ports["x-kubernetes-patch-merge-key"], "containerPort");
    assert.equal(container.env["x-kubernetes-patch-merge-key"], "name");
    assert.equal(container.volumeMounts["x-kubernetes-patch-merge-key"], "mountPath");
    assert.equal(props("io.k8s.api.core.v1.EphemeralContainer").env["x-kubernetes-patch-merge-key"], "name");
    assert.equal(props("io.k8s.api.core.v1.ServiceSpec").ports["x-kubernetes-patch-merge-key"], "port");
    assert.equal(props("io.k8s.api.core.v1.PodStatus").conditions["x-kubernetes-patch-merge-key"], "type");
    const meta = props("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    assert.equal(meta.finalizers["x-kubernetes-patch-strategy"], "merge");
    assert.equal(meta.finalizers["x-kubernetes-list-type"], "set");
    assert.equal(meta.ownerReferences["x-kubernetes-patch-merge-key"], "uid");
    assert.equal(props("io.k8s.api.apps.v1.DeploymentSpec").strategy["x-kubernetes-patch-strategy"], "retainKeys");
    assert.equal(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"]["x-kubernetes-map-type"], "atomic");
  });

  it("is closed: every reference names a schema in the file", () => {
    forEachRef(schemas, (ref) => assert.ok(schemas[ref.replace("#/components/schemas/", "")], `dangling ${ref}`));
  });

  it("has a v2 view for the strategic merge patch engine", () => {
    const defs = definitionsForPatch();
    const text = JSON.stringify(defs);
    assert.ok(!text.includes("#/components/schemas/"));
    assert.ok(!text.includes('"allOf"'));
    assert.deepEqual(defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"].type, "string");
    assert.equal((defs["io.k8s.api.core.v1.Pod"].properties as Record<string, Schema>).spec.$ref, "#/definitions/io.k8s.api.core.v1.PodSpec");
    const meta = patchMetaFromOpenAPI(defs, "io.k8s.api.apps.v1.Deployment");
    const containers = meta.field("spec").meta.field("template").meta.field("spec").meta.field("containers");
    assert.equal(containers.strategy, "merge");
    assert.equal(containers.mergeKey, "name");
    assert.equal(containers.meta.field("ports").mergeKey, "containerPort");
  });
});

describe("OpenAPIDocuments", () => {
  it("lists every served group-version in the root with the document's SHA-512 hash", () => {
    const root = JSON.parse(docs.root().body.toString()) as { paths: Record<string, { serverRelativeURL: string }> };
    assert.deepEqual(Object.keys(root.paths), ["api/v1", "apis/apps/v1", "apis/authorization.k8s.io/v1", "apis/example.com/v1"]);
    for (const [gv, entry] of Object.entries(root.paths)) {
      const hash = createHash("sha512").update(docs.document(gv)!.body).digest("hex").toUpperCase();
      assert.equal(entry.serverRelativeURL, `/openapi/v3/${gv}?hash=${hash}`);
    }
  });

  it("gives each kind a PATCH operation with its GVK, fieldValidation and the patch content types", () => {
    const core = doc("api/v1");
    const item = core.paths["/api/v1/namespaces/{namespace}/pods/{name}"];
    assert.deepEqual(item.patch["x-kubernetes-group-version-kind"], { group: "", kind: "Pod", version: "v1" });
    assert.equal(item.patch["x-kubernetes-action"], "patch");
    assert.equal(item.patch.operationId, "patchCoreV1NamespacedPod");
    assert.deepEqual(paramNames(item.patch), ["dryRun", "fieldManager", "fieldValidation", "force"]);
    assert.deepEqual(Object.keys((item.patch.requestBody as { content: object }).content).sort(), [
      "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json",
    ]);
    assert.deepEqual(paramNames(item.put), ["dryRun", "fieldManager", "fieldValidation"]);
    assert.deepEqual(Object.keys(item).sort(), ["delete", "get", "parameters", "patch", "put"]);
    const collection = core.paths["/api/v1/namespaces/{namespace}/pods"];
    assert.deepEqual(Object.keys(collection).sort(), ["delete", "get", "parameters", "post"]);
    assert.equal(collection.get["x-kubernetes-action"], "list");
    assert.ok(paramNames(collection.get).includes("watch"));
    assert.equal(collection.delete["x-kubernetes-action"], "deletecollection");
    assert.ok(core.paths["/api/v1/pods"].get, "list across namespaces");
    assert.ok(core.paths["/api/v1/namespaces/{name}"].patch, "cluster-scoped item path");
    assert.ok(core.paths["/api/v1/namespaces/{namespace}/pods/{name}/status"].patch);
    assert.deepEqual(core.paths["/api/v1/namespaces/{namespace}/pods/{name}/eviction"].post["x-kubernetes-group-version-kind"], { group: "policy", kind: "Eviction", version: "v1" });
    assert.ok(core.paths["/api/v1/namespaces/{namespace}/pods/{name}/log"].get);
    assert.equal(core.paths["/api/v1/namespaces/{namespace}/pods/{name}/exec"], undefined);
    // kubectl's check: every PATCH operation of a kind lists fieldValidation.
    for (const gv of docs.groupVersions()) {
      for (const pathItem of Object.values(doc(gv).paths)) {
        if (pathItem.patch) assert.ok(paramNames(pathItem.patch).includes("fieldValidation"));
      }
    }
  });

  it("describes the scale subresource with the autoscaling/v1 Scale kind", () => {
    const apps = doc("apis/apps/v1");
    const scale = apps.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    assert.deepEqual(scale.patch["x-kubernetes-group-version-kind"], { group: "autoscaling", kind: "Scale", version: "v1" });
    assert.ok(apps.components.schemas["io.k8s.api.autoscaling.v1.Scale"]);
  });

  it("carries exactly the schemas its paths reach, plus the meta types", () => {
    const core = doc("api/v1");
    const names = Object.keys(core.components.schemas);
    for (const n of ["io.k8s.api.core.v1.Pod", "io.k8s.api.core.v1.PodSpec", "io.k8s.api.core.v1.ConfigMapList", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
      "io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "io.k8s.api.policy.v1.Eviction"]) {
      assert.ok(names.includes(n), n);
    }
    assert.ok(!names.includes("io.k8s.api.apps.v1.Deployment"));
    assert.ok(!names.includes("io.k8s.api.core.v1.Service"));
    for (const gv of docs.groupVersions()) {
      const d = doc(gv);
      forEachRef(d, (ref) => assert.ok(d.components.schemas[ref.replace("#/components/schemas/", "")], `${gv}: dangling ${ref}`));
    }
  });

  it("handles create-only kinds and kinds without a schema", () => {
    const authz = doc("apis/authorization.k8s.io/v1").paths;
    assert.deepEqual(Object.keys(authz).sort(), ["/apis/authorization.k8s.io/v1/", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]);
    const widgets = doc("apis/example.com/v1").paths["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"];
    assert.ok(widgets.patch["x-kubernetes-group-version-kind"]);
    assert.ok(!("application/strategic-merge-patch+json" in (widgets.patch.requestBody as { content: object }).content));
    assert.deepEqual((widgets.put.requestBody as { content: Record<string, Schema> }).content["*/*"].schema, { type: "object" });
  });

  it("is deterministic", () => {
    const again = new OpenAPIDocuments(registry.resources());
    assert.ok(again.root().body.equals(docs.root().body));
    assert.ok(again.document("api/v1")!.body.equals(docs.document("api/v1")!.body));
  });
});

describe("OpenAPIDocuments.serve", () => {
  const q = (s = "") => new URLSearchParams(s);
  const hash = docs.document("apis/apps/v1")!.hash;

  it("serves the root with an ETag and answers 304 to a matching If-None-Match", () => {
    const res = docs.serve("/openapi/v3", q())!;
    assert.equal(res.status, 200);
    assert.equal(res.headers["Content-Type"], "application/json");
    assert.ok(res.body.equals(docs.root().body));
    assert.equal(docs.serve("/openapi/v3", q(), { "if-none-match": res.headers.ETag })!.status, 304);
  });

  it("serves a document at its hash as immutable, and redirects a stale hash", () => {
    const res = docs.serve("/openapi/v3/apis/apps/v1", q(`hash=${hash}&timeout=32s`), { accept: "application/json" })!;
    assert.equal(res.status, 200);
    assert.equal(res.headers.ETag, `"${hash}"`);
    assert.equal(res.headers["Cache-Control"], "public, immutable");
    assert.equal(res.headers.Expires, "Sun, 01 Mar 2026 00:00:00 GMT");
    const stale = docs.serve("/openapi/v3/apis/apps/v1", q("hash=ABC"), { accept: "application/json" })!;
    assert.equal(stale.status, 301);
    assert.equal(stale.headers.Location, `/openapi/v3/apis/apps/v1?hash=${hash}`);
    const plain = docs.serve("/openapi/v3/apis/apps/v1", q(), {})!;
    assert.equal(plain.status, 200);
    assert.equal(plain.headers["Cache-Control"], undefined);
  });

  it("refuses protobuf-only requests, 404s /openapi/v2 and unknown groups, ignores other paths", () => {
    assert.equal(docs.serve("/openapi/v3/api/v1", q(), { accept: "application/com.github.proto-openapi.spec.v3.v1.0+protobuf" })!.status, 406);
    assert.equal(docs.serve("/openapi/v3/api/v1", q(), { accept: "application/json, */*" })!.status, 200);
    const v2 = docs.serve("/openapi/v2", q())!;
    assert.equal(v2.status, 404);
    assert.equal(JSON.parse(v2.body.toString()).reason, "NotFound");
    assert.equal(docs.serve("/openapi/v3/apis/batch/v1", q())!.status, 404);
    assert.equal(docs.serve("/api/v1", q()), undefined);
  });
});
