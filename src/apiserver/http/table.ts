// `Table` output (meta.k8s.io/v1) for `kubectl get`: the kind's columns with NAME first and AGE
// last, one row per object, the object as PartialObjectMetadata unless asked otherwise.
import type { KubeObject } from "../../apimachinery/object.ts";
import type { Resource, TableColumn } from "../registry/types.ts";

export type IncludeObject = "None" | "Object" | "PartialObjectMetadata";

export interface Table {
  kind: "Table";
  apiVersion: "meta.k8s.io/v1";
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: Required<Pick<TableColumn, "name" | "type" | "format" | "description" | "priority">>[];
  rows: { cells: unknown[]; object?: unknown }[];
}

/** Accept asks for a Table: `application/json;as=Table;v=v1;g=meta.k8s.io`. */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(",").some((part) => {
    const params = part.split(";").map((p) => p.trim());
    return params.includes("as=Table") && params.includes("g=meta.k8s.io") && (params.includes("v=v1") || params.includes("v=v1beta1"));
  });
}

/** Kubernetes' short human durations: 45s, 5m30s, 3h, 2d5h, 400d… */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  if (d < 365 * 8) return `${Math.floor(d / 365)}y${d % 365}d`;
  return `${Math.floor(d / 365)}y`;
}

export function age(obj: KubeObject, now: Date): string {
  const created = obj.metadata?.creationTimestamp;
  return created ? humanDuration(now.getTime() - Date.parse(created)) : "<unknown>";
}

const NAME_COLUMN = { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace.", priority: 0 } as const;
const AGE_COLUMN = { name: "Age", type: "string", format: "", description: "CreationTimestamp is a timestamp representing the server time when this object was created.", priority: 0 } as const;

export function tableColumns(resource: Resource): Table["columnDefinitions"] {
  const extra = (resource.columns ?? []).map((c) => ({ name: c.name, type: c.type, format: c.format ?? "", description: c.description ?? c.name, priority: c.priority ?? 0 }));
  return [...(resource.noNameColumn ? [] : [NAME_COLUMN]), ...extra, ...(resource.noAgeColumn ? [] : [AGE_COLUMN])];
}

export function tableRow(resource: Resource, obj: KubeObject, now: Date, include: IncludeObject): Table["rows"][number] {
  const cells = [...(resource.noNameColumn ? [] : [obj.metadata?.name ?? ""]), ...(resource.cells?.(obj, now) ?? [])];
  if (!resource.noAgeColumn) cells.push(age(obj, now));
  const row: Table["rows"][number] = { cells };
  if (include === "Object") row.object = obj;
  else if (include === "PartialObjectMetadata") row.object = { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
  return row;
}

export function toTable(resource: Resource, items: KubeObject[], meta: Table["metadata"], include: IncludeObject, now = new Date(), withColumns = true): Table {
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: meta,
    columnDefinitions: withColumns ? tableColumns(resource) : [],
    rows: items.map((obj) => tableRow(resource, obj, now, include)),
  };
}
