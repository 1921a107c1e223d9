import { test } from "node:test";
import assert from "node:assert/strict";
import { KeyedHeap } from "./heap.ts";

interface Item { key: string; n: number }
const heap = () => new KeyedHeap<Item>((i) => i.key, (a, b) => a.n < b.n);

test("pops in order, with updates and deletes by key", () => {
  const h = heap();
  const values = [5, 3, 9, 1, 7, 2, 8, 6, 4, 0];
  for (const n of values) h.addOrUpdate({ key: `k${n}`, n });
  h.addOrUpdate({ key: "k9", n: -1 }); // moves to the front
  assert.equal(h.delete("k5")?.n, 5);
  assert.equal(h.delete("missing"), undefined);
  const out: number[] = [];
  for (let i = h.pop(); i; i = h.pop()) out.push(i.n);
  assert.deepEqual(out, [-1, 0, 1, 2, 3, 4, 6, 7, 8]);
  assert.equal(h.size, 0);
});

test("random operations keep the heap order", () => {
  const h = heap();
  const model = new Map<string, number>();
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let step = 0; step < 5000; step++) {
    const key = `k${Math.floor(rnd() * 200)}`;
    const r = rnd();
    if (r < 0.5) {
      const n = Math.floor(rnd() * 1000);
      h.addOrUpdate({ key, n });
      model.set(key, n);
    } else if (r < 0.7) {
      assert.equal(h.delete(key)?.n, model.get(key));
      model.delete(key);
    } else if (model.size > 0) {
      const min = Math.min(...model.values());
      const top = h.pop()!;
      assert.equal(top.n, min);
      model.delete(top.key);
    }
    assert.equal(h.size, model.size);
  }
});
