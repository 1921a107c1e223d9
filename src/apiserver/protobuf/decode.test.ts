// Golden bodies captured from kubectl 1.32.5, plus hand-built messages for each decoding rule and
// each way a body can be malformed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeKubernetesProtobuf } from "./index.ts";
import { isStatusError } from "../../apimachinery/status.ts";
import { envelope, msg, str, int, bytes, entry, key, varint } from "./testdata/encode.ts";

interface Golden { name: string; command: string; hex: string; expected: Record<string, unknown> }
const golden = JSON.parse(readFileSync(new URL("./testdata/kubectl-1.32-bodies.json", import.meta.url), "utf8")) as Golden[];

for (const g of golden) {
  test(`golden: ${g.command}`, () => {
    assert.deepEqual(decodeKubernetesProtobuf(Buffer.from(g.hex, "hex")), g.expected);
  });
}

test("golden: the cases the API server relies on", () => {
  const by = (name: string) => decodeKubernetesProtobuf(Buffer.from(golden.find((g) => g.name === name)!.hex, "hex"));
  assert.deepEqual(by("namespace"), { apiVersion: "v1", kind: "Namespace", metadata: { name: "foo" } });
  assert.deepEqual((by("secret") as { data: unknown }).data, { a: "Yg==" }); // bytes → base64
  const zero = by("deployment-zero") as { spec: Record<string, unknown> };
  assert.equal(zero.spec.replicas, 0); // pointer field sent as 0 stays 0
  assert.equal("replicas" in (by("deployment") as { spec: object }).spec, true);
  const svc = by("service") as { spec: { ports: Record<string, unknown>[] } };
  assert.deepEqual(svc.spec.ports, [{ name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080 }]);
  assert.deepEqual((by("pdb") as { spec: Record<string, unknown> }).spec.minAvailable, "50%");
  assert.deepEqual((by("pdb-int") as { spec: Record<string, unknown> }).spec.maxUnavailable, 0);
});

const meta = (...parts: Buffer[]) => msg(1, ...parts);
const decode = (b: Buffer) => decodeKubernetesProtobuf(b) as Record<string, any>;

test("value fields drop zeros, pointer fields keep them", () => {
  const obj = decode(envelope("v1", "ConfigMap",
    meta(str(1, "cm"), str(2, ""), int(7, 0), msg(8), int(10, 0)), // generation 0 (value), deletionGracePeriodSeconds 0 (pointer)
    int(4, 0), // immutable: false (pointer)
  ));
  assert.deepEqual(obj, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", deletionGracePeriodSeconds: 0 }, immutable: false });
});

test("int64 negatives (10-byte sign extension), maps of bytes, __proto__ as a plain key", () => {
  const obj = decode(envelope("v1", "Secret",
    meta(str(1, "s"), int(10, -5), entry(11, "__proto__", Buffer.from("x"))),
    entry(2, "bin", Buffer.from([0, 255, 1])), entry(2, "empty", Buffer.alloc(0)),
  ));
  assert.equal(obj.metadata.deletionGracePeriodSeconds, -5);
  assert.deepEqual(Object.keys(obj.metadata.labels), ["__proto__"]);
  assert.equal(obj.metadata.labels["__proto__"], "x");
  assert.deepEqual(obj.data, { bin: "AP8B", empty: "" });
});

test("Time, MicroTime: RFC 3339; empty message is the zero time and is omitted", () => {
  const ev = decode(envelope("v1", "Event",
    meta(str(1, "e"), msg(8), msg(9, int(1, 1704164645))), // creationTimestamp zero, deletionTimestamp set
    msg(6, int(1, 0)), // firstTimestamp = Unix 0 (not the zero time)
    msg(7, int(1, -62135596800n)), // Go's zero time → omitted
    msg(10, int(1, 1704164645), int(2, 123456789)), // eventTime
  ));
  assert.equal(ev.metadata.deletionTimestamp, "2024-01-02T03:04:05Z");
  assert.equal("creationTimestamp" in ev.metadata, false);
  assert.equal(ev.firstTimestamp, "1970-01-01T00:00:00Z");
  assert.equal("lastTimestamp" in ev, false);
  assert.equal(ev.eventTime, "2024-01-02T03:04:05.123456Z");
});

test("inline fields flatten into the parent; IntOrString, Quantity, repeated and packed scalars", () => {
  const container = msg(2, str(1, "c"), str(2, "img"),
    msg(10, msg(1, msg(2, str(1, "/healthz"), msg(2, int(1, 1), str(3, "http")))), int(2, 5)), // livenessProbe.handler.httpGet
    msg(8, entry(1, "cpu", str(1, "500m"))), // resources.limits
    msg(7, str(1, "A"), msg(3, msg(3, meta(str(1, "cfg")), str(2, "k")))), // env valueFrom.configMapKeyRef
  );
  const volume = msg(1, str(1, "v"), msg(2, msg(19, meta(str(1, "cm")), int(3, 420)), msg(2)));
  const packedGroups = bytes(4, Buffer.concat([varint(1), varint(2), varint(-3)]));
  const pod = decode(envelope("v1", "Pod", meta(str(1, "p")), msg(2, volume, container, msg(14, packedGroups, int(4, 7)))));
  assert.deepEqual(pod.spec.volumes, [{ name: "v", configMap: { name: "cm", defaultMode: 420 }, emptyDir: {} }]);
  const c = pod.spec.containers[0];
  assert.deepEqual(c.livenessProbe, { httpGet: { path: "/healthz", port: "http" }, initialDelaySeconds: 5 });
  assert.deepEqual(c.resources, { limits: { cpu: "500m" } });
  assert.deepEqual(c.env, [{ name: "A", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } }]);
  assert.deepEqual(pod.spec.securityContext, { supplementalGroups: [1, 2, -3, 7] });
});

