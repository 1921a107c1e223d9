// OpenAPI v3 documents (/openapi/v3) for the served resources, and the component schemas the
// strategic merge patch engine reads.
export { OpenAPIDocuments } from "./openapi.ts";
export type { EncodedDocument, OpenAPIOptions, OpenAPIRequestHeaders, OpenAPIResponse } from "./openapi.ts";
export { componentSchemas, definitionsForPatch, schemaClosure, schemaGVKs, schemaNameFor } from "./schemas.ts";
export type { GroupVersionKind, Schema, SchemaMap } from "./schemas.ts";
export { groupVersionPath, PATCH_CONTENT_TYPES } from "./paths.ts";
