// Interning: equal label sets and strings come back as one shared (frozen) value; tables are bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { asPropertyName, Interner, internLabels, internString } from "./intern.ts";

test("equal label sets share one frozen copy with equal content", () => {
  const a = internLabels(JSON.parse('{"app":"web","tier":"front"}') as Record<string, string>);
  const b = internLabels({ app: "web", tier: "front" });
  assert.equal(a, b);
  assert.deepEqual(a, { app: "web", tier: "front" });
  assert.ok(Object.isFrozen(a));
  assert.notEqual(internLabels({ app: "db" }), a);
  assert.equal(internLabels(undefined), undefined);
});

test("strings intern to one copy; asPropertyName keeps the content", () => {
  const s = ["ns", "-1"].join("");
  assert.equal(internString(s), "ns-1");
  assert.equal(internString(s), internString("ns-1"));
  assert.equal(asPropertyName(["kubernetes.io/", "hostname"].join("")), "kubernetes.io/hostname");
});

test("an interner is emptied when full", () => {
  const t = new Interner<number>(2);
  let made = 0;
  const get = (k: string) => t.get(k, () => ++made);
  get("a");
  get("b");
  assert.equal(get("a"), 1);
  get("c"); // full: cleared, then holds c
  assert.equal(get("a"), 4);
});