test("RawExtension and FieldsV1 carry JSON; ExtraValue is a bare array", () => {
  const rev = decode(envelope("apps/v1", "ControllerRevision",
    meta(str(1, "r"), msg(17, str(1, "kubectl"), str(6, "FieldsV1"), msg(7, str(1, '{"f:data":{}}')))),
    msg(2, str(1, '{"spec":{"x":[1,2]}}')), int(3, 2),
  ));
  assert.deepEqual(rev.data, { spec: { x: [1, 2] } });
  assert.deepEqual(rev.metadata.managedFields, [{ manager: "kubectl", fieldsType: "FieldsV1", fieldsV1: { "f:data": {} } }]);
  const review = decode(envelope("authentication.k8s.io/v1", "TokenReview",
    msg(3, int(1, 1), msg(2, str(1, "alice"), entry(4, "scopes", Buffer.concat([str(1, "a"), str(1, "b")]))))));
  assert.deepEqual(review.status, { authenticated: true, user: { username: "alice", extra: { scopes: ["a", "b"] } } });
});

test("singular messages sent twice merge; unknown fields of every wire type are skipped", () => {
  const unknown = Buffer.concat([int(99, 1), bytes(98, Buffer.from("zz")), key(97, 1), Buffer.alloc(8), key(96, 5), Buffer.alloc(4),
    key(95, 3), int(1, 1), key(94, 3), key(94, 4), key(95, 4)]);
  const obj = decode(envelope("v1", "ConfigMap", meta(str(1, "a")), unknown, meta(str(3, "ns"), unknown), entry(2, "k", Buffer.from("v"))));
  assert.deepEqual(obj, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns" }, data: { k: "v" } });
});

test("DeleteOptions is accepted under any group version", () => {
  const obj = decode(envelope("apps/v1", "DeleteOptions", int(1, 30), msg(2, str(1, "uid-1")), str(4, "Foreground"), int(3, 0)));
  assert.deepEqual(obj, { apiVersion: "apps/v1", kind: "DeleteOptions", gracePeriodSeconds: 30, preconditions: { uid: "uid-1" }, orphanDependents: false, propagationPolicy: "Foreground" });
});

const bad: [string, Buffer, RegExp][] = [
  ["empty body", Buffer.alloc(0), /magic/],
  ["JSON body", Buffer.from('{"kind":"ConfigMap"}'), /magic/],
  ["unknown kind", envelope("v1", "Gadget"), /no kind "Gadget" is registered for version "v1"/],
  ["kind in the wrong group", envelope("v1", "Deployment"), /no kind "Deployment"/],
  ["missing kind", envelope("v1", ""), /Kind' is missing/],
  ["truncated varint", Buffer.concat([envelope("v1", "ConfigMap"), Buffer.from([0x08, 0xff])]), /end of data inside a varint/],
  ["length past the end", Buffer.concat([Buffer.from("k8s\0", "latin1"), Buffer.from([0x12, 0x20, 0x0a])]), /runs past the end/],
  ["varint too long", Buffer.concat([envelope("v1", "ConfigMap", Buffer.from([0x20, ...Array(10).fill(0xff), 0x01]))]), /longer than 10 bytes/],
  ["wrong wire type", envelope("v1", "ConfigMap", int(1, 5)), /wrong wire type 0 for field k8s.io.api.core.v1.ConfigMap.metadata/],
  ["field number 0", envelope("v1", "ConfigMap", Buffer.from([0x02, 0x00])), /invalid field number 0/],
  ["wire type 7", envelope("v1", "ConfigMap", Buffer.from([0x0f])), /invalid wire type 7/],
  ["unterminated group", envelope("v1", "ConfigMap", key(50, 3)), /unterminated group/],
  ["IntOrString type 2", envelope("policy/v1", "PodDisruptionBudget", msg(2, msg(1, int(1, 2)))), /impossible IntOrString/],
  ["bad quantity", envelope("v1", "ResourceQuota", msg(2, entry(1, "cpu", str(1, "lots")))), /quantities must match/],
  ["RawExtension not JSON", envelope("apps/v1", "ControllerRevision", msg(2, str(1, "{nope"))), /RawExtension does not hold valid JSON/],
  ["time out of range", envelope("v1", "Namespace", meta(msg(9, int(1, 10n ** 15n)))), /outside years/],
  ["content encoding", Buffer.concat([envelope("v1", "Namespace"), str(3, "gzip")]), /content encoding "gzip"/],
];
for (const [name, body, message] of bad) {
  test(`malformed: ${name} → 400 BadRequest`, () => {
    assert.throws(() => decodeKubernetesProtobuf(body), (err: unknown) => {
      assert.ok(isStatusError(err, "BadRequest"), `not a BadRequest StatusError: ${String(err)}`);
      assert.equal(err.code, 400);
      assert.match(err.message, message);
      return true;
    });
  });
}
