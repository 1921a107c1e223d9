// Turns labelSelector/fieldSelector query parameters into one predicate over objects; field
// selectors support metadata.name, metadata.namespace and the kind's own selectable fields.
import { parseLabelSelector, matchesLabels, isEverything } from "../../apimachinery/labels.ts";
import { parseFieldSelector, matchesFields, checkFieldSelector } from "../../apimachinery/fields.ts";
import type { KubeObject } from "../../apimachinery/object.ts";
import type { Resource } from "../registry/types.ts";

export type ObjectFilter = (obj: KubeObject) => boolean;

export function fieldsOf(resource: Resource, obj: KubeObject): Record<string, string> {
  const base: Record<string, string> = { "metadata.name": obj.metadata?.name ?? "" };
  if (resource.namespaced) base["metadata.namespace"] = obj.metadata?.namespace ?? "";
  return resource.selectableFields ? { ...base, ...resource.selectableFields(obj) } : base;
}

/** The filter for `?labelSelector=…&fieldSelector=…` (400 on a bad or unsupported selector). */
export function selectionFilter(resource: Resource, query: URLSearchParams): ObjectFilter {
  const labels = parseLabelSelector(query.get("labelSelector") ?? "");
  const fields = parseFieldSelector(query.get("fieldSelector") ?? "");
  if (fields.requirements.length > 0) {
    // Which fields a kind supports: ask it with an empty object.
    checkFieldSelector(fields, Object.keys(fieldsOf(resource, { metadata: {} })));
  }
  const noLabels = isEverything(labels);
  const noFields = fields.requirements.length === 0;
  if (noLabels && noFields) return () => true;
  return (obj) => (noLabels || matchesLabels(labels, obj.metadata?.labels)) && (noFields || matchesFields(fields, (f) => fieldsOf(resource, obj)[f]));
}
