// The API server: HTTPS front door of the cluster and the only user of the store. Wires the
// registry, one RestStore + ListWatch per resource, the watch-cache feed, credentials, kubeconfig.
import https from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Store } from "../storage/index.ts";
import { createLogger } from "../util/log.ts";
import type { Logger } from "../util/log.ts";
import { ensureClusterCredentials, Authenticator, tlsServerOptions, writeKubeconfig } from "./auth/index.ts";
import type { ClusterCredentials } from "./auth/index.ts";
import { Registry, STORAGE_ROOT } from "./registry/registry.ts";
import type { Resource } from "./registry/types.ts";
import { RestStore, decodeStored } from "./registry/rest-store.ts";
import type { NamespaceState } from "./registry/rest-store.ts";
import { ListWatch } from "./registry/list-watch.ts";
import { builtinRegistry } from "./registry/builtin.ts";
import { bootstrap } from "./registry/bootstrap.ts";
import { storeServiceAllocation } from "./registry/service-ranges.ts";
import { bindingHandler, evictionHandler } from "./registry/pod-subresources.ts";
import { connectTarget, nodeProxyHandler, podConnectHandler, podLogHandler } from "./registry/pod-proxy.ts";
import type { KubeletProxyOptions } from "./registry/pod-proxy.ts";
import { connectUpgradeHandler, websocketBearerToken } from "./http/stream-proxy.ts";
import { ensureKubeletClientCert } from "./auth/kubelet-client.ts";
import type { CertKeyPair } from "./auth/index.ts";
import { finalizeHandler } from "./registry/namespace-finalize.ts";
import { CacheFeed } from "./watchcache/index.ts";
import { ApiServerMetrics } from "./metrics.ts";
import { instrumentStore } from "./instrumented-store.ts";
import { Router } from "./http/router.ts";
import type { NonResourceHandler } from "./http/router.ts";
import { NODE_CREDENTIALS_PATH, NODE_JOIN_GROUP, NODE_JOIN_USER, ensureNodeToken, issueNodeCredentials, serveNodeCredentials } from "./auth/node-join.ts";
import type { NodeCredentials } from "./auth/node-join.ts";
import type { HandlerContext, ResourceHandlers, SubresourceHandler } from "./http/resource-handler.ts";
import type { ProtobufDecoder } from "./http/body.ts";
import { OpenAPIDocuments } from "./openapi/index.ts";
import { watchUpgradeHandler } from "./http/websocket.ts";
import { decodeKubernetesProtobuf } from "./protobuf/index.ts";

export interface ApiServerOptions {
  store: Store;
  /** TLS material, the token file and kubeconfig.yaml go here. */
  dataDir: string;
  host?: string;
  /** 0 picks a free port. Default 6443. */
  port?: number;
  tlsSans?: string[];
  maxInFlight?: number;
  maxWatchSeconds?: number;
  /** ClusterIPs come from here (default 10.96.0.0/12; .1 is the `kubernetes` Service). */
  serviceCIDR?: string;
  /** Events kept per resource for watches that resume from an older resourceVersion. */
  watchCacheCapacity?: number;
  log?: Logger;
  registry?: Registry;
  protobuf?: ProtobufDecoder;
  extra?: NonResourceHandler;
  subresources?: Map<string, SubresourceHandler>;
}

export class ApiServer {
  readonly registry: Registry;
  readonly metrics = new ApiServerMetrics();
  private nodeTokenValue = "";
  readonly log: Logger;
  readonly feed: CacheFeed;
  readonly store: Store;
  private readonly handlers = new Map<Resource, ResourceHandlers>();
  private server: https.Server | null = null;
  private credentials: ClusterCredentials | null = null;
  private kubeletClient: CertKeyPair | null = null;
  /** Drops proxied exec/attach/port-forward connections on close. */
  private closeStreams: () => void = () => undefined;
  private readonly opts: ApiServerOptions;
  private isReady = false;
  kubeconfigPath = "";
  readonly kubernetesServiceIP: string;

  constructor(opts: ApiServerOptions) {
    this.opts = opts;
    this.store = instrumentStore(opts.store, this.metrics.storeLatency);
    this.log = opts.log ?? createLogger("apiserver");
    const allocation = storeServiceAllocation(this.store, { serviceCIDR: opts.serviceCIDR });
    this.kubernetesServiceIP = allocation.ips.kubernetesServiceIP;
    this.registry = opts.registry ?? builtinRegistry({ serviceAllocation: allocation });
    this.feed = new CacheFeed(this.store, STORAGE_ROOT, { decode: decodeStored, capacity: opts.watchCacheCapacity, onError: (err) => this.log.warn({ err }, "watch cache") });
    for (const r of this.registry.resources()) this.feed.cache(r.storagePrefix);
  }

