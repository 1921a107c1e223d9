// Lifecycle hooks (pkg/kubelet/lifecycle/handlers.go): running a postStart/preStop handler —
// exec in the container, an HTTP GET (the pod IP by default), or a sleep.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Container, LifecycleHandler, Pod } from "kubernetes-types/core/v1.js";
import type { Clock } from "../../client/index.ts";
import { sleep } from "../../client/index.ts";
import { formatPod } from "../container/index.ts";
import { resolvePort } from "../probes/index.ts";
import type { Runtime } from "../runtime/types.ts";

export interface HookContext {
  runtime: Runtime;
  clock: Clock;
  pod: Pod;
  container: Container;
  containerId: string;
  podIP: string | undefined;
  /** Bound for exec/HTTP handlers, in seconds. */
  timeoutSeconds: number;
}

/** Runs the handler; resolves undefined on success, else the message Kubernetes logs for it. */
export async function runLifecycleHandler(h: LifecycleHandler, ctx: HookContext): Promise<string | undefined> {
  const podName = formatPod(ctx.pod);
  if (h.exec) {
    const cmd = h.exec.command ?? [];
    let err: string | undefined;
    let output = "";
    try {
      const r = await ctx.runtime.execSync(ctx.containerId, cmd, ctx.timeoutSeconds);
      output = Buffer.concat([r.stdout, r.stderr]).toString();
      if (r.exitCode !== 0) err = `command '${cmd.join(" ")}' exited with ${r.exitCode}: ${output}`;
    } catch (e) {
      err = e instanceof Error ? e.message : String(e);
    }
    if (err === undefined) return undefined;
    return `Exec lifecycle hook ([${cmd.join(" ")}]) for Container ${JSON.stringify(ctx.container.name)} in Pod ${JSON.stringify(podName)} failed - error: ${err}, message: ${JSON.stringify(output)}`;
  }
  if (h.httpGet) {
    const g = h.httpGet;
    try {
      const port = resolvePort(g.port, ctx.container);
      const host = g.host || ctx.podIP || "127.0.0.1";
      let path = g.path ?? "/";
      if (!path.startsWith("/")) path = `/${path}`;
      const scheme = (g.scheme ?? "HTTP").toLowerCase();
      const headers: Record<string, string> = {};
      for (const x of g.httpHeaders ?? []) headers[x.name] = x.value;
      await httpGet(`${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}${path}`, headers, ctx.timeoutSeconds, ctx.clock);
      return undefined;
    } catch (e) {
      return `HTTP lifecycle hook (${g.path ?? ""}) for Container ${JSON.stringify(ctx.container.name)} in Pod ${JSON.stringify(podName)} failed - error: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  if (h.sleep) {
    await sleep(ctx.clock, (h.sleep.seconds ?? 0) * 1000);
    return undefined;
  }
  return undefined;
}

function httpGet(url: string, headers: Record<string, string>, timeoutSeconds: number, clock: Clock): Promise<void> {
  const ac = new AbortController();
  const cancel = clock.setTimer(Math.max(1, timeoutSeconds) * 1000, () => ac.abort());
  return new Promise<void>((resolve, reject) => {
    const send = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = send(url, { method: "GET", headers, signal: ac.signal, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on("end", () => {
        cancel();
        resolve();
      });
      res.on("error", (e) => {
        cancel();
        reject(e);
      });
    });
    req.on("error", (e) => {
      cancel();
      reject(e);
    });
    req.end();
  });
}
