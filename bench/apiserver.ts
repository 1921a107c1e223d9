// API server benchmark, for the embedded store and a single-member etcd side by side: create, get,
// list (100 objects) and update of ~1 KiB ConfigMaps at 1, 16 and 128 concurrent clients; LIST of
// 10,000 ConfigMaps from the watch cache (JSON and Table, resourceVersion=0 and consistent); one
// update delivered to 1,000 HTTP watchers. The server runs in a process of its own; the load comes
// from autocannon in this one (both share the machine's cores). Prints a table, writes JSON, and
// shows progress on stderr.
// Usage: npm run bench:apiserver [-- --seconds 3 --only sqlite|etcd --json bench/results/apiserver.json]
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import type https from "node:https";
import { agentFor, load, ok, openWatch, percentile, request, startServer } from "./apiserver-load.ts";
import type { Conn, LoadResult, LoadSpec, Watcher } from "./apiserver-load.ts";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    json: { type: "string", default: "bench/results/apiserver.json" },
    only: { type: "string" },
  },
});
const SECONDS = Number(args.seconds);
const CLIENTS = [1, 16, 128];
const UPDATE_OBJECTS = 1000;
const LIST_OBJECTS = 10_000;
const LIST_RUNS = 10;
const WATCHERS = 1000;
const WATCH_ROUNDS = 5;
const PADDING = "x".repeat(900);
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";
const BACKENDS = (["sqlite", "etcd"] as const).filter((b) => !args.only || b === args.only);
const NAMES: Record<(typeof BACKENDS)[number], string> = { sqlite: "embedded (sqlite)", etcd: "etcd 1 member" };

const LOAD_BEFORE = loadavg();
const progress = (msg: string) => process.stderr.write(`  … ${msg}\n`);

/** A ~1 KiB ConfigMap. */
const configMap = (name: string, n = 0) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels: { app: "bench", tier: "load" } }, data: { n: String(n), padding: PADDING } });

type Op = "create" | "get" | "list" | "update";
const OPS: Op[] = ["create", "get", "list", "update"];

function spec(op: Op, run: string): LoadSpec {
  let n = 0;
  switch (op) {
    case "create":
      return { method: "POST", next: () => ({ path: "/api/v1/namespaces/bench-create/configmaps", body: JSON.stringify(configMap(`c-${run}-${n++}`)) }) };
    case "get":
      return { method: "GET", next: () => ({ path: `/api/v1/namespaces/bench-list/configmaps/l-${String(n++ % 100).padStart(3, "0")}` }) };
    case "list":
      return { method: "GET", next: () => ({ path: "/api/v1/namespaces/bench-list/configmaps" }) };
    case "update": {
      // Unconditional PUTs (no resourceVersion) with new data each time, spread over enough
      // objects that two clients rarely write the same one at once (a conflict is retried).
      return { method: "PUT", next: () => {
        const name = `u-${n % UPDATE_OBJECTS}`;
        return { path: `/api/v1/namespaces/bench-update/configmaps/${name}`, body: JSON.stringify(configMap(name, n++)) };
      } };
    }
  }
}

/** Creates `count` objects with `name(i)` in `namespace`, `parallel` at a time. */
async function createMany(conn: Conn, agent: https.Agent, namespace: string, count: number, name: (i: number) => string, parallel = 64): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) {
      const i = next++;
      await ok(conn, agent, "POST", `/api/v1/namespaces/${namespace}/configmaps`, configMap(name(i)));
    }
  }));
}

interface ListResult { variant: string; p50ms: number; maxms: number; bytes: number; items: number }