  static async start(opts: ApiServerOptions): Promise<ApiServer> {
    const server = new ApiServer(opts);
    await server.listen();
    return server;
  }

  /** Storage and list/watch of one resource. */
  handlersFor(resource: Resource): ResourceHandlers {
    let h = this.handlers.get(resource);
    if (!h) {
      h = {
        rest: new RestStore(resource, { store: this.store, namespaceState: (ns) => this.namespaceState(ns), get: (plural, ns, name) => this.getObject(plural, ns, name), list: (plural, ns) => this.listObjects(plural, ns) }),
        listWatch: new ListWatch(resource, this.store, this.feed),
      };
      this.handlers.set(resource, h);
    }
    return h;
  }

  /** The RestStore of a core or named-group resource, e.g. rest("", "namespaces"). */
  rest(group: string, plural: string): RestStore {
    const resource = this.registry.resources().find((r) => r.group === group && r.plural === plural);
    if (!resource) throw new Error(`no resource ${plural} in group "${group}"`);
    return this.handlersFor(resource).rest;
  }

  private async getObject(plural: string, namespace: string, name: string) {
    const resource = this.registry.resources().find((r) => r.plural === plural);
    if (!resource) return null;
    try {
      return await this.handlersFor(resource).rest.get(namespace, name);
    } catch {
      return null;
    }
  }

  private async listObjects(plural: string, namespace: string) {
    const resource = this.registry.resources().find((r) => r.plural === plural);
    return resource ? this.handlersFor(resource).rest.list(namespace) : [];
  }

  /** How pod log/exec/attach/portforward and nodes/proxy reach kubelets (after listen() loaded the credentials). */
  private kubeletProxy(): KubeletProxyOptions {
    return {
      pods: this.rest("", "pods"), nodes: this.rest("", "nodes"),
      tls: { ca: this.credentials!.ca.cert, cert: this.kubeletClient!.cert, key: this.kubeletClient!.key },
    };
  }

  /** binding, eviction and the kubelet-served ones, when pods are served; namespaces' finalize. */
  private podSubresources(): Map<string, SubresourceHandler> {
    const map = new Map<string, SubresourceHandler>();
    if (this.registry.get("", "v1", "namespaces")) map.set("/namespaces/finalize", finalizeHandler(this.rest("", "namespaces")));
    const pods = this.registry.get("", "v1", "pods");
    if (!pods) return map;
    const rest = this.handlersFor(pods).rest;
    const pdbResource = this.registry.get("policy", "v1", "poddisruptionbudgets");
    const pdbs = async () => (pdbResource ? this.feed.cache(pdbResource.storagePrefix).list().map((o) => o.object) : []);
    map.set("/pods/binding", bindingHandler(rest));
    map.set("/pods/eviction", evictionHandler(rest, pdbs));
    if (this.registry.get("", "v1", "nodes")) {
      const kubelets = this.kubeletProxy();
      map.set("/pods/log", podLogHandler(kubelets));
      for (const sub of ["exec", "attach", "portforward"]) map.set(`/pods/${sub}`, podConnectHandler(kubelets));
      map.set("/nodes/proxy", nodeProxyHandler(kubelets));
    }
    return map;
  }

