// Range results between the range reader thread and the main thread, in columns.
import type { KeyValue } from "../interface.ts";

/**
 * Rows in columns: structured clone moves a few large arrays far faster than thousands of small
 * objects, and the main thread's share of a large range is what matters.
 */
export interface RangeColumns {
  keys: string[];
  values: string[];
  /** createRevision, modRevision, version for each row. */
  numbers: Float64Array;
}

export function toColumns(kvs: KeyValue[]): RangeColumns {
  const numbers = new Float64Array(kvs.length * 3);
  kvs.forEach((kv, i) => numbers.set([kv.createRevision, kv.modRevision, kv.version], i * 3));
  return { keys: kvs.map((kv) => kv.key), values: kvs.map((kv) => kv.value), numbers };
}

export function fromColumns(rows: RangeColumns): KeyValue[] {
  const out: KeyValue[] = new Array(rows.keys.length);
  for (let i = 0; i < rows.keys.length; i++) {
    out[i] = { key: rows.keys[i]!, value: rows.values[i]!, createRevision: rows.numbers[i * 3]!, modRevision: rows.numbers[i * 3 + 1]!, version: rows.numbers[i * 3 + 2]! };
  }
  return out;
}

