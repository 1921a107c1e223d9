// A set of field paths (structured-merge-diff's fieldpath.Set): a tree whose nodes hold the path
// elements that end here ("members") and the subtrees below ("children"). Sets are converted to
// and from the FieldsV1 JSON of metadata.managedFields exactly as Kubernetes writes it.
import { isPlainObject } from "../../apimachinery/object.ts";
import { comparePathElements, parsePathElement, PathElementError, serializePathElement } from "./path.ts";
import type { Path, PathElement } from "./path.ts";

interface Child {
  pe: PathElement;
  set: FieldSet;
}

function sorted<T>(values: Iterable<T>, pe: (v: T) => PathElement): T[] {
  return [...values].sort((a, b) => comparePathElements(pe(a), pe(b)));
}

/** Operations never mutate their operands; `insert` mutates the receiver only. */
export class FieldSet {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, Child>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) node = node.descend(path[i]);
    const last = path[path.length - 1];
    node.members.set(serializePathElement(last), last);
  }

  /** The child set for `pe`, created when missing. */
  descend(pe: PathElement): FieldSet {
    const k = serializePathElement(pe);
    let child = this.children.get(k);
    if (!child) {
      child = { pe, set: new FieldSet() };
      this.children.set(k, child);
    }
    return child.set;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(serializePathElement(path[i]))?.set;
    return node ? node.members.has(serializePathElement(path[path.length - 1])) : false;
  }

  hasMember(pe: PathElement): boolean {
    return this.members.has(serializePathElement(pe));
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.isEmpty()) return false;
    return true;
  }

  /** The paths below `pe` (relative to it); empty when there are none. */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePathElement(pe))?.set ?? new FieldSet();
  }

  memberElements(): PathElement[] {
    return sorted(this.members.values(), (m) => m);
  }

  childEntries(): { pe: PathElement; set: FieldSet }[] {
    return sorted(this.children.values(), (c) => c.pe);
  }

  copy(): FieldSet {
    const out = new FieldSet();
    for (const [k, m] of this.members) out.members.set(k, m);
    for (const [k, c] of this.children) out.children.set(k, { pe: c.pe, set: c.set.copy() });
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    for (const [k, m] of other.members) out.members.set(k, m);
    for (const [k, c] of other.children) {
      const mine = out.children.get(k);
      out.children.set(k, { pe: c.pe, set: mine ? mine.set.union(c.set) : c.set.copy() });
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, m] of this.members) if (other.members.has(k)) out.members.set(k, m);
    for (const [k, c] of this.children) {
      const theirs = other.children.get(k);
      if (!theirs) continue;
      const set = c.set.intersection(theirs.set);
      if (!set.isEmpty()) out.children.set(k, { pe: c.pe, set });
    }
    return out;
  }

  /** Paths in this set and not in `other` (a member removes only that exact path). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, m] of this.members) if (!other.members.has(k)) out.members.set(k, m);
    for (const [k, c] of this.children) {
      const theirs = other.children.get(k);
      const set = theirs ? c.set.difference(theirs.set) : c.set.copy();
      if (!set.isEmpty()) out.children.set(k, { pe: c.pe, set });
    }
    return out;
  }

  /** Like `difference`, but a member of `other` also removes every path below it. */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, m] of this.members) if (!other.members.has(k)) out.members.set(k, m);
    for (const [k, c] of this.children) {
      if (other.members.has(k)) continue;
      const theirs = other.children.get(k);
      const set = theirs ? c.set.recursiveDifference(theirs.set) : c.set.copy();
      if (!set.isEmpty()) out.children.set(k, { pe: c.pe, set });
    }
    return out;
  }

  /** Every path, in Kubernetes' order: this level's members, then each child's paths. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    for (const m of this.memberElements()) out.push([...prefix, m]);
    for (const c of this.childEntries()) out.push(...c.set.paths([...prefix, c.pe]));
    return out;
  }

  equals(other: FieldSet): boolean {
    return JSON.stringify(this.toFieldsV1()) === JSON.stringify(other.toFieldsV1());
  }

  /** The FieldsV1 object: keys in Kubernetes' order, `{}` for leaves, `".": {}` for a member with children. */
  toFieldsV1(): Record<string, unknown> {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const put = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    if (includeSelf && !this.isEmpty()) put(".", {});
    const keys = new Map<string, PathElement>();
    for (const [k, m] of this.members) keys.set(k, m);
    for (const [k, c] of this.children) if (!c.set.isEmpty()) keys.set(k, c.pe);
    for (const [k] of sorted(keys, ([, pe]) => pe)) {
      const child = this.children.get(k);
      if (child && !child.set.isEmpty()) put(k, child.set.emit(this.members.has(k)));
      else put(k, {});
    }
    return out;
  }

  /** Parses FieldsV1 JSON; throws PathElementError when it is not a valid field set. */
  static fromFieldsV1(json: unknown): FieldSet {
    const set = new FieldSet();
    if (json === null || json === undefined) return set;
    if (!isPlainObject(json)) throw new PathElementError("fieldsV1 must be an object");
    set.read(json);
    return set;
  }

  /** Reads the children of one node; returns whether the node itself is a member. */
  private read(json: Record<string, unknown>): boolean {
    let isMember = false;
    let hasChildren = false;
    for (const [k, v] of Object.entries(json)) {
      if (k === ".") {
        isMember = true;
        continue;
      }
      const pe = parsePathElement(k);
      if (!pe) continue;
      if (v !== null && !isPlainObject(v)) throw new PathElementError(`expected an object for ${k}`);
      hasChildren = true;
      const child = new FieldSet();
      const childIsMember = v === null ? true : child.read(v);
      if (childIsMember) this.members.set(serializePathElement(pe), pe);
      if (!child.isEmpty()) {
        const existing = this.children.get(serializePathElement(pe));
        this.children.set(serializePathElement(pe), { pe, set: existing ? existing.set.union(child) : child });
      }
    }
    return isMember || !hasChildren;
  }
}
