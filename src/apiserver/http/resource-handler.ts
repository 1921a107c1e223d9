// Serves resource requests (/api/v1/…, /apis/<g>/<v>/…): maps the Kubernetes verb to the
// resource's RestStore / ListWatch, negotiates JSON or Table, streams watches.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DeleteOptions } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../apimachinery/object.ts";
import { errors, isStatusError } from "../../apimachinery/status.ts";
import type { ResourceRequest } from "../request-info.ts";
import type { Resource } from "../registry/types.ts";
import type { RestStore } from "../registry/rest-store.ts";
import type { ListWatch } from "../registry/list-watch.ts";
import { readBody, decodeBody, parseJson, mediaType } from "./body.ts";
import type { ProtobufDecoder } from "./body.ts";
import { send, toStatusError, LIST_JSON_FORMAT, protobufPreference } from "./respond.ts";
import { selectionFilter } from "./selection.ts";
import { toTable, tableRow, tableColumns, wantsTable } from "./table.ts";
import type { IncludeObject } from "./table.ts";
import { WatchStream, httpTransport } from "./watch-stream.ts";
import type { WatchTransport } from "./watch-stream.ts";
import { applyPatch } from "./patch-handler.ts";
import { checkFields } from "./field-validation.ts";
import type { FieldValidation } from "./field-validation.ts";
import { getScale, scaleToObject } from "./scale.ts";
import { managerOrUserAgent, validateWriteOptions } from "../fieldmanager/index.ts";

export interface ResourceHandlers {
  rest: RestStore;
  listWatch: ListWatch;
}

/** A subresource served by custom code (binding, eviction, log, exec…). */
export type SubresourceHandler = (info: ResourceRequest, req: IncomingMessage, res: ServerResponse, ctx: HandlerContext) => Promise<void>;

export interface HandlerContext {
  lookup(resource: Resource): ResourceHandlers;
  protobuf?: ProtobufDecoder;
  subresources: Map<string, SubresourceHandler>;
  /** Longest a watch may stay open (the server adds jitter). */
  maxWatchSeconds: number;
}

function dryRun(query: URLSearchParams): boolean {
  const values = query.getAll("dryRun");
  for (const v of values) if (v !== "All") throw errors.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.length > 0;
}

