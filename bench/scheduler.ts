// Scheduler benchmark after Kubernetes' scheduler_perf (SchedulingBasic, SchedulingPodAntiAffinity,
// TopologySpreading): an API server over the embedded store (temp dir) in a child process; the
// scheduler (startScheduler) in this one; creating pods and watching them bind in a worker thread
// (bench/scheduler-load.ts); objects as scheduler_perf's templates (bench/scheduler-objects.ts).
// Init pods are scheduled first (not measured); then the measured pods are either created while
// the scheduler runs, --parallel requests in flight (--mode concurrent, as scheduler_perf), or all
// created before a fresh scheduler starts (--mode precreate). Measured end to end: bindings and
// events are real API writes. --mode algorithm runs the scheduling cycle alone, without an API
// server (bench/scheduler-algorithm.ts). Prints a table, writes JSON, shows progress on stderr.
// Usage: npm run bench:scheduler [-- --workload basic|anti-affinity|topology-spread
//          --mode concurrent|precreate|algorithm --nodes 5000 --pods 10000 --init-pods 1000 --profile DIR]
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Pod } from "kubernetes-types/core/v1.js";
import { Client, resources } from "../src/client/index.ts";
import { startScheduler } from "../src/scheduler/index.ts";
import type { SchedulerServer } from "../src/scheduler/index.ts";
import { silentLogger } from "../src/util/log.ts";
import { LoadWorker } from "./scheduler-load.ts";
import type { Bound, Conn } from "./scheduler-load.ts";
import { benchNode, benchPod, initKindOf, namespacesOf, WORKLOAD_DEFAULTS as DEFAULTS, zoneOf } from "./scheduler-objects.ts";
import type { Workload } from "./scheduler-objects.ts";
import { runAlgorithm } from "./scheduler-algorithm.ts";
import { procCpuSeconds } from "./lib/proc.ts";
import { startApiServerChild } from "./lib/apiserver-child.ts";

const { values: args } = parseArgs({
  options: {
    workload: { type: "string", default: "basic" },
    mode: { type: "string", default: "concurrent" },
    nodes: { type: "string", default: "5000" },
    pods: { type: "string" },
    "init-pods": { type: "string" },
    zones: { type: "string", default: "10" },
    /** Pod creates in flight (concurrent mode and init pods). */
    parallel: { type: "string", default: "64" },
    /** The scheduler's client QPS (kube-scheduler defaults to 50; scheduler_perf raises it to 5000). */
    qps: { type: "string", default: "5000" },
    /** The scheduler's maxInflightBindings (its default, 128, when absent). */
    "max-inflight": { type: "string" },
    "timeout-seconds": { type: "string", default: "600" },
    /** Writes CPU profiles of the measured phase (scheduler thread and API server) into this directory. */
    profile: { type: "string" },
    json: { type: "string" },
  },
});
const WORKLOAD = args.workload as Workload;
if (!(WORKLOAD in DEFAULTS)) throw new Error(`--workload: one of ${Object.keys(DEFAULTS).join(", ")}`);
const MODE = args.mode as "concurrent" | "precreate" | "algorithm";
if (MODE !== "concurrent" && MODE !== "precreate" && MODE !== "algorithm") throw new Error("--mode: concurrent, precreate or algorithm");
const NODES = Number(args.nodes);
const PODS = Number(args.pods ?? DEFAULTS[WORKLOAD].pods);
const INIT_PODS = Number(args["init-pods"] ?? DEFAULTS[WORKLOAD].initPods);
const ZONES = Number(args.zones);
const PARALLEL = Number(args.parallel);
const TIMEOUT_MS = Number(args["timeout-seconds"]) * 1000;
const PROFILE_DIR = args.profile ? resolve(args.profile) : undefined;
const JSON_PATH = args.json ?? `bench/results/scheduler-${WORKLOAD}-${MODE}.json`;
const progress = (msg: string) => process.stderr.write(`  … ${msg}\n`);
const now = (): number => performance.timeOrigin + performance.now();
const LOAD_BEFORE = loadavg();

