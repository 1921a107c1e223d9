// Sharing of equal immutable values between pods (bounded tables, cleared when full). Filter and
// PreFilter loops visit thousands of existing pods per cycle; when pods of one template share
// their parsed terms, label sets and strings, those loops touch a few hot objects instead of a
// cache line per pod, and equal strings compare by pointer.

/** A table of shared values by key, emptied when it reaches `max` entries. */
export class Interner<T> {
  private readonly table = new Map<string, T>();
  private readonly max: number;

  constructor(max = 10_000) {
    this.max = max;
  }

  get(key: string, make: () => T): T {
    let v = this.table.get(key);
    if (v === undefined) {
      v = make();
      if (this.table.size >= this.max) this.table.clear();
      this.table.set(key, v);
    }
    return v;
  }
}

/**
 * The string as V8 keeps property names (internalized: one copy per content). A topology key read
 * from a pod indexes node labels millions of times; a non-internalized copy shared through
 * interned terms sends V8's optimized keyed loads into a deoptimization loop ("unexpected name in
 * keyed access"), and internalized strings compare by pointer.
 */
export const asPropertyName = (s: string): string => Object.keys({ [s]: 0 })[0] ?? s;

const strings = new Interner<string>();

/** One shared, internalized copy of `s`. */
export const internString = (s: string): string => strings.get(s, () => asPropertyName(s));

type Labels = Readonly<Record<string, string>>;
const labelSets = new Interner<Labels>();

/** One shared, frozen copy of a label set (values internalized); undefined stays undefined. */
export function internLabels(labels: Labels | undefined): Labels | undefined {
  if (labels === undefined) return undefined;
  return labelSets.get(JSON.stringify(labels), () =>
    Object.freeze(Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, typeof v === "string" ? internString(v) : v]))));
}
