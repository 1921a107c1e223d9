// Field management and server-side apply (structured-merge-diff semantics over the OpenAPI schemas).
export { applyConfiguration, conflictError, LAST_APPLIED_ANNOTATION, resetFieldsFor, setManagedFields, trackUpdate } from "./fieldmanager.ts";
export type { ApplyOptions, UpdateOptions } from "./fieldmanager.ts";
export { managerOrUserAgent, validateWriteOptions } from "./request.ts";
export type { OptionsKind } from "./request.ts";
export { FieldSet } from "./set.ts";
export { decodeManagedFields, encodeManagedFields, managerIdentifier, printManager } from "./managed.ts";
export { pathString } from "./path.ts";
export type { Path, PathElement } from "./path.ts";
