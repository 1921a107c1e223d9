// SharedInformerFactory: one informer per (resource, namespace, selectors), shared by every
// controller in the process, plus the ListerWatcher that connects an informer to the REST client.
import type { KubeObject } from "../apimachinery/object.ts";
import type { Logger } from "../util/log.ts";
import type { Clock } from "./clock.ts";
import type { Client, SelectorInput } from "./rest.ts";
import type { ObjectLike, ResourceDescriptor } from "./resources.ts";
import { SharedInformer } from "./informer.ts";
import type { ListerWatcher, SharedInformerOptions } from "./informer.ts";
import type { IndexFunc } from "./store.ts";

/** What an informer watches within a resource. */
export interface InformerScope {
  /** Omitted (or "") = all namespaces. */
  namespace?: string;
  labelSelector?: SelectorInput;
  fieldSelector?: SelectorInput;
}

/** List and watch through the REST client. */
export function listWatcherFor<T extends ObjectLike>(client: Client, r: ResourceDescriptor, scope: InformerScope = {}): ListerWatcher<T> {
  const base = { namespace: scope.namespace || undefined, labelSelector: scope.labelSelector, fieldSelector: scope.fieldSelector };
  return {
    list: ({ limit, continue: cont, signal }) => client.list<T>(r, { ...base, limit: limit > 0 ? limit : undefined, continue: cont, signal }),
    watch: ({ resourceVersion, allowWatchBookmarks, timeoutSeconds, signal }) =>
      client.watch<T>(r, { ...base, resourceVersion, allowWatchBookmarks, timeoutSeconds, signal }),
  };
}

/** A stand-alone (unshared) informer for one resource and scope; most code should use the factory. */
export function createInformer<T extends ObjectLike = KubeObject>(client: Client, r: ResourceDescriptor, scope: InformerScope = {}, opts: SharedInformerOptions<T> = {}): SharedInformer<T> {
  return new SharedInformer<T>(listWatcherFor<T>(client, r, scope), { name: r.resource, ...opts });
}

export interface SharedInformerFactoryOptions {
  /** Default resync for informers the factory creates; 0 = none. */
  resyncPeriodMs?: number;
  /** Restrict every informer to this namespace (unless the request names one). */
  namespace?: string;
  freezeObjects?: boolean;
  clock?: Clock;
  random?: () => number;
  log?: Logger;
  /** Extra options for every informer (tests: back-off, watch timeouts). */
  informerOptions?: Partial<SharedInformerOptions>;
}

const selectorKey = (s: SelectorInput | undefined): string =>
  s === undefined ? "" : typeof s === "string" ? s : Object.entries(s).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(",");

/**
 * Hands out one informer per resource and scope, so controllers asking for the same resource
 * share one watch and one cache. Informers asked for after `start()` start at once.
 */
export class SharedInformerFactory {
  private readonly client: Client;
  private readonly opts: SharedInformerFactoryOptions;
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private started = false;

  constructor(client: Client, opts: SharedInformerFactoryOptions = {}) {
    this.client = client;
    this.opts = opts;
  }

  /**
   * The shared informer for the resource and scope; `indexers` are added to it (an index name
   * already declared with another function throws).
   */
  informerFor<T extends ObjectLike = KubeObject>(r: ResourceDescriptor, scope: InformerScope & { indexers?: Record<string, IndexFunc<T>> } = {}): SharedInformer<T> {
    const namespace = r.namespaced ? (scope.namespace ?? this.opts.namespace ?? "") : "";
    const key = [r.group, r.version, r.resource, namespace, selectorKey(scope.labelSelector), selectorKey(scope.fieldSelector)].join("|");
    let informer = this.informers.get(key) as SharedInformer<T> | undefined;
    if (!informer) {
      const name = `${r.group ? `${r.resource}.${r.group}` : r.resource}${namespace ? `@${namespace}` : ""}`;
      informer = new SharedInformer<T>(listWatcherFor<T>(this.client, r, { ...scope, namespace }), {
        name, resyncPeriodMs: this.opts.resyncPeriodMs, freezeObjects: this.opts.freezeObjects,
        clock: this.opts.clock, random: this.opts.random, log: this.opts.log,
        ...(this.opts.informerOptions as Partial<SharedInformerOptions<T>> | undefined),
      });
      this.informers.set(key, informer as unknown as SharedInformer<KubeObject>);
      if (this.started) informer.start();
    }
    if (scope.indexers) informer.addIndexers(scope.indexers);
    return informer;
  }

  /** Starts every informer created so far (and any created later). */
  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves true when every informer has synced; false if `signal` aborts or one stops first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  /** Stops every informer. */
  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
