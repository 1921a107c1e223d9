// The `k8ts` command line: parses the subcommand and its flags and starts the components it names.
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { homedir } from "node:os";
import { openStore } from "../storage/index.ts";
import type { StoreConfig } from "../storage/index.ts";
import { createLogger } from "../util/log.ts";

const USAGE = `usage: k8ts <command> [flags]

commands:
  server       a whole cluster in one process: API server with its store, controllers, scheduler and a node agent
  agent        a node agent joining a server: k8ts agent --server URL --token TOKEN
  kubectl      the system kubectl with this cluster's kubeconfig: k8ts kubectl [--data-dir DIR] get pods
  apiserver    the API server alone
  controller-manager   the controllers (replicaset, deployment, namespace, garbagecollector) against a running API server
  scheduler    the scheduler against a running API server
  version      print the version

flags (server, apiserver):
  --data-dir DIR               state, TLS material and kubeconfig.yaml (default ~/.k8ts, /var/lib/k8ts as root)
  --port N                     HTTPS port (default 6443)
  --bind-address ADDR          listen address (default 127.0.0.1)
  --tls-san NAME               extra name or IP in the serving certificate (repeatable)
  --datastore-endpoint URLS    comma-separated etcd client URLs (default: embedded SQLite in the data dir)
  --datastore-cafile F, --datastore-certfile F, --datastore-keyfile F   TLS to etcd
  --cluster-cidr CIDR          pod IPs: one /24 per node from here (default 10.42.0.0/16)
  --service-cidr CIDR          Service ClusterIPs (default 10.96.0.0/12)
  --disable-agent              (server) no node agent in this process
  --node-name NAME, --node-ip IP, --kubelet-port N   (server, agent) the node agent's identity and port
  --kubelet-address ADDR       (server, agent) where the kubelet's HTTPS server listens (default 0.0.0.0)

flags (agent):
  --server URL --token TOKEN   the server to join and its node token (<data-dir>/node-token on the server)
  --data-dir DIR               the agent's state (default ~/.k8ts/agent, /var/lib/k8ts/agent as root)

flags (controller-manager):
  --kubeconfig FILE            the API server to talk to (default $KUBECONFIG)
  --leader-elect               run only while holding the Lease kube-system/kube-controller-manager
  --controllers A,B            which controllers to run (default all)

flags (scheduler):
  --kubeconfig FILE            the API server to talk to (default $KUBECONFIG)
  --leader-elect               schedule only while holding the Lease kube-system/kube-scheduler
  --scheduler-name NAME        the schedulerName this scheduler serves (default default-scheduler)
  --metrics-bind-address H:P   /metrics and /healthz over HTTP (default 127.0.0.1:10259)`;

const FLAGS = {
  "data-dir": { type: "string" },
  "cluster-cidr": { type: "string", default: "10.42.0.0/16" },
  "service-cidr": { type: "string" },
  "disable-agent": { type: "boolean", default: false },
  "node-name": { type: "string" },
  "node-ip": { type: "string" },
  "kubelet-port": { type: "string", default: "10250" },
  "kubelet-address": { type: "string", default: "0.0.0.0" },
  port: { type: "string", default: "6443" },
  "bind-address": { type: "string", default: "127.0.0.1" },
  "tls-san": { type: "string", multiple: true, default: [] as string[] },
  "datastore-endpoint": { type: "string" },
  "datastore-cafile": { type: "string" },
  "datastore-certfile": { type: "string" },
  "datastore-keyfile": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** ~/.k8ts, or /var/lib/k8ts as root (as k3s uses /var/lib/rancher/k3s). */
function defaultDataDir(sub = ""): string {
  const base = process.getuid?.() === 0 ? "/var/lib/k8ts" : join(homedir(), ".k8ts");
  return sub ? join(base, sub) : base;
}

function portFlag(name: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${name}: not a port number: ${value}`);
  return port;
}

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

async function controllerManager(args: string[]): Promise<void> {
  const { values: flags } = parseArgs({ args, allowPositionals: false, options: {
    kubeconfig: { type: "string" }, "leader-elect": { type: "boolean", default: false }, controllers: { type: "string" }, help: { type: "boolean", short: "h" },
  } });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const kubeconfig = flags.kubeconfig ?? process.env.KUBECONFIG;
  if (!kubeconfig) throw new Error("controller-manager: --kubeconfig (or $KUBECONFIG) is required");
  const { startControllerManager, CONTROLLERS } = await import("../controllers/index.ts");
  const names = flags.controllers?.split(",").map((c) => c.trim()).filter(Boolean);
  for (const n of names ?? []) if (!(n in CONTROLLERS)) throw new Error(`--controllers: unknown controller "${n}"`);
  const manager = await startControllerManager({ kubeconfig, leaderElect: flags["leader-elect"], controllers: names as (keyof typeof CONTROLLERS)[] | undefined });
  const stop = async () => {
    await manager.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

function splitHostPort(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  const port = Number(addr.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a host:port address: ${addr}`);
  return [addr.slice(0, i) || "127.0.0.1", port];
}

