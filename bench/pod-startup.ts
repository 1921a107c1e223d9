// Pod startup latency benchmark (Kubernetes' pod startup SLI): `k8ts server` (API server,
// controllers, scheduler and a kubelet with the process runtime) in a child process on a temp data
// dir; --pods bare busybox pods (`sleep`, no probes unless --readiness-probe) created at --qps per
// second (ClusterLoader2's pod startup test creates pods at a steady rate) or all at once (--qps 0).
// A watch timestamps each pod's transitions client-side: create sent → scheduled (spec.nodeName
// seen) → phase Running seen → Ready seen. The SLI is also computed from the pod's own fields
// (containers' startedAt, status.startTime and the Ready condition minus creationTimestamp; those
// have 1 s resolution). p50/p90/p99/max per measure; each --qps value gets a fresh cluster.
// Prints a table, writes JSON, shows progress on stderr; the server child is always stopped
// (SIGINT, which stops the pods; SIGKILL after a timeout) and any container process it left is killed.
// Usage: npm run bench:pod-startup [-- --pods 100 --qps 20,0 --readiness-probe --host-network --json FILE]
// (--host-network is a diagnostic: hostNetwork pods skip the per-pod network namespace and veth.)
// Profile of the server during the measured phase: --profile-server DIR (DIR/server-qps<N>.cpuprofile).
// Keep the server's logs (pino JSON lines): --server-log FILE (one file per --qps value: FILE.qps<N>).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import { Client, resources } from "../src/client/index.ts";
import { bridgeNameFor } from "../src/kubelet/kubelet.ts";
import { freePort, waitFor } from "../src/testing/wait.ts";
import { procCpuSeconds } from "./lib/proc.ts";

const { values: args } = parseArgs({
  options: {
    pods: { type: "string", default: "100" },
    /** Pods created per second; 0 = all at once. A comma-separated list runs each in turn (fresh cluster each). */
    qps: { type: "string", default: "20" },
    /** Give each container a readiness probe (exec `true`, periodSeconds 1). */
    "readiness-probe": { type: "boolean", default: false },
    /** Diagnostic: hostNetwork pods (no network namespace, veth or IP per pod). */
    "host-network": { type: "boolean", default: false },
    "timeout-seconds": { type: "string", default: "300" },
    /** Default bench/results/pod-startup[-readiness-probe][-host-network].json. */
    json: { type: "string" },
    /** Write a CPU profile of the server child (pods created → all Ready) to this directory. */
    "profile-server": { type: "string" },
    /** Keep the server's log here (`.qps<N>` appended per run). */
    "server-log": { type: "string" },
    /** K8TS_LOG_LEVEL of the server (default info). */
    "log-level": { type: "string", default: "info" },
  },
});
const PODS = Number(args.pods);
const QPS_LIST = args.qps!.split(",").map((q) => Number(q.trim()));
const PROBE = args["readiness-probe"]!;
const HOST_NETWORK = args["host-network"]!;
const JSON_PATH = args.json ?? `bench/results/pod-startup${PROBE ? "-readiness-probe" : ""}${HOST_NETWORK ? "-host-network" : ""}.json`;
const TIMEOUT_MS = Number(args["timeout-seconds"]) * 1000;
if (!Number.isInteger(PODS) || PODS < 1) throw new Error(`--pods: not a positive integer: ${args.pods}`);
if (QPS_LIST.some((q) => !Number.isFinite(q) || q < 0)) throw new Error(`--qps: not a list of numbers ≥ 0: ${args.qps}`);
const NS = "pod-startup";
const NODE_NAME = "pod-startup-bench";
/** A sleep argument unique to this run, so a leftover container process can only be one of ours. */
const SLEEP_ARG = `3599.${String(process.pid).padStart(7, "0")}`;
const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const HOOK = fileURLToPath(new URL("./profile-hook.ts", import.meta.url));
const progress = (msg: string) => process.stderr.write(`  … ${msg}\n`);
const LOAD_BEFORE = loadavg();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** CPU seconds of a process and of its reaped children (ip, the container wrapper, probes). */
const cpuSeconds = (pid: number) => procCpuSeconds(pid);

