// Store benchmark: durable put throughput and latency at 1/16/256 concurrent writers, a range of
// 10,000 keys, and watch fan-out (one write seen by 1,000 watchers), for the embedded SQLite store
// and a real single-member etcd on this machine, side by side. Prints a table, writes JSON.
// Usage: npm run bench:store [-- --seconds 3 --json bench/results/store.json]
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir, cpus } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import type { Store } from "../src/storage/interface.ts";
import { openSqliteStore } from "../src/storage/sqlite/index.ts";
import { openEtcdStore } from "../src/storage/etcd/index.ts";
import { startEtcd } from "../src/testing/etcd-cluster.ts";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    json: { type: "string", default: "bench/results/store.json" },
    only: { type: "string" },
  },
});
const SECONDS = Number(args.seconds);
const VALUE = JSON.stringify({ kind: "Pod", padding: "x".repeat(1000) });
const WRITERS = [1, 16, 256];
const RANGE_KEYS = 10_000;
const WATCHERS = 1000;

interface Backend {
  name: string;
  open(): Promise<{ store: Store; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: "embedded (sqlite)",
    async open() {
      const dir = await mkdtemp(join(tmpdir(), "k8ts-bench-"));
      const store = await openSqliteStore({ path: join(dir, "state.db") });
      return { store, close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: "etcd 1 member",
    async open() {
      const cluster = await startEtcd();
      const store = await openEtcdStore({ endpoints: cluster.endpoints });
      return { store, close: async () => { await store.close(); await cluster.stop(); } };
    },
  },
].filter((b) => !args.only || b.name.startsWith(args.only));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function progress(msg: string): void {
  process.stderr.write(`  … ${msg}\n`);
}

interface PutResult { writers: number; opsPerSec: number; p50ms: number; p99ms: number; loopDelayMaxMs: number }

async function puts(store: Store, writers: number, prefix: string): Promise<PutResult> {
  const latencies: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const deadline = performance.now() + SECONDS * 1000;
  let n = 0;
  loop.enable();
  const start = performance.now();
  await Promise.all(Array.from({ length: writers }, async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      await store.create(`${prefix}${n++}`, VALUE);
      latencies.push(performance.now() - t);
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  loop.disable();
  latencies.sort((a, b) => a - b);
  return { writers, opsPerSec: latencies.length / elapsed, p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99), loopDelayMaxMs: loop.max / 1e6 };
}

async function range(store: Store): Promise<{ keys: number; p50ms: number; maxms: number; loopDelayMaxMs: number }> {
  const prefix = "/bench/range/";
  for (let i = 0; i < RANGE_KEYS; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, j) => store.create(`${prefix}${String(i + j).padStart(6, "0")}`, VALUE)));
  }
  const times: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const { kvs } = await store.range(prefix);
    times.push(performance.now() - t);
    if (kvs.length !== RANGE_KEYS) throw new Error(`range returned ${kvs.length} keys`);
  }
  loop.disable();
  times.sort((a, b) => a - b);
  return { keys: RANGE_KEYS, p50ms: percentile(times, 50), maxms: times[times.length - 1]!, loopDelayMaxMs: loop.max / 1e6 };
}

async function fanOut(store: Store): Promise<{ watchers: number; p50ms: number; maxms: number }> {
  const prefix = "/bench/fan/";
  const watches = Array.from({ length: WATCHERS }, () => store.watch(prefix));
  const iterators = watches.map((w) => w[Symbol.asyncIterator]());
  // A first write makes sure every watch is established before timing.
  await store.create(`${prefix}warmup`, "x");
  await Promise.all(iterators.map((it) => it.next()));
  const lastDelivery: number[] = [];
  const medianDelivery: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    const arrivals: number[] = [];
    const seen = Promise.all(iterators.map((it) => it.next().then(() => arrivals.push(performance.now() - t))));
    await store.create(`${prefix}k${round}`, VALUE);
    await seen;
    arrivals.sort((a, b) => a - b);
    medianDelivery.push(percentile(arrivals, 50));
    lastDelivery.push(arrivals[arrivals.length - 1]!);
  }
  for (const w of watches) w.cancel();
  medianDelivery.sort((a, b) => a - b);
  lastDelivery.sort((a, b) => a - b);
  return { watchers: WATCHERS, p50ms: percentile(medianDelivery, 50), maxms: percentile(lastDelivery, 50) };
}

const results: Record<string, { puts: PutResult[]; range: Awaited<ReturnType<typeof range>>; fanOut: Awaited<ReturnType<typeof fanOut>> }> = {};
for (const backend of backends) {
  process.stderr.write(`${backend.name}\n`);
  const { store, close } = await backend.open();
  try {
    const putResults: PutResult[] = [];
    for (const w of WRITERS) {
      progress(`puts with ${w} writers for ${SECONDS}s`);
      putResults.push(await puts(store, w, `/bench/put/${w}/`));
    }
    progress(`range of ${RANGE_KEYS} keys`);
    const r = await range(store);
    progress(`watch fan-out to ${WATCHERS} watchers`);
    const f = await fanOut(store);
    results[backend.name] = { puts: putResults, range: r, fanOut: f };
  } finally {
    await close();
  }
}

const f1 = (n: number) => n.toFixed(1);
const f0 = (n: number) => Math.round(n).toLocaleString("en-US");
const rows: string[][] = [["measure", ...Object.keys(results)]];
for (const [i, w] of WRITERS.entries()) {
  rows.push([`put ${w} writer${w > 1 ? "s" : ""}: ops/s`, ...Object.values(results).map((r) => f0(r.puts[i]!.opsPerSec))]);
  rows.push([`put ${w} writer${w > 1 ? "s" : ""}: p50 / p99 ms`, ...Object.values(results).map((r) => `${f1(r.puts[i]!.p50ms)} / ${f1(r.puts[i]!.p99ms)}`)]);
  rows.push([`put ${w} writer${w > 1 ? "s" : ""}: max event-loop delay ms`, ...Object.values(results).map((r) => f1(r.puts[i]!.loopDelayMaxMs))]);
}
rows.push([`range ${RANGE_KEYS} keys: p50 / max ms`, ...Object.values(results).map((r) => `${f1(r.range.p50ms)} / ${f1(r.range.maxms)}`)]);
rows.push([`range ${RANGE_KEYS} keys: max event-loop delay ms`, ...Object.values(results).map((r) => f1(r.range.loopDelayMaxMs))]);
rows.push([`watch fan-out ${WATCHERS}: median / last delivery ms`, ...Object.values(results).map((r) => `${f1(r.fanOut.p50ms)} / ${f1(r.fanOut.maxms)}`)]);
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
console.log(line(rows[0]!));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows.slice(1)) console.log(line(r));
console.log(`\n${cpus().length} cores (${cpus()[0]?.model}), ${SECONDS}s per put run, ${VALUE.length}-byte values, node ${process.version}`);

await mkdir(dirname(args.json!), { recursive: true });
await writeFile(args.json!, JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, valueBytes: VALUE.length, results }, null, 2));
console.log(`wrote ${args.json}`);
