// The HTTP layer under the REST client: one keep-alive HTTPS agent, client-side QPS/burst limit,
// User-Agent, per-request timeout, read retries on connection errors, and Status → StatusError.
import http from "node:http";
import https from "node:https";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Status } from "kubernetes-types/meta/v1.js";
import { StatusError } from "../apimachinery/status.ts";
import type { StatusReason } from "../apimachinery/status.ts";
import { isPlainObject } from "../apimachinery/object.ts";
import type { Clock } from "./clock.ts";
import { realClock, sleep } from "./clock.ts";
import { TokenBucket } from "./ratelimit.ts";
import type { ClientConfig } from "./kubeconfig.ts";

export interface TransportOptions {
  /** Sent as User-Agent, e.g. "k8ts-controller-manager/v0.1.0". */
  userAgent?: string;
  /** Client-side rate limit (client-go's QPS/Burst); default 50 / 100. `qps: Infinity` disables it. */
  qps?: number;
  burst?: number;
  /** Per request, from sending to the whole body read (not for watches); default 30 s; 0 = none. */
  timeoutMs?: number;
  /** Retries of reads (GET) after connection errors or 429; default 3. Writes are never retried. */
  readRetries?: number;
  clock?: Clock;
}

export interface HttpRequest {
  method: string;
  /** Path and query, e.g. "/api/v1/namespaces/default/pods?limit=500". */
  path: string;
  body?: string | Buffer;
  contentType?: string;
  signal?: AbortSignal;
  /** Overrides the transport's timeout for this request (0 = none). */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const CONNECTION_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"]);

/** True for errors where the request never got an answer from the server (safe to retry a read). */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (typeof code === "string" && CONNECTION_ERRORS.has(code)) || err.message === "socket hang up";
}

const REASONS: Record<number, StatusReason> = {
  400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 406: "NotAcceptable",
  409: "Conflict", 410: "Gone", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
  500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
};

/** A StatusError from a Status the server sent (or from a bare HTTP code and body text). */
export function statusErrorFrom(code: number, body: unknown): StatusError {
  if (isPlainObject(body) && body.kind === "Status") {
    const s = body as Status;
    const c = s.code ?? code;
    const reason = (s.reason || REASONS[c] || "InternalError") as StatusReason;
    return new StatusError(c, reason, s.message ?? `the server responded with status ${c}`, s.details);
  }
  const text = typeof body === "string" ? body.trim() : "";
  const reason = REASONS[code] ?? (code >= 500 ? "InternalError" : "BadRequest");
  return new StatusError(code, reason, text || `the server responded with status ${code} (${reason})`);
}

/** 410: a resourceVersion or continue token older than the server keeps (reason Gone or Expired). */
export function isGone(err: unknown): err is StatusError {
  return err instanceof StatusError && (err.code === 410 || err.reason === "Expired" || err.reason === "Gone");
}

export class Transport {
  readonly config: ClientConfig;
  private readonly agent: http.Agent;
  private readonly mod: typeof https | typeof http;
  private readonly limiter: TokenBucket | null;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly readRetries: number;
  private readonly clock: Clock;

  constructor(config: ClientConfig, opts: TransportOptions = {}) {
    this.config = config;
    this.clock = opts.clock ?? realClock;
    const secure = config.server.startsWith("https:");
    this.mod = secure ? https : http;
    this.agent = secure
      ? new https.Agent({
          keepAlive: true, ca: config.caPem, cert: config.certPem, key: config.keyPem,
          rejectUnauthorized: !config.insecureSkipTLSVerify, servername: config.tlsServerName,
        })
      : new http.Agent({ keepAlive: true });
    const qps = opts.qps ?? 50;
    this.limiter = Number.isFinite(qps) ? new TokenBucket(qps, opts.burst ?? 100, this.clock) : null;
    this.userAgent = opts.userAgent ?? `k8ts-client/v0.1.0 (${process.platform}/${process.arch})`;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.readRetries = opts.readRetries ?? 3;
  }

  /** One request with the whole body read; non-2xx answers throw StatusError. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const retries = req.method === "GET" ? this.readRetries : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.once(req);
        if (res.status === 429 && attempt < retries) {
          await sleep(this.clock, retryAfterMs(res.headers, attempt), req.signal);
          continue;
        }
        if (res.status < 200 || res.status > 299) throw statusErrorFrom(res.status, parseBody(res.body));
        return res;
      } catch (err) {
        if (attempt >= retries || !isConnectionError(err) || req.signal?.aborted) throw err;
        await sleep(this.clock, 100 * 2 ** attempt * (1 + Math.random()), req.signal);
      }
    }
  }

  /** Opens a streaming response (watch); a non-2xx answer throws StatusError. No retries, no timeout. */
  async stream(req: HttpRequest): Promise<IncomingMessage> {
    const res = await this.open({ ...req, timeoutMs: 0 });
    if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode <= 299) return res;
    const body = await readAll(res);
    throw statusErrorFrom(res.statusCode ?? 0, parseBody(body));
  }

  /** Closes idle keep-alive connections (in-flight requests finish). */
  close(): void {
    this.agent.destroy();
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    const timeout = req.timeoutMs ?? this.timeoutMs;
    const controller = new AbortController();
    const onAbort = () => controller.abort(req.signal?.reason);
    req.signal?.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const cancelTimer = timeout > 0 ? this.clock.setTimer(timeout, () => {
      timedOut = true;
      controller.abort();
    }) : () => undefined;
    try {
      const res = await this.open({ ...req, signal: controller.signal });
      const body = await readAll(res);
      return { status: res.statusCode ?? 0, headers: res.headers, body };
    } catch (err) {
      if (timedOut) throw Object.assign(new Error(`${req.method} ${req.path}: timed out after ${timeout} ms`), { code: "ETIMEDOUT" });
      throw err;
    } finally {
      cancelTimer();
      req.signal?.removeEventListener("abort", onAbort);
    }
  }

  private async open(req: HttpRequest): Promise<IncomingMessage> {
    if (this.limiter) await this.limiter.wait(req.signal);
    req.signal?.throwIfAborted();
    const headers: Record<string, string | number> = { accept: "application/json", "user-agent": this.userAgent, ...req.headers };
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    if (body) {
      headers["content-type"] = req.contentType ?? "application/json";
      headers["content-length"] = body.length;
    }
    return new Promise((resolve, reject) => {
      const r = this.mod.request(`${this.config.server}${req.path}`, { method: req.method, agent: this.agent, headers, signal: req.signal }, resolve);
      r.on("error", reject);
      r.end(body);
    });
  }
}

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", reject);
    res.on("aborted", () => reject(Object.assign(new Error("response aborted"), { code: "ECONNRESET" })));
  });
}

/** The body as JSON when it parses, else as text. */
export function parseBody(body: Buffer): unknown {
  const text = body.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function retryAfterMs(headers: IncomingHttpHeaders, attempt: number): number {
  const s = Number(headers["retry-after"]);
  return Number.isFinite(s) && s > 0 ? Math.min(s, 10) * 1000 : 200 * 2 ** attempt;
}
