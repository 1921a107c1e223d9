// Label selectors: Kubernetes' parse/print/match cases, its error messages, LabelSelector conversion.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  everything, isEverything, labelSelectorAsSelector, matchesLabels, newRequirement, nothing, parseLabelSelector,
  requiresExactMatch, selectorFromSet, selectorToString,
} from "./labels.ts";
import { StatusError } from "./status.ts";

/** Asserts a 400 BadRequest StatusError whose message matches. */
function assertBadRequest(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StatusError, `expected StatusError, got ${String(err)}`);
    assert.equal(err.code, 400);
    assert.equal(err.reason, "BadRequest");
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

const matches = (sel: string, labels: Record<string, string>) => matchesLabels(parseLabelSelector(sel), labels);

test("parses and re-prints Kubernetes' good selectors (TestSelectorParse)", () => {
  for (const s of ["x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5"]) {
    assert.equal(selectorToString(parseLabelSelector(s)), s.replaceAll(" ", ""), s);
  }
});

test("rejects Kubernetes' bad selectors (TestSelectorParse)", () => {
  for (const s of ["x=a||y=b", "x==a==b", "!x=a", "x<a"]) assertBadRequest(() => parseLabelSelector(s), /./);
});

test("all operators and whitespace tolerance", () => {
  const sel = parseLabelSelector("  env in ( prod , staging ),tier notin (frontend),  app == web, !legacy, track != canary, release ");
  assert.deepEqual(sel.requirements.map((r) => [r.key, r.operator, r.values]), [
    ["app", "==", ["web"]],
    ["env", "in", ["prod", "staging"]],
    ["legacy", "!", []],
    ["release", "exists", []],
    ["tier", "notin", ["frontend"]],
    ["track", "!=", ["canary"]],
  ]);
  assert.equal(selectorToString(sel), "app==web,env in (prod,staging),!legacy,release,tier notin (frontend),track!=canary");
});

test("canonical string sorts keys and values; empty values in sets", () => {
  assert.equal(selectorToString(parseLabelSelector("x in (foo,,baz),y,z notin ()")), "x in (,baz,foo),y,z notin ()");
  const a = selectorToString(parseLabelSelector("x=a,a=x"));
  assert.equal(a, selectorToString(parseLabelSelector("a=x,x=a")));
  assert.equal(a, "a=x,x=a");
  // the printed form parses back to the same thing
  const s = "a in (b,c),d notin (e),f,!g,h=i,j!=k,l>3";
  assert.deepEqual(parseLabelSelector(selectorToString(parseLabelSelector(s))), parseLabelSelector(s));
});

test("matching (TestSelectorMatches)", () => {
  assert.ok(matches("", { x: "y" }));
  assert.ok(matches("x=y", { x: "y" }));
  assert.ok(matches("x=y,z=w", { x: "y", z: "w" }));
  assert.ok(matches("x!=y,z!=w", { x: "z", z: "a" }));
  assert.ok(matches("notin=in", { notin: "in" }));
  assert.ok(matches("x", { x: "z" }));
  assert.ok(matches("!x", { y: "z" }));
  assert.ok(matches("x>1", { x: "2" }));
  assert.ok(matches("x<1", { x: "0" }));
  assert.ok(!matches("x=z", {}));
  assert.ok(!matches("x=y", { x: "z" }));
  assert.ok(!matches("x=y,z=w", { x: "w", z: "w" }));
  assert.ok(!matches("x!=y,z!=w", { x: "z", z: "w" }));
  assert.ok(!matches("x", { y: "z" }));
  assert.ok(!matches("!x", { x: "z" }));
  assert.ok(!matches("x>1", { x: "0" }));
  assert.ok(!matches("x<1", { x: "2" }));
  assert.ok(!matches("x>1", { x: "notanumber" }));
  // notin and != match objects without the key; in and = do not
  assert.ok(matches("x notin (a)", {}));
  assert.ok(matches("x!=a", {}));
  assert.ok(!matches("x in (a)", {}));
  assert.ok(matches("x in (a,b)", { x: "b" }));
  assert.ok(!matches("x notin (a,b)", { x: "b" }));
  assert.ok(matchesLabels(parseLabelSelector("a"), undefined) === false);
  assert.ok(matchesLabels(parseLabelSelector(""), undefined));
  // "x=" selects the empty value
  assert.ok(matches("x=", { x: "" }));
  assert.ok(!matches("x=", {}));
});

