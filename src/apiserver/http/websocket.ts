// Watches over WebSocket (GET …?watch=1 with Upgrade: websocket), as browsers and some clients use:
// one JSON watch event per message. Browsers authenticate with the bearer token in the
// `base64url.bearer.authorization.k8s.io.<token>` subprotocol.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Authenticator } from "../auth/index.ts";
import { parseRequestInfo, requestURL } from "../request-info.ts";
import type { Registry } from "../registry/registry.ts";
import { startWatch } from "./resource-handler.ts";
import type { HandlerContext } from "./resource-handler.ts";
import { webSocketTransport } from "./watch-stream.ts";
import { toStatusError } from "./respond.ts";
import { errors } from "../../apimachinery/status.ts";

const BEARER_PROTOCOL = "base64url.bearer.authorization.k8s.io.";

function protocolToken(req: IncomingMessage): string | null {
  for (const p of (req.headers["sec-websocket-protocol"] ?? "").split(",").map((s) => s.trim())) {
    if (p.startsWith(BEARER_PROTOCOL)) return Buffer.from(p.slice(BEARER_PROTOCOL.length), "base64url").toString();
  }
  return null;
}

function reject(socket: Duplex, code: number, body: unknown): void {
  const json = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${code} ${code === 401 ? "Unauthorized" : "Error"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
}

export function watchUpgradeHandler(registry: Registry, authenticator: Authenticator, ctx: HandlerContext) {
  const wss = new WebSocketServer({
    noServer: true,
    // Prefer a real subprotocol; a client that offered only the bearer one gets it echoed, since
    // WebSocket clients require the server to pick one of those offered.
    handleProtocols: (protocols) => [...protocols].find((p) => !p.startsWith(BEARER_PROTOCOL)) ?? [...protocols][0] ?? false,
  });
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void (async () => {
      try {
        const url = requestURL(req.url ?? "/");
        const token = protocolToken(req);
        const user = token ? authenticator.authenticateToken(token) : authenticator.authenticate(req);
        if (!user) return reject(socket, 401, errors.unauthorized().status);
        const info = parseRequestInfo("GET", url.pathname, url.searchParams);
        if (!info.isResourceRequest || info.verb !== "watch") return reject(socket, 400, errors.badRequest("only watches are served over WebSocket").status);
        const resource = registry.get(info.group, info.version, info.resource);
        if (!resource) return reject(socket, 404, errors.notFound({ group: info.group, resource: info.resource }, info.resource).status);
        const listWatch = ctx.lookup(resource).listWatch;
        await new Promise<void>((resolve) => {
          wss.handleUpgrade(req, socket, head, (ws) => {
            startWatch(info, resource, listWatch, url.searchParams, req.headers.accept, () => webSocketTransport(ws), ctx)
              .catch((err: unknown) => ws.close(1011, toStatusError(err).message.slice(0, 120)))
              .finally(resolve);
          });
        });
      } catch (err) {
        const status = toStatusError(err);
        reject(socket, status.code, status.status);
      }
    })();
  };
}
