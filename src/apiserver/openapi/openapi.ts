// The OpenAPI v3 documents of the served resources, as kube-apiserver publishes them: a root at
// /openapi/v3 listing one document per group-version (with a content hash in its URL), and the
// documents themselves (paths + the component schemas they reach). /openapi/v2 is answered 404:
// kubectl only reads v2 as protobuf and falls back to it only when v3 is missing.
import { errors } from "../../apimachinery/status.ts";
import { createHash } from "node:crypto";
import type { Resource } from "../registry/types.ts";
import { discoveryPath, groupVersionPath, resourcePaths } from "./paths.ts";
import type { PathItem } from "./paths.ts";
import { componentSchemas, forEachRef, schemaClosure, schemaNameFor } from "./schemas.ts";
import type { Schema, SchemaMap } from "./schemas.ts";

export interface OpenAPIOptions {
  /** Component schemas (default: the generated schemas.json). */
  schemas?: SchemaMap;
  /** Clock for the Expires header of hashed documents. */
  now?: () => Date;
}

/** A served document: its JSON bytes and their hash (upper-case hex SHA-512, as kube's ETag). */
export interface EncodedDocument {
  body: Buffer;
  hash: string;
}

export interface OpenAPIResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Request headers `serve` reads (lower-case names, as node:http gives them). */
export interface OpenAPIRequestHeaders {
  accept?: string;
  "if-none-match"?: string;
}

/** Meta schemas every group-version document carries, referenced or not. */
const ALWAYS = [
  "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
  "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
  "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
  "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
];
const SCHEMA_PREFIX = "#/components/schemas/";

function encode(doc: unknown): EncodedDocument {
  const body = Buffer.from(JSON.stringify(doc));
  return { body, hash: createHash("sha512").update(body).digest("hex").toUpperCase() };
}

const sortedObject = <T>(entries: Iterable<[string, T]>): Record<string, T> =>
  Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The /openapi/v3 root and per-group-version documents of a fixed set of resources. Documents are
 * built and encoded once, on first use; build a new instance when the set of resources changes.
 */
export class OpenAPIDocuments {
  private readonly resources: readonly Resource[];
  private readonly schemas: SchemaMap;
  private readonly now: () => Date;
  private built?: { docs: Map<string, EncodedDocument>; root: EncodedDocument };

  constructor(resources: readonly Resource[], options: OpenAPIOptions = {}) {
    this.resources = resources;
    this.schemas = options.schemas ?? componentSchemas();
    this.now = options.now ?? (() => new Date());
  }

  /** Keys of the root's `paths`: "api/v1", "apis/apps/v1", … sorted. */
  groupVersions(): string[] {
    return [...this.build().docs.keys()];
  }

  /** The /openapi/v3 root: `{paths: {"api/v1": {serverRelativeURL: "/openapi/v3/api/v1?hash=…"}}}`. */
  root(): EncodedDocument {
    return this.build().root;
  }

  /** The document of one group-version ("api/v1", "apis/apps/v1"), or undefined if not served. */
  document(groupVersion: string): EncodedDocument | undefined {
    return this.build().docs.get(groupVersion);
  }

  /** The document parsed (a fresh copy; for tests and tools). */
  documentObject(groupVersion: string): Record<string, unknown> | undefined {
    const doc = this.document(groupVersion);
    return doc ? (JSON.parse(doc.body.toString()) as Record<string, unknown>) : undefined;
  }

  /** "/openapi/v3/apis/apps/v1?hash=…", the URL the root advertises. */
  serverRelativeURL(groupVersion: string): string | undefined {
    const doc = this.document(groupVersion);
    return doc && `/openapi/v3/${groupVersion}?hash=${doc.hash}`;
  }