// --- the API server child --------------------------------------------------------------------

/** bench/apiserver-server.ts over the embedded store; with profiling, SIGUSR2 toggles its CPU profiler. */
async function startServer() {
  const hook = fileURLToPath(new URL("./profile-hook.ts", import.meta.url));
  const child = await startApiServerChild({
    nodeArgs: PROFILE_DIR ? ["--import", hook] : [],
    env: { BENCH_PROFILE_DIR: PROFILE_DIR, BENCH_PROFILE_NAME: `apiserver-${WORKLOAD}-${MODE}` },
  });
  return { conn: { url: child.url, token: child.token, ca: child.ca } as Conn, pid: child.pid, signal: child.signal, stop: child.stop };
}

/** CPU seconds (user + system) a process has used. */
const cpuSeconds = (pid: number): number => procCpuSeconds(pid).self;

/** Creates `count` objects from `make(i)`, `parallel` at a time. */
async function createMany<T extends object>(count: number, make: (i: number) => T, create: (o: T) => Promise<unknown>, parallel = 64): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) await create(make(next++));
  }));
}

// --- statistics ------------------------------------------------------------------------------

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

/**
 * Bound pods per whole 1 s window from `start` (as scheduler_perf's throughput collector samples),
 * the first window skipped as it does and the last, partial one left out.
 */
function throughputSamples(boundTimes: readonly number[], start: number): number[] {
  const windows = Math.floor((Math.max(...boundTimes) - start) / 1000);
  const counts = new Array<number>(windows).fill(0);
  for (const b of boundTimes) {
    const w = Math.floor((b - start) / 1000);
    if (w >= 0 && w < windows) counts[w]!++;
  }
  return counts.slice(1);
}

type Histogram = SchedulerServer["metrics"]["podSchedulingDuration"];

/** histogram_quantile over a prom-client histogram (linear within the bucket; the last finite bound when beyond it, flagged). */
async function histogramQuantiles(histogram: Histogram, qs: number[], only?: Record<string, string>): Promise<{ count: number; q: number[]; beyond: boolean[] }> {
  const h = await histogram.get();
  const buckets = h.values
    .filter((v) => v.metricName?.endsWith("_bucket") && Object.entries(only ?? {}).every(([k, x]) => v.labels[k] === x))
    .map((v) => ({ le: Number(v.labels.le === "+Inf" ? Infinity : v.labels.le), n: v.value }));
  buckets.sort((a, b) => a.le - b.le);
  const count = buckets.at(-1)?.n ?? 0;
  const lastFinite = buckets.at(-2)?.le ?? Infinity;
  const q = qs.map((p) => {
    const rank = p * count;
    let prevLe = 0;
    let prevN = 0;
    for (const b of buckets) {
      if (b.n >= rank) return b.le === Infinity ? prevLe : prevLe + ((b.le - prevLe) * (rank - prevN)) / Math.max(b.n - prevN, 1);
      prevLe = b.le;
      prevN = b.n;
    }
    return NaN;
  });
  return { count, q, beyond: q.map((v) => v >= lastFinite) };
}

// --- the run ---------------------------------------------------------------------------------