// --- The cluster ---------------------------------------------------------------------------

interface Cluster {
  dir: string;
  child: ChildProcess;
  client: Client;
  logPath: string;
  /** The process runtime's marker key (K8TS_SANDBOX=<key>:<sandbox>): sha256 of its state dir. */
  runtimeKey: string;
  bridge: string;
  bridgeExisted: boolean;
  exited: Promise<number | null>;
}

/** Processes that are containers of this run: our runtime's marker, or our unique sleep argument. */
function ourContainerPids(runtimeKey: string | undefined): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (argv.includes("sleep") && argv.includes(SLEEP_ARG)) {
        out.push(pid);
        continue;
      }
      if (runtimeKey && readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").some((e) => e.startsWith(`K8TS_SANDBOX=${runtimeKey}:`))) out.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** SIGKILLs what `ourContainerPids` finds; returns how many. */
function killLeftovers(runtimeKey: string | undefined): number {
  const pids = ourContainerPids(runtimeKey);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return pids.length;
}

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** Network namespaces named with this node's prefix (the runtime's netnsPrefix). */
function ourNetns(bridge: string): string[] {
  const prefix = `k8ts-${bridge.slice(4, 8)}-`;
  try {
    return readdirSync("/run/netns").filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

async function startCluster(label: string): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-pod-startup-"));
  const [port, kubeletPort] = [await freePort(), await freePort()];
  const logPath = join(dir, "server.log");
  const logFd = openSync(logPath, "a");
  const prof = args["profile-server"] ? ["--import", HOOK] : [];
  const bridge = bridgeNameFor(NODE_NAME);
  const bridgeExisted = linkExists(bridge);
  const child = spawn(process.execPath, [
    ...prof, MAIN, "server", "--data-dir", dir, "--port", String(port), "--bind-address", "127.0.0.1",
    "--kubelet-port", String(kubeletPort), "--node-name", NODE_NAME,
  ], {
    // Its own process group: a Ctrl-C reaches only this process, which cleans up in order.
    stdio: ["ignore", logFd, logFd], detached: true,
    env: { ...process.env, K8TS_LOG_LEVEL: args["log-level"], BENCH_PROFILE_DIR: resolve(args["profile-server"] ?? "."), BENCH_PROFILE_NAME: `server-${label}` },
  });
  closeSync(logFd);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const runtimeKey = createHash("sha256").update(resolve(join(dir, "agent", "runtime"))).digest("hex").slice(0, 8);
  const cluster: Partial<Cluster> = { dir, child, logPath, runtimeKey, bridge, bridgeExisted, exited };
  active = cluster;
  let dead = false;
  void exited.then(() => (dead = true));
  const kubeconfig = join(dir, "kubeconfig.yaml");
  const early = () => new Error(`the server exited early; its log ends:\n${tail(logPath)}`);
  const withLog = (err: unknown) => new Error(`${err instanceof Error ? err.message : String(err)}; the server's log ends:\n${tail(logPath)}`);
  // waitFor retries when the condition throws, so a dead server is reported as "dead", not thrown.
  const client = await waitFor("the server's kubeconfig.yaml", async () => {
    if (dead) return "dead" as const;
    return existsSync(kubeconfig) && (await Client.fromKubeconfig(kubeconfig, { qps: Infinity, userAgent: "bench-pod-startup" }));
  }, 60_000, 50).catch((err: unknown) => {
    throw withLog(err);
  });
  if (client === "dead") throw early();
  cluster.client = client;
  const ready = await waitFor(`node ${NODE_NAME} Ready`, async () => {
    if (dead) return "dead" as const;
    const node = await client.get<Node>(resources.nodes, NODE_NAME);
    return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  }, 120_000, 100).catch((err: unknown) => {
    throw withLog(err);
  });
  if (ready === "dead") throw early();
  return cluster as Cluster;
}

function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Deletes the pods, stops the server (SIGINT, then SIGKILL), kills leftovers, removes the temp dir. */
async function stopCluster(c: Partial<Cluster>, beforeRemove?: () => void): Promise<{ leftovers: number; podsGoneMs: number; netnsLeft: number }> {
  let podsGoneMs = NaN;
  const serverAlive = () => c.child && c.child.exitCode === null && c.child.signalCode === null;
  if (c.client && serverAlive()) {
    const t = Date.now();
    try {
      await c.client.deleteCollection(resources.pods, { namespace: NS, gracePeriodSeconds: 2 });
      await waitFor("the pods deleted", async () => (await c.client!.list(resources.pods, { namespace: NS, limit: 1 })).items.length === 0, 60_000, 200);
      podsGoneMs = Date.now() - t;
      progress(`pods deleted in ${(podsGoneMs / 1000).toFixed(1)} s`);
    } catch (err) {
      progress(`could not delete every pod (${String(err)}); stopping the server anyway`);
    }
  }
  c.client?.close();
  if (c.child && serverAlive()) {
    c.child.kill("SIGINT");
    const timer = setTimeout(() => {
      progress("the server did not stop within 30 s of SIGINT: SIGKILL");
      c.child!.kill("SIGKILL");
    }, 30_000);
    await c.exited;
    clearTimeout(timer);
  }
  const leftovers = killLeftovers(c.runtimeKey);
  if (leftovers) progress(`killed ${leftovers} container process(es) the server left behind`);
  const netns = c.bridge ? ourNetns(c.bridge) : [];
  for (const n of netns) {
    try {
      execFileSync("ip", ["netns", "del", n], { stdio: "ignore" });
    } catch {
      // best effort
    }
  }
  if (netns.length) progress(`removed ${netns.length} network namespace(s) left behind`);
  if (c.bridge && !c.bridgeExisted && linkExists(c.bridge)) {
    try {
      execFileSync("ip", ["link", "del", c.bridge], { stdio: "ignore" });
    } catch {
      // best effort
    }
  }
  try {
    beforeRemove?.();
  } finally {
    if (c.dir) rmSync(c.dir, { recursive: true, force: true });
  }
  return { leftovers, podsGoneMs, netnsLeft: netns.length };
}

// The last line of defence: whatever happens, no server and no container of ours outlives us.
let active: Partial<Cluster> | undefined;
process.once("exit", () => {
  if (!active) return;
  if (active.child && active.child.exitCode === null) active.child.kill("SIGKILL");
  killLeftovers(active.runtimeKey);
  if (active.dir) rmSync(active.dir, { recursive: true, force: true });
});
// Ctrl-C: the run in progress stops and cleans up (pods deleted, server stopped); a second one exits at once.
let interrupted: string | undefined;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = sig;
    progress(`${sig}: stopping and cleaning up (again to exit at once)`);
  });
}
const checkInterrupted = () => {
  if (interrupted) throw new Error(`interrupted (${interrupted})`);
};

