// Test helper: runs a registry entry's hooks in the order RestStore does (defaults, prepare,
// validate), without a store, so kind tests see what a create or update would produce.
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../../apimachinery/object.ts";
import type { ResourceDefinition, StrategyContext } from "../types.ts";

export const NOW = new Date("2025-01-01T12:00:00Z");

export interface Outcome {
  object: KubeObject;
  causes: StatusCause[];
}

/** What a create would store (status dropped first for kinds with a status subresource) and the field errors. */
export async function create(def: ResourceDefinition, input: KubeObject, ctx: Partial<StrategyContext> = {}): Promise<Outcome> {
  const obj = structuredClone(input);
  obj.metadata = { name: "x", ...obj.metadata, creationTimestamp: "2025-01-01T11:00:00Z" };
  if (def.namespaced) obj.metadata.namespace ??= "default";
  if (def.status && !(def as { keepStatusOnCreate?: boolean }).keepStatusOnCreate) delete obj.status;
  def.defaults?.(obj);
  await def.prepareForCreate?.(obj, { now: NOW, ...ctx });
  return { object: obj, causes: def.validate?.(obj) ?? [] };
}

/** What an update of `old` to `input` would store (status kept from `old`) and the field errors. */
export async function update(def: ResourceDefinition, input: KubeObject, old: KubeObject, ctx: Partial<StrategyContext> = {}): Promise<Outcome> {
  const obj = structuredClone(input);
  obj.metadata = { ...old.metadata, ...obj.metadata };
  if (def.status) {
    if (old.status === undefined) delete obj.status;
    else obj.status = structuredClone(old.status);
  }
  def.defaults?.(obj);
  await def.prepareForUpdate?.(obj, old, { now: NOW, ...ctx });
  return { object: obj, causes: [...(def.validate?.(obj) ?? []), ...(def.validateUpdate?.(obj, old) ?? [])] };
}

/** Causes as "field reason" strings, easy to compare. */
export const brief = (causes: StatusCause[]): string[] => causes.map((c) => `${c.field} ${c.reason}`);
