// Cell helpers for `kubectl get` tables, as pkg/printers/internalversion formats them: ages,
// label and selector strings, container lists, access modes, "a,b,c + N more..." lists.
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { labelSelectorAsSelector, selectorToString } from "../../../apimachinery/labels.ts";
import { canonicalizeQuantity } from "../../../apimachinery/quantity.ts";
import { age, humanDuration } from "../../http/table.ts";
import type { TableColumn } from "../types.ts";

/**
 * The AGE column for kinds whose AGE is not the last column (it sits before the wide columns):
 * such kinds set `noAgeColumn` and list this column where kubectl shows it.
 */
export const AGE_COLUMN: TableColumn = {
  name: "Age", type: "string",
  description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
};

export const ageCell = (obj: KubeObject, now: Date): string => age(obj, now);

/** translateTimestampSince: "<unknown>" for a missing time, else a short human duration. */
export function since(timestamp: string | undefined | null, now: Date): string {
  if (!timestamp) return "<unknown>";
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? "<unknown>" : humanDuration(now.getTime() - t);
}

/** labels.FormatLabels: "k=v,k2=v2" sorted by key, "<none>" when empty. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? "<none>" : keys.map((k) => `${k}=${labels![k]}`).join(",");
}

/** metav1.FormatLabelSelector: the selector string, "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(selector: LabelSelector | undefined | null): string {
  const s = selectorString(selector);
  if (s === undefined) return "<error>";
  return s === "" ? "<none>" : s;
}

/** LabelSelectorAsSelector(...).String(): "" for an absent or empty selector, undefined when invalid. */
export function selectorString(selector: LabelSelector | undefined | null): string | undefined {
  if (!selector) return "";
  try {
    return selectorToString(labelSelectorAsSelector(selector));
  } catch {
    return undefined;
  }
}

/** layoutContainerCells: names and images, each comma-joined. */
export function containerCells(containers: readonly { name?: string; image?: string }[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? "").join(","), list.map((c) => c.image ?? "").join(",")];
}

/** helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, de-duplicated. */
export function accessModesString(modes: readonly string[] | undefined): string {
  const set = new Set(modes ?? []);
  const short: [string, string][] = [["ReadWriteOnce", "RWO"], ["ReadOnlyMany", "ROX"], ["ReadWriteMany", "RWX"], ["ReadWriteOncePod", "RWOP"]];
  return short.filter(([mode]) => set.has(mode)).map(([, s]) => s).join(",");
}

/** listWithMoreString: at most `max` items, then " + N more..."; "<unset>" for an empty list. */
export function listWithMore(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).join(",");
  if (items.length > max) return `${shown} + ${items.length - max} more...`;
  return shown === "" ? "<unset>" : shown;
}

/** A quantity as Kubernetes prints it ("1Gi", "500m"); unparsable input is shown as is. */
export function quantityString(q: string | number | undefined): string {
  if (q === undefined) return "0";
  try {
    return canonicalizeQuantity(q);
  } catch {
    return String(q);
  }
}
