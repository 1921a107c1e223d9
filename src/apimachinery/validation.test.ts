// Name/label/ObjectMeta validation with Kubernetes' exact messages and field paths.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import {
  isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, nameIsDNSLabel, nameIsDNSSubdomain,
  validateAnnotations, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate,
} from "./validation.ts";
import { errors } from "./status.ts";

const label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const namePart = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

test("DNS names with Kubernetes' messages", () => {
  for (const ok of ["a", "abc", "a-b", "0", "a0", "123-abc"]) assert.deepEqual(isDNS1123Label(ok), [], ok);
  assert.deepEqual(isDNS1123Label("A"), [label]);
  assert.deepEqual(isDNS1123Label("-a"), [label]);
  assert.deepEqual(isDNS1123Label("a.b"), ["must not contain dots"]);
  assert.deepEqual(isDNS1123Label("a".repeat(64)), ["must be no more than 63 characters"]);
  for (const ok of ["a.b.c", "example.com", "a-1.b-2"]) assert.deepEqual(isDNS1123Subdomain(ok), [], ok);
  assert.deepEqual(isDNS1123Subdomain("Example.com"), [subdomain]);
  assert.deepEqual(isDNS1123Subdomain("a..b"), [subdomain]);
  assert.deepEqual(isDNS1123Subdomain(`${"a".repeat(254)}`), ["must be no more than 253 characters"]);
  assert.deepEqual(isDNS1035Label("my-name"), []);
  assert.deepEqual(isDNS1035Label("1abc"), ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]);
});

test("qualified names and label values", () => {
  for (const ok of ["simple", "now-with-dashes", "1-starts-with-num", "1234", "simple/simple", "now-with-dashes/simple", "now-with-dashes/now-with-dashes", "now.with.dots/simple", "now-with.dashes-and.dots/simple", "1-num.2-num/3-num", "1234/5678", "1.2.3.4/5678", "Uppercase_Is_OK_123", "example.com/Uppercase_Is_OK_123", "a".repeat(63), `${"a".repeat(253)}/${"b".repeat(63)}`]) {
    assert.deepEqual(isQualifiedName(ok), [], ok);
  }
  assert.deepEqual(isQualifiedName("nospecialchars%^=@"), [namePart]);
  assert.deepEqual(isQualifiedName("/simple"), ["prefix part must be non-empty"]);
  assert.deepEqual(isQualifiedName("example.com/"), ["name part must be non-empty", namePart]);
  assert.deepEqual(isQualifiedName("a/b/c"), ["a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]);
  assert.deepEqual(isQualifiedName("a".repeat(64)), ["name part must be no more than 63 bytes"]);
  assert.deepEqual(isQualifiedName("Example.com/x"), [`prefix part ${subdomain}`]);
  for (const ok of ["", "simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234", "a".repeat(63), "Uppercase_Is_OK_123"]) {
    assert.deepEqual(isValidLabelValue(ok), [], ok);
  }
  assert.deepEqual(isValidLabelValue("a".repeat(64)), ["must be no more than 63 bytes"]);
  assert.equal(isValidLabelValue("nospecialchars%^=@").length, 1);
  assert.equal(isValidLabelValue("Tama-nui-te-rā.Lunch").length, 1);
});

test("generateName prefixes may end in a dash", () => {
  assert.deepEqual(nameIsDNSSubdomain("web-", true), []);
  assert.deepEqual(nameIsDNSLabel("web-", true), []);
  assert.notDeepEqual(nameIsDNSSubdomain("web-", false), []);
  assert.notDeepEqual(nameIsDNSSubdomain("Web-", true), []);
});

const opts = { namespaced: true, nameValidator: nameIsDNSSubdomain };

test("validateObjectMeta accepts a good object", () => {
  const meta: ObjectMeta = {
    name: "web-1", namespace: "default", labels: { app: "web", "example.com/tier": "" }, annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
    finalizers: ["example.com/cleanup", "foregroundDeletion"],
    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "123", controller: true }],
  };
  assert.deepEqual(validateObjectMeta(meta, opts), []);
  assert.deepEqual(validateObjectMeta({ name: "node-1" }, { namespaced: false, nameValidator: nameIsDNSSubdomain }), []);
});