// --- One run --------------------------------------------------------------------------------

interface PodTimes {
  name: string;
  sent: number;
  createdResponse?: number;
  scheduledSeen?: number;
  /** First watch event carrying a status from the kubelet (status.startTime set). */
  kubeletStatusSeen?: number;
  runningSeen?: number;
  readySeen?: number;
  /** From the pod's fields (ms since the epoch, 1 s resolution). */
  creationTimestamp?: number;
  scheduledAt?: number;
  startTime?: number;
  startedAt?: number;
  readyAt?: number;
}

const ts = (s: string | undefined): number | undefined => {
  const v = Date.parse(s ?? "");
  return Number.isNaN(v) ? undefined : v;
};

function podSpec(i: number): Pod {
  return {
    apiVersion: "v1", kind: "Pod",
    metadata: { name: `pod-${String(i).padStart(5, "0")}`, namespace: NS, labels: { app: "pod-startup" } },
    spec: {
      terminationGracePeriodSeconds: 2,
      ...(HOST_NETWORK ? { hostNetwork: true } : {}),
      containers: [{
        name: "sleep", image: "busybox", command: ["sleep", SLEEP_ARG],
        ...(PROBE ? { readinessProbe: { exec: { command: ["true"] }, periodSeconds: 1 } } : {}),
      }],
    },
  };
}

