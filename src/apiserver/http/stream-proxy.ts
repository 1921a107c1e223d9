// Proxying to kubelets, as kube-apiserver's UpgradeAwareHandler: upgrade requests (WebSocket,
// SPDY) are replayed on a TLS connection made with the API server's kubelet client certificate,
// then both sockets are spliced byte for byte, so the kubelet's handshake answer (101 or an
// error) reaches the client unchanged. Plain requests (logs, node proxy) are streamed through.
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { Status } from "kubernetes-types/meta/v1.js";
import { errors } from "../../apimachinery/status.ts";
import { parseRequestInfo, requestURL } from "../request-info.ts";
import type { ResourceRequest } from "../request-info.ts";
import { toStatusError } from "./respond.ts";

export interface KubeletTarget {
  host: string;
  port: number;
  /** Path and query on the kubelet ("/exec/ns/pod/c?command=ls&stdout=1"). */
  path: string;
}

/** The cluster CA (to verify kubelets) and the API server's kubelet client certificate. */
export interface KubeletTLS {
  ca: string;
  cert: string;
  key: string;
}

const BEARER_PROTOCOL = "base64url.bearer.authorization.k8s.io.";
/** Never forwarded: the client's credentials and hop-by-hop proxy headers. */
const DROPPED = new Set(["host", "authorization", "proxy-authorization", "proxy-connection", "keep-alive", "content-length", "transfer-encoding"]);

export function kubeletAddress(target: KubeletTarget): string {
  return isIP(target.host) === 6 ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

/** A Node network error worded as Go's net package words it (what kubectl users know). */
export function dialErrorMessage(target: KubeletTarget, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const addr = kubeletAddress(target);
  switch (code) {
    case "ECONNREFUSED": return `dial tcp ${addr}: connect: connection refused`;
    case "ETIMEDOUT": return `dial tcp ${addr}: i/o timeout`;
    case "EHOSTUNREACH": return `dial tcp ${addr}: connect: no route to host`;
    case "ENETUNREACH": return `dial tcp ${addr}: connect: network is unreachable`;
    case "ENOTFOUND": case "EAI_AGAIN": return `dial tcp: lookup ${target.host}: no such host`;
    default: return err.message;
  }
}

/** A Status without a reason (kube-apiserver's answer for errors that are not API errors). */
export function unknownStatus(code: number, message: string): Status {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, code };
}

/** The client's headers to replay upstream: credentials dropped, the bearer subprotocol removed. */
function forwardedHeaders(req: IncomingMessage): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    let value = req.rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    if (DROPPED.has(lower) || lower.startsWith("impersonate-")) continue;
    if (lower === "sec-websocket-protocol") {
      value = value.split(",").map((p) => p.trim()).filter((p) => p && !p.startsWith(BEARER_PROTOCOL)).join(", ");
      if (!value) continue;
    }
    out.push([name, value]);
  }
  return out;
}

function tlsOptions(target: KubeletTarget, creds: KubeletTLS): tls.ConnectionOptions {
  return {
    host: target.host, port: target.port, ca: creds.ca, cert: creds.cert, key: creds.key,
    servername: isIP(target.host) ? undefined : target.host, ALPNProtocols: ["http/1.1"], minVersion: "TLSv1.2",
  };
}

