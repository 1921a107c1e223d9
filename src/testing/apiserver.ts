// Test helper: an API server on 127.0.0.1 (free port) over a fresh embedded store in a temp dir,
// and the real kubectl pointed at it with its own HOME (kubectl caches discovery under it).
// `ApiResponse.json` is `any` on purpose: tests assert on the shape of arbitrary API objects.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../storage/sqlite/index.ts";
import type { Store } from "../storage/index.ts";
import { ApiServer } from "../apiserver/index.ts";
import type { ApiServerOptions } from "../apiserver/index.ts";
import { silentLogger } from "../util/log.ts";

export const KUBECTL = process.env.K8TS_KUBECTL ?? "/usr/bin/kubectl";

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestApiServer {
  server: ApiServer;
  store: Store;
  dir: string;
  kubeconfig: string;
  /** Runs the real kubectl against the server; never throws for a non-zero exit. */
  kubectl(args: string[], opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<KubectlResult>;
  /** Writes a file in the test's temp dir and returns its path. */
  file(name: string, content: string): Promise<string>;
  /** Stops the server, closes the store (unless `keepStore`) and removes the temp dir. */
  close(opts?: { keepDir?: boolean }): Promise<void>;
}

export async function startTestApiServer(opts: Partial<ApiServerOptions> & { dir?: string; store?: Store } = {}): Promise<TestApiServer> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), "k8ts-api-")));
  const store = opts.store ?? (await openSqliteStore({ path: join(dir, "state.db") }));
  const server = await ApiServer.start({ log: silentLogger, ...opts, store, dataDir: join(dir, "data"), port: opts.port ?? 0, host: "127.0.0.1" });
  const home = join(dir, "home");
  const kubectl: TestApiServer["kubectl"] = (args, o = {}) =>
    new Promise((resolve) => {
      const child = execFile(KUBECTL, ["--kubeconfig", server.kubeconfigPath, ...args], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, KUBECACHEDIR: join(home, "cache"), ...o.env },
        timeout: o.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
      }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (o.input !== undefined) child.stdin?.end(o.input);
    });
  return {
    server, store, dir, kubeconfig: server.kubeconfigPath, kubectl,
    file: async (name, content) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    close: async (o = {}) => {
      await server.close();
      if (!opts.store) await store.close();
      if (!o.keepDir && !opts.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
}

/** One HTTPS request to the server as the admin (bearer token), or with the given headers. */
export async function apiRequest(server: { url: string; caPem: string; adminToken: string }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const { request } = await import("node:https");
  const data = body === undefined ? undefined : typeof body === "string" || Buffer.isBuffer(body) ? Buffer.from(body as string) : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, {
      method, ca: server.caPem,
      headers: { authorization: `Bearer ${server.adminToken}`, accept: "application/json", ...(data ? { "content-type": "application/json", "content-length": data.length } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on("error", reject);
    req.end(data);
  });
}
