// Encoding is decoding's inverse: kubectl's captured bodies re-encode byte for byte, and lists,
// Status, well-known types and watch frames survive a round trip through the decoder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, encodeWatchEventProtobuf } from "./index.ts";
import { scanFields, lastBytes, decodeString } from "./wire.ts";
import { parseGoDuration } from "./wellknown-encode.ts";
import { goDuration } from "./wellknown.ts";

interface Golden { name: string; hex: string; expected: Record<string, unknown> }
const golden = JSON.parse(readFileSync(new URL("./testdata/kubectl-1.32-bodies.json", import.meta.url), "utf8")) as Golden[];

function roundTrip(obj: Record<string, unknown>): Record<string, unknown> {
  const body = encodeKubernetesProtobuf(obj);
  assert.ok(body, `${String(obj.kind)} should encode`);
  return decodeKubernetesProtobuf(body);
}

for (const g of golden) {
  test(`golden ${g.name}: encode(decode(kubectl's body)) is kubectl's body, decode(encode(x)) is x`, () => {
    const body = Buffer.from(g.hex, "hex");
    const decoded = decodeKubernetesProtobuf(body);
    assert.equal(encodeKubernetesProtobuf(decoded)?.toString("hex"), g.hex);
    assert.deepEqual(roundTrip(g.expected), g.expected);
  });
}

const pod = {
  apiVersion: "v1", kind: "Pod",
  metadata: {
    name: "p1", namespace: "default", uid: "u-1", resourceVersion: "42", generation: 3,
    creationTimestamp: "2024-05-06T07:08:09Z", labels: { b: "2", a: "1" },
    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u-0", controller: true }],
    managedFields: [{ manager: "kubectl", operation: "Update", apiVersion: "v1", time: "2024-05-06T07:08:09Z", fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:labels": {} } } }],
  },
  spec: {
    containers: [{
      name: "c", image: "nginx", args: ["-g", "daemon off;"],
      ports: [{ containerPort: 80, protocol: "TCP" }],
      resources: { limits: { cpu: "500m", memory: "128Mi" } },
      readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 5 },
      livenessProbe: { tcpSocket: { port: 8080 } },
    }],
    terminationGracePeriodSeconds: 0,
    volumes: [{ name: "v", configMap: { name: "cm", defaultMode: 420 } }, { name: "e", emptyDir: {} }],
    tolerations: [{ key: "k", operator: "Exists", effect: "NoSchedule", tolerationSeconds: -5 }],
  },
  status: { phase: "Running", podIP: "10.0.0.1", startTime: "2024-05-06T07:08:10Z" },
};

test("a Pod with maps, inline volume sources, probes, quantities and negative ints round-trips", () => {
  assert.deepEqual(roundTrip(pod), pod);
});

test("map entries are written sorted by key, as gogo does", () => {
  const a = encodeKubernetesProtobuf({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { z: "1", a: "2", m: "3" } });
  const b = encodeKubernetesProtobuf({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { a: "2", m: "3", z: "1" } });
  assert.ok(a && b);
  assert.ok(a.equals(b));
});

test("lists: ListMeta and items (items carry no TypeMeta)", () => {
  const list = {
    apiVersion: "v1", kind: "PodList", metadata: { resourceVersion: "99", continue: "tok", remainingItemCount: 0 },
    items: [pod.metadata, { name: "q" }].map((metadata) => ({ metadata, spec: { containers: [{ name: "c", image: "i" }] } })),
  };
  assert.deepEqual(roundTrip(list), list);
  const empty = { apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion: "5" } };
  assert.deepEqual(roundTrip({ ...empty, items: [] }), empty);
});

test("Status (any apiVersion the table knows) with details and causes", () => {
  const status = {
    apiVersion: "v1", kind: "Status", metadata: {}, status: "Failure", message: 'pods "x" not found', reason: "NotFound", code: 404,
    details: { name: "x", kind: "pods", causes: [{ reason: "FieldValueInvalid", message: "bad", field: "spec" }], retryAfterSeconds: 3 },
  };
  const { metadata: _ignored, ...withoutEmptyMeta } = status;
  assert.deepEqual(roundTrip(status), withoutEmptyMeta);
});

test("MicroTime keeps microseconds; Duration and IntOrString strings round-trip", () => {
  const lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "l" }, spec: { holderIdentity: "n", renewTime: "2024-01-02T03:04:05.123456Z", leaseDurationSeconds: 40 } };
  assert.deepEqual(roundTrip(lease), lease);
  for (const d of ["0s", "1h0m0s", "1.5ms", "-2m3.004s", "300µs", "7ns"]) assert.equal(goDuration(parseGoDuration(d)), d);
});

test("kinds without a protobuf form, and values that do not fit their field, encode to null", () => {
  assert.equal(encodeKubernetesProtobuf({ apiVersion: "meta.k8s.io/v1", kind: "Table", rows: [] }), null);
  assert.equal(encodeKubernetesProtobuf({ apiVersion: "example.com/v1", kind: "Widget" }), null);
  assert.equal(encodeKubernetesProtobuf({ kind: "ConfigMap" }), null);
  assert.equal(encodeKubernetesProtobuf("text"), null);
  assert.equal(encodeKubernetesProtobuf({ apiVersion: "v1", kind: "ConfigMap", data: { a: 1 } }), null);
  assert.equal(encodeKubernetesProtobuf({ apiVersion: "v1", kind: "ConfigMap", metadata: { generation: "x" } }), null);
});

test("watch frame: 4-byte big-endian length + bare WatchEvent{type, object: RawExtension{envelope}}", () => {
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", resourceVersion: "7" }, data: { k: "v" } };
  const frame = encodeWatchEventProtobuf("ADDED", cm);
  assert.ok(frame);
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  const event = scanFields(frame.subarray(4));
  assert.equal(decodeString(lastBytes(event, 1, "type")!), "ADDED");
  const raw = lastBytes(scanFields(lastBytes(event, 2, "object")!), 1, "raw")!;
  assert.ok(Buffer.from(raw).equals(encodeKubernetesProtobuf(cm)!));
  assert.deepEqual(decodeKubernetesProtobuf(raw), cm);
  assert.equal(encodeWatchEventProtobuf("ADDED", { apiVersion: "meta.k8s.io/v1", kind: "Table" }), null);
});