  /** From the cache; a namespace created a moment ago may not be there yet, so a miss asks the store. */
  private async namespaceState(namespace: string): Promise<NamespaceState> {
    const rest = this.rest("", "namespaces");
    const cached = this.feed.cache(rest.resource.storagePrefix).get(rest.key("", namespace));
    let ns = cached?.object;
    if (!ns) {
      const kv = await this.store.get(rest.key("", namespace));
      ns = kv ? decodeStored(kv) : undefined;
    }
    if (!ns) return "Missing";
    return ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === "Terminating" ? "Terminating" : "Active";
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  get caPem(): string {
    return this.credentials!.ca.cert;
  }

  get adminToken(): string {
    return this.credentials!.adminToken;
  }

  /** The token agents join with (`k8ts agent --token`), also in `<dataDir>/node-token`. */
  get nodeToken(): string {
    return this.nodeTokenValue;
  }

  /** A kubelet's client and serving certificates, for a node in this process (`k8ts server`). */
  nodeCredentials(nodeName: string, addresses: string[]): Promise<NodeCredentials> {
    return issueNodeCredentials(this.credentials!.ca, nodeName, addresses);
  }

  private async listen(): Promise<void> {
    const opts = this.opts;
    this.credentials = await ensureClusterCredentials(opts.dataDir, { sans: opts.tlsSans });
    this.kubeletClient = await ensureKubeletClientCert(opts.dataDir, this.credentials.ca);
    const nodeJoin = await ensureNodeToken(opts.dataDir, this.credentials.ca.cert);
    this.nodeTokenValue = nodeJoin.token;
    const authenticator = new Authenticator({ caPem: this.credentials.ca.cert, tokens: [
      { token: this.credentials.adminToken, user: "system:admin", uid: "k8ts-admin", groups: ["system:masters"] },
      { token: nodeJoin.secret, user: NODE_JOIN_USER, uid: "", groups: [NODE_JOIN_GROUP] },
    ] });
    await this.feed.start();
    await bootstrap(this);
    const handlers: HandlerContext = {
      lookup: (r) => this.handlersFor(r),
      protobuf: opts.protobuf ?? decodeKubernetesProtobuf,
      subresources: new Map([...this.podSubresources(), ...(opts.subresources ?? new Map())]),
      maxWatchSeconds: opts.maxWatchSeconds ?? 1800,
    };
    const openapi = new OpenAPIDocuments(this.registry.resources());
    const serveOpenAPI: NonResourceHandler = (req, res, path, query) => {
      if (!path.startsWith("/openapi")) return false;
      const r = openapi.serve(path, query, req.headers);
      if (!r) return false;
      res.writeHead(r.status, r.headers);
      res.end(r.body);
      return true;
    };
    const router = new Router({
      registry: this.registry, authenticator, metrics: this.metrics, log: this.log, handlers,
      serverAddress: () => `${opts.host ?? "127.0.0.1"}:${this.port}`,
      maxInFlight: opts.maxInFlight ?? 600,
      ready: () => this.isReady,
      caPem: () => this.caPem,
      extra: async (req, res, path, query, user) => {
        if (path === NODE_CREDENTIALS_PATH) {
          await serveNodeCredentials(req, res, this.credentials!.ca, user);
          return true;
        }
        return (await serveOpenAPI(req, res, path, query)) || ((await opts.extra?.(req, res, path, query, user)) ?? false);
      },
    });
    this.server = https.createServer(tlsServerOptions(this.credentials), (req, res) => void router.handle(req, res));
    this.server.keepAliveTimeout = 65_000;
    const kubelets = this.registry.get("", "v1", "pods") && this.registry.get("", "v1", "nodes") ? this.kubeletProxy() : null;
    const upgrades = connectUpgradeHandler({
      matches: (info) => kubelets !== null && info.group === "" && ((info.resource === "pods" && info.verb === "connect") || (info.resource === "nodes" && info.subresource === "proxy")),
      authenticate: (req) => {
        const token = websocketBearerToken(req);
        return token ? authenticator.authenticateToken(token) : authenticator.authenticate(req);
      },
      locate: (info, req) => connectTarget(kubelets!, info, req),
      tls: kubelets?.tls ?? { ca: "", cert: "", key: "" },
      fallback: watchUpgradeHandler(this.registry, authenticator, handlers),
    });
    this.closeStreams = upgrades.closeAll;
    this.server.on("upgrade", upgrades);
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(opts.port ?? 6443, opts.host ?? "127.0.0.1", () => resolve());
    });
    this.kubeconfigPath = join(opts.dataDir, "kubeconfig.yaml");
    await writeKubeconfig(this.kubeconfigPath, { server: this.url, caPem: this.credentials.ca.cert, clientCertPem: this.credentials.admin.cert, clientKeyPem: this.credentials.admin.key });
    this.isReady = true;
    this.log.info({ url: this.url, kubeconfig: this.kubeconfigPath }, "API server listening");
  }

  /** Stops accepting requests, ends watches cleanly, and closes connections. */
  async close(): Promise<void> {
    this.isReady = false;
    this.feed.stop();
    const server = this.server;
    if (!server) return;
    this.closeStreams();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
  }
}