const { init: initNs, measured: measureNs } = namespacesOf(WORKLOAD);
const initKind = initKindOf(WORKLOAD);
const initPods = Array.from({ length: INIT_PODS }, (_, i) => benchPod(initNs, `init-${i}`, initKind));
const measured = Array.from({ length: PODS }, (_, i) => benchPod(measureNs, `pod-${i}`, WORKLOAD));
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load average before ${LOAD_BEFORE.map((l) => l.toFixed(1)).join(" ")}, node ${process.version}`;

if (MODE === "algorithm") {
  progress(`scheduling ${INIT_PODS} init pods, then ${PODS} measured pods on ${NODES} nodes, no API server`);
  const nodes = Array.from({ length: NODES }, (_, i) => benchNode(i, ZONES));
  const r = runAlgorithm(nodes, initPods, measured);
  const line = `${WORKLOAD}: ${NODES} nodes, ${INIT_PODS} init pods, ${PODS} measured pods: ${r.cpuMicros.toFixed(1)} µs CPU / ${r.wallMicros.toFixed(1)} µs wall per pod` +
    ` = ${Math.round(1e6 / r.cpuMicros)} pods/s per core`;
  console.log(line);
  console.log(`\n${machine}. The scheduling cycle only (queue, PreFilter..Reserve, assume, the informer's confirmation as a JSON copy); no HTTP, no API server.`);
  await mkdir(dirname(JSON_PATH), { recursive: true });
  await writeFile(JSON_PATH, JSON.stringify({ date: new Date().toISOString(), machine, workload: WORKLOAD, mode: MODE, nodes: NODES, initPods: INIT_PODS, pods: PODS, cpuMicrosPerPod: r.cpuMicros, wallMicrosPerPod: r.wallMicros }, null, 2));
  console.log(`wrote ${JSON_PATH}`);
  process.exit(0);
}

const server = await startServer();
const config = { server: server.conn.url, caPem: server.conn.ca, token: server.conn.token };
const client = new Client(config, { qps: Infinity, userAgent: "bench-scheduler" });
const schedulerClient = new Client(config, { qps: Number(args.qps), burst: Number(args.qps), userAgent: "k8ts-scheduler" });
for (const ns of [initNs, measureNs]) await client.create(resources.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });

progress(`creating ${NODES} nodes over ${ZONES} zones`);
let t = now();
await createMany(NODES, (i) => benchNode(i, ZONES), (n) => client.create(resources.nodes, n));
const nodesMs = now() - t;
progress(`nodes created in ${(nodesMs / 1000).toFixed(1)} s`);