function fieldValidation(query: URLSearchParams): FieldValidation {
  const v = query.get("fieldValidation") ?? "Warn";
  if (v !== "Strict" && v !== "Warn" && v !== "Ignore") throw errors.badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`);
  return v;
}

function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get("includeObject") ?? "PartialObjectMetadata";
  if (v !== "None" && v !== "Object" && v !== "PartialObjectMetadata") throw errors.badRequest(`includeObject: Unsupported value: "${v}"`);
  return v;
}

/** Responds with one object, as a one-row Table when the client asked for Table. */
function sendObject(res: ServerResponse, req: IncomingMessage, resource: Resource, code: number, obj: KubeObject, query: URLSearchParams): void {
  if (wantsTable(req.headers.accept) && obj.kind === resource.kind) {
    send(res, code, toTable(resource, [obj], { resourceVersion: obj.metadata?.resourceVersion }, includeObject(query)));
  } else {
    send(res, code, obj);
  }
}

async function readObject(req: IncomingMessage, ctx: HandlerContext): Promise<KubeObject> {
  return decodeBody(await readBody(req), req.headers["content-type"], ctx.protobuf) as KubeObject;
}

/** DeleteOptions from the body (JSON) and/or the query (gracePeriodSeconds, propagationPolicy…). */
async function deleteOptions(req: IncomingMessage, query: URLSearchParams, ctx: HandlerContext): Promise<DeleteOptions> {
  const body = await readBody(req);
  const opts: DeleteOptions = body.length > 0 ? (decodeBody(body, req.headers["content-type"] ?? "application/json", ctx.protobuf) as DeleteOptions) : {};
  const grace = query.get("gracePeriodSeconds");
  if (grace !== null) {
    if (!/^-?\d+$/.test(grace)) throw errors.badRequest(`invalid gracePeriodSeconds: ${grace}`);
    opts.gracePeriodSeconds = Number(grace);
  }
  const policy = query.get("propagationPolicy");
  if (policy !== null) opts.propagationPolicy = policy;
  if (opts.propagationPolicy && !["Orphan", "Background", "Foreground"].includes(opts.propagationPolicy)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  if (query.get("orphanDependents") !== null) opts.orphanDependents = query.get("orphanDependents") === "true";
  return opts;
}

export interface Requester {
  username: string;
  uid?: string;
  groups: string[];
}

export async function handleResource(info: ResourceRequest, resource: Resource, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, ctx: HandlerContext, user: Requester): Promise<void> {
  const { rest, listWatch } = ctx.lookup(resource);
  const ns = resource.namespaced ? info.namespace : "";
  if (resource.namespaced && !ns && info.name) throw errors.notFound({ group: resource.group, resource: resource.plural }, info.name);
  const sub = info.subresource;
  if (sub && sub !== "status" && !(sub === "scale" && resource.scale)) {
    const custom = ctx.subresources.get(`${resource.group}/${resource.plural}/${sub}`);
    if (!custom) throw errors.notFound({ group: resource.group, resource: `${resource.plural}/${sub}` }, info.name);
    return custom(info, req, res, ctx);
  }
  if (sub === "status" && !resource.status) throw errors.notFound({ group: resource.group, resource: `${resource.plural}/status` }, info.name);

  switch (info.verb) {
    case "get": {
      const obj = await rest.get(ns, info.name);
      if (sub === "scale") return send(res, 200, getScale(resource, obj));
      return sendObject(res, req, resource, 200, obj, query);
    }
    case "list": {
      const list = await listWatch.list({
        namespace: ns,
        filter: selectionFilter(resource, query),
        limit: query.get("limit") ? Number(query.get("limit")) : undefined,
        continue: query.get("continue") ?? undefined,
        resourceVersion: query.get("resourceVersion") ?? undefined,
        resourceVersionMatch: query.get("resourceVersionMatch") ?? undefined,
      });
      if (wantsTable(req.headers.accept)) return send(res, 200, toTable(resource, list.items, list.metadata, includeObject(query)));
      return send(res, 200, list, protobufPreference(req.headers.accept) === "no" ? LIST_JSON_FORMAT : undefined);
    }
    case "watch":
      return watch(info, resource, listWatch, req, res, query, ctx);
    case "create": {
      if (info.name) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
      const obj = await readObject(req, ctx);
      checkFields(obj, resource.apiVersion, resource.kind, fieldValidation(query), res);
      if (resource.virtualCreate) return send(res, 201, await resource.virtualCreate(obj, user));
      validateWriteOptions("CreateOptions", query);
      const created = await rest.create(ns, obj, { dryRun: dryRun(query), fieldManager: managerOrUserAgent(query.get("fieldManager"), req.headers["user-agent"]) });
      return sendObject(res, req, resource, 201, created, query);
    }
    case "update": {
      let obj = await readObject(req, ctx);
      checkFields(obj, sub === "scale" ? "autoscaling/v1" : resource.apiVersion, sub === "scale" ? "Scale" : resource.kind, fieldValidation(query), res);
      if (sub === "scale") {
        const current = await rest.get(ns, info.name);
        obj = scaleToObject(resource, current, obj);
      }
      validateWriteOptions("UpdateOptions", query);
      const fieldManager = managerOrUserAgent(query.get("fieldManager"), req.headers["user-agent"]);
      const { object, created } = await rest.update(ns, info.name, obj, sub === "scale" ? "" : sub, { dryRun: dryRun(query), fieldManager });
      if (sub === "scale") return send(res, 200, getScale(resource, object));
      return sendObject(res, req, resource, created ? 201 : 200, object, query);
    }
    case "patch": {
      const body = await readBody(req);
      const type = mediaType(req.headers["content-type"]);
      const mode = fieldValidation(query);
      if (type !== "application/json-patch+json" && body.length > 0 && mode !== "Ignore") {
        checkFields(decodeBody(body, type === "application/apply-patch+yaml" ? type : "application/json"), sub === "scale" ? "autoscaling/v1" : resource.apiVersion, sub === "scale" ? "Scale" : resource.kind, mode, res);
      }
      const result = await applyPatch({ resource, rest, namespace: ns, name: info.name, subresource: sub, body, contentType: type, query, dryRun: dryRun(query), userAgent: req.headers["user-agent"] });
      if (sub === "scale") return send(res, 200, getScale(resource, result.object));
      return sendObject(res, req, resource, result.created ? 201 : 200, result.object, query);
    }
    case "delete": {
      const opts = await deleteOptions(req, query, ctx);
      const { object, deleted } = await rest.delete(ns, info.name, opts, { dryRun: dryRun(query) || (opts.dryRun ?? []).includes("All") });
      if (deleted && !resource.returnDeletedObject) {
        // As kube-apiserver: an object gone at once is reported by a Success Status.
        return send(res, 200, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name: info.name, group: resource.group || undefined, kind: resource.plural, uid: object.metadata?.uid } });
      }
      return sendObject(res, req, resource, deleted || opts.propagationPolicy !== "Foreground" ? 200 : 202, object, query);
    }
    case "deletecollection": {
      const opts = await deleteOptions(req, query, ctx);
      const list = await listWatch.list({ namespace: ns, filter: selectionFilter(resource, query) });
      const isDry = dryRun(query);
      const items: KubeObject[] = [];
      for (const item of list.items) {
        try {
          items.push((await rest.delete(item.metadata?.namespace ?? "", item.metadata!.name!, opts, { dryRun: isDry })).object);
        } catch (err) {
          if (!isStatusError(err, "NotFound")) throw err;
        }
      }
      return send(res, 200, { apiVersion: resource.apiVersion, kind: resource.listKind, metadata: { resourceVersion: list.metadata.resourceVersion }, items });
    }
    default:
      throw errors.methodNotAllowed(`${info.verb} is not supported on ${resource.plural}`);
  }
}

async function watch(info: ResourceRequest, resource: Resource, listWatch: ListWatch, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, ctx: HandlerContext): Promise<void> {
  const contentType = wantsTable(req.headers.accept) ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json";
  // Validate before answering 200: selector and resourceVersion errors must be plain error responses.
  selectionFilter(resource, query);
  await startWatch(info, resource, listWatch, query, req.headers.accept, () => httpTransport(res, contentType), ctx);
}

/**
 * Runs a watch over any transport (chunked HTTP or WebSocket). Errors found before the stream
 * starts are thrown; a resourceVersion that is too old becomes an ERROR event (410) on the stream.
 */
export async function startWatch(info: ResourceRequest, resource: Resource, listWatch: ListWatch, query: URLSearchParams, accept: string | undefined, open: () => WatchTransport, ctx: HandlerContext): Promise<void> {
  const filter = selectionFilter(resource, query);
  const table = wantsTable(accept);
  const include = includeObject(query);
  const timeout = query.get("timeoutSeconds");
  if (timeout !== null && !/^\d+$/.test(timeout)) throw errors.badRequest(`invalid timeoutSeconds: ${timeout}`);
  const timeoutMs = (timeout !== null ? Math.min(Number(timeout), ctx.maxWatchSeconds) : ctx.maxWatchSeconds * (1 + Math.random())) * 1000;
  const rv = query.get("resourceVersion");
  if (rv && !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${rv}`);
  if (query.get("sendInitialEvents") === "true" && query.get("resourceVersionMatch") !== "NotOlderThan") {
    throw errors.invalid("ListOptions", "meta.k8s.io", "", [{ reason: "FieldValueForbidden", field: "resourceVersionMatch", message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" }]);
  }
  const nameFilter: typeof filter = info.name ? (obj) => obj.metadata?.name === info.name && filter(obj) : filter;
  const stream = new WatchStream(open(), {
    encoding: table ? `table:${include}` : "json",
    bookmarks: query.get("allowWatchBookmarks") === "true",
    timeoutMs,
    revision: () => listWatch.revision,
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    render: (type, object) => {
      if (!table || type === "BOOKMARK" || type === "ERROR") return object;
      const obj = object as KubeObject;
      return { kind: "Table", apiVersion: "meta.k8s.io/v1", metadata: { resourceVersion: obj.metadata?.resourceVersion }, columnDefinitions: tableColumns(resource), rows: [tableRow(resource, obj, new Date(), include)] };
    },
  });
  try {
    const watcher = await listWatch.watch({
      namespace: resource.namespaced ? info.namespace : "",
      filter: nameFilter,
      resourceVersion: query.get("resourceVersion") ?? undefined,
      resourceVersionMatch: query.get("resourceVersionMatch") ?? undefined,
      sendInitialEvents: query.has("sendInitialEvents") ? query.get("sendInitialEvents") === "true" : undefined,
    }, stream, (rv) => stream.bookmark({ "k8s.io/initial-events-end": "true" }, rv));
    stream.attach(watcher);
  } catch (err) {
    stream.error(toStatusError(err).status);
  }
}
