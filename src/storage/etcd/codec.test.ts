// Unit tests of the key codec: prefixes, byte-wise range ends, and etcd KeyValue conversion.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { KeyCodec, bytesPrefixEnd } from "./codec.ts";

describe("KeyCodec", () => {
  it("computes range ends on bytes", () => {
    assert.deepEqual(bytesPrefixEnd(Buffer.from("/a/")), Buffer.from("/a0"));
    assert.deepEqual(bytesPrefixEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
    assert.deepEqual(bytesPrefixEnd(Buffer.from([0xff])), Buffer.from([0]));
    assert.deepEqual(bytesPrefixEnd(Buffer.alloc(0)), Buffer.from([0]));
    // "é" is c3 a9 in UTF-8: the end is c3 aa, which is "ê".
    assert.equal(bytesPrefixEnd(Buffer.from("/é")).toString("utf8"), "/ê");
  });

  it("prepends and strips the key prefix, and never sends an empty key", () => {
    const plain = new KeyCodec();
    assert.deepEqual(plain.encode(""), Buffer.from([0]));
    assert.deepEqual(plain.prefixRange(""), { key: Buffer.from([0]), rangeEnd: Buffer.from([0]) });
    const scoped = new KeyCodec("/tenant-é");
    assert.equal(scoped.encode("/x").toString("utf8"), "/tenant-é/x");
    assert.equal(scoped.decode(Buffer.from("/tenant-é/x/ü")), "/x/ü");
    const { key, rangeEnd } = scoped.prefixRange("");
    assert.equal(key.toString("utf8"), "/tenant-é");
    assert.equal(rangeEnd.toString("utf8"), "/tenant-ê");
  });

  it("converts etcd's string revisions to numbers", () => {
    const kv = new KeyCodec("/p").toKeyValue({ key: Buffer.from("/p/k"), value: Buffer.from("v"), create_revision: "5", mod_revision: "9", version: "3", lease: "0" });
    assert.deepEqual(kv, { key: "/k", value: "v", createRevision: 5, modRevision: 9, version: 3 });
  });
});