const load = new LoadWorker(server.conn);
await load.ready;
const keys = (ps: Pod[]) => ps.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`);
const maxInflightBindings = args["max-inflight"] === undefined ? undefined : Number(args["max-inflight"]);
const start = () => startScheduler({ client: schedulerClient, log: silentLogger, leaderElect: false, maxInflightBindings });

let scheduler: SchedulerServer | undefined;
let initBound: Bound | undefined;
if (INIT_PODS > 0) {
  progress(`scheduling ${INIT_PODS} init pods (${initKind}, not measured)`);
  scheduler = await start();
  const c = await load.create(initPods, PARALLEL);
  if (c.errors) throw new Error(`init pods: ${c.errors} creates failed: ${c.firstError}`);
  initBound = await load.awaitBound(keys(initPods), TIMEOUT_MS);
  if (initBound.missing) throw new Error(`init pods: ${initBound.missing} not bound within the timeout`);
  progress(`init pods bound in ${((Math.max(...initBound.bound) - Math.min(...initBound.sent)) / 1000).toFixed(1)} s`);
}
if (MODE === "precreate") {
  await scheduler?.stop();
  scheduler = undefined;
  progress(`creating ${PODS} pods with no scheduler running`);
  const c = await load.create(measured, PARALLEL);
  if (c.errors) throw new Error(`${c.errors} creates failed: ${c.firstError}`);
  progress(`created in ${(c.ms / 1000).toFixed(1)} s (${Math.round(PODS / (c.ms / 1000))}/s)`);
} else if (!scheduler) {
  scheduler = await start();
  await new Promise((r) => setTimeout(r, 2000)); // let it sync its caches before the clock starts
}
// The measured phase counts only its own pods in the scheduler's metrics.
for (const m of [scheduler?.metrics.podSchedulingDuration, scheduler?.metrics.attempts, scheduler?.metrics.attemptDuration]) m?.reset();

// The measured phase.
const session = PROFILE_DIR ? new Session() : undefined;
if (session && PROFILE_DIR) {
  await mkdir(PROFILE_DIR, { recursive: true });
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  server.signal("SIGUSR2");
}
const cpu0 = { bench: cpuSeconds(process.pid), apiserver: cpuSeconds(server.pid) };
const phaseStart = now();
let createMs = NaN;
if (MODE === "precreate") {
  scheduler = await start();
} else {
  progress(`creating ${PODS} pods (${PARALLEL} in flight) while the scheduler runs`);
  void load.create(measured, PARALLEL).then((c) => {
    createMs = c.ms;
    if (c.errors) progress(`${c.errors} creates failed: ${c.firstError}`);
  });
}
const result = await load.awaitBound(keys(measured), TIMEOUT_MS);
const phaseEnd = now();
const cpu = { bench: cpuSeconds(process.pid) - cpu0.bench, apiserver: cpuSeconds(server.pid) - cpu0.apiserver };
if (session && PROFILE_DIR) {
  const { profile } = await session.post("Profiler.stop");
  await writeFile(join(PROFILE_DIR, `scheduler-${WORKLOAD}-${MODE}.cpuprofile`), JSON.stringify(profile));
  session.disconnect();
  const file = join(PROFILE_DIR, `apiserver-${WORKLOAD}-${MODE}.cpuprofile`);
  server.signal("SIGUSR2");
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  progress(`profiles in ${PROFILE_DIR}`);
}

// Figures.
const boundTimes = result.bound.filter((b) => !Number.isNaN(b));
const firstBound = Math.min(...boundTimes);
const lastBound = Math.max(...boundTimes);
const latencies = result.bound.map((b, i) => b - result.sent[i]!).filter((l) => !Number.isNaN(l)).sort((a, b) => a - b);
const samples = throughputSamples(boundTimes, MODE === "precreate" ? firstBound : phaseStart);
const sortedSamples = [...samples].sort((a, b) => a - b);
// The watch can see a binding before the scheduler has its response: give the last ones a moment.
for (let i = 0; i < 50 && scheduler && (await histogramQuantiles(scheduler.metrics.podSchedulingDuration, [])).count < PODS - result.missing; i++) await new Promise((r) => setTimeout(r, 100));
const none = { count: 0, q: [NaN, NaN], beyond: [false, false] };
const sli = scheduler ? await histogramQuantiles(scheduler.metrics.podSchedulingDuration, [0.5, 0.99]) : none;
// From the start of a pod's cycle to its binding's answer: the algorithm plus the binding's latency.
const attemptTimes = scheduler ? await histogramQuantiles(scheduler.metrics.attemptDuration as unknown as Histogram, [0.5, 0.99], { result: "scheduled" }) : none;
const attempts = scheduler ? (await scheduler.metrics.attempts.get()).values.map((v) => `${v.labels.result}=${v.value}`).join(" ") : "";

// Correctness of the placement the workload asks for.
let check = "ok";
if (WORKLOAD === "anti-affinity") {
  const all = [...(initBound?.nodes ?? []), ...result.nodes].filter(Boolean);
  const distinct = new Set(all).size;
  if (distinct !== all.length) check = `FAILED: ${all.length - distinct} pods share a node`;
} else if (WORKLOAD === "topology-spread") {
  const perZone = new Map<string, number>();
  for (const n of result.nodes.filter(Boolean)) {
    const zone = zoneOf(Number(n.slice("node-".length)), ZONES);
    perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
  }
  const counts = [...perZone.values()];
  const skew = Math.max(...counts) - Math.min(...counts);
  check = `${skew <= 1 && perZone.size === Math.min(ZONES, NODES) ? "ok" : "FAILED"}: zone skew ${skew} over ${perZone.size} zones`;
}

await scheduler?.stop();
const events = (await client.list<{ reason?: string; metadata?: object }>(resources.events, { namespace: measureNs })).items.filter((e) => e.reason === "Scheduled").length;
await load.stop();
client.close();
schedulerClient.close();
await server.stop();

const f1 = (n: number) => n.toFixed(1);
const podsPerSec = result.bound.length / ((lastBound - (MODE === "precreate" ? firstBound : phaseStart)) / 1000);
const rows: [string, string][] = [
  ["workload", `${WORKLOAD}: ${NODES} nodes (${ZONES} zones), ${INIT_PODS} init pods, ${PODS} measured pods, mode ${MODE}`],
  ["pods/s (measured pods / phase)", `${Math.round(podsPerSec)}${result.missing ? ` (${result.missing} never bound)` : ""}`],
  ["pods/s per 1 s sample: avg / p50 / p90 / min", samples.length === 0 ? "— (phase shorter than 2 s)" : `${Math.round(samples.reduce((a, b) => a + b, 0) / samples.length)} / ${percentile(sortedSamples, 50)} / ${percentile(sortedSamples, 90)} / ${sortedSamples[0]}`],
  ["create → bound observed: p50 / p99 / max ms", `${f1(percentile(latencies, 50))} / ${f1(percentile(latencies, 99))} / ${f1(latencies.at(-1) ?? NaN)}`],
  ["scheduler_pod_scheduling_sli_duration_seconds p50 / p99 ms", `${sli.q.map((v, i) => `${sli.beyond[i] ? "≥ " : ""}${f1(v * 1000)}`).join(" / ")} (${sli.count} pods)`],
  ["scheduler_scheduling_attempt_duration_seconds{scheduled} p50 / p99 ms", `${attemptTimes.q.map((v, i) => `${attemptTimes.beyond[i] ? "≥ " : ""}${f1(v * 1000)}`).join(" / ")}; max bindings in flight ${maxInflightBindings ?? 128}`],
  ["phase: first bound after / last bound after (s)", `${f1((firstBound - phaseStart) / 1000)} / ${f1((lastBound - phaseStart) / 1000)}${Number.isNaN(createMs) ? "" : `; creates took ${f1(createMs / 1000)} s`}`],
  ["CPU s in the phase: bench (scheduler + load worker) / API server", `${f1(cpu.bench)} / ${f1(cpu.apiserver)}`],
  ["scheduling attempts; Scheduled events written", `${attempts}; ${events}`],
  ["placement check", check],
];
const width = Math.max(...rows.map(([k]) => k.length));
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
console.log(`\n${machine}. API server (embedded store) in its own process; scheduler in this one; pod creates and the bound-watch in a worker thread.`);
console.log(MODE === "precreate"
  ? "precreate: every measured pod existed before the scheduler started; pods/s from the first binding to the last (the scheduler's informer sync excluded); create → bound includes the wait before the scheduler started."
  : "concurrent: measured pods created while the scheduler runs; pods/s from the first create to the last binding observed.");

await mkdir(dirname(JSON_PATH), { recursive: true });
await writeFile(JSON_PATH, JSON.stringify({
  date: new Date().toISOString(), machine, workload: WORKLOAD, mode: MODE, nodes: NODES, zones: ZONES, initPods: INIT_PODS, pods: PODS, parallel: PARALLEL, schedulerQps: Number(args.qps),
  podsPerSec, samples, latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) },
  sliSeconds: { p50: sli.q[0], p99: sli.q[1], count: sli.count }, attemptSeconds: { p50: attemptTimes.q[0], p99: attemptTimes.q[1] }, maxInflightBindings: maxInflightBindings ?? 128, firstBoundS: (firstBound - phaseStart) / 1000, lastBoundS: (lastBound - phaseStart) / 1000,
  createMs, cpuSeconds: cpu, attempts, scheduledEvents: events, check, missing: result.missing, nodesCreateMs: nodesMs,
}, null, 2));
console.log(`wrote ${JSON_PATH}`);
if (result.missing || check.startsWith("FAILED")) process.exitCode = 1;
