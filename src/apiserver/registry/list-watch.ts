// LIST and WATCH of one resource with Kubernetes' resourceVersion semantics: served from the watch
// cache (consistent with the store), pages continued from the store at the first page's revision.
import type { Store } from "../../storage/index.ts";
import { isStoreError } from "../../storage/index.ts";
import type { KubeList, KubeObject } from "../../apimachinery/object.ts";
import { errors } from "../../apimachinery/status.ts";
import type { CacheFeed, CachedObject, CacheWatcher, WatchSink, WatchCache } from "../watchcache/index.ts";
import { TooOldError } from "../watchcache/index.ts";
import type { Resource } from "./types.ts";
import { decodeStored } from "./rest-store.ts";

export interface ListRequest {
  /** "" for all namespaces (or a cluster-scoped resource). */
  namespace: string;
  /** Label and field selectors, combined. */
  filter: (obj: KubeObject) => boolean;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface WatchRequest {
  namespace: string;
  filter: (obj: KubeObject) => boolean;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  sendInitialEvents?: boolean;
}

interface ContinueToken {
  v: "meta.k8s.io/v1";
  rv: number;
  start: string;
}

const TOO_OLD_CONTINUE =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

export function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start } satisfies ContinueToken)).toString("base64url");
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString()) as ContinueToken;
    if (t.v !== "meta.k8s.io/v1" || typeof t.rv !== "number" || typeof t.start !== "string") throw new Error("bad token");
    return t;
  } catch {
    throw errors.badRequest(`continue key is not valid: ${token.length > 100 ? token.slice(0, 100) + "…" : token}`);
  }
}

function parseRv(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === "") return undefined;
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${rv}`);
  return Number(rv);
}

export class ListWatch {
  private readonly resource: Resource;
  private readonly store: Store;
  private readonly feed: CacheFeed;
  private readonly cache: WatchCache;

  constructor(resource: Resource, store: Store, feed: CacheFeed) {
    this.resource = resource;
    this.store = store;
    this.feed = feed;
    this.cache = feed.cache(resource.storagePrefix);
  }

  /** The revision lists and watches are served at now. */
  get revision(): number {
    return this.feed.revision;
  }

  private prefix(namespace: string): string {
    return this.resource.namespaced && namespace ? `${this.resource.storagePrefix}${namespace}/` : this.resource.storagePrefix;
  }

  private listOf(items: KubeObject[], rv: number, cont?: string): KubeList {
    const metadata: KubeList["metadata"] = { resourceVersion: String(rv) };
    if (cont) metadata.continue = cont;
    return { apiVersion: this.resource.apiVersion, kind: this.resource.listKind, metadata, items };
  }

  async list(req: ListRequest): Promise<KubeList> {
    const prefix = this.prefix(req.namespace);
    const limit = req.limit && req.limit > 0 ? req.limit : 0;
    const rv = parseRv(req.resourceVersion);
    if (req.continue) {
      if (rv) throw errors.badRequest("specifying resource version is not allowed when using continue");
      const token = decodeContinue(req.continue);
      return this.listFromStore(prefix, req, token.rv, prefix + token.start, limit);
    }
    if (req.resourceVersionMatch === "Exact") {
      if (!rv) throw errors.badRequest("resourceVersionMatch=Exact requires a non-zero resourceVersion");
      return this.listFromStore(prefix, req, rv, prefix, limit);
    }
    if (req.resourceVersionMatch && req.resourceVersionMatch !== "NotOlderThan") {
      throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${req.resourceVersionMatch}": supported values: "Exact", "NotOlderThan"`);
    }
    await this.waitForCache(rv, req.resourceVersion);
    const cached = this.cache.list(prefix);
    const items: KubeObject[] = [];
    let i = 0;
    for (; i < cached.length; i++) {
      const obj = cached[i]!.object;
      if (!req.filter(obj)) continue;
      if (limit && items.length === limit) break;
      items.push(obj);
    }
    const rvNow = this.feed.revision;
    if (limit && i < cached.length) {
      return this.listOf(items, rvNow, encodeContinue(rvNow, cached[i]!.key.slice(prefix.length)));
    }
    return this.listOf(items, rvNow);
  }

  /** A list at an older revision (continue pages, Exact): read from the store's history. */
  private async listFromStore(prefix: string, req: ListRequest, revision: number, start: string, limit: number): Promise<KubeList> {
    const items: KubeObject[] = [];
    let next: string | undefined = start;
    try {
      while (next !== undefined) {
        const page = await this.store.range(prefix, { revision, continue: next, limit: limit ? Math.max(limit, 100) : 0 });
        for (let j = 0; j < page.kvs.length; j++) {
          const obj = decodeStored(page.kvs[j]!);
          if (!req.filter(obj)) continue;
          if (limit && items.length === limit) {
            return this.listOf(items, revision, encodeContinue(revision, page.kvs[j]!.key.slice(prefix.length)));
          }
          items.push(obj);
        }
        next = page.continue;
      }
    } catch (err) {
      if (isStoreError(err, "Compacted")) throw errors.gone(req.continue ? TOO_OLD_CONTINUE : `too old resource version: ${revision}`);
      if (isStoreError(err, "FutureRevision")) throw errors.timeout(`Too large resource version: ${revision}, current: ${this.feed.revision}`);
      throw err;
    }
    return this.listOf(items, revision);
  }

  /** RV unset: as fresh as the store (a consistent read); "0": whatever the cache has; N: at least N. */
  private async waitForCache(rv: number | undefined, raw: string | undefined): Promise<void> {
    try {
      if (raw === "0") return await this.feed.start();
      await this.feed.waitUntilFresh(rv ?? (await this.store.currentRevision()));
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("Too large resource version")) throw errors.timeout(err.message);
      throw err;
    }
  }

  /**
   * Starts a watch. Without a resourceVersion (or "0") it begins with ADDED events for what
   * exists; with one it resumes after it. `onInitialEventsEnd` fires after the initial events
   * when `sendInitialEvents` is asked for (the caller sends the annotated BOOKMARK).
   */
  async watch(req: WatchRequest, sink: WatchSink, onInitialEventsEnd?: (rv: number) => void): Promise<CacheWatcher> {
    const rv = parseRv(req.resourceVersion);
    const initial = req.sendInitialEvents ?? (rv === undefined || rv === 0);
    if (req.sendInitialEvents && req.resourceVersionMatch !== "NotOlderThan") {
      throw errors.invalid("ListOptions", "meta.k8s.io", "", [{ reason: "FieldValueForbidden", field: "resourceVersionMatch", message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" }]);
    }
    await this.waitForCache(initial ? rv : undefined, initial ? req.resourceVersion : "0");
    const prefix = this.prefix(req.namespace);
    const filter = (obj: KubeObject) => (prefix === this.resource.storagePrefix || obj.metadata?.namespace === req.namespace) && req.filter(obj);
    const current = this.feed.revision;
    if (!initial) {
      try {
        return this.cache.watch(rv!, current, filter, sink);
      } catch (err) {
        if (err instanceof TooOldError) throw errors.gone(err.message);
        throw err;
      }
    }
    // List and subscribe in one synchronous step so no change falls between them.
    const existing: CachedObject[] = this.cache.list(prefix).filter((o) => filter(o.object));
    const watcher = this.cache.watch(current, current, filter, sink);
    for (const o of existing) sink.send("ADDED", o, { type: "ADDED", rv: o.rv, object: o, encoded: new Map() });
    if (req.sendInitialEvents) onInitialEventsEnd?.(current);
    return watcher;
  }
}
