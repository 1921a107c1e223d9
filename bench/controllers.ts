// Controller benchmark: an API server (embedded store, temp dir) in a process of its own; the
// controller manager and hollow nodes (bind=true: they also stand in for the scheduler) in this
// one. A Deployment of --replicas pods: time until every pod exists, until every pod is Running
// (hollow), until the Deployment is Available; then a rolling update (new image) until it is
// complete (updated = available = replicas, the old ReplicaSet at 0). Prints a table, writes JSON,
// shows progress on stderr.
// Usage: npm run bench:controllers [-- --replicas 10000 --nodes 100 --qps 1000 --json bench/results/controllers.json]
// Profiles: node --cpu-prof --cpu-prof-dir=/tmp/prof bench/controllers.ts --profile-server /tmp/prof-server
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import { Client, resources } from "../src/client/index.ts";
import { startControllerManager } from "../src/controllers/index.ts";
import { startHollowNodes } from "../src/testing/hollow-node.ts";
import { silentLogger } from "../src/util/log.ts";
import { procCpuSeconds } from "./lib/proc.ts";
import { startApiServerChild } from "./lib/apiserver-child.ts";

const { values: args } = parseArgs({
  options: {
    replicas: { type: "string", default: "10000" },
    nodes: { type: "string", default: "100" },
    /** Client QPS of the controller manager and of the hollow nodes (each); kube-controller-manager's default is 20. */
    qps: { type: "string", default: "1000" },
    /** Concurrent API calls of the hollow nodes. */
    workers: { type: "string", default: "32" },
    "pods-per-node": { type: "string" },
    "timeout-seconds": { type: "string", default: "1800" },
    json: { type: "string", default: "bench/results/controllers.json" },
    /** Write a CPU profile of the API server process here (run this one with `node --cpu-prof` for its own). */
    "profile-server": { type: "string" },
  },
});
const REPLICAS = Number(args.replicas);
const NODES = Number(args.nodes);
const QPS = Number(args.qps);
// Room for a rolling update's surge (25%) on top of the replicas, and at least a kubelet's 110.
const PODS_PER_NODE = Number(args["pods-per-node"] ?? Math.max(110, Math.ceil((REPLICAS * 1.5) / NODES)));
const TIMEOUT_MS = Number(args["timeout-seconds"]) * 1000;
const NS = "bench";
const progress = (msg: string) => process.stderr.write(`  … ${msg}\n`);
const LOAD_BEFORE = loadavg();

/** bench/apiserver-server.ts over the embedded store, in a child process. */
const startServer = () => startApiServerChild({ nodeArgs: args["profile-server"] ? ["--cpu-prof", `--cpu-prof-dir=${args["profile-server"]}`] : [] });

/** CPU seconds (user + system) a process has used. */
const cpuSeconds = (pid: number): number => procCpuSeconds(pid).self;

/** Pods by template hash, from one watch: how many were created and how many became Running and Ready. */
class PodCounter {
  readonly created = new Map<string, number>();
  readonly running = new Map<string, number>();
  private readonly seenRunning = new Set<string>();
  events = 0;

  count(m: Map<string, number>, hash: string | undefined): number {
    return m.get(hash ?? "") ?? 0;
  }

