// The three PATCH content types: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic
// merge patch, with the API server's 400/413/422 answers. Inputs are never mutated.
import jsonpatch from "fast-json-patch";
import type { Operation } from "fast-json-patch";
import { errors, StatusError } from "./status.ts";
import { isPlainObject } from "./object.ts";
import { emptyPatchMeta } from "./patch-meta.ts";
import type { PatchMeta } from "./patch-meta.ts";
import { mergeMap } from "./strategic-merge-patch.ts";

export { builtinPatchMeta, emptyPatchMeta, patchMetaFromOpenAPI } from "./patch-meta.ts";
export type { FieldPatchMeta, PatchMeta } from "./patch-meta.ts";

export type JsonObject = Record<string, unknown>;

/** The API server refuses JSON patches with more operations than this (413). */
export const maxJsonPatchOperations = 10000;

const unprocessable = (message: string) => new StatusError(422, "Invalid", message);
/** fast-json-patch also knows a private "_get" operation; Kubernetes accepts only these. */
const rfc6902Ops = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/** A JSON pointer's parent and last key; undefined when the parent does not exist. */
function locate(doc: unknown, path: string): { parent: unknown; key: string } | undefined {
  if (!path.startsWith("/")) return undefined;
  const parts = path.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let parent: unknown = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(parent) && /^(0|[1-9][0-9]*)$/.test(p) && Number(p) < parent.length) parent = parent[Number(p)];
    else if (isPlainObject(parent) && Object.hasOwn(parent, p)) parent = parent[p];
    else return undefined;
  }
  return { parent, key: parts[parts.length - 1] ?? "" };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** The "test" operation as Kubernetes' json-patch does it (a null value also matches a missing key). */
function testOp(doc: unknown, path: string, value: unknown): void {
  if (path === "") {
    if (!deepEqual(doc, value)) throw unprocessable(`testing value ${path} failed: test failed`);
    return;
  }
  const at = locate(doc, path);
  if (!at || (!isPlainObject(at.parent) && !Array.isArray(at.parent))) {
    throw unprocessable(`test operation does not apply: is missing path: ${path}: missing value`);
  }
  let actual: unknown;
  if (Array.isArray(at.parent)) {
    const i = Number(at.key);
    if (!/^(0|[1-9][0-9]*)$/.test(at.key) || i >= at.parent.length) {
      throw unprocessable(`error in test for path: '${path}': Unable to access invalid index: ${at.key}: invalid index referenced`);
    }
    actual = at.parent[i];
  } else {
    actual = Object.hasOwn(at.parent, at.key) ? at.parent[at.key] : null;
  }
  if (!deepEqual(actual ?? null, value)) throw unprocessable(`testing value ${path} failed: test failed`);
}

/** Kubernetes-style wording for a failed operation (from gopkg.in/evanphx/json-patch). */
function describe(doc: unknown, op: string, path: string, from: unknown, name: string): string {
  const at = locate(doc, path);
  switch (name) {
    case "OPERATION_OP_INVALID":
      return `Unexpected kind: ${op}`;
    case "OPERATION_FROM_REQUIRED":
      return `${op} operation failed to decode from: operation, missing from field: missing value`;
    case "OPERATION_FROM_UNRESOLVABLE":
      return `${op} operation does not apply: doc is missing from path: ${String(from)}: missing value`;
    case "OPERATION_VALUE_OUT_OF_BOUNDS":
    case "OPERATION_PATH_ILLEGAL_ARRAY_INDEX":
      return `error in ${op} for path: '${path}': Unable to access invalid index: ${at?.key ?? path}: invalid index referenced`;
    case "OPERATION_PATH_UNRESOLVABLE":
      if (at && op === "replace") return `replace operation does not apply: doc is missing key: ${path}: missing value`;
      if (at && op === "remove") return `error in remove for path: '${path}': Unable to remove nonexistent key: ${at.key}: missing value`;
      return `${op} operation does not apply: doc is missing path: "${path}": missing value`;
    default:
      return `${op} operation does not apply: doc is missing path: "${path}": missing value`;
  }
}

