// The three probe mechanisms (pkg/probe/{exec,http,tcp}): each returns success/failure with the
// output Kubernetes reports ("HTTP probe failed with statuscode: 500", "dial tcp …: connect:
// connection refused", a command's output), or throws for a probe that could not run.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { Container, ExecAction, HTTPGetAction, TCPSocketAction } from "kubernetes-types/core/v1.js";
import type { Clock } from "../../client/index.ts";
import type { Runtime } from "../runtime/types.ts";

export type ProbeOutcome = { result: "success" | "failure" | "warning"; output: string };

/** The container port a probe names (an int, a named port, or an int written as a string). */
export function resolvePort(port: number | string | undefined, container: Container): number {
  let n: number;
  if (typeof port === "number") n = port;
  else {
    const named = (container.ports ?? []).find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (port !== undefined && /^\d+$/.test(port)) n = Number(port);
    else throw new Error(`couldn't find port: ${String(port)} in ${JSON.stringify(container.ports ?? [])}`);
  }
  if (n > 0 && n < 65536) return n;
  throw new Error(`invalid port number: ${n}`);
}

/** A timer on the injected clock that aborts a controller; returns the signal and a cancel. */
function deadline(clock: Clock, ms: number): { signal: AbortSignal; cancel: () => void } {
  const ac = new AbortController();
  const cancel = clock.setTimer(ms, () => ac.abort(new Error("timeout")));
  return { signal: ac.signal, cancel };
}

/** Runs the command in the container; exit 0 is success, the output is stdout+stderr. */
export async function execProbe(runtime: Runtime, containerId: string, action: ExecAction, timeoutSeconds: number, clock: Clock): Promise<ProbeOutcome> {
  const cmd = action.command ?? [];
  const timedOut = `command ${JSON.stringify(cmd.join(" "))} timed out`;
  const { signal, cancel } = deadline(clock, timeoutSeconds * 1000);
  try {
    const res = await Promise.race([
      runtime.execSync(containerId, cmd, timeoutSeconds),
      new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(new ProbeTimeout()), { once: true })),
    ]);
    const output = Buffer.concat([res.stdout, res.stderr]).toString();
    return { result: res.exitCode === 0 ? "success" : "failure", output };
  } catch (err) {
    if (err instanceof ProbeTimeout || (err instanceof Error && (err.name === "TimeoutError" || /timed out|timeout/i.test(err.message)))) {
      return { result: "failure", output: timedOut };
    }
    throw err;
  } finally {
    cancel();
  }
}

class ProbeTimeout extends Error {}

/** Go's dial error wording for a Node socket error. */
function dialError(err: unknown, host: string, port: number): string {
  const code = (err as { code?: string }).code;
  const addr = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  if (code === "ECONNREFUSED") return `dial tcp ${addr}: connect: connection refused`;
  if (code === "EHOSTUNREACH") return `dial tcp ${addr}: connect: no route to host`;
  if (code === "ENETUNREACH") return `dial tcp ${addr}: connect: network is unreachable`;
  return `dial tcp ${addr}: ${err instanceof Error ? err.message : String(err)}`;
}

/** GET scheme://host:port/path; 200–399 is success (redirects are not followed; they count as success). */
export function httpProbe(action: HTTPGetAction, host: string, port: number, timeoutSeconds: number, clock: Clock, userAgent: string): Promise<ProbeOutcome> {
  const scheme = (action.scheme ?? "HTTP").toLowerCase();
  let path = action.path ?? "/";
  if (!path.startsWith("/")) path = `/${path}`;
  const hostPort = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const url = `${scheme}://${hostPort}${path}`;
  const headers: Record<string, string> = { "User-Agent": userAgent, Accept: "*/*" };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  const { signal, cancel } = deadline(clock, timeoutSeconds * 1000);
  return new Promise<ProbeOutcome>((resolve) => {
    const send = scheme === "https" ? httpsRequest : httpRequest;
    const req = send(url, { method: "GET", headers, signal, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < 10 * 1024) chunks.push(c);
        size += c.length;
      });
      res.on("error", () => undefined);
      res.on("end", () => {
        cancel();
        const code = res.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString().slice(0, 10 * 1024);
        if (code >= 200 && code < 400) resolve({ result: "success", output: body });
        else resolve({ result: "failure", output: `HTTP probe failed with statuscode: ${code}` });
      });
    });
    req.on("error", (err) => {
      cancel();
      if (signal.aborted) resolve({ result: "failure", output: `Get ${JSON.stringify(url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      else resolve({ result: "failure", output: `Get ${JSON.stringify(url)}: ${dialError(err, host, port)}` });
    });
    req.end();
  });
}

/** Opens (and closes) a TCP connection to host:port. */
export function tcpProbe(host: string, port: number, timeoutSeconds: number, clock: Clock): Promise<ProbeOutcome> {
  const { signal, cancel } = deadline(clock, timeoutSeconds * 1000);
  return new Promise<ProbeOutcome>((resolve) => {
    const sock = connect({ host, port });
    const done = (o: ProbeOutcome) => {
      cancel();
      sock.destroy();
      resolve(o);
    };
    signal.addEventListener("abort", () => done({ result: "failure", output: `dial tcp ${host}:${port}: i/o timeout` }), { once: true });
    sock.once("connect", () => done({ result: "success", output: "" }));
    sock.once("error", (err) => done({ result: "failure", output: dialError(err, host, port) }));
  });
}

/** How TCPSocketAction and HTTPGetAction pick their host: the action's, else the pod IP. */
export function probeHost(action: HTTPGetAction | TCPSocketAction, podIP: string | undefined): string {
  return action.host || podIP || "";
}
