// Strategic-merge metadata (merge keys, strategies) per kind: from the served OpenAPI schemas,
// falling back to the built-in table for kinds without one.
import { builtinPatchMeta, patchMetaFromOpenAPI } from "../../apimachinery/patch.ts";
import type { PatchMeta } from "../../apimachinery/patch.ts";
import { definitionsForPatch, schemaNameFor } from "../openapi/index.ts";

const cache = new Map<string, PatchMeta>();

export function patchMetaFor(apiVersion: string, kind: string): PatchMeta {
  const key = `${apiVersion}/${kind}`;
  let meta = cache.get(key);
  if (!meta) {
    const name = schemaNameFor(apiVersion, kind);
    meta = name ? patchMetaFromOpenAPI(definitionsForPatch() as Record<string, unknown>, name) : builtinPatchMeta(kind);
    cache.set(key, meta);
  }
  return meta;
}
