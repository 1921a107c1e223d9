// The OpenAPI v3 `paths` of one served resource, shaped as kube-apiserver writes them: one
// operation per verb with x-kubernetes-action, the operation-level x-kubernetes-group-version-kind
// and its query parameters (kubectl looks for `fieldValidation` on PATCH to decide whether the
// server validates; and for the strategic-merge-patch request body to decide how to apply).
import type { Resource } from "../registry/types.ts";
import type { GroupVersionKind, Schema } from "./schemas.ts";

export type Operation = Record<string, unknown>;
export type PathItem = Record<string, unknown>;

export const DEFAULT_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];

export const PATCH_CONTENT_TYPES = [
  "application/apply-patch+yaml",
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
] as const;

const query = (name: string, type: "string" | "integer" | "boolean", description: string) => ({
  description,
  in: "query",
  name,
  schema: { type, uniqueItems: true },
});

const P = {
  pretty: query("pretty", "string", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  dryRun: query("dryRun", "string", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed"),
  fieldManager: query("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint."),
  fieldManagerPatch: query("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch)."),
  fieldValidation: query("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered."),
  force: query("force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests."),
  allowWatchBookmarks: query("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion."),
  continue: query("continue", "string", "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue)."),
  fieldSelector: query("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
  labelSelector: query("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
  limit: query("limit", "integer", "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results."),
  resourceVersion: query("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
  resourceVersionMatch: query("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
  sendInitialEvents: query("sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection, then a \"Bookmark\" event."),
  timeoutSeconds: query("timeoutSeconds", "integer", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity."),
  watch: query("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion."),
  gracePeriodSeconds: query("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used."),
  orphanDependents: query("orphanDependents", "boolean", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned."),
  propagationPolicy: query("propagationPolicy", "string", "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
};
const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.fieldManagerPatch, P.fieldValidation, P.force];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];
const DELETE_COLLECTION_PARAMS = [P.continue, P.dryRun, P.fieldSelector, P.gracePeriodSeconds, P.labelSelector, P.limit, P.orphanDependents, P.propagationPolicy, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds];

const pathParam = (name: string, description: string) => ({
  description,
  in: "path",
  name,
  required: true,
  schema: { type: "string", uniqueItems: true },
});
const NAMESPACE_PARAM = pathParam("namespace", "object name and auth scope, such as for teams and projects");

/** Looks a kind's schema name up (undefined when none is generated for it). */
export type SchemaLookup = (apiVersion: string, kind: string) => string | undefined;

/** Subresources whose body is another kind, created with POST (pods/binding, pods/eviction, …). */
const CREATE_SUBRESOURCES: Record<string, GroupVersionKind> = {
  binding: { group: "", version: "v1", kind: "Binding" },
  eviction: { group: "policy", version: "v1", kind: "Eviction" },
  token: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" },
};
/** Subresources that read and write the parent kind itself. */
const OBJECT_SUBRESOURCES = new Set(["status", "ephemeralcontainers", "resize"]);
const SCALE_GVK: GroupVersionKind = { group: "autoscaling", version: "v1", kind: "Scale" };

/** "" → "Core", "apps" → "Apps", "rbac.authorization.k8s.io" → "RbacAuthorization". */
function groupId(group: string): string {
  if (!group) return "Core";
  return group.replace(/\.k8s\.io$/, "").split(/[.-]/).map(upper).join("");
}
const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const apiVersionOf = (gvk: GroupVersionKind) => (gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version);

/** "api/v1" or "apis/apps/v1": the key of a group-version in the /openapi/v3 root. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const ref = (name: string | undefined): Schema => (name ? { $ref: `#/components/schemas/${name}` } : { type: "object" });
const json = (schema: Schema) => ({ "application/json": { schema }, "application/yaml": { schema } });

function responses(codes: Record<string, string>, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [code, description] of Object.entries(codes)) out[code] = { content: json(schema), description };
  out["401"] = { description: "Unauthorized" };
  return out;
}

interface OperationSpec {
  action: string;
  operationId: string;
  description: string;
  gvk: GroupVersionKind;
  tag: string;
  parameters: unknown[];
  requestBody?: Record<string, unknown>;
  responses: Record<string, unknown>;
}

function operation(o: OperationSpec): Operation {
  return {
    description: o.description,
    operationId: o.operationId,
    parameters: o.parameters,
    ...(o.requestBody ? { requestBody: o.requestBody } : {}),
    responses: o.responses,
    tags: [o.tag],
    "x-kubernetes-action": o.action,
    "x-kubernetes-group-version-kind": { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version },
  };
}

const bodyOf = (schema: Schema) => ({ content: { "*/*": { schema } }, required: true });

/** get / put / patch on one object path, for `gvk` (the kind itself, its status, or Scale). */
function objectOperations(id: string, what: string, gvk: GroupVersionKind, schema: Schema, tag: string, smp: boolean, verbs: Set<string>): PathItem {
  const item: PathItem = {};
  const patchTypes = PATCH_CONTENT_TYPES.filter((t) => smp || t !== "application/strategic-merge-patch+json");
  const patchSchema = { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch" };
  if (verbs.has("get")) {
    item.get = operation({ action: "get", operationId: `read${id}`, description: `read ${what}`, gvk, tag, parameters: [], responses: responses({ 200: "OK" }, schema) });
  }
  if (verbs.has("update")) {
    item.put = operation({
      action: "put", operationId: `replace${id}`, description: `replace ${what}`, gvk, tag, parameters: WRITE_PARAMS,
      requestBody: bodyOf(schema), responses: responses({ 200: "OK", 201: "Created" }, schema),
    });
  }
  if (verbs.has("patch")) {
    item.patch = operation({
      action: "patch", operationId: `patch${id}`, description: `partially update ${what}`, gvk, tag, parameters: PATCH_PARAMS,
      requestBody: { content: Object.fromEntries(patchTypes.map((t) => [t, { schema: patchSchema }])), required: true },
      responses: responses({ 200: "OK", 201: "Created" }, schema),
    });
  }
  return item;
}

/**
 * The paths of one resource: collection, item, all-namespaces list, and the status, scale and known
 * subresource paths. `lookup` names the body schemas; a kind without a schema gets `{type: object}`
 * bodies and no strategic-merge-patch body (kubectl then computes patches from its own types).
 */
export function resourcePaths(resource: Resource, lookup: SchemaLookup): Record<string, PathItem> {
  const { group, version, kind, plural, namespaced } = resource;
  const gvk: GroupVersionKind = { group, version, kind };
  const apiVersion = apiVersionOf(gvk);
  const verbs = new Set(resource.verbs ?? DEFAULT_VERBS);
  const tag = `${groupId(group).replace(/^./, (c) => c.toLowerCase())}_${version}`;
  const gv = `${groupId(group)}${upper(version)}`;
  const scope = namespaced ? "Namespaced" : "";
  const kindName = lookup(apiVersion, kind);
  const listName = lookup(apiVersion, `${kind}List`);
  const kindSchema = ref(kindName);
  const root = `/${groupVersionPath(group, version)}${namespaced ? "/namespaces/{namespace}" : ""}/${plural}`;
  const nsParams = namespaced ? [NAMESPACE_PARAM] : [];
  const nameParam = pathParam("name", `name of the ${kind}`);
  const status = { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status" };
  const paths: Record<string, PathItem> = {};

  const collection: PathItem = {};
  if (verbs.has("list")) {
    collection.get = operation({
      action: "list", operationId: `list${gv}${scope}${kind}`, description: `list or watch objects of kind ${kind}`, gvk, tag,
      parameters: LIST_PARAMS, responses: responses({ 200: "OK" }, ref(listName)),
    });
  }
  if (verbs.has("create")) {
    collection.post = operation({
      action: "post", operationId: `create${gv}${scope}${kind}`, description: `create a ${kind}`, gvk, tag, parameters: WRITE_PARAMS,
      requestBody: bodyOf(kindSchema), responses: responses({ 200: "OK", 201: "Created", 202: "Accepted" }, kindSchema),
    });
  }
  if (verbs.has("deletecollection")) {
    collection.delete = operation({
      action: "deletecollection", operationId: `delete${gv}Collection${scope}${kind}`, description: `delete collection of ${kind}`, gvk, tag,
      parameters: DELETE_COLLECTION_PARAMS, requestBody: bodyOf({ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions" }),
      responses: responses({ 200: "OK" }, status),
    });
  }
  if (Object.keys(collection).length) paths[root] = { ...collection, parameters: [...nsParams, P.pretty] };

  const item = objectOperations(`${gv}${scope}${kind}`, `the specified ${kind}`, gvk, kindSchema, tag, kindName !== undefined, verbs);
  if (verbs.has("delete")) {
    item.delete = operation({
      action: "delete", operationId: `delete${gv}${scope}${kind}`, description: `delete a ${kind}`, gvk, tag, parameters: DELETE_PARAMS,
      requestBody: bodyOf({ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions" }),
      responses: responses({ 200: "OK", 202: "Accepted" }, status),
    });
  }
  const itemParams = [nameParam, ...nsParams, P.pretty];
  if (Object.keys(item).length) paths[`${root}/{name}`] = { ...item, parameters: itemParams };

  if (namespaced && verbs.has("list")) {
    paths[`/${groupVersionPath(group, version)}/${plural}`] = {
      get: operation({
        action: "list", operationId: `list${gv}${kind}ForAllNamespaces`, description: `list or watch objects of kind ${kind}`, gvk, tag,
        parameters: LIST_PARAMS, responses: responses({ 200: "OK" }, ref(listName)),
      }),
      parameters: [P.pretty],
    };
  }

  const subresources = new Set(resource.subresources ?? []);
  if (resource.status) subresources.add("status");
  if (resource.scale) subresources.add("scale");
  const subVerbs = new Set(["get", "update", "patch"]);
  for (const sub of [...subresources].sort()) {
    const id = `${gv}${scope}${kind}${upper(sub)}`;
    let pathItem: PathItem | undefined;
    if (OBJECT_SUBRESOURCES.has(sub)) {
      pathItem = objectOperations(id, `${sub} of the specified ${kind}`, gvk, kindSchema, tag, kindName !== undefined, subVerbs);
    } else if (sub === "scale") {
      const scaleName = lookup(apiVersionOf(SCALE_GVK), SCALE_GVK.kind);
      pathItem = objectOperations(id, `scale of the specified ${kind}`, SCALE_GVK, ref(scaleName), tag, scaleName !== undefined, subVerbs);
    } else if (CREATE_SUBRESOURCES[sub]) {
      const subGVK = CREATE_SUBRESOURCES[sub];
      const schema = ref(lookup(apiVersionOf(subGVK), subGVK.kind));
      pathItem = {
        post: operation({
          action: "post", operationId: `create${id}`, description: `create ${sub} of a ${kind}`, gvk: subGVK, tag, parameters: WRITE_PARAMS,
          requestBody: bodyOf(schema), responses: responses({ 200: "OK", 201: "Created", 202: "Accepted" }, schema),
        }),
      };
    } else if (sub === "log") {
      const text = { 200: { content: { "text/plain": { schema: { type: "string" } } }, description: "OK" }, 401: { description: "Unauthorized" } };
      pathItem = {
        get: operation({ action: "get", operationId: `read${id}`, description: `read log of the specified ${kind}`, gvk, tag, parameters: [], responses: text }),
      };
    }
    // Connect subresources (exec, attach, portforward, proxy) are not described, as in most
    // generated clients; nothing in kubectl reads them from OpenAPI.
    if (pathItem) paths[`${root}/{name}/${sub}`] = { ...pathItem, parameters: itemParams };
  }
  return paths;
}

/** The group-version's own discovery path (`GET /apis/apps/v1/` → APIResourceList). */
export function discoveryPath(group: string, version: string): Record<string, PathItem> {
  const gv = `${groupId(group)}${upper(version)}`;
  const tag = `${groupId(group).replace(/^./, (c) => c.toLowerCase())}_${version}`;
  const schema = { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList" };
  return {
    [`/${groupVersionPath(group, version)}/`]: {
      get: { description: "get available resources", operationId: `get${gv}APIResources`, responses: responses({ 200: "OK" }, schema), tags: [tag] },
    },
  };
}
