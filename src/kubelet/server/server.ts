// The kubelet's HTTPS server (port 10250): health, metrics, stats, container logs, and the
// streaming endpoints exec, attach, portForward (WebSocket or SPDY upgrades) and run. Clients
// authenticate with a certificate signed by the cluster CA or a bearer token the kubelet knows.
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { Counter, Gauge, Registry } from "prom-client";
import { WebSocketServer } from "ws";
import { createLogger } from "../../util/log.ts";
import type { Logger } from "../../util/log.ts";
import { KubeletAuthenticator } from "./auth.ts";
import { HttpError } from "./errors.ts";
import { parseLogOptions, LogOptionsError, readLogs } from "./logs.ts";
import { cpuAndMemoryOnly, resourceMetrics } from "./stats.ts";
import { StreamingEndpoints, parseStreamingPath, rawResponse } from "./streaming.ts";
import type { KubeletRequestAttributes, KubeletServerOptions, KubeletUser } from "./types.ts";

const SUBRESOURCES: Record<string, string> = { stats: "stats", metrics: "metrics", logs: "log", spec: "spec", checkpoint: "checkpoint", configz: "configz", healthz: "healthz", pods: "pods" };

function attributes(method: string, path: string): KubeletRequestAttributes {
  const first = path.split("/")[1] ?? "";
  const streaming = ["exec", "attach", "portForward", "run"].includes(first);
  return { verb: method === "GET" && !streaming ? "get" : "create", subresource: SUBRESOURCES[first] ?? "proxy", path };
}

