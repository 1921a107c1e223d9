// Port forwarding (kubelet cri/streaming/portforward). Over SPDY — after an HTTP upgrade, or
// tunnelled in a WebSocket with subprotocol "SPDY/3.1+portforward.k8s.io" as kubectl ≥ 1.31
// sends it — each forwarded connection is a pair of streams (streamtype error|data, port,
// requestid). Over the WebSocket channel protocol (v4.channel.k8s.io, ports in the query) each
// port gets a data channel 2n and an error channel 2n+1, each first carrying the port (uint16 LE).
import type { Duplex } from "node:stream";
import type WebSocket from "ws";
import { ChannelConnection } from "./channels.ts";
import { SpdySession } from "./spdy/session.ts";
import type { SpdyStream } from "./spdy/session.ts";
import { RstStatus } from "./spdy/framer.ts";

export const PORTFORWARD_PROTOCOL = "portforward.k8s.io";
export const TUNNEL_PREFIX = "SPDY/3.1+";
export const PORTFORWARD_WEBSOCKET_PROTOCOLS = ["v4.channel.k8s.io", "v4.base64.channel.k8s.io"] as const;

/** Opens a byte stream to `port` in the pod's network (Runtime.portForward). */
export type PortDialer = (port: number) => Promise<Duplex>;

export interface PortForwardTarget {
  dial: PortDialer;
  /** Names the pod in error messages ("error forwarding port 80 to pod <this>, uid : …"). */
  podName: string;
  podUID: string;
}

/** Copies both ways between a client stream and the pod connection; resolves when both are done. */
function splice(client: Duplex, pod: Duplex): Promise<void> {
  return new Promise((resolve) => {
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      pod.destroy();
      if (!client.writableEnded) client.end();
      resolve();
    };
    client.pipe(pod); // the client's FIN half-closes the pod connection
    pod.pipe(client, { end: false });
    pod.on("end", done);
    pod.on("close", done);
    pod.on("error", done);
    client.on("close", done);
    client.on("error", done);
  });
}

function forwardError(target: PortForwardTarget, port: number, err: unknown): string {
  return `error forwarding port ${port} to pod ${target.podName}, uid ${target.podUID}: ${err instanceof Error ? err.message : String(err)}`;
}

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/**
 * Serves port-forward streams on a SPDY connection (plain upgrade or WebSocket tunnel) until the
 * client closes it. A pair not completed within `creationTimeoutMs` is given up.
 */
export function servePortForwardSpdy(socket: Duplex, target: PortForwardTarget, creationTimeoutMs: number): Promise<void> {
  const pairs = new Map<string, Pair>();
  const session = new SpdySession(socket, {
    server: true,
    onStream: (stream) => {
      const portText = stream.header("port");
      const type = stream.header("streamtype");
      const port = /^\d+$/.test(portText) ? Number(portText) : 0;
      if (port < 1 || port > 65535 || (type !== "error" && type !== "data")) {
        stream.reset(RstStatus.ProtocolError);
        return;
      }
      stream.reply();
      // Old clients send no requestid: pair by stream id (error n, data n+2), as the kubelet does.
      const requestId = stream.header("requestid") || String(type === "error" ? stream.id : stream.id - 2);
      let pair = pairs.get(requestId);
      if (!pair) {
        const timer = setTimeout(() => {
          const p = pairs.get(requestId);
          pairs.delete(requestId);
          p?.error?.end(`(conn=${requestId}) timed out waiting for streams`);
          p?.data?.reset();
        }, creationTimeoutMs);
        timer.unref();
        pairs.set(requestId, (pair = { timer }));
      }
      if (pair[type]) {
        pair.error?.write(`error processing stream for request ${requestId}: ${type} stream already assigned`);
        stream.reset(RstStatus.ProtocolError);
        return;
      }
      pair[type] = stream;
      if (pair.data && pair.error) {
        clearTimeout(pair.timer);
        pairs.delete(requestId);
        void forwardPair(pair.data, pair.error, port, target);
      }
    },
  });
  session.once("close", () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
  });
  return session.closed;
}

async function forwardPair(data: SpdyStream, error: SpdyStream, port: number, target: PortForwardTarget): Promise<void> {
  error.resume(); // the client sends nothing on it (it half-closes at once)
  let pod: Duplex;
  try {
    pod = await target.dial(port);
  } catch (err) {
    error.end(forwardError(target, port, err));
    data.end();
    return;
  }
  await splice(data, pod);
  error.end();
}

/** Ports from the `port` query values ("8080,9090", repeatable), as the kubelet's V4Options. */
export function queryPorts(query: URLSearchParams): number[] {
  const values = query.getAll("port");
  if (values.length === 0) throw new Error(`query parameter "port" is required`);
  const ports: number[] = [];
  for (const value of values) {
    if (value === "") throw new Error(`query parameter "port" cannot be empty`);
    for (const p of value.split(",")) {
      if (!/^\d+$/.test(p) || Number(p) > 65535) throw new Error(`unable to parse "${value}" as a port`);
      if (Number(p) < 1) throw new Error(`port "${value}" must be > 0`);
      ports.push(Number(p));
    }
  }
  return ports;
}

/** Serves port-forward over the WebSocket channel protocol; closes the socket when every port is done. */
export async function servePortForwardWebSocket(ws: WebSocket, protocol: string, ports: number[], target: PortForwardTarget): Promise<void> {
  const conn = new ChannelConnection(ws, protocol);
  const closed = new Promise<void>((resolve) => conn.onClose(resolve));
  const inputs = ports.map((_, i) => conn.input(2 * i));
  await Promise.all(ports.flatMap((port, i) => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    return [conn.send(2 * i, prefix), conn.send(2 * i + 1, prefix)];
  }));
  await Promise.all(ports.map(async (port, i) => {
    const input = inputs[i]!;
    let pod: Duplex;
    try {
      pod = await target.dial(port);
    } catch (err) {
      input.resume();
      await conn.send(2 * i + 1, Buffer.from(forwardError(target, port, err)));
      return;
    }
    input.pipe(pod);
    pod.on("data", (chunk: Buffer) => {
      pod.pause();
      void conn.send(2 * i, chunk).then(() => pod.resume());
    });
    await new Promise<void>((resolve) => {
      pod.once("close", resolve);
      pod.once("end", () => pod.destroy());
      pod.once("error", () => pod.destroy());
      conn.onClose(() => pod.destroy());
    });
  }));
  conn.close(1000);
  await closed;
}
