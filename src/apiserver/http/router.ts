// The API server's request pipeline: public health/version paths, authentication, the in-flight
// limit (429), then discovery, OpenAPI, metrics or a resource handler; logs and metrics per request.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../util/log.ts";
import { errors } from "../../apimachinery/status.ts";
import type { Authenticator, UserInfo } from "../auth/index.ts";
import { parseRequestInfo, requestURL } from "../request-info.ts";
import type { Registry } from "../registry/registry.ts";
import { Discovery, AGGREGATED_DISCOVERY_TYPE, wantsAggregated } from "../discovery.ts";
import type { ApiServerMetrics } from "../metrics.ts";
import { send, sendError } from "./respond.ts";
import { handleResource } from "./resource-handler.ts";
import type { HandlerContext } from "./resource-handler.ts";

export const KUBERNETES_VERSION = { major: "1", minor: "32", gitVersion: "v1.32.0-k8ts", gitCommit: "k8ts", gitTreeState: "clean", buildDate: "2026-11-25T00:00:00Z", goVersion: "node", compiler: "k8ts", platform: `${process.platform}/${process.arch}` };

const PUBLIC_PATHS = new Set(["/livez", "/readyz", "/healthz", "/version", "/cacerts"]);

export interface NonResourceHandler {
  (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, user?: UserInfo): Promise<boolean> | boolean;
}

export interface RouterOptions {
  registry: Registry;
  authenticator: Authenticator;
  metrics: ApiServerMetrics;
  log: Logger;
  handlers: HandlerContext;
  serverAddress: () => string;
  /** Most non-watch requests served at once; more get 429. */
  maxInFlight: number;
  ready: () => boolean;
  /** Extra non-resource paths (OpenAPI…); returns true when it handled the request. */
  extra?: NonResourceHandler;
  /** The cluster CA certificate served at /cacerts. */
  caPem?: () => string;
}

export class Router {
  private readonly opts: RouterOptions;
  private readonly discovery: Discovery;
  private inFlight = 0;

  constructor(opts: RouterOptions) {
    this.opts = opts;
    this.discovery = new Discovery(opts.registry);
  }