/** Watches the namespace's pods and stamps each pod's first sighting of each state. */
async function watchPods(client: Client, times: Map<string, PodTimes>, rv: string, signal: AbortSignal, counts: { events: number }): Promise<void> {
  while (!signal.aborted) {
    try {
      for await (const ev of client.watch<Pod>(resources.pods, { namespace: NS, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 3600, signal })) {
        const now = Date.now();
        rv = ev.object.metadata?.resourceVersion ?? rv;
        if (ev.type === "BOOKMARK" || ev.type === "DELETED") continue;
        counts.events++;
        const p = ev.object;
        const t = times.get(p.metadata?.name ?? "");
        if (!t) continue;
        t.creationTimestamp ??= ts(p.metadata?.creationTimestamp);
        if (p.spec?.nodeName) t.scheduledSeen ??= now;
        if (p.status?.startTime) t.kubeletStatusSeen ??= now;
        const cond = (type: string) => p.status?.conditions?.find((c) => c.type === type);
        if (cond("PodScheduled")?.status === "True") t.scheduledAt ??= ts(cond("PodScheduled")?.lastTransitionTime);
        if (p.status?.phase === "Running" && t.runningSeen === undefined) {
          t.runningSeen = now;
          t.startTime = ts(p.status.startTime);
          const started = (p.status.containerStatuses ?? []).map((c) => ts(c.state?.running?.startedAt));
          if (started.length && started.every((s) => s !== undefined)) t.startedAt = Math.max(...(started as number[]));
        }
        const ready = cond("Ready");
        if (p.status?.phase === "Running" && ready?.status === "True" && t.readySeen === undefined) {
          t.readySeen = now;
          t.readyAt = ts(ready.lastTransitionTime);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      progress(`pod watch ended (${String(err)}); re-watching`);
      await sleep(100);
    }
  }
}

/** The server's event loop delay (prom-client's nodejs_eventloop_lag_*, reset by each scrape), in ms. */
interface LoopLag { p50: number; p90: number; p99: number; max: number }

async function scrapeLoopLag(client: Client): Promise<LoopLag | undefined> {
  try {
    const text = String(await client.request("GET", "/metrics"));
    const get = (name: string) => {
      const m = new RegExp(`^${name} ([0-9.e+-]+)`, "m").exec(text);
      return m ? Number(m[1]) * 1000 : NaN;
    };
    return { p50: get("nodejs_eventloop_lag_p50_seconds"), p90: get("nodejs_eventloop_lag_p90_seconds"), p99: get("nodejs_eventloop_lag_p99_seconds"), max: get("nodejs_eventloop_lag_max_seconds") };
  } catch {
    return undefined;
  }
}

interface Stats { n: number; p50: number; p90: number; p99: number; max: number }

function stats(values: (number | undefined)[]): Stats {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  // Nearest rank, as ClusterLoader2's latency metrics.
  const pct = (p: number) => (v.length ? v[Math.max(0, Math.ceil((p / 100) * v.length) - 1)]! : NaN);
  return { n: v.length, p50: pct(50), p90: pct(90), p99: pct(99), max: v.length ? v[v.length - 1]! : NaN };
}

interface Measure { key: string; label: string; stats: Stats; note?: string }

interface RunResult {
  qps: number;
  readinessProbe: boolean;
  pods: number;
  createSpreadMs: number;
  allRunningMs?: number;
  allReadyMs?: number;
  measures: Measure[];
  /** The server process, and the processes it spawned and reaped (ip, sh wrappers, probes). */
  serverCpuSeconds: { self: number; children: number };
  /** Event loop delay of the server while the pods started (create → all Ready). */
  serverLoopLagMs?: LoopLag;
  serverLog: { warn: number; error: number; topMessages: { level: string; msg: string; count: number }[] };
  cleanup?: { leftovers: number; podsGoneMs: number; netnsLeft: number };
  failure?: string;
}

function measuresOf(times: PodTimes[]): Measure[] {
  const d = (f: (t: PodTimes) => number | undefined) => stats(times.map(f));
  const sub = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
  return [
    { key: "createToRunningWatch", label: "create sent → Running seen (watch)  [SLI]", stats: d((t) => sub(t.runningSeen, t.sent)) },
    { key: "createToReadyWatch", label: "create sent → Ready seen (watch)", stats: d((t) => sub(t.readySeen, t.sent)) },
    { key: "createRequest", label: "  create request (sent → response)", stats: d((t) => sub(t.createdResponse, t.sent)) },
    { key: "createToScheduledWatch", label: "  create sent → scheduled seen (nodeName)", stats: d((t) => sub(t.scheduledSeen, t.sent)) },
    { key: "scheduledToKubeletStatus", label: "  scheduled → first kubelet status seen", stats: d((t) => sub(t.kubeletStatusSeen, t.scheduledSeen)) },
    { key: "scheduledToRunningWatch", label: "  scheduled seen → Running seen", stats: d((t) => sub(t.runningSeen, t.scheduledSeen)) },
    { key: "startedToRunningWatch", label: "  container startedAt → Running seen", stats: d((t) => sub(t.runningSeen, t.startedAt)), note: "startedAt floored to the second: up to +1 s" },
    { key: "runningToReadyWatch", label: "  Running seen → Ready seen", stats: d((t) => sub(t.readySeen, t.runningSeen)) },
    { key: "fieldsStartedMinusCreation", label: "fields: containers startedAt − creationTimestamp", stats: d((t) => sub(t.startedAt, t.creationTimestamp)), note: "1 s resolution" },
    { key: "fieldsStartTimeMinusCreation", label: "fields: status.startTime − creationTimestamp", stats: d((t) => sub(t.startTime, t.creationTimestamp)), note: "1 s resolution" },
    { key: "fieldsScheduledMinusCreation", label: "fields: PodScheduled − creationTimestamp", stats: d((t) => sub(t.scheduledAt, t.creationTimestamp)), note: "1 s resolution" },
    { key: "fieldsReadyMinusCreation", label: "fields: Ready transition − creationTimestamp", stats: d((t) => sub(t.readyAt, t.creationTimestamp)), note: "1 s resolution" },
  ];
}

/** warn/error counts and the most frequent warn+ messages of the server's pino log. */
function summarizeLog(path: string): RunResult["serverLog"] {
  const counts = new Map<string, { level: string; msg: string; count: number }>();
  let warn = 0;
  let error = 0;
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { warn, error, topMessages: [] };
  }
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    let rec: { level?: string; msg?: string; component?: string };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      continue;
    }
    if (rec.level !== "warn" && rec.level !== "error" && rec.level !== "fatal") continue;
    if (rec.level === "warn") warn++;
    else error++;
    const key = `${rec.level}|${rec.msg}`;
    const e = counts.get(key) ?? { level: rec.level, msg: `${rec.component ? `${rec.component}: ` : ""}${rec.msg ?? ""}`, count: 0 };
    e.count++;
    counts.set(key, e);
  }
  return { warn, error, topMessages: [...counts.values()].sort((a, b) => b.count - a.count).slice(0, 8) };
}

