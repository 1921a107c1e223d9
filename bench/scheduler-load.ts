// The load side of bench/scheduler.ts, run in a worker thread so that creating pods and watching
// them bind does not share the scheduler's event loop: one cluster-wide watch of bound pods
// (fieldSelector spec.nodeName!=, so pending pods cost the server nothing to send) records when
// each pod is first seen with spec.nodeName; `create` posts pods with a fixed number in flight and
// records when each request was sent. Times are wall-clock milliseconds (timeOrigin + now), so
// they compare across threads. The main thread talks to it with `LoadWorker` below.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Pod } from "kubernetes-types/core/v1.js";
import { Client, resources } from "../src/client/index.ts";

export interface Conn {
  url: string;
  token: string;
  ca: string;
}

type Request =
  | { id: number; op: "create"; pods: Pod[]; parallel: number }
  | { id: number; op: "await"; keys: string[]; timeoutMs: number };

export interface Created {
  ms: number;
  errors: number;
  firstError?: string;
}

export interface Bound {
  /** Per key (in the order asked): when its create was sent, when it was seen bound (NaN if never), its node. */
  sent: number[];
  bound: number[];
  nodes: string[];
  missing: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const keyOf = (ns: string | undefined, name: string | undefined) => `${ns ?? ""}/${name ?? ""}`;

/** The main thread's handle on the worker. */
export class LoadWorker {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, (v: unknown) => void>();
  readonly ready: Promise<void>;

  constructor(conn: Conn) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: conn });
    let started!: () => void;
    this.ready = new Promise((r) => (started = r));
    this.worker.on("message", (m: { id?: number; watching?: boolean; result?: unknown }) => {
      if (m.watching) return started();
      const done = this.waiting.get(m.id!);
      this.waiting.delete(m.id!);
      done?.(m.result);
    });
    this.worker.on("error", (err) => {
      process.stderr.write(`load worker failed: ${err.stack ?? String(err)}\n`);
      process.exit(1);
    });
  }

  private call<T>(req: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (v: unknown) => void);
      this.worker.postMessage({ ...req, id });
    });
  }

  /** Creates the pods, `parallel` requests in flight. */
  create(pods: Pod[], parallel: number): Promise<Created> {
    return this.call({ op: "create", pods, parallel });
  }

  /** Waits until every pod (`namespace/name`) was seen bound, or the timeout. */
  awaitBound(keys: string[], timeoutMs: number): Promise<Bound> {
    return this.call({ op: "await", keys, timeoutMs });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

async function runWorker(conn: Conn): Promise<void> {
  const port = parentPort!;
  const client = new Client({ server: conn.url, caPem: conn.ca, token: conn.token }, { qps: Infinity, userAgent: "bench-scheduler-load" });
  const sent = new Map<string, number>();
  const bound = new Map<string, { at: number; node: string }>();
  let watchError: string | undefined;

  const rv = (await client.list(resources.pods, { limit: 1 })).metadata.resourceVersion ?? "";
  void (async () => {
    let from = rv;
    for (;;) {
      try {
        for await (const ev of client.watch<Pod>(resources.pods, { resourceVersion: from, fieldSelector: "spec.nodeName!=", allowWatchBookmarks: true, timeoutSeconds: 3600 })) {
          from = ev.object.metadata?.resourceVersion ?? from;
          const node = ev.object.spec?.nodeName;
          if (ev.type === "BOOKMARK" || !node) continue;
          const key = keyOf(ev.object.metadata?.namespace, ev.object.metadata?.name);
          if (!bound.has(key)) bound.set(key, { at: now(), node });
        }
      } catch (err) {
        watchError = String(err);
      }
    }
  })();
  port.postMessage({ watching: true });

  port.on("message", (req: Request) => {
    void (async () => {
      if (req.op === "create") {
        const t0 = now();
        let next = 0;
        let errors = 0;
        let firstError: string | undefined;
        await Promise.all(Array.from({ length: req.parallel }, async () => {
          while (next < req.pods.length) {
            const pod = req.pods[next++];
            const key = keyOf(pod.metadata?.namespace, pod.metadata?.name);
            sent.set(key, now());
            try {
              await client.create(resources.pods, pod);
            } catch (err) {
              errors++;
              firstError ??= String(err);
            }
          }
        }));
        const result: Created = { ms: now() - t0, errors, firstError };
        port.postMessage({ id: req.id, result });
        return;
      }
      const deadline = now() + req.timeoutMs;
      while (now() < deadline && req.keys.some((k) => !bound.has(k))) await new Promise((r) => setTimeout(r, 50));
      const result: Bound = { sent: [], bound: [], nodes: [], missing: 0 };
      for (const k of req.keys) {
        const b = bound.get(k);
        result.sent.push(sent.get(k) ?? NaN);
        result.bound.push(b?.at ?? NaN);
        result.nodes.push(b?.node ?? "");
        if (!b) result.missing++;
      }
      if (result.missing > 0 && watchError) process.stderr.write(`  … load worker: last watch error: ${watchError}\n`);
      port.postMessage({ id: req.id, result });
    })();
  });
}

if (!isMainThread && parentPort) await runWorker(workerData as Conn);
