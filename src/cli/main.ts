// The `k8ts` command line: parses the subcommand and its flags and starts the components it names.
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { openStore } from "../storage/index.ts";
import type { StoreConfig } from "../storage/index.ts";
import { createLogger } from "../util/log.ts";

const USAGE = `usage: k8ts <command> [flags]

commands:
  server       API server with its store, and (as they land) controllers, scheduler and a node agent
  apiserver    the API server alone
  version      print the version

flags (server, apiserver):
  --data-dir DIR               state, TLS material and kubeconfig.yaml (default ./data)
  --port N                     HTTPS port (default 6443)
  --bind-address ADDR          listen address (default 127.0.0.1)
  --tls-san NAME               extra name or IP in the serving certificate (repeatable)
  --datastore-endpoint URLS    comma-separated etcd client URLs (default: embedded SQLite in the data dir)
  --datastore-cafile F, --datastore-certfile F, --datastore-keyfile F   TLS to etcd`;

const FLAGS = {
  "data-dir": { type: "string", default: "./data" },
  port: { type: "string", default: "6443" },
  "bind-address": { type: "string", default: "127.0.0.1" },
  "tls-san": { type: "string", multiple: true, default: [] as string[] },
  "datastore-endpoint": { type: "string" },
  "datastore-cafile": { type: "string" },
  "datastore-certfile": { type: "string" },
  "datastore-keyfile": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

async function storeConfig(flags: Record<string, unknown>, dataDir: string): Promise<StoreConfig> {
  const endpoints = flags["datastore-endpoint"] as string | undefined;
  if (!endpoints) return { backend: "sqlite", dataDir };
  const { readFile } = await import("node:fs/promises");
  const read = async (f: unknown) => (typeof f === "string" ? readFile(f, "utf8") : undefined);
  const ca = await read(flags["datastore-cafile"]);
  return {
    backend: "etcd",
    endpoints: endpoints.split(",").map((e) => e.trim()).filter(Boolean),
    tls: ca ? { ca, cert: await read(flags["datastore-certfile"]), key: await read(flags["datastore-keyfile"]) } : undefined,
  };
}

async function serve(args: string[]): Promise<void> {
  const { values: flags } = parseArgs({ args, options: FLAGS, allowPositionals: false });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${flags.port}`);
  const log = createLogger("k8ts");
  const dataDir = resolve(flags["data-dir"]);
  const { ApiServer } = await import("../apiserver/index.ts");
  log.info({ dataDir }, "opening store");
  const opened = await openStore(await storeConfig(flags, dataDir));
  const apiserver = await ApiServer.start({ store: opened.store, dataDir, port, host: flags["bind-address"], tlsSans: flags["tls-san"] });
  console.error(`k8ts is up: ${apiserver.url}\n  export KUBECONFIG=${apiserver.kubeconfigPath}\n  kubectl get namespaces`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    await apiserver.close();
    await opened.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "version":
      console.log("k8ts v0.1.0 (Kubernetes API v1.32)");
      return;
    case "server":
    case "apiserver":
      return serve(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return;
    default:
      console.error(`k8ts: unknown command "${command}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`k8ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
