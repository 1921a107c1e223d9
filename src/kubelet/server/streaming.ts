// The kubelet's streaming endpoints: exec, attach and portForward upgrades (WebSocket with a
// channel protocol or the SPDY port-forward tunnel; SPDY/3.1 with X-Stream-Protocol-Version) and
// POST run. The pod and container are resolved before upgrading, so a miss is an ordinary HTTP
// error the client shows ("container not found ("c")"), as the kubelet answers.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { STATUS_CODES } from "node:http";
import { createWebSocketStream } from "ws";
import type { WebSocketServer } from "ws";
import type WebSocket from "ws";
import type { Logger } from "../../util/log.ts";
import { negotiate, offeredProtocols } from "./channels.ts";
import { HttpError } from "./errors.ts";
import { PORTFORWARD_PROTOCOL, PORTFORWARD_WEBSOCKET_PROTOCOLS, TUNNEL_PREFIX, queryPorts, servePortForwardSpdy, servePortForwardWebSocket } from "./portforward.ts";
import type { PortForwardTarget } from "./portforward.ts";
import { SPDY_PROTOCOLS, WEBSOCKET_PROTOCOLS, remoteCommandOptions, serveRemoteCommandSpdy, serveRemoteCommandWebSocket } from "./remotecommand.ts";
import type { RemoteCommandRequest } from "./remotecommand.ts";
import type { KubeletServerOptions } from "./types.ts";

const FOUR_HOURS = 4 * 60 * 60 * 1000;

export interface StreamingPath {
  kind: "exec" | "attach" | "run" | "portForward";
  namespace: string;
  pod: string;
  uid?: string;
  container?: string;
}

/** `/exec|attach|run/<ns>/<pod>[/<uid>]/<container>` or `/portForward/<ns>/<pod>[/<uid>]`. */
export function parseStreamingPath(segs: string[]): StreamingPath | null {
  const [kind, namespace, pod] = segs;
  if (!namespace || !pod) return null;
  if (kind === "portForward" && segs.length <= 4) return { kind, namespace, pod, uid: segs[3] };
  if ((kind === "exec" || kind === "attach" || kind === "run") && (segs.length === 4 || segs.length === 5)) {
    return { kind, namespace, pod, uid: segs.length === 5 ? segs[3] : undefined, container: segs[segs.length - 1] };
  }
  return null;
}