/**
 * Applies an RFC 6902 patch (the decoded request body). A body that is not a list of operation
 * objects → 400; more than 10000 operations → 413; an operation that cannot apply (failed test,
 * missing path, bad index, unknown op) → 422 Invalid with json-patch's message; a result that is
 * not an object → 422. `add`/`replace`/`test` without `value` mean null, as in Kubernetes.
 */
export function applyJsonPatch(doc: object, ops: unknown): JsonObject {
  if (!Array.isArray(ops)) throw errors.badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  for (const op of ops) {
    if (!isPlainObject(op)) throw errors.badRequest(`json: cannot unmarshal ${Array.isArray(op) ? "array" : typeof op} into Go value of type jsonpatch.Operation`);
  }
  if (ops.length > maxJsonPatchOperations) {
    throw errors.tooLarge(`The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${ops.length}`);
  }
  let result: unknown = structuredClone(doc);
  (ops as JsonObject[]).forEach((raw, index) => {
    const op = typeof raw.op === "string" ? raw.op : "unknown";
    if (!rfc6902Ops.has(op)) throw unprocessable(`Unexpected kind: ${op}`);
    if (typeof raw.path !== "string") throw unprocessable(`${op} operation failed to decode path: operation missing path field: missing value`);
    const path = raw.path;
    const value = Object.hasOwn(raw, "value") ? structuredClone(raw.value) : null;
    if (op === "test") return testOp(result, path, value);
    const operation = { ...raw, op, path, ...(op === "add" || op === "replace" ? { value } : {}) } as unknown as Operation;
    try {
      result = jsonpatch.applyOperation(result, operation, true, true, true, index).newDocument;
    } catch (err) {
      const name = err instanceof jsonpatch.JsonPatchError ? err.name : "";
      throw unprocessable(describe(result, op, path, raw.from, name));
    }
  });
  if (!isPlainObject(result)) throw unprocessable("the patched document is not a JSON object");
  return result;
}

/**
 * Nulls are removed from maps inside a value that is copied in whole (json-patch's pruneNulls).
 * "__proto__" keys are dropped everywhere: assigning one would re-parent the object.
 */
function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) v.forEach(pruneNulls);
  else if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null || k === "__proto__") delete v[k];
      else pruneNulls(x);
    }
  }
  return v;
}

function mergeInto(doc: JsonObject, patch: JsonObject): void {
  for (const [k, v] of Object.entries(patch)) {
    if (k === "__proto__") continue;
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = Object.hasOwn(doc, k) ? doc[k] : null;
    if (cur === null || !isPlainObject(cur)) doc[k] = pruneNulls(v);
    else if (isPlainObject(v)) mergeInto(cur, v);
    else doc[k] = v;
  }
}

/**
 * Applies an RFC 7386 merge patch: null deletes, objects merge recursively, anything else
 * (arrays included) replaces. A patch that is not an object → 400 "Invalid JSON Patch".
 */
export function applyMergePatch(doc: object, patch: unknown): JsonObject {
  if (!isPlainObject(doc)) throw errors.badRequest("Invalid JSON Document");
  if (Array.isArray(patch)) throw unprocessable("the patched document is not a JSON object");
  if (!isPlainObject(patch)) throw errors.badRequest("Invalid JSON Patch");
  const result = structuredClone(doc);
  mergeInto(result, structuredClone(patch));
  return result;
}

/**
 * Applies a strategic merge patch with the merge keys and strategies `meta` describes (see
 * builtinPatchMeta / patchMetaFromOpenAPI; emptyPatchMeta makes every list replace). Directives:
 * `$patch: replace|delete` in maps and list items, `$retainKeys`, `$setElementOrder/<list>`,
 * `$deleteFromPrimitiveList/<list>`. Malformed patches → 400 (lists of lists → 422).
 */
export function applyStrategicMergePatch(doc: object, patch: unknown, meta: PatchMeta = emptyPatchMeta): JsonObject {
  if (!isPlainObject(doc)) throw errors.badRequest("invalid JSON document");
  if (patch === null || patch === undefined) return structuredClone(doc);
  if (!isPlainObject(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? "array" : typeof patch} into Go value of type map[string]interface {}`);
  }
  return mergeMap(structuredClone(doc), structuredClone(patch), meta);
}
