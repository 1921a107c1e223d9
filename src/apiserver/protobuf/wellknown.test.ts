// Duration strings against Go's own time.Duration.String() test table, and the time edge cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WELL_KNOWN, goDuration } from "./wellknown.ts";
import { int, str } from "./testdata/encode.ts";
import { isStatusError } from "../../apimachinery/status.ts";

test("goDuration matches Go's durationTests", () => {
  const cases: [string, bigint][] = [
    ["0s", 0n], ["1ns", 1n], ["1.1µs", 1100n], ["2.2ms", 2_200_000n], ["3.3s", 3_300_000_000n],
    ["4m5s", 245_000_000_000n], ["4m5.001s", 245_001_000_000n], ["5h6m7.001s", 18_367_001_000_000n],
    ["8m0.000000001s", 480_000_000_001n], ["1h0m0s", 3_600_000_000_000n], ["-1.5s", -1_500_000_000n],
    ["2562047h47m16.854775807s", 2n ** 63n - 1n], ["-2562047h47m16.854775808s", -(2n ** 63n)],
  ];
  for (const [want, ns] of cases) assert.equal(goDuration(ns), want, String(ns));
});

test("Duration message → Go duration string", () => {
  const duration = WELL_KNOWN["k8s.io.apimachinery.pkg.apis.meta.v1.Duration"]!;
  assert.equal(duration(int(1, 90_000_000_000)), "1m30s");
  assert.equal(duration(new Uint8Array()), "0s");
});

test("MicroTime normalises nanos and truncates to microseconds", () => {
  const micro = WELL_KNOWN["k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime"]!;
  assert.equal(micro(Buffer.concat([int(1, 10), int(2, 1_999_999_999)])), "1970-01-01T00:00:11.999999Z");
  assert.equal(micro(Buffer.concat([int(1, 10), int(2, -1)])), "1970-01-01T00:00:09.999999Z");
  assert.equal(micro(new Uint8Array()), undefined);
});

test("Time ignores nanos (as Go does) and keeps Unix 0 distinct from the zero time", () => {
  const time = WELL_KNOWN["k8s.io.apimachinery.pkg.apis.meta.v1.Time"]!;
  assert.equal(time(Buffer.concat([int(1, 1), int(2, 5)])), "1970-01-01T00:00:01Z");
  assert.equal(time(int(1, 0)), "1970-01-01T00:00:00Z");
  assert.equal(time(int(1, -62135596800n)), undefined);
  assert.equal(time(int(1, 253402300799n)), "9999-12-31T23:59:59Z");
  assert.throws(() => time(int(1, 253402300800n)), (e: unknown) => isStatusError(e, "BadRequest"));
});

test("IntOrString, Quantity, RawExtension", () => {
  const ios = WELL_KNOWN["k8s.io.apimachinery.pkg.util.intstr.IntOrString"]!;
  assert.equal(ios(Buffer.concat([int(1, 0), int(2, -8080), str(3, "")])), -8080);
  assert.equal(ios(Buffer.concat([int(1, 1), int(2, 0), str(3, "25%")])), "25%");
  const q = WELL_KNOWN["k8s.io.apimachinery.pkg.api.resource.Quantity"]!;
  assert.equal(q(str(1, "1.5Gi")), "1.5Gi");
  assert.equal(q(new Uint8Array()), "0");
  const raw = WELL_KNOWN["k8s.io.apimachinery.pkg.runtime.RawExtension"]!;
  assert.equal(raw(str(1, "null")), undefined);
  assert.deepEqual(raw(str(1, '{"__proto__":1}')), JSON.parse('{"__proto__":1}'));
});
