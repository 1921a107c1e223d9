// Patch metadata from OpenAPI definitions and the built-in table; Go-style error rendering.
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyStrategicMergePatch, builtinPatchMeta, emptyPatchMeta, patchMetaFromOpenAPI } from "./patch.ts";
import type { PatchMeta } from "./patch.ts";
import { goFormat } from "./go-format.ts";

const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
const C = "io.k8s.api.core.v1.";
const META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/** A cut-down swagger.json `definitions`, shaped as Kubernetes publishes it. */
const definitions: Record<string, unknown> = {
  [`${C}Pod`]: { type: "object", properties: { metadata: ref(META), spec: ref(`${C}PodSpec`), kind: { type: "string" } } },
  [`${C}PodSpec`]: {
    type: "object",
    properties: {
      containers: { type: "array", items: ref(`${C}Container`), "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge" },
      volumes: { type: "array", items: ref(`${C}Volume`), "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge,retainKeys" },
      tolerations: { type: "array", items: ref(`${C}Toleration`) },
      nodeSelector: { type: "object", additionalProperties: { type: "string" } },
      // OpenAPI v3 style: a property that wraps its $ref in allOf
      securityContext: { allOf: [{ $ref: `#/components/schemas/${C}PodSecurityContext` }], description: "x" },
    },
  },
  [`${C}Container`]: {
    type: "object",
    properties: {
      name: { type: "string" },
      ports: { type: "array", items: ref(`${C}ContainerPort`), "x-kubernetes-patch-merge-key": "containerPort", "x-kubernetes-patch-strategy": "merge" },
      env: { type: "array", items: ref(`${C}EnvVar`), "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge" },
      args: { type: "array", items: { type: "string" } },
    },
  },
  [`${C}ContainerPort`]: { type: "object", properties: { containerPort: { type: "integer" }, name: { type: "string" } } },
  [`${C}EnvVar`]: { type: "object", properties: { name: { type: "string" }, value: { type: "string" } } },
  [`${C}Volume`]: { type: "object", properties: { name: { type: "string" }, emptyDir: { type: "object" } } },
  [`${C}Toleration`]: { type: "object", properties: { key: { type: "string" } } },
  [`${C}PodSecurityContext`]: { type: "object", properties: { supplementalGroups: { type: "array", items: { type: "integer" }, "x-kubernetes-patch-strategy": "merge" } } },
  [META]: {
    type: "object",
    properties: {
      finalizers: { type: "array", items: { type: "string" }, "x-kubernetes-patch-strategy": "merge" },
      ownerReferences: { type: "array", items: { $ref: "#/definitions/nowhere" }, "x-kubernetes-patch-merge-key": "uid", "x-kubernetes-patch-strategy": "merge" },
      labels: { type: "object", additionalProperties: { type: "string" } },
    },
  },
};

const strip = (f: ReturnType<PatchMeta["field"]>) => ({ strategy: f.strategy, mergeKey: f.mergeKey });

test("OpenAPI: strategies and merge keys, through $ref, items and allOf", () => {
  const pod = patchMetaFromOpenAPI(definitions, `${C}Pod`);
  const spec = pod.field("spec").meta;
  assert.deepEqual(strip(pod.field("spec")), { strategy: undefined, mergeKey: undefined });
  assert.deepEqual(strip(spec.field("containers")), { strategy: "merge", mergeKey: "name" });
  const container = spec.field("containers").meta;
  assert.deepEqual(strip(container.field("ports")), { strategy: "merge", mergeKey: "containerPort" });
  assert.deepEqual(strip(container.field("env")), { strategy: "merge", mergeKey: "name" });
  assert.deepEqual(strip(container.field("args")), { strategy: undefined, mergeKey: undefined });
  assert.deepEqual(strip(spec.field("volumes")), { strategy: "merge,retainKeys", mergeKey: "name" });
  assert.deepEqual(strip(spec.field("tolerations")), { strategy: undefined, mergeKey: undefined });
  assert.deepEqual(strip(pod.field("metadata").meta.field("finalizers")), { strategy: "merge", mergeKey: undefined });
  assert.deepEqual(strip(spec.field("securityContext").meta.field("supplementalGroups")), { strategy: "merge", mergeKey: undefined });
  // unknown fields, unknown definitions and dangling refs give no information
  assert.deepEqual(strip(spec.field("nope")), { strategy: undefined, mergeKey: undefined });
  assert.deepEqual(strip(spec.field("nope").meta.field("deeper")), { strategy: undefined, mergeKey: undefined });
  assert.deepEqual(strip(patchMetaFromOpenAPI(definitions, "io.k8s.Missing").field("spec")), { strategy: undefined, mergeKey: undefined });
  assert.deepEqual(strip(pod.field("metadata").meta.field("ownerReferences")), { strategy: "merge", mergeKey: "uid" });
  // lookups are memoised per schema
  assert.equal(spec.field("containers").meta, spec.field("containers").meta);
});

