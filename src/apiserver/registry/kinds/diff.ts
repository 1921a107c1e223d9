// Structural comparison of JSON values for immutability checks, and a short human diff for the
// messages that say what changed (Kubernetes prints a cmp.Diff there).

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep equality of JSON values; key order does not matter and an undefined field equals an absent one. */
export function stableEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => stableEqual(x, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!stableEqual(a[k], b[k])) return false;
  return true;
}

/** The paths whose values differ between `a` and `b`, at most `max` of them. */
export function diffPaths(a: unknown, b: unknown, path: string, max = 8): { path: string; from: unknown; to: unknown }[] {
  const out: { path: string; from: unknown; to: unknown }[] = [];
  const walk = (x: unknown, y: unknown, p: string) => {
    if (out.length >= max || stableEqual(x, y)) return;
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
      x.forEach((v, i) => walk(v, y[i], `${p}[${i}]`));
    } else if (isObject(x) && isObject(y)) {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) walk(x[k], y[k], `${p}.${k}`);
    } else {
      out.push({ path: p, from: x, to: y });
    }
  };
  walk(a, b, path);
  return out;
}

/** "- spec.x: old\n+ spec.x: new" lines for the differing paths of two objects. */
export function specDiff(from: unknown, to: unknown, path: string): string {
  const show = (v: unknown) => (v === undefined ? "<unset>" : JSON.stringify(v));
  return diffPaths(from, to, path).map((d) => `- ${d.path}: ${show(d.from)}\n+ ${d.path}: ${show(d.to)}`).join("\n");
}
