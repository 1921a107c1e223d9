// A small HTTP endpoint for components that run outside the API server process (scheduler,
// controller manager): /healthz, /livez, /readyz and Prometheus /metrics.
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { Registry } from "prom-client";

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: { host: string; port: number; registry: Registry; healthy?: () => boolean }): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      void opts.registry.metrics().then((body) => {
        res.writeHead(200, { "Content-Type": opts.registry.contentType });
        res.end(body);
      }, (err: unknown) => {
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(String(err));
      });
      return;
    }
    if (path === "/healthz" || path === "/livez" || path === "/readyz") {
      const ok = opts.healthy?.() ?? true;
      res.writeHead(ok ? 200 : 500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(ok ? "ok" : "unhealthy");
      return;
    }
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("404 page not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : opts.port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