test("OpenAPI: drives a strategic merge patch", () => {
  const meta = patchMetaFromOpenAPI(definitions, `${C}Pod`);
  const live = {
    metadata: { finalizers: ["a"] },
    spec: {
      containers: [{ name: "app", image: "v1", ports: [{ containerPort: 80, name: "http" }], env: [{ name: "A", value: "1" }], args: ["x"] }],
      tolerations: [{ key: "t1" }],
      volumes: [{ name: "v", emptyDir: {} }],
      nodeSelector: { disk: "ssd" },
    },
  };
  const patch = {
    metadata: { finalizers: ["b"] },
    spec: {
      containers: [{ name: "app", ports: [{ containerPort: 80, name: "web" }, { containerPort: 443 }], env: [{ name: "B", value: "2" }], args: ["y"] }],
      tolerations: [{ key: "t2" }],
      volumes: [{ name: "w", emptyDir: {} }],
      nodeSelector: { zone: "a" },
    },
  };
  assert.deepEqual(applyStrategicMergePatch(live, patch, meta), {
    metadata: { finalizers: ["b", "a"] },
    spec: {
      containers: [{ name: "app", image: "v1", ports: [{ containerPort: 80, name: "web" }, { containerPort: 443 }], env: [{ name: "B", value: "2" }, { name: "A", value: "1" }], args: ["y"] }],
      tolerations: [{ key: "t2" }],
      volumes: [{ name: "w", emptyDir: {} }, { name: "v", emptyDir: {} }],
      nodeSelector: { disk: "ssd", zone: "a" },
    },
  });
});

test("builtin table matches Kubernetes' types.go tags", () => {
  const f = (m: PatchMeta, ...path: string[]) => {
    let meta = m;
    let last = meta.field(path[0]!);
    for (const p of path) {
      last = meta.field(p);
      meta = last.meta;
    }
    return strip(last);
  };
  const pod = builtinPatchMeta("Pod");
  assert.deepEqual(f(pod, "spec", "containers"), { strategy: "merge", mergeKey: "name" });
  assert.deepEqual(f(pod, "spec", "initContainers", "env"), { strategy: "merge", mergeKey: "name" });
  assert.deepEqual(f(pod, "spec", "containers", "ports"), { strategy: "merge", mergeKey: "containerPort" });
  assert.deepEqual(f(pod, "spec", "containers", "volumeMounts"), { strategy: "merge", mergeKey: "mountPath" });
  assert.deepEqual(f(pod, "spec", "containers", "envFrom"), { strategy: undefined, mergeKey: undefined });
  assert.deepEqual(f(pod, "spec", "volumes"), { strategy: "merge,retainKeys", mergeKey: "name" });
  assert.deepEqual(f(pod, "spec", "imagePullSecrets"), { strategy: "merge", mergeKey: "name" });
  assert.deepEqual(f(pod, "spec", "hostAliases"), { strategy: "merge", mergeKey: "ip" });
  assert.deepEqual(f(pod, "spec", "tolerations"), { strategy: undefined, mergeKey: undefined });
  assert.deepEqual(f(pod, "status", "conditions"), { strategy: "merge", mergeKey: "type" });
  assert.deepEqual(f(pod, "status", "podIPs"), { strategy: "merge", mergeKey: "ip" });
  assert.deepEqual(f(pod, "metadata", "ownerReferences"), { strategy: "merge", mergeKey: "uid" });
  assert.deepEqual(f(pod, "metadata", "finalizers"), { strategy: "merge", mergeKey: undefined });
  for (const kind of ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"]) {
    const m = builtinPatchMeta(kind);
    assert.deepEqual(f(m, "spec", "template", "spec", "containers", "env"), { strategy: "merge", mergeKey: "name" }, kind);
    assert.deepEqual(f(m, "spec", "template", "metadata", "finalizers"), { strategy: "merge", mergeKey: undefined }, kind);
    assert.deepEqual(f(m, "status", "conditions"), { strategy: "merge", mergeKey: "type" }, kind);
  }
  assert.deepEqual(f(builtinPatchMeta("Deployment"), "spec", "strategy"), { strategy: "retainKeys", mergeKey: undefined });
  assert.deepEqual(f(builtinPatchMeta("CronJob"), "spec", "jobTemplate", "spec", "template", "spec", "containers"), { strategy: "merge", mergeKey: "name" });
  assert.deepEqual(f(builtinPatchMeta("Service"), "spec", "ports"), { strategy: "merge", mergeKey: "port" });
  assert.deepEqual(f(builtinPatchMeta("Node"), "spec", "taints"), { strategy: undefined, mergeKey: undefined });
  assert.deepEqual(f(builtinPatchMeta("Node"), "spec", "podCIDRs"), { strategy: "merge", mergeKey: undefined });
  assert.deepEqual(f(builtinPatchMeta("Node"), "status", "addresses"), { strategy: "merge", mergeKey: "type" });
  assert.deepEqual(f(builtinPatchMeta("Endpoints"), "subsets"), { strategy: undefined, mergeKey: undefined });
  assert.deepEqual(f(builtinPatchMeta("ServiceAccount"), "secrets"), { strategy: "merge", mergeKey: "name" });
  assert.deepEqual(f(builtinPatchMeta("ConfigMap"), "metadata", "ownerReferences"), { strategy: "merge", mergeKey: "uid" });
  assert.deepEqual(strip(emptyPatchMeta.field("anything")), { strategy: undefined, mergeKey: undefined });
});

test("Go-style rendering used in error messages", () => {
  assert.equal(goFormat({ containerPort: 1e6, b: 8080, c: 1.5, d: null, e: [true, "x"], f: 0.00001 }), "map[b:8080 c:1.5 containerPort:1e+06 d:<nil> e:[true x] f:1e-05]");
});
