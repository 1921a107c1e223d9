// Path elements of managed-field sets as structured-merge-diff defines them: a struct/map field
// (`f:name`), an associative-list item by its keys (`k:{"name":"nginx"}`), a set item by value
// (`v:"a"`), a list index (`i:0`); their FieldsV1 spelling, total order and `.a[name="x"]` text.
import { isPlainObject } from "../../apimachinery/object.ts";
import { goFormat } from "../../apimachinery/go-format.ts";

export type PathElement =
  | { readonly field: string }
  /** Key fields sorted by name. */
  | { readonly key: readonly (readonly [string, unknown])[] }
  | { readonly value: unknown }
  | { readonly index: number };

export type Path = readonly PathElement[];

/** A string as Go's encoding/json writes it (HTML characters and U+2028/9 escaped). */
export function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A JSON value as Go's encoding/json writes a decoded value: map keys sorted, no spaces. */
export function goJSON(v: unknown): string {
  if (typeof v === "string") return goString(v);
  if (typeof v === "number") return Number.isFinite(v) ? JSON.stringify(v) : "null";
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(goJSON).join(",")}]`;
  if (isPlainObject(v)) return `{${Object.keys(v).sort().map((k) => `${goString(k)}:${goJSON(v[k])}`).join(",")}}`;
  return "null";
}

/** The FieldsV1 key of a path element (`f:data`, `k:{"name":"a"}`, `v:"x"`, `i:0`). */
export function serializePathElement(pe: PathElement): string {
  if ("field" in pe) return `f:${pe.field}`;
  if ("key" in pe) return `k:{${pe.key.map(([name, value]) => `${goString(name)}:${goJSON(value)}`).join(",")}}`;
  if ("value" in pe) return `v:${goJSON(pe.value)}`;
  return `i:${pe.index}`;
}

export class PathElementError extends Error {}

/**
 * Parses a FieldsV1 key. Returns null for an unknown element type (Kubernetes drops those);
 * throws PathElementError for a malformed one.
 */
export function parsePathElement(s: string): PathElement | null {
  if (s.length < 2) throw new PathElementError(`key must be 2 characters long: ${s}`);
  if (s[1] !== ":") throw new PathElementError(`missing colon: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case "f":
      return { field: body };
    case "v":
      return { value: parseJsonOrThrow(body) };
    case "k": {
      const obj = parseJsonOrThrow(body);
      if (!isPlainObject(obj)) throw new PathElementError(`expected an object of key fields: ${s}`);
      return keyElement(Object.entries(obj));
    }
    case "i": {
      if (!/^-?\d+$/.test(body)) throw new PathElementError(`invalid index: ${s}`);
      return { index: Number(body) };
    }
    default:
      return null;
  }
}

function parseJsonOrThrow(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch (err) {
    throw new PathElementError((err as Error).message);
  }
}

export function keyElement(fields: Iterable<readonly [string, unknown]>): PathElement {
  return { key: [...fields].sort((a, b) => compareStrings(a[0], b[0])) };
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function typeRank(v: unknown): number {
  if (typeof v === "number") return 0;
  if (typeof v === "string") return 1;
  if (typeof v === "boolean") return 2;
  if (Array.isArray(v)) return 3;
  if (isPlainObject(v)) return 4;
  return 5;
}

/** structured-merge-diff's total order of values: numbers, strings, booleans, lists, maps, null. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return a === b ? 0 : a ? 1 : -1;
    case 3: {
      const la = a as unknown[];
      const lb = b as unknown[];
      for (let i = 0; i < Math.min(la.length, lb.length); i++) {
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
      return la.length - lb.length < 0 ? -1 : la.length > lb.length ? 1 : 0;
    }
    case 4: {
      const ma = a as Record<string, unknown>;
      const mb = b as Record<string, unknown>;
      const ka = Object.keys(ma).sort(compareStrings);
      const kb = Object.keys(mb).sort(compareStrings);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const c = compareStrings(ka[i], kb[i]) || compareValues(ma[ka[i]], mb[kb[i]]);
        if (c !== 0) return c;
      }
      return ka.length < kb.length ? -1 : ka.length > kb.length ? 1 : 0;
    }
    default:
      return 0;
  }
}

function elementRank(pe: PathElement): number {
  return "field" in pe ? 0 : "key" in pe ? 1 : "value" in pe ? 2 : 3;
}

/** The order of path elements: fields, then keys, then values, then indexes. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const ra = elementRank(a);
  const rb = elementRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if ("field" in a && "field" in b) return compareStrings(a.field, b.field);
  if ("key" in a && "key" in b) {
    for (let i = 0; i < Math.min(a.key.length, b.key.length); i++) {
      const c = compareStrings(a.key[i][0], b.key[i][0]) || compareValues(a.key[i][1], b.key[i][1]);
      if (c !== 0) return c;
    }
    return a.key.length < b.key.length ? -1 : a.key.length > b.key.length ? 1 : 0;
  }
  if ("value" in a && "value" in b) return compareValues(a.value, b.value);
  if ("index" in a && "index" in b) return a.index < b.index ? -1 : a.index > b.index ? 1 : 0;
  return 0;
}

/** Go's %v of a value inside a path (strings quoted). */
function valueText(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueText).join(",")}]`;
  if (isPlainObject(v)) return Object.keys(v).map((k) => `${k}=${valueText(v[k])}`).join("");
  return goFormat(v);
}

/** A path as Kubernetes prints it in conflicts: `.spec.containers[name="nginx"].image`. */
export function pathString(path: Path): string {
  return path.map((pe) => {
    if ("field" in pe) return `.${pe.field}`;
    if ("key" in pe) return `[${pe.key.map(([k, v]) => `${k}=${valueText(v)}`).join(",")}]`;
    if ("value" in pe) return `[=${valueText(pe.value)}]`;
    return `[${pe.index}]`;
  }).join("");
}
