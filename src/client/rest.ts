// The REST client (client-go's dynamic client over rest.Interface): CRUD, patch, list with
// pagination, and watch as an async iterable, for any resource given by its descriptor. JSON only.
import type { DeleteOptions as KubeDeleteOptions } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../apimachinery/object.ts";
import type { ClientConfig, KubeconfigLoadOptions } from "./kubeconfig.ts";
import { inClusterConfig, loadKubeconfig } from "./kubeconfig.ts";
import { Transport, isGone, parseBody } from "./transport.ts";
import type { HttpRequest, TransportOptions } from "./transport.ts";
import type { ObjectLike, ObjectList, ResourceDescriptor } from "./resources.ts";
import { resourcePath } from "./resources.ts";
import { watchStream } from "./watch.ts";
import type { WatchEvent } from "./watch.ts";

export type ClientOptions = TransportOptions;

/** A label selector as a string ("app=x,tier!=db") or equality pairs ({ app: "x" }). */
export type SelectorInput = string | Record<string, string>;

export interface NamespaceOption {
  /** Required for single objects of namespaced resources; omitted on a collection = all namespaces. */
  namespace?: string;
  signal?: AbortSignal;
}

export interface ListOptions extends NamespaceOption {
  labelSelector?: SelectorInput;
  fieldSelector?: SelectorInput;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
}

export interface WatchOptions extends NamespaceOption {
  labelSelector?: SelectorInput;
  fieldSelector?: SelectorInput;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** Asks the server to end the watch after this long (the stream then ends cleanly). */
  timeoutSeconds?: number;
}

export interface WriteOptions extends NamespaceOption {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: "Strict" | "Warn" | "Ignore";
}

/** merge = RFC 7386, strategic = strategic merge patch, json = RFC 6902, apply = server-side apply. */
export type PatchType = "merge" | "strategic" | "json" | "apply";

export interface PatchOptions extends WriteOptions {
  type: PatchType;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions extends NamespaceOption {
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

const PATCH_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
};

function selector(s: SelectorInput | undefined): string | undefined {
  if (s === undefined || typeof s === "string") return s || undefined;
  return Object.entries(s).map(([k, v]) => `${k}=${v}`).join(",") || undefined;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

function writeQuery(o: WriteOptions | undefined, extra: Record<string, string | boolean | undefined> = {}): string {
  return query({ dryRun: o?.dryRun ? "All" : undefined, fieldManager: o?.fieldManager, fieldValidation: o?.fieldValidation, ...extra });
}

export class Client {
  readonly transport: Transport;
  /** The kubeconfig context's namespace, or "default". */
  readonly defaultNamespace: string;

  constructor(config: ClientConfig, opts: ClientOptions = {}) {
    this.transport = new Transport(config, opts);
    this.defaultNamespace = config.namespace ?? "default";
  }

  /** A client from a kubeconfig file path or parsed object (its current or given context). */
  static async fromKubeconfig(source: string | Record<string, unknown>, opts: ClientOptions & KubeconfigLoadOptions = {}): Promise<Client> {
    return new Client(await loadKubeconfig(source, opts), opts);
  }

  /** Explicit settings ({ server, caPem, token } or a client cert), or else the pod's service account. */
  static async inCluster(config?: ClientConfig, opts: ClientOptions = {}): Promise<Client> {
    return new Client(config ?? (await inClusterConfig()), opts);
  }

  get config(): ClientConfig {
    return this.transport.config;
  }

  /** Any request; the answer parsed as JSON (or text). Non-2xx throws StatusError. */
  async request<T = unknown>(method: string, path: string, body?: unknown, opts: Partial<Pick<HttpRequest, "contentType" | "signal" | "timeoutMs" | "headers">> = {}): Promise<T> {
    const res = await this.transport.send({ method, path, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), ...opts });
    return parseBody(res.body) as T;
  }

  async get<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, name: string, opts: NamespaceOption & { subresource?: string } = {}): Promise<T> {
    return this.request<T>("GET", this.objectPath(r, opts.namespace, name, opts.subresource), undefined, { signal: opts.signal });
  }

