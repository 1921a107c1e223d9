// defaultNormalizeScore: highest → 100 with truncating division; reversed; all-zero cases.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defaultNormalizeScore } from "./normalize.ts";

const run = (raw: number[], reverse?: boolean, max?: number) => {
  const scores = Float64Array.from(raw);
  assert.equal(defaultNormalizeScore(scores, reverse, max).code, "Success");
  return [...scores];
};

describe("defaultNormalizeScore", () => {
  it("scales the highest score to the maximum, truncating", () => {
    assert.deepEqual(run([0, 1, 3]), [0, 33, 100]);
    assert.deepEqual(run([2, 3, 7]), [28, 42, 100]);
  });

  it("reverses: the lowest raw score gets the maximum", () => {
    assert.deepEqual(run([0, 1, 3], true), [100, 67, 0]);
  });

  it("leaves all-zero scores at 0, or sets them to the maximum when reversed", () => {
    assert.deepEqual(run([0, 0]), [0, 0]);
    assert.deepEqual(run([0, 0], true), [100, 100]);
    assert.deepEqual(run([]), []);
  });

  it("takes another maximum", () => {
    assert.deepEqual(run([1, 2], false, 10), [5, 10]);
  });
});
