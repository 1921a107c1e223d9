// The /scale subresource: an autoscaling/v1 Scale view of a kind's replicas (spec, status and
// selector paths from the registry entry), and writing a Scale back into the object.
import type { KubeObject } from "../../apimachinery/object.ts";
import { errors } from "../../apimachinery/status.ts";
import { selectorToString, labelSelectorAsSelector } from "../../apimachinery/labels.ts";
import type { Resource } from "../registry/types.ts";

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (typeof cur[part] !== "object" || cur[part] === null) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

export function getScale(resource: Resource, obj: KubeObject): KubeObject {
  const scale = resource.scale!;
  const selector = scale.labelSelectorPath ? getPath(obj, scale.labelSelectorPath) : undefined;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: obj.metadata?.name, namespace: obj.metadata?.namespace, uid: obj.metadata?.uid,
      resourceVersion: obj.metadata?.resourceVersion, creationTimestamp: obj.metadata?.creationTimestamp,
    },
    spec: { replicas: (getPath(obj, scale.specReplicasPath) as number | undefined) ?? 0 },
    status: {
      replicas: (getPath(obj, scale.statusReplicasPath) as number | undefined) ?? 0,
      ...(selector ? { selector: typeof selector === "string" ? selector : selectorToString(labelSelectorAsSelector(selector as never)) } : {}),
    },
  };
}

/** The object with the Scale's spec.replicas written in; the Scale's resourceVersion is a precondition. */
export function scaleToObject(resource: Resource, current: KubeObject, scale: KubeObject): KubeObject {
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid("Scale", "autoscaling", current.metadata?.name ?? "", [
      { reason: "FieldValueInvalid", field: "spec.replicas", message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
    ]);
  }
  const next = structuredClone(current);
  setPath(next as Record<string, unknown>, resource.scale!.specReplicasPath, replicas);
  next.metadata!.resourceVersion = scale.metadata?.resourceVersion || current.metadata?.resourceVersion;
  return next;
}