  /** Handles one request; never throws (errors become Status responses). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let url: { pathname: string; searchParams: URLSearchParams };
    let info: ReturnType<typeof parseRequestInfo>;
    try {
      url = requestURL(req.url ?? "/");
      info = parseRequestInfo(req.method ?? "GET", url.pathname, url.searchParams);
    } catch {
      sendError(res, errors.badRequest(`malformed request path: ${(req.url ?? "").slice(0, 200)}`));
      return;
    }
    const labels = info.isResourceRequest
      ? { verb: info.verb, group: info.group, resource: info.resource, subresource: info.subresource }
      : { verb: info.verb, group: "", resource: "", subresource: "" };
    // As kube-apiserver's long-running check: watches, connect (exec/attach/portforward/proxy) and pod logs.
    const longRunning = info.isResourceRequest && (info.verb === "watch" || info.verb === "connect" || info.subresource === "log" || info.subresource === "proxy");
    let counted = false;
    let user: UserInfo | null = null;
    try {
      if (PUBLIC_PATHS.has(url.pathname)) return this.publicPath(url.pathname, res, url.searchParams);
      if (!["GET", "POST", "PUT", "PATCH", "DELETE"].includes(req.method ?? "")) throw errors.methodNotAllowed(`the server does not allow this method (${req.method}) on the requested resource`);
      user = this.opts.authenticator.authenticate(req);
      if (!user) throw errors.unauthorized();
      if (!longRunning) {
        if (this.inFlight >= this.opts.maxInFlight) {
          this.opts.metrics.rejected.inc();
          throw errors.tooManyRequests("Too many requests, please try again later.", 1);
        }
        this.inFlight++;
        counted = true;
        this.opts.metrics.inflight.inc({ request_kind: "readOnly" });
      }
      if (info.isResourceRequest) {
        const resource = this.opts.registry.get(info.group, info.version, info.resource);
        if (!resource) throw errors.notFound({ resource: info.resource, group: info.group }, info.name || info.resource);
        await handleResource(info, resource, req, res, url.searchParams, this.opts.handlers, user);
      } else if (!(await this.nonResource(req, res, url.pathname, url.searchParams, user))) {
        throw errors.notFound({ resource: "" }, url.pathname);
      }
    } catch (err) {
      const status = sendError(res, err);
      if (status.code >= 500) this.opts.log.error({ err, method: req.method, path: url.pathname }, "request failed");
    } finally {
      if (counted) {
        this.inFlight--;
        this.opts.metrics.inflight.dec({ request_kind: "readOnly" });
      }
      const code = String(res.statusCode);
      this.opts.metrics.requests.inc({ ...labels, code });
      if (!longRunning) this.opts.metrics.latency.observe(labels, (performance.now() - started) / 1000);
      this.opts.log.debug({ method: req.method, path: url.pathname, verb: labels.verb, code: res.statusCode, user: user?.username, ms: Math.round(performance.now() - started) }, "request");
    }
  }

  private publicPath(path: string, res: ServerResponse, query: URLSearchParams): void {
    if (path === "/version") return send(res, 200, KUBERNETES_VERSION);
    if (path === "/cacerts") {
      // The cluster CA, for joining agents to check against the hash in their token (as k3s).
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(this.opts.caPem?.() ?? "");
      return;
    }
    const ok = path === "/livez" || this.opts.ready();
    const body = ok ? "ok" : "not ready";
    if (query.has("verbose")) {
      res.writeHead(ok ? 200 : 500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`[+]ping ok\n[${ok ? "+" : "-"}]informer-sync ${ok ? "ok" : "failed"}\n${path.slice(1)} check ${ok ? "passed" : "failed"}\n`);
      return;
    }
    res.writeHead(ok ? 200 : 500, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" });
    res.end(body);
  }

  private async nonResource(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, user: UserInfo): Promise<boolean> {
    const trimmed = path.replace(/\/+$/, "");
    const aggregated = wantsAggregated(req.headers.accept);
    if (trimmed === "/api" || trimmed === "/apis") {
      if (aggregated) {
        const body = Buffer.from(JSON.stringify(this.discovery.aggregated(trimmed === "/api", aggregated)));
        const type = aggregated === "v2" ? AGGREGATED_DISCOVERY_TYPE : AGGREGATED_DISCOVERY_TYPE.replace("v=v2", "v=v2beta1");
        res.writeHead(200, { "Content-Type": type, "Content-Length": body.length, "Cache-Control": "no-cache, private" });
        res.end(body);
      } else {
        send(res, 200, trimmed === "/api" ? this.discovery.apiVersions(this.opts.serverAddress()) : this.discovery.apiGroupList());
      }
      return true;
    }
    const segments = trimmed.split("/").filter(Boolean);
    if (segments[0] === "api" && segments.length === 2) return this.sendOrMissing(res, this.discovery.resourceList("", segments[1]!));
    if (segments[0] === "apis" && segments.length === 2) return this.sendOrMissing(res, this.discovery.apiGroup(segments[1]!));
    if (segments[0] === "apis" && segments.length === 3) return this.sendOrMissing(res, this.discovery.resourceList(segments[1]!, segments[2]!));
    if (trimmed === "/metrics") {
      const body = await this.opts.metrics.text();
      res.writeHead(200, { "Content-Type": this.opts.metrics.registry.contentType });
      res.end(body);
      return true;
    }
    return (await this.opts.extra?.(req, res, trimmed, query, user)) ?? false;
  }

  private sendOrMissing(res: ServerResponse, body: unknown): boolean {
    if (body === null) return false;
    send(res, 200, body);
    return true;
  }
}
