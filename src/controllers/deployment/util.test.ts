// Unit tests: the pod-template hash, FNV/SafeEncodeString, template equality, maxSurge/maxUnavailable.
import { it } from "node:test";
import assert from "node:assert/strict";
import { computeHash, equalIgnoreHash, fnv32a, maxSurge, maxUnavailable, resolveFenceposts, safeEncodeString, scaledValue } from "./util.ts";
import { deployment, template } from "./testdata.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

it("fnv32a matches the FNV-1a test vectors", () => {
  assert.equal(fnv32a(bytes("")), 0x811c9dc5);
  assert.equal(fnv32a(bytes("a")), 0xe40c292c);
  assert.equal(fnv32a(bytes("foobar")), 0xbf9cf968);
});

it("safeEncodeString maps into the consonant-and-digit alphabet", () => {
  // "0" is byte 48, 48 % 27 = 21 → "4" (as Go's rand.SafeEncodeString).
  assert.equal(safeEncodeString("0123456789"), "456789bcdf");
  assert.match(safeEncodeString("4294967295"), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});

it("computeHash is stable, ignores key order and empty fields, and changes with the template", () => {
  const t = template("busybox:1");
  const h = computeHash(t);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(computeHash(structuredClone(t)), h);
  const reordered = { spec: { containers: [{ image: "busybox:1", name: "c" }] }, metadata: { labels: { app: "web" }, creationTimestamp: null } };
  assert.equal(computeHash(reordered as never), h);
  assert.notEqual(computeHash(template("busybox:2")), h);
  assert.notEqual(computeHash(t, 1), h);
  assert.notEqual(computeHash(t, 1), computeHash(t, 2));
  assert.equal(computeHash(t, 1), computeHash(t, 1));
});

it("equalIgnoreHash ignores only the pod-template-hash label", () => {
  const a = template("x");
  const b = structuredClone(a);
  b.metadata!.labels!["pod-template-hash"] = "abc";
  assert.ok(equalIgnoreHash(a, b));
  b.metadata!.labels!.tier = "front";
  assert.ok(!equalIgnoreHash(a, b));
  assert.ok(!equalIgnoreHash(template("x"), template("y")));
});

it("scales percentages: surge rounds up, unavailable rounds down", () => {
  assert.equal(scaledValue("25%", 5, true), 2);
  assert.equal(scaledValue("25%", 5, false), 1);
  assert.equal(scaledValue(3, 5, true), 3);
  assert.throws(() => scaledValue("25", 5, true), /invalid value/);
  assert.deepEqual(resolveFenceposts("25%", "25%", 5), { surge: 2, unavailable: 1 });
  assert.deepEqual(resolveFenceposts("25%", "25%", 3), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts(0, "10%", 5), { surge: 0, unavailable: 1 }, "both 0 → unavailable 1");
  assert.deepEqual(resolveFenceposts("50%", 0, 10), { surge: 5, unavailable: 0 });
});

it("maxSurge/maxUnavailable of a deployment: capped, and 0 for Recreate", () => {
  assert.equal(maxSurge(deployment({ replicas: 10 })), 3);
  assert.equal(maxUnavailable(deployment({ replicas: 10 })), 2);
  assert.equal(maxUnavailable(deployment({ replicas: 2, maxUnavailable: 5 })), 2);
  assert.equal(maxUnavailable(deployment({ replicas: 0 })), 0);
  assert.equal(maxSurge(deployment({ recreate: true })), 0);
  assert.equal(maxUnavailable(deployment({ recreate: true })), 0);
});