  /** One page (all of it without `limit`). */
  async list<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const q = query({
      labelSelector: selector(opts.labelSelector), fieldSelector: selector(opts.fieldSelector), limit: opts.limit, continue: opts.continue,
      resourceVersion: opts.resourceVersion, resourceVersionMatch: opts.resourceVersionMatch,
    });
    return this.request<ObjectList<T>>("GET", resourcePath(r, opts.namespace) + q, undefined, { signal: opts.signal });
  }

  /**
   * Every item, fetched in pages of `limit` (default 500) and joined; the result carries the first
   * page's resourceVersion (all pages are at it). If a continue token expires mid-way (410) it
   * falls back to one unpaginated list, as client-go's pager does.
   */
  async listAll<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const first = await this.list<T>(r, { ...opts, limit: opts.limit ?? 500 });
    const items = [...first.items];
    let cont = first.metadata.continue;
    while (cont) {
      let page: ObjectList<T>;
      try {
        page = await this.list<T>(r, { ...opts, resourceVersion: undefined, resourceVersionMatch: undefined, limit: opts.limit ?? 500, continue: cont });
      } catch (err) {
        if (!isGone(err)) throw err;
        return this.list<T>(r, { ...opts, limit: undefined, continue: undefined });
      }
      items.push(...page.items);
      cont = page.metadata.continue;
    }
    return { ...first, metadata: { resourceVersion: first.metadata.resourceVersion }, items };
  }

  /** Creates the object in `opts.namespace` or else its own `metadata.namespace`. */
  async create<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, obj: T, opts: WriteOptions = {}): Promise<T> {
    const path = resourcePath(r, this.namespaceOf(r, obj, opts)) + writeQuery(opts);
    return this.request<T>("POST", path, obj, { signal: opts.signal });
  }

  /** PUT of the whole object; a stale `metadata.resourceVersion` fails with Conflict. */
  async update<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.request<T>("PUT", this.objectPath(r, this.namespaceOf(r, obj, opts), nameOf(obj)) + writeQuery(opts), obj, { signal: opts.signal });
  }

  /** PUT to the status subresource (only status changes are kept). */
  async updateStatus<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.request<T>("PUT", this.objectPath(r, this.namespaceOf(r, obj, opts), nameOf(obj), "status") + writeQuery(opts), obj, { signal: opts.signal });
  }

  /** A patch of the given type; `apply` needs `fieldManager`. */
  async patch<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, name: string, patch: unknown, opts: PatchOptions): Promise<T> {
    if (opts.type === "apply" && !opts.fieldManager) throw new Error("server-side apply needs a fieldManager");
    const path = this.objectPath(r, opts.namespace, name, opts.subresource) + writeQuery(opts, { force: opts.type === "apply" && opts.force ? true : undefined });
    return this.request<T>("PATCH", path, patch, { contentType: PATCH_TYPES[opts.type], signal: opts.signal });
  }

  /** Deletes one object; resolves to what the server returns (the object, possibly still terminating, or a Status). */
  async delete<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, name: string, opts: DeleteOptions = {}): Promise<T> {
    return this.request<T>("DELETE", this.objectPath(r, opts.namespace, name), deleteBody(opts), { signal: opts.signal });
  }

  /** Deletes every object matching the selectors in the namespace (all namespaces without one). */
  async deleteCollection<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, opts: DeleteOptions & Omit<ListOptions, "continue" | "limit"> = {}): Promise<ObjectList<T>> {
    const q = query({ labelSelector: selector(opts.labelSelector), fieldSelector: selector(opts.fieldSelector) });
    return this.request<ObjectList<T>>("DELETE", resourcePath(r, opts.namespace) + q, deleteBody(opts), { signal: opts.signal });
  }

  /**
   * A watch as an async iterable of events. It ends when the server ends the stream (e.g. after
   * `timeoutSeconds`) or `signal` aborts; an ERROR event throws its StatusError (410 → reason
   * "Expired"); a broken connection throws the connection error. Breaking out closes the request.
   */
  watch<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
    const q = query({
      watch: "true", labelSelector: selector(opts.labelSelector), fieldSelector: selector(opts.fieldSelector),
      resourceVersion: opts.resourceVersion, allowWatchBookmarks: opts.allowWatchBookmarks, timeoutSeconds: opts.timeoutSeconds,
    });
    return watchStream<T>(this.transport, { method: "GET", path: resourcePath(r, opts.namespace) + q, signal: opts.signal });
  }

  /** Methods bound to one resource (and namespace). */
  resource<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, namespace?: string): ResourceClient<T> {
    return new ResourceClient<T>(this, r, namespace);
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.transport.close();
  }

  private objectPath(r: ResourceDescriptor, namespace: string | undefined, name: string, subresource?: string): string {
    if (!name) throw new Error(`${r.resource}: a name is required`);
    if (r.namespaced && !namespace) throw new Error(`${r.resource} "${name}": a namespace is required`);
    return resourcePath(r, namespace, name, subresource);
  }

  private namespaceOf(r: ResourceDescriptor, obj: ObjectLike, opts: NamespaceOption): string | undefined {
    if (!r.namespaced) return undefined;
    const ns = opts.namespace ?? obj.metadata?.namespace;
    if (!ns) throw new Error(`${r.resource}: a namespace is required (options or metadata.namespace)`);
    return ns;
  }
}