test("syntax errors carry Kubernetes' messages", () => {
  assertBadRequest(() => parseLabelSelector("x=a||y=b"), "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  assertBadRequest(() => parseLabelSelector("x==a==b"), "found '==', expected: ',' or 'end of string'");
  assertBadRequest(() => parseLabelSelector("!x=a"), "found '=', expected: ',' or 'end of string'");
  assertBadRequest(() => parseLabelSelector("x<a"), "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer");
  assertBadRequest(() => parseLabelSelector("x in a"), "unable to parse requirement: found 'a' expected: '('");
  assertBadRequest(() => parseLabelSelector("x in (a"), "unable to parse requirement: found '', expected: ',' or ')'");
  assertBadRequest(() => parseLabelSelector("x in (a,=)"), "unable to parse requirement: found '=', expected: ',', or identifier");
  assertBadRequest(() => parseLabelSelector("x in ="), "unable to parse requirement: found '=' expected: '('");
  assertBadRequest(() => parseLabelSelector("x in (="), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  assertBadRequest(() => parseLabelSelector("x (a)"), "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
  assertBadRequest(() => parseLabelSelector("a,"), "found '', expected: identifier after ','");
  assertBadRequest(() => parseLabelSelector(",a"), "found ',', expected: !, identifier, or 'end of string'");
  assertBadRequest(() => parseLabelSelector("!"), "unable to parse requirement: found '', expected: identifier");
  assertBadRequest(() => parseLabelSelector("x=(a)"), "unable to parse requirement: found '(', expected: identifier");
});

test("invalid keys and values are reported with field paths as Kubernetes does", () => {
  assertBadRequest(() => parseLabelSelector("a/b/c=d"), /^unable to parse requirement: <nil>: Invalid value: "a\/b\/c": a valid label key must consist of/);
  assertBadRequest(() => parseLabelSelector("-a=b"), /^unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric characters/);
  assertBadRequest(() => parseLabelSelector(`k=${"v".repeat(64)}`), /^unable to parse requirement: values\[0\]\[k\]: Invalid value: "v{64}": must be no more than 63 bytes$/);
  assertBadRequest(() => parseLabelSelector("Example.com/a=b"), /prefix part a lowercase RFC 1123 subdomain must consist of lower case/);
});

test("LabelSelector (API type): null matches nothing, empty matches everything", () => {
  assert.equal(labelSelectorAsSelector(null), nothing);
  assert.equal(labelSelectorAsSelector(undefined), nothing);
  assert.ok(!matchesLabels(labelSelectorAsSelector(null), {}));
  assert.ok(!matchesLabels(nothing, { a: "b" }));
  assert.ok(isEverything(labelSelectorAsSelector({})));
  assert.ok(isEverything(labelSelectorAsSelector({ matchLabels: {}, matchExpressions: [] })));
  assert.ok(matchesLabels(labelSelectorAsSelector({}), { a: "b" }));
  assert.ok(matchesLabels(everything, undefined));
  assert.ok(!isEverything(nothing));
});

test("LabelSelector (API type): matchLabels AND matchExpressions", () => {
  const sel = labelSelectorAsSelector({
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "tier", operator: "In", values: ["a", "b"] },
      { key: "env", operator: "NotIn", values: ["dev"] },
      { key: "owner", operator: "Exists" },
      { key: "legacy", operator: "DoesNotExist" },
    ],
  });
  assert.equal(selectorToString(sel), "app=web,env notin (dev),!legacy,owner,tier in (a,b)");
  assert.ok(matchesLabels(sel, { app: "web", tier: "a", owner: "x" }));
  assert.ok(!matchesLabels(sel, { app: "web", tier: "c", owner: "x" }));
  assert.ok(!matchesLabels(sel, { app: "web", tier: "a", owner: "x", legacy: "1" }));
  assert.ok(!matchesLabels(sel, { app: "web", tier: "a", owner: "x", env: "dev" }));
  assert.ok(!matchesLabels(sel, { tier: "a", owner: "x" }));
});

test("LabelSelector (API type): invalid content → 400 with Kubernetes' messages", () => {
  assertBadRequest(() => labelSelectorAsSelector({ matchExpressions: [{ key: "a", operator: "Foo" }] }), "\"Foo\" is not a valid label selector operator");
  assertBadRequest(() => labelSelectorAsSelector({ matchExpressions: [{ key: "a", operator: "In" }] }), "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty");
  assertBadRequest(() => labelSelectorAsSelector({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }), "values: Invalid value: [\"x\"]: values set must be empty for exists and does not exist");
  assertBadRequest(() => labelSelectorAsSelector({ matchLabels: { "bad key": "v" } }), /^key: Invalid value: "bad key": name part must consist/);
  assertBadRequest(() => labelSelectorAsSelector({ matchLabels: { k: "bad value" } }), /^values\[0\]\[k\]: Invalid value: "bad value": a valid label must be/);
  // several problems in one requirement aggregate as "[a, b]"
  assertBadRequest(() => labelSelectorAsSelector({ matchExpressions: [{ key: "-", operator: "NotIn", values: [] }] }), /^\[key: Invalid value: "-": .*, values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty\]$/);
});

test("newRequirement, selectorFromSet and requiresExactMatch", () => {
  assert.deepEqual(newRequirement("a", "in", ["x"]), { key: "a", operator: "in", values: ["x"] });
  assertBadRequest(() => newRequirement("a", "=", ["x", "y"]), "values: Invalid value: [\"x\",\"y\"]: exact-match compatibility requires one single value");
  assertBadRequest(() => newRequirement("a", "gt", ["1", "2"]), "values: Invalid value: [\"1\",\"2\"]: for 'Gt', 'Lt' operators, exactly one value is required");
  const set = selectorFromSet({ b: "2", a: "1" });
  assert.equal(selectorToString(set), "a=1,b=2");
  assert.ok(isEverything(selectorFromSet({})));
  assert.equal(requiresExactMatch(set, "b"), "2");
  assert.equal(requiresExactMatch(parseLabelSelector("x in (q)"), "x"), "q");
  assert.equal(requiresExactMatch(parseLabelSelector("x in (q,r)"), "x"), undefined);
  assert.equal(requiresExactMatch(parseLabelSelector("x!=q"), "x"), undefined);
});
