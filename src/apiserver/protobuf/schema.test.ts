// The committed schema.json: spot checks of what the decoder relies on, and (when kubectl 1.32 is
// installed) that scripts/gen-proto-schema.ts regenerates it byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { protoSchema, type FieldSpec } from "./schema.ts";

const field = (message: string, json: string): FieldSpec => {
  const f = protoSchema().message(message)?.fields.find((x) => x.json === json);
  assert.ok(f, `${message}.${json}`);
  return f;
};

test("pointer-ness comes from gogoproto nullable", () => {
  assert.equal(field("k8s.io.api.apps.v1.DeploymentSpec", "replicas").pointer, true);
  assert.equal(field("k8s.io.api.apps.v1.DeploymentSpec", "minReadySeconds").pointer, false);
  assert.equal(field("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "creationTimestamp").pointer, false);
  assert.equal(field("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "deletionTimestamp").pointer, true);
  assert.equal(field("k8s.io.api.core.v1.Secret", "data").kind, "map");
});

test("inline fields and JSON names come from the Go struct tags", () => {
  for (const [m, f] of [["core.v1.Volume", "volumeSource"], ["core.v1.Probe", "handler"], ["core.v1.ConfigMapKeySelector", "localObjectReference"],
    ["core.v1.EphemeralContainer", "ephemeralContainerCommon"], ["core.v1.PersistentVolumeSpec", "persistentVolumeSource"],
    ["networking.v1.IngressRule", "ingressRuleValue"], ["admissionregistration.v1.RuleWithOperations", "rule"]] as const) {
    assert.equal(field(`k8s.io.api.${m}`, f).inline, true, `${m}.${f}`);
  }
  assert.equal(field("k8s.io.api.apps.v1.Deployment", "metadata").inline, false); // embedded in Go, but json:"metadata"
  assert.equal(field("k8s.io.api.core.v1.WeightedPodAffinityTerm", "podAffinityTerm").inline, false);
  // The proto names here are "uID" and "aPIGroup"; JSON uses the json tag.
  assert.equal(field("k8s.io.api.authentication.v1.BoundObjectReference", "uid").number, 4);
  assert.equal(field("k8s.io.api.networking.v1.IngressClassParametersReference", "apiGroup").number, 1);
});

test("kinds map to messages by apiVersion; meta kinds under any version", () => {
  const s = protoSchema();
  assert.equal(s.kindMessage("apps/v1", "Deployment"), "k8s.io.api.apps.v1.Deployment");
  assert.equal(s.kindMessage("v1", "Namespace"), "k8s.io.api.core.v1.Namespace");
  assert.equal(s.kindMessage("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"), "k8s.io.api.rbac.v1.ClusterRoleBinding");
  assert.equal(s.kindMessage("autoscaling/v2", "HorizontalPodAutoscaler"), "k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler");
  assert.equal(s.kindMessage("batch/v1", "DeleteOptions"), "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions");
  assert.equal(s.kindMessage("v1", "PodTemplateSpec"), undefined);
  assert.equal(s.kindMessage("v1", "toString"), undefined);
});

const KUBECTL = process.env.KUBECTL ?? "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
test("scripts/gen-proto-schema.ts regenerates schema.json byte for byte", { skip: existsSync(KUBECTL) ? false : `no kubectl at ${KUBECTL}` }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-proto-schema-"));
  try {
    const out = join(dir, "schema.json");
    const script = new URL("../../../scripts/gen-proto-schema.ts", import.meta.url).pathname;
    await promisify(execFile)(process.execPath, [script, KUBECTL, out], { timeout: 60_000 });
    assert.ok(readFileSync(out).equals(readFileSync(new URL("./schema.json", import.meta.url))), "schema.json is stale: re-run the script");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
