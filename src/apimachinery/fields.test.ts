// Field selectors: terms, escaping, matching, and the API server's unsupported-field errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkFieldSelector, escapeFieldValue, fieldSelectorExactMatch, fieldSelectorFields, fieldSelectorToString, matchesFields,
  parseFieldSelector, unescapeFieldValue,
} from "./fields.ts";
import { StatusError } from "./status.ts";

function assertBadRequest(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StatusError, `expected StatusError, got ${String(err)}`);
    assert.equal(err.code, 400);
    assert.equal(err.reason, "BadRequest");
    assert.equal(err.message, message);
    return true;
  });
}

const pod: Record<string, string> = { "metadata.name": "web-1", "metadata.namespace": "default", "spec.nodeName": "n1", "status.phase": "Running" };
const get = (f: string) => pod[f];

test("parses =, == and != terms, ANDed, sorted into canonical order", () => {
  const sel = parseFieldSelector("status.phase!=Failed,spec.nodeName==n1,metadata.name=web-1");
  assert.deepEqual(sel.requirements, [
    { field: "metadata.name", operator: "=", value: "web-1" },
    { field: "spec.nodeName", operator: "=", value: "n1" },
    { field: "status.phase", operator: "!=", value: "Failed" },
  ]);
  assert.equal(fieldSelectorToString(sel), "metadata.name=web-1,spec.nodeName=n1,status.phase!=Failed");
  assert.ok(matchesFields(sel, get));
  assert.ok(!matchesFields(parseFieldSelector("spec.nodeName=n2"), get));
  assert.ok(!matchesFields(parseFieldSelector("status.phase!=Running"), get));
});

test("empty selector and empty terms select everything", () => {
  assert.deepEqual(parseFieldSelector("").requirements, []);
  assert.deepEqual(parseFieldSelector(",,").requirements, []);
  assert.deepEqual(parseFieldSelector("=").requirements, []);
  assert.ok(matchesFields(parseFieldSelector(""), () => undefined));
});

test("a missing field reads as the empty string", () => {
  assert.ok(matchesFields(parseFieldSelector("spec.nodeName="), () => undefined));
  assert.ok(matchesFields(parseFieldSelector("spec.nodeName!=n1"), () => undefined));
  assert.ok(!matchesFields(parseFieldSelector("spec.nodeName=n1"), () => undefined));
  assert.ok(!matchesFields(parseFieldSelector("spec.nodeName!="), () => undefined));
});

test("escaping: \\, \\= and \\\\ in values; escaped commas do not split terms", () => {
  const sel = parseFieldSelector("metadata.name=a\\,b\\=c\\\\d,x=y");
  assert.deepEqual(sel.requirements, [
    { field: "metadata.name", operator: "=", value: "a,b=c\\d" },
    { field: "x", operator: "=", value: "y" },
  ]);
  assert.equal(fieldSelectorToString(sel), "metadata.name=a\\,b\\=c\\\\d,x=y");
  assert.deepEqual(parseFieldSelector(fieldSelectorToString(sel)), sel);
  assert.equal(escapeFieldValue("a,b=c\\"), "a\\,b\\=c\\\\");
  assert.equal(unescapeFieldValue("plain"), "plain");
});

test("no whitespace trimming, as in Kubernetes", () => {
  assert.deepEqual(parseFieldSelector("a = b").requirements, [{ field: "a ", operator: "=", value: " b" }]);
});

test("bad selectors → 400 with Kubernetes' messages", () => {
  assertBadRequest(() => parseFieldSelector("metadata.name"), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  assertBadRequest(() => parseFieldSelector("a=b,c"), "invalid selector: 'a=b,c'; can't understand 'c'");
  assertBadRequest(() => parseFieldSelector("a=b=c"), "invalid field selector: unescaped character in value: 61");
  assertBadRequest(() => parseFieldSelector("a=b\\x"), "invalid field selector: invalid escape sequence: \\x");
  assertBadRequest(() => parseFieldSelector("a=b\\"), "invalid field selector: invalid escape sequence: \\");
});

test("fields used, exact matches, and the API server's unsupported-field errors", () => {
  const sel = parseFieldSelector("spec.nodeName=n1,metadata.name!=x,spec.nodeName!=n2");
  assert.deepEqual(fieldSelectorFields(sel), ["metadata.name", "spec.nodeName"]);
  assert.equal(fieldSelectorExactMatch(sel, "spec.nodeName"), "n1");
  assert.equal(fieldSelectorExactMatch(sel, "metadata.name"), undefined);
  checkFieldSelector(sel, ["metadata.name", "metadata.namespace", "spec.nodeName"]);
  assertBadRequest(() => checkFieldSelector(parseFieldSelector("spec.foo=1"), ["metadata.name", "spec.nodeName"]), "field label not supported: spec.foo");
  checkFieldSelector(parseFieldSelector("metadata.namespace=default"));
  assertBadRequest(() => checkFieldSelector(parseFieldSelector("spec.nodeName=n1")), "\"spec.nodeName\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
});