async function scheduler(args: string[]): Promise<void> {
  const { values: flags } = parseArgs({ args, allowPositionals: false, options: {
    kubeconfig: { type: "string" }, "leader-elect": { type: "boolean", default: false }, "scheduler-name": { type: "string" },
    "metrics-bind-address": { type: "string", default: "127.0.0.1:10259" }, help: { type: "boolean", short: "h" },
  } });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const kubeconfig = flags.kubeconfig ?? process.env.KUBECONFIG;
  if (!kubeconfig) throw new Error("scheduler: --kubeconfig (or $KUBECONFIG) is required");
  const { startScheduler, defaultProfile } = await import("../scheduler/index.ts");
  const server = await startScheduler({ kubeconfig, leaderElect: flags["leader-elect"], profile: defaultProfile(flags["scheduler-name"]) });
  const [host, port] = splitHostPort(flags["metrics-bind-address"]);
  const { startHealthServer } = await import("../util/health-server.ts");
  const health = await startHealthServer({ host, port, registry: server.metrics.registry });
  const stop = async () => {
    await health.close();
    await server.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

async function serve(args: string[], withControllers: boolean): Promise<void> {
  const { values: flags } = parseArgs({ args, options: FLAGS, allowPositionals: false });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const port = portFlag("port", flags.port);
  const kubeletPort = portFlag("kubelet-port", flags["kubelet-port"]);
  const log = createLogger("k8ts");
  const dataDir = resolve(flags["data-dir"] ?? defaultDataDir());
  const { ApiServer } = await import("../apiserver/index.ts");
  log.info({ dataDir }, "opening store");
  const opened = await openStore(await storeConfig(flags, dataDir));
  const apiserver = await ApiServer.start({ store: opened.store, dataDir, port, host: flags["bind-address"], tlsSans: flags["tls-san"], serviceCIDR: flags["service-cidr"] });
  // `server` runs the controllers in-process, as the admin the API server wrote a kubeconfig for.
  const controllers = withControllers
    ? await (await import("../controllers/index.ts")).startControllerManager({ kubeconfig: apiserver.kubeconfigPath, nodeIpam: { clusterCIDR: flags["cluster-cidr"], serviceCIDR: flags["service-cidr"] } })
    : undefined;
  const scheduler = withControllers ? await (await import("../scheduler/index.ts")).startScheduler({ kubeconfig: apiserver.kubeconfigPath }) : undefined;
  if (scheduler) apiserver.metrics.include(scheduler.metrics.registry);
  const agent = withControllers && !flags["disable-agent"]
    ? await (await import("./node-agent.ts")).startNodeAgent({
      server: apiserver.url, credentials: (name, addrs) => apiserver.nodeCredentials(name, addrs), dataDir: join(dataDir, "agent"),
      nodeName: flags["node-name"], nodeIP: flags["node-ip"], kubeletPort, serverAddress: flags["kubelet-address"], controlPlane: true,
    })
    : undefined;
  console.error(`k8ts is up: ${apiserver.url}${agent ? ` (node ${agent.kubelet.nodeName})` : ""}\n  export KUBECONFIG=${apiserver.kubeconfigPath}\n  kubectl get nodes\n` +
    `join another machine: k8ts agent --server https://<this host>:${apiserver.port} --token $(cat ${join(dataDir, "node-token")})`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    await agent?.stop();
    await Promise.all([controllers?.stop(), scheduler?.stop()]);
    await apiserver.close();
    await opened.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

async function agent(args: string[]): Promise<void> {
  const { values: flags } = parseArgs({ args, allowPositionals: false, options: {
    server: { type: "string" }, token: { type: "string" }, "data-dir": { type: "string" }, "node-name": { type: "string" }, "node-ip": { type: "string" },
    "kubelet-port": { type: "string", default: "10250" }, "kubelet-address": { type: "string", default: "0.0.0.0" }, help: { type: "boolean", short: "h" },
  } });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const server = flags.server ?? process.env.K8TS_URL;
  const token = flags.token ?? process.env.K8TS_TOKEN;
  if (!server || !token) throw new Error("agent: --server URL and --token TOKEN are required (or K8TS_URL / K8TS_TOKEN)");
  const { joinCluster } = await import("../kubelet/join.ts");
  const { startNodeAgent } = await import("./node-agent.ts");
  const node = await startNodeAgent({
    server, credentials: (name, addrs) => joinCluster(server, token, name, addrs), dataDir: resolve(flags["data-dir"] ?? defaultDataDir("agent")),
    nodeName: flags["node-name"], nodeIP: flags["node-ip"], kubeletPort: portFlag("kubelet-port", flags["kubelet-port"]), serverAddress: flags["kubelet-address"],
  });
  console.error(`k8ts agent: node ${node.kubelet.nodeName} joined ${server}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await node.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

/** `k8ts kubectl ...`: the system kubectl with the cluster's kubeconfig. */
async function kubectl(args: string[]): Promise<void> {
  let dataDir = defaultDataDir();
  if (args[0] === "--data-dir" && args[1]) {
    dataDir = args[1];
    args = args.slice(2);
  }
  const { spawn } = await import("node:child_process");
  const env = { ...process.env, KUBECONFIG: process.env.KUBECONFIG ?? join(resolve(dataDir), "kubeconfig.yaml") };
  const child = spawn(process.env.K8TS_KUBECTL ?? "kubectl", args, { stdio: "inherit", env });
  child.on("error", (err) => {
    console.error(`k8ts kubectl: ${err.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "version":
      console.log("k8ts v0.1.0 (Kubernetes API v1.32)");
      return;
    case "server":
    case "apiserver":
      return serve(rest, command === "server");
    case "controller-manager":
      return controllerManager(rest);
    case "scheduler":
      return scheduler(rest);
    case "agent":
      return agent(rest);
    case "kubectl":
      return kubectl(rest);
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