/** Writes a JSON Status as a raw HTTP response on a not-yet-upgraded socket and closes it. */
export function writeRawStatus(socket: Duplex, status: Status): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(status);
  const code = status.code ?? 500;
  socket.end(`HTTP/1.1 ${code} ${code === 401 ? "Unauthorized" : "Error"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * Replays an upgrade request on the kubelet and splices the two connections. A connection that
 * cannot be made is answered with 500 "error dialing backend: …".
 */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: KubeletTarget, creds: KubeletTLS): void {
  const upstream = tls.connect(tlsOptions(target, creds));
  let connected = false;
  upstream.once("secureConnect", () => {
    connected = true;
    const lines = [`${req.method ?? "GET"} ${target.path} HTTP/1.1`, `Host: ${kubeletAddress(target)}`];
    for (const [name, value] of forwardedHeaders(req)) lines.push(`${name}: ${value}`);
    upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on("error", (err) => {
    if (!connected) writeRawStatus(socket, unknownStatus(500, `error dialing backend: ${dialErrorMessage(target, err)}`));
    else socket.destroy();
  });
  upstream.on("close", () => {
    if (!connected) return;
    // The kubelet is done: flush to the client and read on, so its FIN is seen and the socket closes.
    socket.end();
    socket.resume();
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
  socket.on("error", () => upstream.destroy());
  socket.on("close", () => upstream.destroy());
}

/** Sends a plain request to the kubelet; resolves with its response (headers read, body not). */
export function kubeletRequest(target: KubeletTarget, creds: KubeletTLS, opts: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer; signal?: AbortSignal } = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      ...tlsOptions(target, creds), path: target.path, method: opts.method ?? "GET", agent: false,
      headers: { ...opts.headers, host: kubeletAddress(target) }, signal: opts.signal,
    }, resolve);
    req.on("error", (err) => reject(new Error(dialErrorMessage(target, err))));
    req.end(opts.body);
  });
}

/** Request headers worth passing to the kubelet on a proxied plain request. */
export function plainForwardHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of forwardedHeaders(req)) {
    const lower = name.toLowerCase();
    if (lower === "connection" || lower === "upgrade") continue;
    const prev = out[lower];
    out[lower] = prev === undefined ? value : ([] as string[]).concat(prev as string | string[], value);
  }
  return out;
}

export interface ConnectUpgradeOptions {
  /** The request is one this handler proxies (pods exec/attach/portforward, nodes proxy). */
  matches(info: ResourceRequest): boolean;
  authenticate(req: IncomingMessage): { username: string } | null;
  /** Where the request goes on the kubelet; throws API errors (404, 400 …). */
  locate(info: ResourceRequest, req: IncomingMessage): Promise<KubeletTarget | null>;
  tls: KubeletTLS;
  /** Every other upgrade (watches over WebSocket). */
  fallback(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export type UpgradeListener = ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) & {
  /** Drops every proxied connection (the HTTP server's closeAllConnections does not see upgraded sockets). */
  closeAll(): void;
};

/** The API server's upgrade listener: kubelet-bound upgrades are proxied, the rest fall through. */
export function connectUpgradeHandler(opts: ConnectUpgradeOptions): UpgradeListener {
  const live = new Set<Duplex>();
  const handler = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let info: ReturnType<typeof parseRequestInfo>;
    try {
      const url = requestURL(req.url ?? "/");
      info = parseRequestInfo(req.method ?? "GET", url.pathname, url.searchParams);
    } catch {
      return opts.fallback(req, socket, head);
    }
    if (!info.isResourceRequest || !opts.matches(info)) return opts.fallback(req, socket, head);
    const resource = info;
    socket.on("error", () => socket.destroy());
    live.add(socket);
    socket.once("close", () => live.delete(socket));
    void (async () => {
      try {
        if (!opts.authenticate(req)) throw errors.unauthorized();
        const target = await opts.locate(resource, req);
        if (!target) throw errors.notFound({ resource: `${resource.resource}/${resource.subresource}` }, resource.name);
        proxyUpgrade(req, socket, head, target, opts.tls);
      } catch (err) {
        writeRawStatus(socket, toStatusError(err).status);
      }
    })();
  };
  return Object.assign(handler, {
    closeAll: () => {
      for (const socket of live) socket.destroy();
    },
  });
}

/** The bearer token a browser sends as the `base64url.bearer.authorization.k8s.io.<token>` subprotocol. */
export function websocketBearerToken(req: IncomingMessage): string | null {
  for (const p of (req.headers["sec-websocket-protocol"] ?? "").split(",").map((s) => s.trim())) {
    if (p.startsWith(BEARER_PROTOCOL)) return Buffer.from(p.slice(BEARER_PROTOCOL.length), "base64url").toString();
  }
  return null;
}
