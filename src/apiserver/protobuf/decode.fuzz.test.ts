// Fuzz: mutated and truncated kubectl bodies, and random bytes, must decode to plain JSON data or
// fail with a 400 StatusError — never another exception. Seeded, so a failure reproduces.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeKubernetesProtobuf } from "./index.ts";
import { isStatusError } from "../../apimachinery/status.ts";

const seeds = (JSON.parse(readFileSync(new URL("./testdata/kubectl-1.32-bodies.json", import.meta.url), "utf8")) as { hex: string }[])
  .map((g) => Buffer.from(g.hex, "hex"));

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))) };
}

function mutate(r: ReturnType<typeof prng>): Buffer {
  const b = Buffer.from(seeds[r.int(seeds.length)]!);
  const at = r.int(b.length);
  switch (r.int(8)) {
    case 0: return b.subarray(0, at); // truncate
    case 1: for (let i = 0; i < 1 + r.int(4); i++) b[r.int(b.length)]! ^= 1 << r.int(8); return b; // bit flips
    case 2: b[at] = [0x00, 0x7f, 0x80, 0xff][r.int(4)]!; return b; // varint / length bytes
    case 3: return Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(16)), b.subarray(at)]); // insert
    case 4: return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(16))]); // delete
    case 5: return Buffer.concat([b.subarray(0, at), b.subarray(r.int(b.length)), b.subarray(at)]); // splice
    case 6: return Buffer.concat([Buffer.from("k8s\0", "latin1"), r.bytes(r.int(200))]); // random after magic
    default: return r.bytes(r.int(64)); // random
  }
}

test("2,000 mutated bodies: JSON data or a 400 StatusError, nothing else", () => {
  const r = prng(0x6b387300);
  const outcome = { decoded: 0, rejected: 0 };
  for (let i = 0; i < 2000; i++) {
    const body = mutate(r);
    try {
      const obj = decodeKubernetesProtobuf(body);
      assert.deepEqual(JSON.parse(JSON.stringify(obj)), obj, `not plain JSON data for ${body.toString("hex")}`);
      outcome.decoded++;
    } catch (err) {
      // The decoder's catch-all turns unexpected exceptions into "invalid protobuf body: …"; none may occur.
      if (!isStatusError(err, "BadRequest") || err.code !== 400 || err.message.startsWith("invalid protobuf body:")) {
        assert.fail(`iteration ${i}: ${String(err)} for ${body.toString("hex")}`);
      }
      outcome.rejected++;
    }
  }
  assert.ok(outcome.decoded > 100 && outcome.rejected > 100, JSON.stringify(outcome));
});
