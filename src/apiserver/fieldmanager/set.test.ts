// Field sets and path elements: FieldsV1 round trips in Kubernetes' spelling and order, set algebra.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FieldSet } from "./set.ts";
import { keyElement, parsePathElement, pathString, serializePathElement } from "./path.ts";
import type { Path } from "./path.ts";

const f = (field: string) => ({ field });

test("path elements serialize as Kubernetes writes them (keys sorted, Go JSON escaping)", () => {
  assert.equal(serializePathElement(f("data")), "f:data");
  assert.equal(serializePathElement(keyElement([["protocol", "TCP"], ["containerPort", 80]])), 'k:{"containerPort":80,"protocol":"TCP"}');
  assert.equal(serializePathElement({ value: "a<b" }), 'v:"a\\u003cb"');
  assert.equal(serializePathElement({ index: 3 }), "i:3");
  assert.deepEqual(parsePathElement('k:{"protocol":"TCP","containerPort":80}'), keyElement([["containerPort", 80], ["protocol", "TCP"]]));
  assert.equal(parsePathElement("x:whatever"), null);
  assert.throws(() => parsePathElement("f"));
  assert.throws(() => parsePathElement('k:{"a"'));
});

test("paths print as in conflict messages", () => {
  const p: Path = [f("spec"), f("containers"), keyElement([["name", "nginx"]]), f("image")];
  assert.equal(pathString(p), '.spec.containers[name="nginx"].image');
  assert.equal(pathString([f("metadata"), f("finalizers"), { value: "a" }]), '.metadata.finalizers[="a"]');
  assert.equal(pathString([f("spec"), f("ports"), keyElement([["port", 80], ["protocol", "TCP"]])]), '.spec.ports[port=80,protocol="TCP"]');
});

test("FieldsV1 round trip keeps Kubernetes' order and the '.' marker", () => {
  const json = {
    "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
    "f:spec": {
      "f:containers": {
        'k:{"name":"a"}': { ".": {}, "f:image": {}, "f:name": {} },
        'k:{"name":"b"}': { ".": {}, "f:name": {} },
      },
    },
  };
  const set = FieldSet.fromFieldsV1(json);
  assert.deepEqual(set.toFieldsV1(), json);
  assert.equal(JSON.stringify(set.toFieldsV1()), JSON.stringify(json));
  assert.ok(set.has([f("metadata"), f("labels")]));
  assert.ok(set.has([f("metadata"), f("labels"), f("app")]));
  assert.ok(!set.has([f("metadata")]));
  // Unsorted input comes out sorted: fields before keys before values.
  const messy = FieldSet.fromFieldsV1({ 'v:"x"': {}, "f:b": {}, 'k:{"a":1}': {}, "f:a": {} });
  assert.deepEqual(Object.keys(messy.toFieldsV1()), ["f:a", "f:b", 'k:{"a":1}', 'v:"x"']);
  assert.throws(() => FieldSet.fromFieldsV1({ "f:a": "nope" }));
  assert.throws(() => FieldSet.fromFieldsV1([]));
});

test("set algebra: union, intersection, difference, recursive difference", () => {
  const a = FieldSet.of([f("data"), f("a")], [f("data"), f("b")], [f("data")]);
  const b = FieldSet.of([f("data"), f("b")], [f("data"), f("c")]);
  assert.deepEqual(a.union(b).toFieldsV1(), { "f:data": { ".": {}, "f:a": {}, "f:b": {}, "f:c": {} } });
  assert.deepEqual(a.intersection(b).toFieldsV1(), { "f:data": { "f:b": {} } });
  assert.deepEqual(a.difference(b).toFieldsV1(), { "f:data": { ".": {}, "f:a": {} } });
  assert.deepEqual(a.recursiveDifference(FieldSet.of([f("data")])).toFieldsV1(), {});
  assert.ok(a.difference(a).isEmpty());
  assert.deepEqual(a.paths().map(pathString), [".data", ".data.a", ".data.b"]);
});