async function run(qps: number): Promise<RunResult> {
  const label = `qps${qps}`;
  process.stderr.write(`${PODS} pods, ${qps > 0 ? `${qps} per second` : "all at once"}${PROBE ? ", readiness probe (exec true, period 1 s)" : ""}${HOST_NETWORK ? ", hostNetwork" : ""}\n`);
  progress("starting k8ts server");
  const t0 = Date.now();
  let c: Cluster;
  try {
    c = await startCluster(label);
  } catch (err) {
    if (active) await stopCluster(active);
    active = undefined;
    throw err;
  }
  progress(`server up and node Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (log ${c.logPath})`);
  const result: RunResult = { qps, readinessProbe: PROBE, pods: PODS, createSpreadMs: NaN, measures: [], serverCpuSeconds: { self: NaN, children: NaN }, serverLog: { warn: 0, error: 0, topMessages: [] } };
  const times = new Map<string, PodTimes>();
  const stopWatch = new AbortController();
  let watching: Promise<void> = Promise.resolve();
  let profiling = false;
  try {
    const { client } = c;
    await client.create(resources.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    // The namespace's default objects and the node's first status writes settle before timing.
    await sleep(1000);
    const counts = { events: 0 };
    const rv = (await client.list(resources.pods, { namespace: NS, limit: 1 })).metadata.resourceVersion ?? "";
    watching = watchPods(client, times, rv, stopWatch.signal, counts);
    if (args["profile-server"]) {
      mkdirSync(args["profile-server"], { recursive: true });
      c.child.kill("SIGUSR2");
      profiling = true;
      await sleep(200);
    }
    await scrapeLoopLag(client); // resets the histogram
    const cpu0 = cpuSeconds(c.child.pid!);
    const start = Date.now();
    const creates: Promise<void>[] = [];
    const createErrors: string[] = [];
    for (let i = 0; i < PODS; i++) {
      if (qps > 0) await sleep(start + (i * 1000) / qps - Date.now());
      checkInterrupted();
      const pod = podSpec(i);
      const t: PodTimes = { name: pod.metadata!.name!, sent: Date.now() };
      times.set(t.name, t);
      creates.push(client.create(resources.pods, pod, { namespace: NS }).then(
        () => void (t.createdResponse = Date.now()),
        (err: unknown) => void createErrors.push(`${t.name}: ${String(err)}`),
      ));
    }
    await Promise.all(creates);
    result.createSpreadMs = Date.now() - start;
    if (createErrors.length) throw new Error(`${createErrors.length} creates failed, e.g. ${createErrors[0]}`);
    progress(`${PODS} pods created in ${(result.createSpreadMs / 1000).toFixed(1)} s`);
    const all = [...times.values()];
    const count = (f: (t: PodTimes) => number | undefined) => all.filter((t) => f(t) !== undefined).length;
    const status = () => `scheduled ${count((t) => t.scheduledSeen)}, Running ${count((t) => t.runningSeen)}, Ready ${count((t) => t.readySeen)} of ${PODS}`;
    let lastReport = Date.now();
    while (count((t) => t.readySeen) < PODS) {
      checkInterrupted();
      if (Date.now() - start > TIMEOUT_MS) throw new Error(`timed out (${status()})`);
      if (c.child.exitCode !== null) throw new Error(`the server exited (${status()}):\n${tail(c.logPath)}`);
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        progress(`${((Date.now() - start) / 1000).toFixed(0)} s: ${status()}`);
      }
      await sleep(50);
    }
    result.allRunningMs = Math.max(...all.map((t) => t.runningSeen!)) - start;
    result.allReadyMs = Math.max(...all.map((t) => t.readySeen!)) - start;
    const cpu1 = cpuSeconds(c.child.pid!);
    result.serverLoopLagMs = await scrapeLoopLag(client);
    result.serverCpuSeconds = { self: cpu1.self - cpu0.self, children: cpu1.children - cpu0.children };
    progress(`all Running after ${(result.allRunningMs / 1000).toFixed(1)} s, all Ready after ${(result.allReadyMs / 1000).toFixed(1)} s; ${counts.events} watch events`);
  } catch (err) {
    result.failure = err instanceof Error ? err.message : String(err);
    progress(`FAILED: ${result.failure}`);
  } finally {
    if (profiling && c.child.exitCode === null) {
      c.child.kill("SIGUSR2");
      await sleep(1500);
    }
    stopWatch.abort();
    await watching;
    result.measures = measuresOf([...times.values()]);
    progress("cleaning up: deleting the pods, stopping the server");
    result.cleanup = await stopCluster(c, () => {
      result.serverLog = summarizeLog(c.logPath);
      if (args["server-log"]) {
        const dest = `${args["server-log"]}.${label}`;
        mkdirSync(dirname(resolve(dest)), { recursive: true });
        copyFileSync(c.logPath, dest);
        progress(`server log kept at ${dest}`);
      }
    });
    active = undefined;
  }
  return result;
}