test("validateObjectMeta reports every problem as Kubernetes does", () => {
  const causes = validateObjectMeta({
    name: "Bad_Name", generateName: "Gen-", labels: { "bad key!": "ok", ok: "bad value" }, annotations: { "a/b/c": "x" },
    finalizers: ["orphan", "foregroundDeletion", "bad finalizer"], generation: -1,
    ownerReferences: [{ apiVersion: "a/b/c", kind: "", name: "", uid: "" }, { apiVersion: "v1", kind: "Event", name: "e", uid: "u", controller: true }, { apiVersion: "v1", kind: "Pod", name: "p", uid: "u2", controller: true }],
  }, opts);
  const byField = causes.map((c) => `${c.field}: ${c.message}`);
  assert.equal(byField[0], `metadata.generateName: Invalid value: "Gen-": ${subdomain}`);
  assert.equal(byField[1], `metadata.name: Invalid value: "Bad_Name": ${subdomain}`);
  assert.equal(byField[2], "metadata.namespace: Required value");
  assert.equal(byField[3], "metadata.generation: Invalid value: -1: must be greater than or equal to 0");
  assert.equal(byField[4], `metadata.labels: Invalid value: "bad key!": ${namePart}`);
  assert.match(byField[5]!, /^metadata\.labels: Invalid value: "bad value": a valid label must be an empty string/);
  assert.match(byField[6]!, /^metadata\.annotations: Invalid value: "a\/b\/c": a valid label key must consist/);
  assert.equal(byField[7], "metadata.ownerReferences[0].apiVersion: Invalid value: \"a/b/c\": must be <group>/<version> or <version>");
  assert.equal(byField[8], "metadata.ownerReferences[0].kind: Required value: must not be empty");
  assert.equal(byField[9], "metadata.ownerReferences[0].name: Required value: must not be empty");
  assert.equal(byField[10], "metadata.ownerReferences[0].uid: Required value: must not be empty");
  assert.match(byField[11]!, /^metadata\.ownerReferences\[1\]: Invalid value: \{.*\}: \/v1, Kind=Event is disallowed from being an owner$/);
  assert.match(byField[12]!, /^metadata\.ownerReferences: Invalid value: \[.*\]: Only one reference can have Controller set to true\. Found "true" in references for Event\/e and Pod\/p$/);
  assert.equal(byField[13], `metadata.finalizers: Invalid value: "bad finalizer": ${namePart}`);
  assert.equal(byField[14], "metadata.finalizers: Invalid value: [\"orphan\",\"foregroundDeletion\",\"bad finalizer\"]: finalizer orphan and foregroundDeletion cannot be both set");
  assert.equal(causes.length, 15);
  assert.ok(causes.every((c) => c.reason === "FieldValueInvalid" || c.reason === "FieldValueRequired"));
  // the causes become a 422 the API server returns as is
  const err = errors.invalid("Pod", undefined, "Bad_Name", causes);
  assert.equal(err.code, 422);
  assert.equal(err.status.details?.causes?.length, 15);
});

test("validateObjectMeta: name or generateName, namespace rules", () => {
  assert.deepEqual(validateObjectMeta({ namespace: "default" }, opts).map((c) => c.message), ["Required value: name or generateName is required"]);
  assert.deepEqual(validateObjectMeta({ name: "n", namespace: "Bad" }, opts).map((c) => `${c.field}: ${c.message}`), [`metadata.namespace: Invalid value: "Bad": ${label}`]);
  assert.deepEqual(validateObjectMeta({ name: "n", namespace: "default" }, { namespaced: false, nameValidator: nameIsDNSSubdomain }).map((c) => `${c.field}: ${c.message}`), ["metadata.namespace: Forbidden: not allowed on this type"]);
  assert.deepEqual(validateObjectMeta({ name: "n", namespace: "d" }, { ...opts, field: "spec.template.metadata" })[0], undefined);
  assert.equal(validateObjectMeta({ namespace: "d" }, { ...opts, field: "spec.template.metadata" })[0]?.field, "spec.template.metadata.name");
});

test("annotations may total at most 256 KiB", () => {
  assert.deepEqual(validateAnnotations({ a: "x".repeat(256 * 1024 - 1) }, "metadata.annotations"), []);
  assert.deepEqual(validateAnnotations({ a: "x".repeat(256 * 1024) }, "metadata.annotations"), [
    { reason: "FieldValueTooLong", field: "metadata.annotations", message: "Too long: may not be more than 262144 bytes" },
  ]);
  // keys are checked lower-cased, as Kubernetes does
  assert.deepEqual(validateAnnotations({ "Example.COM/Key": "v" }, "metadata.annotations"), []);
});

test("validateObjectMetaUpdate: immutable identity, resourceVersion, no new finalizers while deleting", () => {
  const old: ObjectMeta = { name: "a", namespace: "ns", uid: "u1", resourceVersion: "5", generation: 3, creationTimestamp: "2024-01-01T00:00:00Z", deletionTimestamp: "2024-01-02T00:00:00Z", finalizers: ["x/a"] };
  assert.deepEqual(validateObjectMetaUpdate({ ...old }, old), []);
  const causes = validateObjectMetaUpdate({ ...old, name: "b", uid: "u2", resourceVersion: "", generation: 2, finalizers: ["x/a", "x/c", "x/b"] }, old);
  assert.deepEqual(causes.map((c) => `${c.field}: ${c.message}`), [
    "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"x/b\", \"x/c\"}",
    "metadata.resourceVersion: Invalid value: \"\": must be specified for an update",
    "metadata.generation: Invalid value: 2: must not be decremented",
    "metadata.name: Invalid value: \"b\": field is immutable",
    "metadata.uid: Invalid value: \"u2\": field is immutable",
  ]);
  assert.deepEqual(validateObjectMetaUpdate({ ...old, deletionTimestamp: undefined }, old).map((c) => c.message), ["Invalid value: null: field is immutable"]);
});

test("validateLabelSelector (metav1 validation)", () => {
  assert.deepEqual(validateLabelSelector(undefined, "spec.selector"), []);
  assert.deepEqual(validateLabelSelector({ matchLabels: { app: "x" }, matchExpressions: [{ key: "a", operator: "In", values: ["b"] }] }, "spec.selector"), []);
  const causes = validateLabelSelector({
    matchExpressions: [
      { key: "a", operator: "In" },
      { key: "b", operator: "Exists", values: ["x"] },
      { key: "c", operator: "Near", values: ["bad value"] },
    ],
  }, "spec.selector");
  assert.deepEqual(causes.map((c) => `${c.field}: ${c.message}`).slice(0, 3), [
    "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    "spec.selector.matchExpressions[2].operator: Invalid value: \"Near\": not a valid selector operator",
  ]);
  assert.match(`${causes[3]?.field}: ${causes[3]?.message}`, /^spec\.selector\.matchExpressions\[2\]\.values\[0\]: Invalid value: "bad value": a valid label/);
});