function nameOf(obj: ObjectLike): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error("metadata.name is required");
  return name;
}

function deleteBody(o: DeleteOptions): KubeDeleteOptions & { kind: string; apiVersion: string } {
  const body: KubeDeleteOptions & { kind: string; apiVersion: string } = { kind: "DeleteOptions", apiVersion: "v1" };
  if (o.propagationPolicy) body.propagationPolicy = o.propagationPolicy;
  if (o.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = o.gracePeriodSeconds;
  if (o.preconditions) body.preconditions = o.preconditions;
  if (o.dryRun) body.dryRun = ["All"];
  return body;
}

/** The client's methods for one resource, with the namespace filled in. */
export class ResourceClient<T extends ObjectLike = KubeObject> {
  readonly client: Client;
  readonly descriptor: ResourceDescriptor;
  readonly namespace: string | undefined;

  constructor(client: Client, descriptor: ResourceDescriptor, namespace?: string) {
    this.client = client;
    this.descriptor = descriptor;
    this.namespace = namespace;
  }

  private ns<O extends NamespaceOption>(o: O): O {
    return o.namespace === undefined && this.namespace !== undefined ? { ...o, namespace: this.namespace } : o;
  }

  get(name: string, o: NamespaceOption = {}): Promise<T> { return this.client.get<T>(this.descriptor, name, this.ns(o)); }
  list(o: ListOptions = {}): Promise<ObjectList<T>> { return this.client.list<T>(this.descriptor, this.ns(o)); }
  listAll(o: ListOptions = {}): Promise<ObjectList<T>> { return this.client.listAll<T>(this.descriptor, this.ns(o)); }
  create(obj: T, o: WriteOptions = {}): Promise<T> { return this.client.create<T>(this.descriptor, obj, this.ns(o)); }
  update(obj: T, o: WriteOptions = {}): Promise<T> { return this.client.update<T>(this.descriptor, obj, this.ns(o)); }
  updateStatus(obj: T, o: WriteOptions = {}): Promise<T> { return this.client.updateStatus<T>(this.descriptor, obj, this.ns(o)); }
  patch(name: string, patch: unknown, o: PatchOptions): Promise<T> { return this.client.patch<T>(this.descriptor, name, patch, this.ns(o)); }
  delete(name: string, o: DeleteOptions = {}): Promise<T> { return this.client.delete<T>(this.descriptor, name, this.ns(o)); }
  deleteCollection(o: DeleteOptions & Omit<ListOptions, "continue" | "limit"> = {}): Promise<ObjectList<T>> { return this.client.deleteCollection<T>(this.descriptor, this.ns(o)); }
  watch(o: WatchOptions = {}): AsyncIterable<WatchEvent<T>> { return this.client.watch<T>(this.descriptor, this.ns(o)); }
}
