// The field manager of a request: the `fieldManager` query parameter, validated as Kubernetes
// validates it, or else the first token of the User-Agent ("kubectl/v1.32.0 (linux/amd64) …").
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import { errors, fieldErrors } from "../../apimachinery/status.ts";
import { FIELD_MANAGER_MAX_LENGTH } from "./managed.ts";

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(ch: string): boolean {
  return ch === " " || !/[\p{C}\p{Z}]/u.test(ch);
}

/** The printable part of the User-Agent before its first "/", at most 128 bytes (managerOrUserAgent). */
export function managerOrUserAgent(fieldManager: string | null | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  let out = "";
  for (const ch of (userAgent ?? "").split("/")[0]) {
    if (!isPrint(ch)) continue;
    if (Buffer.byteLength(out + ch) > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
  }
  return out;
}

function goRune(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Causes for an invalid fieldManager (too long, unprintable characters). */
export function fieldManagerCauses(fieldManager: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (Buffer.byteLength(fieldManager) > FIELD_MANAGER_MAX_LENGTH) causes.push(fieldErrors.tooLong("fieldManager", FIELD_MANAGER_MAX_LENGTH));
  let pos = 0;
  for (const ch of fieldManager) {
    if (!isPrint(ch)) causes.push(fieldErrors.invalid("fieldManager", fieldManager, `invalid character ${goRune(ch)} (at position ${pos})`));
    pos += Buffer.byteLength(ch);
  }
  return causes;
}

export type OptionsKind = "CreateOptions" | "UpdateOptions" | "PatchOptions";

/**
 * Validates the write options Kubernetes validates (422 `PatchOptions.meta.k8s.io "" is invalid`):
 * the fieldManager, which apply requires, and `force`, which only apply accepts.
 */
export function validateWriteOptions(kind: OptionsKind, query: URLSearchParams, apply = false): void {
  const manager = query.get("fieldManager") ?? "";
  const causes: StatusCause[] = [];
  if (kind === "PatchOptions") {
    if (apply && !manager) causes.push(fieldErrors.required("fieldManager", "is required for apply patch"));
    if (!apply && query.has("force")) causes.push(fieldErrors.forbidden("force", "may not be specified for non-apply patch"));
  }
  causes.push(...fieldManagerCauses(manager));
  if (causes.length > 0) throw errors.invalid(kind, "meta.k8s.io", "", causes);
}