async function listRuns(conn: Conn, agent: https.Agent): Promise<ListResult[]> {
  const out: ListResult[] = [];
  const variants = [
    { variant: "JSON, resourceVersion=0", query: "?resourceVersion=0", accept: "application/json" },
    { variant: "JSON, consistent", query: "", accept: "application/json" },
    { variant: "Table, resourceVersion=0", query: "?resourceVersion=0", accept: TABLE },
    { variant: "Table, consistent", query: "", accept: TABLE },
  ];
  // Untimed: the cache has caught up with the creates (a consistent read waits for it), code is warm.
  await ok(conn, agent, "GET", "/api/v1/namespaces/bench-big/configmaps");
  for (const v of variants) {
    const times: number[] = [];
    let bytes = 0;
    let items = 0;
    for (let i = 0; i < LIST_RUNS; i++) {
      const r = await request(conn, agent, "GET", `/api/v1/namespaces/bench-big/configmaps${v.query}`, undefined, { accept: v.accept });
      if (r.status !== 200) throw new Error(`LIST ${v.variant} → ${r.status}: ${r.body.toString().slice(0, 200)}`);
      times.push(r.ms);
      if (i === 0) {
        bytes = r.body.length;
        const parsed = JSON.parse(r.body.toString()) as { items?: unknown[]; rows?: unknown[] };
        items = (parsed.items ?? parsed.rows ?? []).length;
        if (items !== LIST_OBJECTS) throw new Error(`LIST ${v.variant} returned ${items} objects, not ${LIST_OBJECTS}`);
      }
    }
    times.sort((a, b) => a - b);
    out.push({ variant: v.variant, p50ms: percentile(times, 50), maxms: times[times.length - 1]!, bytes, items });
  }
  return out;
}

interface WatchResult { watchers: number; rounds: number; p50ms: number; p99ms: number; maxms: number; missed: number; connectSeconds: number }