/** Writes a plain-text HTTP response on a socket that was not upgraded, then closes it. */
export function rawResponse(socket: Duplex, code: number, text: string, headers: Record<string, string[]> = {}): void {
  if (socket.destroyed) return;
  const extra = Object.entries(headers).flatMap(([k, vs]) => vs.map((v) => `${k}: ${v}\r\n`)).join("");
  socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? "Error"}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n${extra}Connection: close\r\n\r\n${text}`);
}

function isWebSocket(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? "").toLowerCase() === "websocket" && /(^|,)\s*upgrade\s*($|,)/i.test(req.headers.connection ?? "");
}

/** Every value of a header, repeated or comma-joined. */
function headerValues(req: IncomingMessage, name: string): string[] {
  return (req.headersDistinct[name] ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

export class StreamingEndpoints {
  private readonly opts: KubeletServerOptions;
  private readonly wss: WebSocketServer;
  private readonly log: Logger;
  private readonly chosen = new WeakMap<IncomingMessage, string>();

  constructor(opts: KubeletServerOptions, wss: WebSocketServer, log: Logger) {
    this.opts = opts;
    this.wss = wss;
    this.log = log;
  }

  /** The subprotocol negotiated for this request before the WebSocket handshake. */
  chosenProtocol(req: IncomingMessage): string | false {
    return this.chosen.get(req) || false;
  }

  /** POST /run/<ns>/<pod>/<container>?cmd=…: runs a command and answers with its output. */
  async run(req: IncomingMessage, res: ServerResponse, segs: string[], query: URLSearchParams): Promise<void> {
    const route = parseStreamingPath(segs);
    if (!route) throw new HttpError(404, "404 page not found");
    if (req.method !== "POST") throw new HttpError(405, "405: Method Not Allowed");
    const cmd = query.has("cmd") ? query.get("cmd")!.split(" ") : query.getAll("command");
    const ref = await this.container(route);
    const result = await this.opts.host.runtime.execSync(ref.containerId, cmd, 0).catch((err: unknown) => {
      throw new HttpError(500, (err as Error).message);
    });
    const body = Buffer.concat([result.stdout, result.stderr]);
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
    res.end(body);
  }

  /** Resolves, negotiates and accepts an upgrade; throws HttpError before anything is upgraded. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: { pathname: string; searchParams: URLSearchParams }, segs: string[]): Promise<void> {
    const route = parseStreamingPath(segs);
    if (!route || route.kind === "run") throw new HttpError(404, "404 page not found");
    const websocket = isWebSocket(req);
    if (!websocket && (req.headers.upgrade ?? "").toLowerCase() !== "spdy/3.1") throw new HttpError(400, "unable to upgrade: missing upgrade headers in request");
    const forward = route.kind === "portForward";
    const protocol = websocket ? this.websocketProtocol(req, forward) : this.spdyProtocol(req, forward);
    const query = url.searchParams;
    const creation = this.opts.streamCreationTimeoutMs ?? 30_000;
    let serve: (socket: Duplex) => Promise<void>;
    let serveWs: (ws: WebSocket) => Promise<void>;
    if (forward) {
      const target = await this.forwardTarget(route);
      const ports = websocket && !protocol.startsWith(TUNNEL_PREFIX) ? this.ports(query) : [];
      serve = (s) => servePortForwardSpdy(s, target, creation);
      serveWs = (ws) => (protocol.startsWith(TUNNEL_PREFIX) ? serve(createWebSocketStream(ws)) : servePortForwardWebSocket(ws, protocol, ports, target));
    } else {
      const request = await this.commandRequest(route, query);
      serve = (s) => serveRemoteCommandSpdy(s, protocol, request, creation);
      serveWs = (ws) => serveRemoteCommandWebSocket(ws, protocol, request);
    }
    (socket as Socket).setTimeout(this.opts.streamIdleTimeoutMs ?? FOUR_HOURS, () => socket.destroy());
    const done = (err: unknown) => {
      if (err) this.log.warn({ err, path: url.pathname }, "stream failed");
      socket.destroy();
    };
    if (websocket) {
      this.chosen.set(req, protocol);
      // ws insists subprotocols be RFC 7230 tokens, which "SPDY/3.1+portforward.k8s.io" is not (Go's
      // gorilla accepts it). It was negotiated above; ws only has to echo it (handleProtocols).
      if (protocol) req.headers["sec-websocket-protocol"] = "negotiated";
      this.wss.handleUpgrade(req, socket, head, (ws) => void serveWs(ws).then(() => done(undefined), done));
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
    if (head.length > 0) socket.unshift(head);
    void serve(socket).then(() => done(undefined), done);
  }

  private websocketProtocol(req: IncomingMessage, forward: boolean): string {
    const offered = offeredProtocols(req.headers["sec-websocket-protocol"]);
    const supported: readonly string[] = forward ? [TUNNEL_PREFIX + PORTFORWARD_PROTOCOL, ...PORTFORWARD_WEBSOCKET_PROTOCOLS] : WEBSOCKET_PROTOCOLS;
    const protocol = negotiate(offered, supported);
    if (protocol === null) throw new HttpError(400, `requested protocol(s) are not supported: [${offered.join(" ")}]; supports [${supported.join(" ")}]`);
    return protocol;
  }

  private spdyProtocol(req: IncomingMessage, forward: boolean): string {
    const offered = headerValues(req, "x-stream-protocol-version");
    if (offered.length === 0) throw new HttpError(400, "unable to upgrade: X-Stream-Protocol-Version is required");
    const supported: readonly string[] = forward ? [PORTFORWARD_PROTOCOL] : SPDY_PROTOCOLS;
    const protocol = offered.find((p) => supported.includes(p));
    if (!protocol) throw new HttpError(403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(" ")}], server accepts [${supported.join(" ")}]`);
    return protocol;
  }

  private ports(query: URLSearchParams): number[] {
    try {
      return queryPorts(query);
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
  }

  private async forwardTarget(route: StreamingPath): Promise<PortForwardTarget> {
    const { host } = this.opts;
    const sandbox = await host.findSandbox(route.namespace, route.pod);
    if (!sandbox || (route.uid && route.uid !== sandbox.podUID)) throw new HttpError(404, "pod does not exist");
    return { dial: (port) => host.runtime.portForward(sandbox.sandboxId, port), podName: sandbox.sandboxId, podUID: "" };
  }

  private async container(route: StreamingPath) {
    const { host } = this.opts;
    const ref = await host.findContainer(route.namespace, route.pod, route.container!).catch(() => undefined);
    if (!ref || (route.uid && route.uid !== ref.podUID)) {
      if (!(await host.findSandbox(route.namespace, route.pod))) throw new HttpError(404, "pod does not exist");
      throw new HttpError(500, `container not found ("${route.container}")`);
    }
    if (!ref.running) throw new HttpError(500, `container not found ("${route.container}")`);
    return ref;
  }

  private async commandRequest(route: StreamingPath, query: URLSearchParams): Promise<RemoteCommandRequest> {
    let opts;
    try {
      opts = remoteCommandOptions(query);
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
    const runtime = this.opts.host.runtime;
    if (route.kind === "exec") {
      const cmd = query.getAll("command");
      if (cmd.length === 0) throw new HttpError(400, "you must specify at least one command for the container");
      const { containerId } = await this.container(route);
      return { opts, cmd, run: (streams) => runtime.exec(containerId, cmd, streams) };
    }
    const attach = runtime.attach?.bind(runtime);
    if (!attach) throw new HttpError(500, `attach is not supported by the ${runtime.name} runtime`);
    const { containerId } = await this.container(route);
    return { opts, attach: true, run: (streams) => attach(containerId, streams) };
  }
}