export class KubeletServer {
  readonly metrics = new Registry();
  private readonly opts: KubeletServerOptions;
  private readonly log: Logger;
  private readonly auth: KubeletAuthenticator;
  private readonly streaming: StreamingEndpoints;
  private readonly requests: Counter<"method" | "path" | "server_type" | "long_running">;
  private readonly inflight: Gauge<"method" | "path" | "server_type" | "long_running">;
  private server: https.Server | null = null;
  /** Upgrade requests' sockets (upgraded or not): the HTTP server's closeAllConnections misses them. */
  private readonly upgradeSockets = new Set<Duplex>();
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (_p, req) => this.streaming.chosenProtocol(req) });

  constructor(opts: KubeletServerOptions) {
    this.opts = opts;
    this.log = opts.log ?? createLogger("kubelet-server");
    this.auth = new KubeletAuthenticator(opts.tokens);
    this.streaming = new StreamingEndpoints(opts, this.wss, this.log);
    const labelNames = ["method", "path", "server_type", "long_running"] as const;
    this.requests = new Counter({ name: "kubelet_http_requests_total", help: "Number of the http requests received since the server started", labelNames, registers: [this.metrics] });
    this.inflight = new Gauge({ name: "kubelet_http_inflight_requests", help: "Number of the inflight http requests", labelNames, registers: [this.metrics] });
  }

  static async start(opts: KubeletServerOptions): Promise<KubeletServer> {
    const server = new KubeletServer(opts);
    await server.listen();
    return server;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async listen(): Promise<void> {
    const { tls } = this.opts;
    this.server = https.createServer({
      key: tls.key, cert: tls.cert, ca: [tls.caPem], requestCert: true, rejectUnauthorized: false,
      minVersion: "TLSv1.2", ALPNProtocols: ["http/1.1"],
    }, (req, res) => void this.handle(req, res));
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.opts.port ?? 10250, this.opts.address ?? "0.0.0.0", () => resolve());
    });
    this.log.info({ port: this.port }, "kubelet server listening");
  }

  /** Stops listening and drops open connections (streams included). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const ws of this.wss.clients) ws.terminate();
    for (const socket of this.upgradeSockets) socket.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** The caller, authorized for this request; otherwise answers 401/403 and returns null. */
  private admit(req: IncomingMessage, path: string, deny: (code: number, text: string) => void): KubeletUser | null {
    const user = this.auth.authenticate(req);
    if (!user) {
      deny(401, "Unauthorized");
      return null;
    }
    const attrs = attributes(req.method ?? "GET", path);
    if (!(this.opts.authorize ?? defaultAuthorize)(user, attrs)) {
      deny(403, `Forbidden (user=${user.username}, verb=${attrs.verb}, resource=nodes, subresource(s)=[${attrs.subresource}])`);
      return null;
    }
    return user;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = splitURL(req.url);
    const path = url.pathname;
    const labels = { method: req.method ?? "", path: path.split("/")[1] ?? "", server_type: "readwrite", long_running: "false" };
    if (labels.path === "containerLogs" && url.searchParams.get("follow")) labels.long_running = "true";
    this.requests.inc(labels);
    this.inflight.inc(labels);
    try {
      if (!this.admit(req, path, (code, text) => plainText(res, code, text))) return;
      await this.route(req, res, path, url.searchParams);
    } catch (err) {
      const code = err instanceof HttpError || err instanceof LogOptionsError ? err.code : 500;
      if (code >= 500) this.log.warn({ err, path }, "kubelet request failed");
      if (!res.headersSent) plainText(res, code, (err as Error).message);
      else res.destroy();
    } finally {
      this.inflight.dec(labels);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const { host } = this.opts;
    const segs = pathSegments(path);
    const get = req.method === "GET" || req.method === "HEAD";
    switch (segs[0]) {
      case "healthz":
        return this.healthz(res, segs[1], query);
      case "metrics":
        if (segs.length === 1) {
          const registry = host.metricsRegistry ? Registry.merge([this.metrics, host.metricsRegistry]) : this.metrics;
          res.writeHead(200, { "Content-Type": registry.contentType });
          res.end(await registry.metrics());
          return;
        }
        if (segs[1] === "resource" && segs.length === 2) {
          const summary = await host.summary().catch(() => undefined);
          res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
          res.end(resourceMetrics(summary));
          return;
        }
        break;
      case "stats":
        if (segs[1] === "summary" && segs.length === 2 && get) {
          const summary = await host.summary();
          return json(res, 200, query.get("only_cpu_and_memory") === "true" ? cpuAndMemoryOnly(summary) : summary);
        }
        break;
      case "pods":
        if (segs.length === 1 && host.pods) return json(res, 200, { kind: "PodList", apiVersion: "v1", metadata: {}, items: await host.pods() });
        break;
      case "containerLogs":
        if (segs.length === 4 && get) return this.containerLogs(req, res, segs[1]!, segs[2]!, segs[3]!, query);
        break;
      case "run":
        return this.streaming.run(req, res, segs, query);
      case "exec":
      case "attach":
      case "portForward":
        if (parseStreamingPath(segs)) throw new HttpError(400, "unable to upgrade: missing upgrade headers in request");
        break;
    }
    throw new HttpError(404, "404 page not found");
  }

  private healthz(res: ServerResponse, check: string | undefined, query: URLSearchParams): void {
    const syncloop = this.opts.host.healthy();
    const checks: [string, boolean][] = [["ping", true], ["log", true], ["syncloop", syncloop]];
    if (check) {
      const c = checks.find(([name]) => name === check);
      if (!c) throw new HttpError(404, "404 page not found");
      return plainText(res, c[1] ? 200 : 500, c[1] ? "ok" : `internal server error: ${check} failed`);
    }
    const ok = checks.every(([, pass]) => pass);
    if (query.has("verbose")) {
      const lines = checks.map(([name, pass]) => (pass ? `[+]${name} ok` : `[-]${name} failed: reason withheld`));
      return plainText(res, ok ? 200 : 500, `${lines.join("\n")}\nhealthz check ${ok ? "passed" : "failed"}\n`);
    }
    plainText(res, ok ? 200 : 500, ok ? "ok" : `${checks.filter(([, p]) => !p).map(([n]) => `[-]${n} failed: reason withheld`).join("\n")}\nhealthz check failed\n`);
  }

  private async containerLogs(req: IncomingMessage, res: ServerResponse, namespace: string, pod: string, container: string, query: URLSearchParams): Promise<void> {
    const opts = parseLogOptions(query);
    const { host } = this.opts;
    let ref;
    try {
      ref = await host.findContainer(namespace, pod, container, opts.previous);
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
    if (!ref) {
      if (!(await host.findSandbox(namespace, pod))) throw new HttpError(404, `pod "${pod}" does not exist`);
      throw new HttpError(404, `container "${container}" not found in pod "${pod}"`);
    }
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache, private" });
    res.flushHeaders();
    const sink = (chunk: Buffer) => new Promise<void>((resolve) => {
      if (res.destroyed || res.write(chunk)) resolve();
      else {
        res.once("drain", resolve);
        res.once("close", resolve);
      }
    });
    const runtime = host.runtime;
    const containerId = ref.containerId;
    await readLogs(ref.logPath, opts, sink, {
      signal: abort.signal,
      pollIntervalMs: this.opts.logPollIntervalMs ?? 1000,
      isRunning: async () => (await runtime.containerStatus(containerId).catch(() => undefined))?.state === "running",
    });
    res.end();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    this.upgradeSockets.add(socket);
    socket.once("close", () => this.upgradeSockets.delete(socket));
    const url = splitURL(req.url);
    if (!this.admit(req, url.pathname, (code, text) => rawResponse(socket, code, text))) return;
    Promise.resolve().then(() => this.streaming.upgrade(req, socket, head, url, pathSegments(url.pathname))).catch((err: unknown) => {
      const code = err instanceof HttpError ? err.code : 500;
      if (code >= 500) this.log.warn({ err, path: url.pathname }, "kubelet streaming request failed");
      rawResponse(socket, code, err instanceof Error ? err.message : String(err));
    });
  }
}

/** The request target as sent: path (not normalised) and query. */
function splitURL(raw = "/"): { pathname: string; searchParams: URLSearchParams } {
  const q = raw.indexOf("?");
  return { pathname: q < 0 ? raw : raw.slice(0, q), searchParams: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)) };
}

/** Decoded path segments; a malformed escape is a 400. */
export function pathSegments(path: string): string[] {
  try {
    return path.split("/").filter((s) => s !== "").map(decodeURIComponent);
  } catch {
    throw new HttpError(400, `malformed path: ${path.slice(0, 200)}`);
  }
}

/** Without an authorizer: cluster administrators (system:masters, as the API server's client) and token users. */
function defaultAuthorize(user: KubeletUser): boolean {
  return user.groups.includes("system:masters") || user.viaToken === true;
}

function plainText(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body), "X-Content-Type-Options": "nosniff" });
  res.end(body);
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": data.length });
  res.end(data);
}
