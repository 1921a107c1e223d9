// core/v1 ConfigMap: string and binary data under valid keys; immutable ones stay as they are.
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { fieldErrors } from "../../../apimachinery/status.ts";
import type { ResourceDefinition } from "../types.ts";

const KEY = /^[-._a-zA-Z0-9]+$/;

interface DataShape extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  immutable?: boolean;
}

/** Keys of data/binaryData/stringData: `[-._a-zA-Z0-9]+`, at most 253 characters, not "." or "..". */
export function validateDataKeys(data: Record<string, unknown> | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const key of Object.keys(data ?? {})) {
    if (key.length > 253 || !KEY.test(key) || key === "." || key === ".." || key.startsWith("..")) {
      causes.push(fieldErrors.invalid(`${field}[${key}]`, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
    }
  }
  return causes;
}

/** An object marked immutable keeps its data and the mark. */
export function validateImmutableData(obj: DataShape, old: DataShape, fields: string[]): StatusCause[] {
  if (!old.immutable) return [];
  const causes: StatusCause[] = [];
  if (!obj.immutable) causes.push(fieldErrors.forbidden("immutable", "field is immutable when `immutable` is set"));
  for (const f of fields) {
    if (JSON.stringify((obj as Record<string, unknown>)[f] ?? {}) !== JSON.stringify((old as Record<string, unknown>)[f] ?? {})) {
      causes.push(fieldErrors.forbidden(f, "field is immutable when `immutable` is set"));
    }
  }
  return causes;
}

export const configmaps: ResourceDefinition = {
  group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", singular: "configmap", shortNames: ["cm"],
  namespaced: true,
  validate(obj) {
    const cm = obj as DataShape;
    const causes = [...validateDataKeys(cm.data, "data"), ...validateDataKeys(cm.binaryData, "binaryData")];
    for (const key of Object.keys(cm.data ?? {})) {
      if (cm.binaryData && key in cm.binaryData) causes.push(fieldErrors.invalid(`data[${key}]`, key, "duplicate of key present in binaryData"));
    }
    return causes;
  },
  validateUpdate: (obj, old) => validateImmutableData(obj as DataShape, old as DataShape, ["data", "binaryData"]),
  columns: [{ name: "Data", type: "integer", description: "Number of keys" }],
  cells: (obj) => [Object.keys((obj as DataShape).data ?? {}).length + Object.keys((obj as DataShape).binaryData ?? {}).length],
};
