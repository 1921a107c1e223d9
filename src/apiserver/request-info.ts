// Parses a request path the way kube-apiserver's RequestInfoFactory does: API prefix, group,
// version, namespace, resource, name, subresource and the Kubernetes verb (get, list, watch…).

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection" | "proxy" | "connect";

export interface ResourceRequest {
  isResourceRequest: true;
  verb: Verb;
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  /** Remaining path segments after the subresource (e.g. proxy paths). */
  parts: string[];
}

export interface NonResourceRequest {
  isResourceRequest: false;
  verb: string;
  path: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

const CONNECT_SUBRESOURCES = new Set(["exec", "attach", "portforward"]);
const WRITE_VERBS: Record<string, Verb> = { POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" };

/**
 * Resource requests are under /api/v1/… and /apis/<group>/<version>/…; everything else
 * (discovery roots, /version, /healthz, /openapi) is a non-resource request.
 */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const segments = path.split("/").filter((s) => s !== "").map(decodeURIComponent);
  if (segments.some((s) => s === "." || s === ".." || s.includes("/"))) throw new Error(`invalid path segment in ${path}`);
  const nonResource: NonResourceRequest = { isResourceRequest: false, verb: method.toLowerCase(), path };
  let rest: string[];
  let group = "";
  let version: string;
  if (segments[0] === "api" && segments.length >= 3) {
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === "apis" && segments.length >= 4) {
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  } else {
    return nonResource;
  }

  let verb: Verb = WRITE_VERBS[method] ?? "get";
  let legacyWatch = false;
  if (rest[0] === "watch" || rest[0] === "proxy") {
    legacyWatch = rest[0] === "watch";
    verb = legacyWatch ? "watch" : "proxy";
    rest = rest.slice(1);
  }

  let namespace = "";
  if (rest[0] === "namespaces" && rest.length > 1) {
    namespace = rest[1]!;
    // /namespaces/<ns>/<resource>…, except the namespace's own subresources (status, finalize).
    if (rest.length > 2 && rest[2] !== "status" && rest[2] !== "finalize") rest = rest.slice(2);
  }
  const info: ResourceRequest = {
    isResourceRequest: true,
    verb,
    group,
    version,
    namespace,
    resource: rest[0] ?? "",
    name: rest[1] ?? "",
    subresource: rest[2] ?? "",
    parts: rest.slice(3),
  };
  // The namespace object itself (/api/v1/namespaces/<name>[/status|/finalize]) is cluster-scoped.
  if (info.resource === "namespaces") info.namespace = "";
  if (!legacyWatch && verb === "get" && !info.name) info.verb = query.get("watch") === "true" || query.get("watch") === "1" ? "watch" : "list";
  if (!legacyWatch && verb === "delete" && !info.name) info.verb = "deletecollection";
  if (CONNECT_SUBRESOURCES.has(info.subresource) && (method === "GET" || method === "POST")) info.verb = "connect";
  return info;
}

/**
 * The request's path as sent (no "." / ".." resolution, which would turn
 * /api/v1/namespaces/%2e%2e/pods into a list across namespaces) and its query.
 */
export function requestURL(raw: string): { pathname: string; searchParams: URLSearchParams } {
  const q = raw.indexOf("?");
  const pathname = q < 0 ? raw : raw.slice(0, q);
  if (!pathname.startsWith("/")) throw new Error("path must start with /");
  return { pathname, searchParams: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)) };
}

