// Load-generation helpers for bench/apiserver.ts: the server process, a keep-alive HTTPS client,
// autocannon runs with per-response latencies, and HTTP chunked watchers.
import https from "node:https";
import autocannon from "autocannon";
import { startApiServerChild } from "./lib/apiserver-child.ts";
import type { ApiServerConn } from "./lib/apiserver-child.ts";

export type Conn = ApiServerConn;

export interface ServerHandle {
  conn: Conn;
  stop(): Promise<void>;
}

/** Starts bench/apiserver-server.ts over `backend` and waits for it to serve (60 s at most). */
export async function startServer(backend: "sqlite" | "etcd"): Promise<ServerHandle> {
  const child = await startApiServerChild({ backend });
  return { conn: { url: child.url, token: child.token, ca: child.ca }, stop: child.stop };
}

export interface Reply {
  status: number;
  body: Buffer;
  /** From sending the request to the last byte of the response. */
  ms: number;
  /** When the response was complete (performance.now()). */
  at: number;
}

export function agentFor(conn: Conn, maxSockets = 64): https.Agent {
  return new https.Agent({ ca: conn.ca, keepAlive: true, maxSockets });
}

/** One request over `agent`; rejects on a network error or after 60 s. */
export function request(conn: Conn, agent: https.Agent, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = performance.now();
    const req = https.request(conn.url + path, {
      method, agent, timeout: 60_000,
      headers: { authorization: `Bearer ${conn.token}`, accept: "application/json", "content-type": method === "PATCH" ? "application/merge-patch+json" : "application/json", ...(data ? { "content-length": data.length } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const at = performance.now();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: at - started, at });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
    req.on("error", reject);
    req.end(data);
  });
}

/** Like `request`, but anything other than 2xx is an error. */
export async function ok(conn: Conn, agent: https.Agent, method: string, path: string, body?: unknown): Promise<Reply> {
  const r = await request(conn, agent, method, path, body);
  if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path} → ${r.status}: ${r.body.toString().slice(0, 300)}`);
  return r;
}

export interface LoadResult {
  clients: number;
  seconds: number;
  /** Successful (2xx) requests per second. */
  opsPerSec: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  ok: number;
  errors: number;
  codes: Record<string, number>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface LoadSpec {
  method: "GET" | "POST" | "PUT" | "PATCH";
  /** Path and body of the next request (on whichever connection sends next). */
  next: () => { path: string; body?: string };
}

/**
 * `clients` keep-alive connections (autocannon, one request at a time each) for `seconds`.
 * Latencies are autocannon's per-response times (sub-millisecond), 2xx only; the rest are errors.
 */
export function load(conn: Conn, spec: LoadSpec, clients: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: conn.url,
      connections: clients,
      pipelining: 1,
      duration: seconds,
      timeout: 30,
      headers: { authorization: `Bearer ${conn.token}`, accept: "application/json", "content-type": "application/json" },
      requests: [{
        method: spec.method,
        setupRequest: (req) => ({ ...req, ...spec.next() }),
      }],
    }, (err: unknown, result: autocannon.Result) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      latencies.sort((a, b) => a - b);
      const errors = Object.entries(codes).filter(([c]) => !c.startsWith("2")).reduce((n, [, v]) => n + v, 0) + result.errors + result.timeouts;
      resolve({
        clients, seconds: result.duration, opsPerSec: latencies.length / result.duration,
        p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99), maxms: latencies[latencies.length - 1] ?? NaN,
        ok: latencies.length, errors, codes,
      });
    });
    instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      codes[statusCode] = (codes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

/** An HTTP chunked watch that records when each resourceVersion arrived. */
export interface Watcher {
  /** performance.now() at which the event carrying each resourceVersion arrived. */
  arrivals: Map<string, number>;
  close(): void;
}

/** Opens a watch and resolves once its response headers are in (the stream is then open). */
export function openWatch(conn: Conn, agent: https.Agent, path: string): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const arrivals = new Map<string, number>();
    const req = https.request(conn.url + path, { agent, headers: { authorization: `Bearer ${conn.token}`, accept: "application/json" } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch ${path} → ${res.statusCode}`));
      let pending = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        const at = performance.now();
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          const rv = (JSON.parse(line) as { object?: { metadata?: { resourceVersion?: string } } }).object?.metadata?.resourceVersion;
          if (rv) arrivals.set(rv, at);
        }
      });
      res.on("error", () => undefined);
      resolve({ arrivals, close: () => req.destroy() });
    });
    req.on("error", reject);
    req.end();
  });
}