  async run(client: Client, signal: AbortSignal): Promise<void> {
    let rv = (await client.list(resources.pods, { namespace: NS, limit: 1 })).metadata.resourceVersion ?? "";
    while (!signal.aborted) {
      try {
        for await (const ev of client.watch<Pod>(resources.pods, { namespace: NS, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 3600, signal })) {
          rv = ev.object.metadata?.resourceVersion ?? rv;
          if (ev.type === "BOOKMARK") continue;
          this.events++;
          const hash = ev.object.metadata?.labels?.["pod-template-hash"] ?? "";
          const uid = ev.object.metadata?.uid ?? "";
          if (ev.type === "ADDED") this.created.set(hash, (this.created.get(hash) ?? 0) + 1);
          const ready = ev.object.status?.phase === "Running" && ev.object.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
          if (ready && !this.seenRunning.has(uid)) {
            this.seenRunning.add(uid);
            this.running.set(hash, (this.running.get(hash) ?? 0) + 1);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        progress(`pod watch ended (${String(err)}); re-watching`);
      }
    }
  }
}

async function waitUntil(what: string, t0: number, cond: () => Promise<boolean> | boolean, status: () => string): Promise<number> {
  let lastReport = Date.now();
  for (;;) {
    if (await cond()) {
      const ms = Date.now() - t0;
      progress(`${what}: ${(ms / 1000).toFixed(1)} s`);
      return ms;
    }
    if (Date.now() - t0 > TIMEOUT_MS) throw new Error(`timed out waiting for ${what} (${status()})`);
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      progress(`${((Date.now() - t0) / 1000).toFixed(0)} s, waiting for ${what}: ${status()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const deploymentOf = (image: string): Deployment => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "bench", namespace: NS },
  spec: {
    replicas: REPLICAS, selector: { matchLabels: { app: "bench" } },
    template: { metadata: { labels: { app: "bench" } }, spec: { containers: [{ name: "c", image, resources: { requests: { cpu: "10m", memory: "16Mi" } } }] } },
  },
});

progress(`starting the API server; ${NODES} hollow nodes (${PODS_PER_NODE} pods each), ${REPLICAS} replicas, client QPS ${QPS}`);
const server = await startServer();
const config = { server: server.url, caPem: server.ca, token: server.token };
const managerClient = new Client(config, { qps: QPS, burst: QPS * 2, userAgent: "k8ts-controller-manager" });
const nodesClient = new Client(config, { qps: QPS, burst: QPS * 2, userAgent: "k8ts-hollow-node" });
const client = new Client(config, { qps: Infinity, userAgent: "bench" });
const cpu0 = { controllers: cpuSeconds(process.pid), apiserver: cpuSeconds(server.pid) };
const manager = await startControllerManager({ client: managerClient, log: silentLogger });
const tNodes = Date.now();
const hollow = await startHollowNodes({ client: nodesClient, count: NODES, bind: true, pods: PODS_PER_NODE, workers: Number(args.workers), log: silentLogger });
const nodesMs = Date.now() - tNodes;
progress(`${NODES} nodes registered in ${(nodesMs / 1000).toFixed(1)} s`);
await client.create(resources.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
const counter = new PodCounter();
const stopWatch = new AbortController();
const watching = counter.run(client, stopWatch.signal);

const getDeployment = () => client.get<Deployment>(resources.deployments, "bench", { namespace: NS });
const replicaSets = async () => (await client.list<ReplicaSet>(resources.replicasets, { namespace: NS })).items;
let last: Deployment | undefined;
const dstatus = () => {
  const s = last?.status ?? {};
  return `deployment replicas ${s.replicas ?? 0} updated ${s.updatedReplicas ?? 0} ready ${s.readyReplicas ?? 0} available ${s.availableReplicas ?? 0}; hollow bound ${hollow.stats.bound} started ${hollow.stats.started} deleted ${hollow.stats.deleted}`;
};
const hashOf = async (image: string): Promise<string | undefined> =>
  (await replicaSets()).find((rs) => rs.spec?.template?.spec?.containers?.[0]?.image === image)?.metadata?.labels?.["pod-template-hash"];

const results: Record<string, number> = { nodesRegisteredMs: nodesMs };
let failure: string | undefined;
try {
  // 1. Create.
  const t0 = Date.now();
  await client.create(resources.deployments, deploymentOf("busybox:1"));
  let h1: string | undefined;
  const pods1 = () => `pods created ${counter.count(counter.created, h1)} running ${counter.count(counter.running, h1)}; ${dstatus()}`;
  results.podsCreatedMs = await waitUntil(`all ${REPLICAS} pods exist`, t0, async () => {
    h1 ??= await hashOf("busybox:1");
    return counter.count(counter.created, h1) >= REPLICAS;
  }, pods1);
  results.podsRunningMs = await waitUntil(`all ${REPLICAS} pods Running`, t0, async () => {
    last = await getDeployment();
    return counter.count(counter.running, h1) >= REPLICAS;
  }, pods1);
  results.availableMs = await waitUntil("the Deployment Available", t0, async () => {
    last = await getDeployment();
    const s = last.status ?? {};
    return s.observedGeneration === last.metadata?.generation && s.availableReplicas === REPLICAS && s.updatedReplicas === REPLICAS &&
      !!s.conditions?.some((c) => c.type === "Available" && c.status === "True");
  }, pods1);

  // 2. Rolling update.
  const t1 = Date.now();
  await client.patch(resources.deployments, "bench", { spec: { template: { spec: { containers: [{ name: "c", image: "busybox:2" }] } } } }, { type: "strategic", namespace: NS });
  let h2: string | undefined;
  const pods2 = () => `new pods created ${counter.count(counter.created, h2)} running ${counter.count(counter.running, h2)}; ${dstatus()}`;
  results.rolloutNewPodsRunningMs = await waitUntil(`all ${REPLICAS} new pods Running`, t1, async () => {
    h2 ??= await hashOf("busybox:2");
    last = await getDeployment();
    return counter.count(counter.running, h2) >= REPLICAS;
  }, pods2);
  results.rolloutCompleteMs = await waitUntil("the rolling update complete", t1, async () => {
    last = await getDeployment();
    const s = last.status ?? {};
    if (s.observedGeneration !== last.metadata?.generation || s.updatedReplicas !== REPLICAS || s.availableReplicas !== REPLICAS || s.replicas !== REPLICAS) return false;
    const old = (await replicaSets()).filter((rs) => rs.metadata?.labels?.["pod-template-hash"] !== h2);
    return old.length > 0 && old.every((rs) => rs.spec?.replicas === 0 && (rs.status?.replicas ?? 0) === 0);
  }, pods2);
} catch (err) {
  failure = err instanceof Error ? err.message : String(err);
  progress(`FAILED: ${failure}`);
}
const cpu = { controllers: cpuSeconds(process.pid) - cpu0.controllers, apiserver: cpuSeconds(server.pid) - cpu0.apiserver };
const rssMB = Math.round(process.memoryUsage().rss / 1024 / 1024);
const stats = { ...hollow.stats, watchEvents: counter.events };

stopWatch.abort();
await watching;
await manager.stop();
await hollow.stop();
for (const c of [client, managerClient, nodesClient]) c.close();
await server.stop();

const rows: [string, string][] = [
  [`${NODES} hollow nodes registered`, results.nodesRegisteredMs],
  [`all ${REPLICAS} pods exist`, results.podsCreatedMs],
  [`all ${REPLICAS} pods Running (hollow)`, results.podsRunningMs],
  ["Deployment Available", results.availableMs],
  [`rolling update: ${REPLICAS} new pods Running`, results.rolloutNewPodsRunningMs],
  ["rolling update complete (old RS at 0)", results.rolloutCompleteMs],
].map(([k, v]) => [k as string, v === undefined ? "—" : `${((v as number) / 1000).toFixed(1)} s`]);
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`| ${"measure".padEnd(width)} | time    |`);
console.log(`|${"-".repeat(width + 2)}|---------|`);
for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v.padStart(7)} |`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`;
console.log(`\n${machine}; the API server (embedded store) in its own process, the controller manager and hollow nodes in this one.`);
console.log(`Load average (1 min) before ${LOAD_BEFORE[0]!.toFixed(1)}, after ${loadavg()[0]!.toFixed(1)}: other work on the machine slows every figure.`);
console.log(`CPU used: controller manager + hollow nodes + bench watch ${cpu.controllers.toFixed(1)} s, API server ${cpu.apiserver.toFixed(1)} s; this process's RSS ${rssMB} MiB.`);
console.log(`Hollow nodes: ${stats.bound} bindings, ${stats.started} pods started, ${stats.deleted} deletions finished; client QPS ${QPS} (burst ${QPS * 2}) each for the manager and the nodes.`);
if (failure) console.log(`FAILED: ${failure}`);
await mkdir(dirname(args.json!), { recursive: true });
await writeFile(args.json!, JSON.stringify({
  date: new Date().toISOString(), machine, replicas: REPLICAS, nodes: NODES, podsPerNode: PODS_PER_NODE, qps: QPS, hollowWorkers: Number(args.workers),
  loadavg: { before: LOAD_BEFORE[0], after: loadavg()[0] }, results, cpuSeconds: cpu, rssMB, hollow: stats, failure,
}, null, 2));
console.log(`wrote ${args.json}`);
if (failure) process.exitCode = 1;