  /**
   * Answers GET /openapi/v2, /openapi/v3 and /openapi/v3/<group-version> as kube-openapi's handler
   * does (ETag, 304 on If-None-Match, 301 to the current hash, immutable caching when the hash
   * matches, 406 unless JSON is acceptable). Undefined for other paths.
   */
  serve(path: string, query: URLSearchParams, headers: OpenAPIRequestHeaders = {}): OpenAPIResponse | undefined {
    if (path === "/openapi/v2" || path.startsWith("/openapi/v2/")) return notFound("the server could not find the requested resource");
    if (path === "/openapi/v3" || path === "/openapi/v3/") return withETag(this.root(), headers, { "Content-Type": "application/json" });
    if (!path.startsWith("/openapi/v3/")) return undefined;
    const groupVersion = path.slice("/openapi/v3/".length).replace(/\/$/, "");
    const doc = this.document(groupVersion);
    if (!doc) return notFound(`no OpenAPI v3 document for ${groupVersion}`);
    if (!acceptsJSON(headers.accept)) {
      return { status: 406, headers: { "Content-Type": "application/json", Vary: "Accept" }, body: Buffer.from(JSON.stringify(errors.notAcceptable("only application/json is served").status)) };
    }
    const hash = query.get("hash");
    const extra: Record<string, string> = { "Content-Type": "application/json", Vary: "Accept" };
    if (hash) {
      if (hash !== doc.hash) {
        const location = this.serverRelativeURL(groupVersion) as string;
        return { status: 301, headers: { Location: location, ETag: `"${doc.hash}"` }, body: Buffer.alloc(0) };
      }
      const expires = this.now();
      expires.setUTCFullYear(expires.getUTCFullYear() + 1);
      extra["Cache-Control"] = "public, immutable";
      extra.Expires = expires.toUTCString();
    }
    return withETag(doc, headers, extra);
  }

  private build(): { docs: Map<string, EncodedDocument>; root: EncodedDocument } {
    if (this.built) return this.built;
    const byGV = new Map<string, Resource[]>();
    for (const r of this.resources) {
      const key = groupVersionPath(r.group, r.version);
      byGV.set(key, [...(byGV.get(key) ?? []), r]);
    }
    const docs = new Map<string, EncodedDocument>();
    for (const [gv, resources] of [...byGV].sort(([a], [b]) => (a < b ? -1 : 1))) {
      docs.set(gv, encode(this.groupVersionDocument(resources)));
    }
    const root = encode({
      paths: sortedObject([...docs].map(([gv, doc]) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${doc.hash}` }])),
    });
    this.built = { docs, root };
    return this.built;
  }

  private groupVersionDocument(resources: Resource[]): Record<string, unknown> {
    const lookup = (apiVersion: string, kind: string) => schemaNameFor(apiVersion, kind, this.schemas);
    const { group, version } = resources[0];
    const paths: [string, PathItem][] = Object.entries(discoveryPath(group, version));
    for (const r of resources) paths.push(...Object.entries(resourcePaths(r, lookup)));
    const roots = new Set(ALWAYS);
    forEachRef(paths, (ref) => {
      if (ref.startsWith(SCHEMA_PREFIX)) roots.add(ref.slice(SCHEMA_PREFIX.length));
    });
    const schemas: Record<string, Schema> = {};
    for (const name of schemaClosure(roots, this.schemas)) schemas[name] = this.schemas[name];
    return {
      openapi: "3.0.0",
      info: { title: "Kubernetes", version: "unversioned" },
      paths: sortedObject(paths),
      components: { schemas },
    };
  }
}

function withETag(doc: EncodedDocument, headers: OpenAPIRequestHeaders, extra: Record<string, string>): OpenAPIResponse {
  const etag = `"${doc.hash}"`;
  const all = { ...extra, ETag: etag };
  const match = headers["if-none-match"];
  if (match && match.split(",").some((t) => t.trim() === etag || t.trim() === "*")) {
    return { status: 304, headers: all, body: Buffer.alloc(0) };
  }
  return { status: 200, headers: { ...all, "Content-Length": String(doc.body.length) }, body: doc.body };
}

/** Whether an Accept header admits application/json (absent or empty means anything). */
function acceptsJSON(accept: string | undefined): boolean {
  if (!accept || !accept.trim()) return true;
  return accept.split(",").some((clause) => {
    const type = clause.split(";")[0].trim().toLowerCase();
    return type === "application/json" || type === "application/*" || type === "*/*";
  });
}

function notFound(message: string): OpenAPIResponse {
  const status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "NotFound", details: {}, code: 404 };
  return { status: 404, headers: { "Content-Type": "application/json" }, body: Buffer.from(JSON.stringify(status)) };
}
