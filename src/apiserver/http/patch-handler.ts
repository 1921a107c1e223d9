// PATCH: JSON patch, merge patch, strategic merge patch and apply (server-side apply) applied to
// the current object inside the store's read-modify-write loop, so concurrent writers never
// lose each other's changes.
import type { KubeObject } from "../../apimachinery/object.ts";
import { isPlainObject } from "../../apimachinery/object.ts";
import { errors } from "../../apimachinery/status.ts";
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from "../../apimachinery/patch.ts";
import { patchMetaFor } from "./patch-meta.ts";
import type { Resource } from "../registry/types.ts";
import type { RestStore } from "../registry/rest-store.ts";
import { decodeBody, parseJson } from "./body.ts";
import { getScale, scaleToObject } from "./scale.ts";
import { serverSideApply } from "./apply.ts";
import { managerOrUserAgent, validateWriteOptions } from "../fieldmanager/index.ts";

export interface PatchRequest {
  resource: Resource;
  rest: RestStore;
  namespace: string;
  name: string;
  subresource: string;
  body: Buffer;
  contentType: string;
  query: URLSearchParams;
  dryRun: boolean;
  /** The request's User-Agent: the field manager of non-apply patches without a fieldManager. */
  userAgent?: string;
}

const PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

export async function applyPatch(p: PatchRequest): Promise<{ object: KubeObject; created: boolean }> {
  if (!PATCH_TYPES.includes(p.contentType)) throw errors.unsupportedMediaType(p.contentType || "(none)");
  const isApply = p.contentType === "application/apply-patch+yaml";
  let patch: unknown;
  if (isApply) patch = decodeBody(p.body, p.contentType);
  else patch = parseJson(p.body);
  if (p.contentType === "application/json-patch+json" ? !Array.isArray(patch) : !isPlainObject(patch)) {
    throw errors.badRequest(`the body of the request was not a valid ${p.contentType === "application/json-patch+json" ? "JSON patch (an array of operations)" : "patch object"}`);
  }
  validateWriteOptions("PatchOptions", p.query, isApply);
  const manager = isApply ? (p.query.get("fieldManager") ?? "") : managerOrUserAgent(p.query.get("fieldManager"), p.userAgent);
  const expectedRv = !Array.isArray(patch) ? ((patch as KubeObject).metadata?.resourceVersion ?? undefined) : undefined;
  let created = false;
  const object = await p.rest.guaranteedUpdate(p.namespace, p.name, (current) => {
    if (!current) {
      if (!isApply || p.subresource) throw errors.notFound(p.rest.ref, p.name);
      created = true;
      return serverSideApply(null, patch as KubeObject, { manager, force: p.query.get("force") === "true", resource: p.resource, name: p.name, namespace: p.namespace, subresource: p.subresource });
    }
    if (expectedRv && expectedRv !== current.metadata?.resourceVersion) throw p.rest.conflict(p.name);
    const target = p.subresource === "scale" ? getScale(p.resource, current) : current;
    const patched = patchObject(p, target, patch, manager);
    return p.subresource === "scale" ? scaleToObject(p.resource, current, patched) : patched;
  }, p.subresource === "scale" ? "" : p.subresource, { dryRun: p.dryRun, ...(isApply ? {} : { fieldManager: manager }) });
  return { object, created };
}

function patchObject(p: PatchRequest, current: KubeObject, patch: unknown, manager: string): KubeObject {
  let result: unknown;
  switch (p.contentType) {
    case "application/json-patch+json":
      result = applyJsonPatch(current, patch as never);
      break;
    case "application/merge-patch+json":
      result = applyMergePatch(current, patch);
      break;
    case "application/strategic-merge-patch+json":
      result = applyStrategicMergePatch(current, patch as Record<string, unknown>, patchMetaFor(p.resource.apiVersion, current.kind ?? p.resource.kind));
      break;
    default:
      result = serverSideApply(current, patch as KubeObject, { manager, force: p.query.get("force") === "true", resource: p.resource, name: p.name, namespace: p.namespace, subresource: p.subresource });
  }
  if (!isPlainObject(result)) throw errors.badRequest("the patch did not produce an object");
  return result as KubeObject;
}