const results: RunResult[] = [];
for (const qps of QPS_LIST) if (!interrupted) results.push(await run(qps));
if (results.length === 0) process.exit(130);

// --- Report ---------------------------------------------------------------------------------

const ms = (n: number) => (Number.isNaN(n) ? "—" : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);
const rows: string[][] = [["measure", ...results.flatMap((r) => [`${r.qps > 0 ? `${r.qps}/s` : "all at once"}: p50`, "p90", "p99", "max"])]];
for (const [i, m] of results[0]!.measures.entries()) {
  rows.push([m.label, ...results.flatMap((r) => {
    const s = r.measures[i]!.stats;
    return s.n === 0 ? ["—", "—", "—", "—"] : [ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
  })]);
}
const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
const line = (r: string[]) => `| ${r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join(" | ")} |`;
console.log(line(rows[0]!));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows.slice(1)) console.log(line(r));
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`;
console.log(`\n${PODS} bare busybox pods (sleep${PROBE ? ", readiness probe exec true every 1 s" : ", no probes"}${HOST_NETWORK ? ", hostNetwork" : ""}) on one node, process runtime; ${machine}.`);
console.log(`Load average (1 min) before ${LOAD_BEFORE[0]!.toFixed(1)}, after ${loadavg()[0]!.toFixed(1)}. Goal: create → Running p99 < 1 s.`);
for (const r of results) {
  const sli = r.measures.find((m) => m.key === "createToRunningWatch")!.stats;
  console.log(`${r.qps > 0 ? `${r.qps} pods/s` : "all at once"}: creates took ${ms(r.createSpreadMs)}; all Running ${ms(r.allRunningMs ?? NaN)}, all Ready ${ms(r.allReadyMs ?? NaN)} after the first create; ` +
    (Number.isNaN(r.serverCpuSeconds.self) ? "server CPU —" : `server CPU ${r.serverCpuSeconds.self.toFixed(1)} s (+ ${r.serverCpuSeconds.children.toFixed(1)} s in its child processes)`) +
    `${r.serverLoopLagMs ? `, event loop delay p50/p99/max ${ms(r.serverLoopLagMs.p50)} / ${ms(r.serverLoopLagMs.p99)} / ${ms(r.serverLoopLagMs.max)}` : ""}; ${sli.n < r.pods ? `SLI p99 — (only ${sli.n} of ${r.pods} pods Running) ✗` : `SLI p99 ${ms(sli.p99)} ${sli.p99 < 1000 ? "✓" : "✗"}`}; ` +
    `server log ${r.serverLog.warn} warnings, ${r.serverLog.error} errors${r.cleanup?.leftovers ? `; ${r.cleanup.leftovers} container processes had to be killed` : ""}`);
  for (const m of r.serverLog.topMessages) console.log(`    ${m.level} ×${m.count}: ${m.msg}`);
  if (r.failure) console.log(`  FAILED: ${r.failure}`);
}
console.log("Watch timestamps are when this process saw the event; fields (creationTimestamp, startTime, startedAt, conditions) have 1 s resolution.");
if (interrupted) console.log(`interrupted: ${JSON_PATH} not written`);
else {
  await mkdir(dirname(JSON_PATH), { recursive: true });
  await writeFile(JSON_PATH, JSON.stringify({
    date: new Date().toISOString(), machine, pods: PODS, readinessProbe: PROBE, hostNetwork: HOST_NETWORK, loadavg: { before: LOAD_BEFORE[0], after: loadavg()[0] },
    goal: "create → Running (watch) p99 < 1 s",
    runs: results.map((r) => ({ ...r, measures: Object.fromEntries(r.measures.map((m) => [m.key, { label: m.label.trim(), ...m.stats, ...(m.note ? { note: m.note } : {}) }])) })),
  }, null, 2));
  console.log(`wrote ${JSON_PATH}`);
}
if (interrupted) process.exitCode = 130;
else if (results.some((r) => r.failure)) process.exitCode = 1;