/** 1,000 watchers from one resourceVersion; each round one update; latency from the write's response to each arrival. */
async function watchFanOut(conn: Conn, agent: https.Agent): Promise<WatchResult> {
  const path = "/api/v1/namespaces/bench-watch/configmaps";
  await ok(conn, agent, "POST", path, configMap("w"));
  const rv = (JSON.parse((await ok(conn, agent, "GET", path)).body.toString()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const watchAgent = agentFor(conn, Infinity);
  const watchers: Watcher[] = [];
  const connectStart = performance.now();
  try {
    for (let i = 0; i < WATCHERS; i += 100) {
      watchers.push(...(await Promise.all(Array.from({ length: Math.min(100, WATCHERS - i) }, () => openWatch(conn, watchAgent, `${path}?watch=1&resourceVersion=${rv}`)))));
    }
    const connectSeconds = (performance.now() - connectStart) / 1000;
    const write = (round: number) => ok(conn, agent, "PATCH", `${path}/w`, { data: { round: String(round) } });
    const waitForAll = async (rv: string, deadline: number) => {
      while (performance.now() < deadline && watchers.some((w) => !w.arrivals.has(rv))) await new Promise((r) => setTimeout(r, 5));
    };
    // A first update makes sure every watch is attached on the server before timing.
    const warm = await write(0);
    await waitForAll((JSON.parse(warm.body.toString()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion, performance.now() + 30_000);
    const latencies: number[] = [];
    let missed = 0;
    for (let round = 1; round <= WATCH_ROUNDS; round++) {
      const reply = await write(round);
      const writtenRv = (JSON.parse(reply.body.toString()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      await waitForAll(writtenRv, performance.now() + 30_000);
      for (const w of watchers) {
        const at = w.arrivals.get(writtenRv);
        if (at === undefined) missed++;
        else latencies.push(at - reply.at);
      }
    }
    latencies.sort((a, b) => a - b);
    return { watchers: WATCHERS, rounds: WATCH_ROUNDS, p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99), maxms: latencies[latencies.length - 1] ?? NaN, missed, connectSeconds };
  } finally {
    for (const w of watchers) w.close();
    watchAgent.destroy();
  }
}

interface BackendResult {
  ops: Record<Op, LoadResult[]>;
  list: ListResult[];
  watch: WatchResult;
}

async function benchBackend(backend: (typeof BACKENDS)[number]): Promise<BackendResult> {
  process.stderr.write(`${NAMES[backend]}\n`);
  progress("starting the API server");
  const server = await startServer(backend);
  const { conn } = server;
  const agent = agentFor(conn);
  try {
    for (const ns of ["bench-create", "bench-list", "bench-update", "bench-big", "bench-watch"]) {
      await ok(conn, agent, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    }
    progress(`creating 100 objects to get and list, ${UPDATE_OBJECTS} to update`);
    await createMany(conn, agent, "bench-list", 100, (i) => `l-${String(i).padStart(3, "0")}`);
    await createMany(conn, agent, "bench-update", UPDATE_OBJECTS, (i) => `u-${i}`);
    progress("warming up (1 s of each operation at 16 clients)");
    for (const op of OPS) await load(conn, spec(op, `warm-${op}`), 16, 1);

    const ops = { create: [], get: [], list: [], update: [] } as Record<Op, LoadResult[]>;
    for (const clients of CLIENTS) {
      for (const op of OPS) {
        progress(`${op} with ${clients} client${clients > 1 ? "s" : ""} for ${SECONDS} s`);
        ops[op].push(await load(conn, spec(op, `${clients}`), clients, SECONDS));
      }
    }
    progress(`creating ${LIST_OBJECTS.toLocaleString("en-US")} objects to list (64 in parallel)`);
    const created = performance.now();
    await createMany(conn, agent, "bench-big", LIST_OBJECTS, (i) => `b-${String(i).padStart(5, "0")}`);
    progress(`created in ${((performance.now() - created) / 1000).toFixed(1)} s; LIST ×${LIST_RUNS} per variant`);
    const list = await listRuns(conn, agent);
    progress(`${WATCHERS} watchers, ${WATCH_ROUNDS} updates`);
    const watch = await watchFanOut(conn, agent);
    return { ops, list, watch };
  } finally {
    agent.destroy();
    progress("stopping");
    await server.stop();
  }
}

const results: Record<string, BackendResult> = {};
for (const backend of BACKENDS) results[NAMES[backend]] = await benchBackend(backend);

// The table: one row per measure, one column per backend, the goal beside it.
const f1 = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const f0 = (n: number) => Math.round(n).toLocaleString("en-US");
const mark = (pass: boolean) => (pass ? " ✓" : " ✗");
const errs = (r: LoadResult) => (r.errors ? ` (${r.errors} errors: ${JSON.stringify(r.codes)})` : "");
const all = Object.values(results);
const rows: string[][] = [["measure", "goal", ...Object.keys(results)]];
for (const op of OPS) {
  for (const [i, clients] of CLIENTS.entries()) {
    const goal = (op === "create" || op === "update") && clients === 128;
    rows.push([`${op} ×${clients}: req/s · p50 / p99 ms`, goal ? "p99 < 50 ms" : "", ...all.map((r) => {
      const x = r.ops[op][i]!;
      return `${f0(x.opsPerSec)}/s · ${f1(x.p50ms)} / ${f1(x.p99ms)}${goal ? mark(x.p99ms < 50) : ""}${errs(x)}`;
    })]);
  }
}
for (const [i, v] of all[0]!.list.entries()) {
  rows.push([`LIST ${LIST_OBJECTS.toLocaleString("en-US")} ${v.variant}: p50 / max ms`, "< 200 ms", ...all.map((r) => `${f1(r.list[i]!.p50ms)} / ${f1(r.list[i]!.maxms)}${mark(r.list[i]!.p50ms < 200)} (${(r.list[i]!.bytes / 1e6).toFixed(1)} MB)`)]);
}
rows.push([`watch ${WATCHERS.toLocaleString("en-US")} watchers: delivery p50 / p99 / max ms`, "", ...all.map((r) => `${f1(r.watch.p50ms)} / ${f1(r.watch.p99ms)} / ${f1(r.watch.maxms)}${r.watch.missed ? ` (${r.watch.missed} missed)` : ""}`)]);
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
console.log(line(rows[0]!));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows.slice(1)) console.log(line(r));
const machine = `${cpus().length} cores (${cpus()[0]?.model}), load average before the run ${LOAD_BEFORE.map((l) => l.toFixed(1)).join(" ")}, node ${process.version}`;
console.log(`\n${machine}; the API server (and etcd) share these cores with the load generator (autocannon, this process).`);
console.log(`${SECONDS} s per run; ~1 KiB ConfigMaps; latencies are autocannon's per-response times (2xx only); LIST and watch timings end at the client's last byte.`);
console.log(`Watch delivery: from the write's response to each watcher's receipt, ${WATCH_ROUNDS} updates × ${WATCHERS} watchers (a negative value: the event came before the write's own response).`);

await mkdir(dirname(args.json!), { recursive: true });
await writeFile(args.json!, JSON.stringify({ date: new Date().toISOString(), machine, seconds: SECONDS, loadGenerator: "autocannon", results }, null, 2));
console.log(`wrote ${args.json}`);
