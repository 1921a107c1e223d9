// SharedInformer against a fake list/watch source: initial paged list, watch events, bookmarks,
// re-watch after a dropped watch, relist with tombstones after 410, indexes, resync, frozen cache.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../apimachinery/object.ts";
import { StatusError } from "../apimachinery/status.ts";
import { silentLogger } from "../util/log.ts";
import { FakeClock } from "./clock.ts";
import { DeletedFinalStateUnknown, SharedInformer } from "./informer.ts";
import type { EventHandlers, ListerWatcher, SharedInformerOptions } from "./informer.ts";
import type { ObjectList } from "./resources.ts";
import { indexFuncs } from "./store.ts";
import type { WatchEvent, WatchEventType } from "./watch.ts";

/** An in-memory resource with a revision counter, a bounded event history and controllable watches. */
class FakeSource implements ListerWatcher<KubeObject> {
  rev = 100;
  oldest = 100;
  readonly objects = new Map<string, KubeObject>();
  readonly history: WatchEvent<KubeObject>[] = [];
  readonly watchCalls: { resourceVersion: string; timeoutSeconds: number; allowWatchBookmarks: boolean }[] = [];
  listCalls = 0;
  private readonly open = new Set<{ push(e: WatchEvent<KubeObject>): void; end(err?: Error): void }>();
  /** While set, new watches wait for it before they start. */
  gate: Promise<void> | null = null;

  apply(type: WatchEventType, name: string, data: Record<string, string> = {}, extra: Partial<KubeObject["metadata"]> = {}): KubeObject {
    const rv = String(++this.rev);
    const key = `ns/${name}`;
    const obj: KubeObject = type === "DELETED"
      ? { ...this.objects.get(key)!, metadata: { ...this.objects.get(key)!.metadata, resourceVersion: rv } }
      : { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns", resourceVersion: rv, ...extra }, data };
    if (type === "DELETED") this.objects.delete(key);
    else this.objects.set(key, obj);
    const ev = { type, object: structuredClone(obj) };
    this.history.push(ev);
    for (const w of this.open) w.push(structuredClone(ev));
    return obj;
  }

  bookmark(): void {
    for (const w of this.open) w.push({ type: "BOOKMARK", object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: String(this.rev) } } });
  }

  /** Forgets history: watches from before now get 410. */
  compact(): void {
    this.oldest = this.rev;
    this.history.length = 0;
  }

  /** Ends every open watch (cleanly, or with an error). */
  endWatches(err?: Error): void {
    for (const w of [...this.open]) w.end(err);
  }

  get openWatches(): number {
    return this.open.size;
  }

  async list({ limit, continue: cont }: { limit: number; continue?: string; signal: AbortSignal }): Promise<ObjectList<KubeObject>> {
    this.listCalls++;
    const keys = [...this.objects.keys()].sort().filter((k) => !cont || k > cont);
    const page = limit > 0 ? keys.slice(0, limit) : keys;
    const more = limit > 0 && keys.length > limit;
    return { metadata: { resourceVersion: String(this.rev), ...(more ? { continue: page[page.length - 1] } : {}) }, items: page.map((k) => structuredClone(this.objects.get(k)!)) };
  }

  watch(opts: { resourceVersion: string; allowWatchBookmarks: boolean; timeoutSeconds: number; signal: AbortSignal }): AsyncIterable<WatchEvent<KubeObject>> {
    this.watchCalls.push({ resourceVersion: opts.resourceVersion, timeoutSeconds: opts.timeoutSeconds, allowWatchBookmarks: opts.allowWatchBookmarks });
    const self = this;
    return (async function* () {
      if (self.gate) await self.gate;
      const from = Number(opts.resourceVersion);
      if (from < self.oldest) throw new StatusError(410, "Expired", `too old resource version: ${from} (${self.oldest})`);
      const queue: WatchEvent<KubeObject>[] = self.history.filter((e) => Number(e.object.metadata?.resourceVersion) > from).map((e) => structuredClone(e));
      let ended = false;
      let error: Error | undefined;
      let wake = () => {};
      const w = { push: (e: WatchEvent<KubeObject>) => { queue.push(e); wake(); }, end: (err?: Error) => { ended = true; error = err; wake(); } };
      self.open.add(w);
      opts.signal.addEventListener("abort", () => w.end(), { once: true });
      try {
        for (;;) {
          while (queue.length) yield queue.shift()!;
          if (ended) {
            if (error) throw error;
            return;
          }
          await new Promise<void>((r) => (wake = r));
        }
      } finally {
        self.open.delete(w);
      }
    })();
  }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function recorder(): { log: string[]; handlers: EventHandlers<KubeObject> } {
  const log: string[] = [];
  return {
    log,
    handlers: {
      onAdd: (o, initial) => log.push(`add ${o.metadata?.name}${initial ? " (initial)" : ""}`),
      onUpdate: (a, b) => log.push(`update ${b.metadata?.name} ${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
      onDelete: (o) => log.push(o instanceof DeletedFinalStateUnknown ? `tombstone ${o.key}` : `delete ${o.metadata?.name}`),
    },
  };
}

const quick: SharedInformerOptions<KubeObject> = { log: silentLogger, backoff: { initialMs: 1, maxMs: 5 }, freezeObjects: true };

describe("SharedInformer", () => {
  it("lists in pages, delivers the initial list as adds, then follows the watch", async () => {
    const src = new FakeSource();
    for (const n of ["a", "b", "c", "d", "e"]) src.apply("ADDED", n);
    const inf = new SharedInformer(src, { ...quick, pageSize: 2 });
    const r = recorder();
    const reg = inf.addEventHandler(r.handlers);
    inf.start();
    assert.equal(await inf.waitForSync(), true);
    assert.equal(reg.hasSynced(), true);
    assert.equal(src.listCalls, 3, "5 objects in pages of 2");
    assert.deepEqual(r.log, ["a", "b", "c", "d", "e"].map((n) => `add ${n} (initial)`));
    assert.equal(inf.lastSyncResourceVersion, "105");
    await waitFor(() => src.openWatches === 1, "the watch");
    assert.equal(src.watchCalls[0]!.resourceVersion, "105");
    assert.equal(src.watchCalls[0]!.allowWatchBookmarks, true);
    const t = src.watchCalls[0]!.timeoutSeconds;
    assert.ok(t >= 300 && t < 600, `watch timeout ${t} s is randomised in [300, 600)`);
    r.log.length = 0;
    src.apply("ADDED", "f");
    src.apply("MODIFIED", "a", { v: "2" });
    src.apply("DELETED", "b");
    await waitFor(() => r.log.length === 3, "three events");
    assert.deepEqual(r.log, ["add f", "update a 101->107", "delete b"]);
    assert.deepEqual(inf.list().map((o) => o.metadata?.name).sort(), ["a", "c", "d", "e", "f"]);
    assert.deepEqual(inf.get("ns/a")?.data, { v: "2" });
    assert.equal(inf.lastSyncResourceVersion, "108");
    await inf.stop();
    assert.equal(src.openWatches, 0);
  });

  it("tracks bookmarks and re-watches from the last resourceVersion after the watch ends or breaks", async () => {
    const src = new FakeSource();
    src.apply("ADDED", "a");
    const inf = new SharedInformer(src, quick);
    inf.start();
    await inf.waitForSync();
    await waitFor(() => src.openWatches === 1, "the watch");
    src.rev = 150; // other resources moved the revision on
    src.bookmark();
    await waitFor(() => inf.stats.bookmarks === 1, "the bookmark");
    assert.equal(inf.lastSyncResourceVersion, "150");
    src.endWatches();
    await waitFor(() => src.watchCalls.length === 2 && src.openWatches === 1, "a new watch after a clean end");
    assert.equal(src.watchCalls[1]!.resourceVersion, "150");
    src.apply("MODIFIED", "a", { v: "x" });
    await waitFor(() => inf.lastSyncResourceVersion === "151", "the update");
    src.endWatches(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    await waitFor(() => src.watchCalls.length === 3 && src.openWatches === 1, "a new watch after an error");
    assert.equal(src.watchCalls[2]!.resourceVersion, "151");
    assert.equal(src.listCalls, 1, "no relist for a dropped watch");
    await inf.stop();
  });

  it("relists after 410 and delivers the difference, with tombstones for deletes it never saw", async () => {
    const src = new FakeSource();
    for (const n of ["keep", "change", "gone1", "gone2"]) src.apply("ADDED", n);
    const inf = new SharedInformer(src, quick);
    const r = recorder();
    inf.addEventHandler(r.handlers);
    inf.start();
    await inf.waitForSync();
    await waitFor(() => src.openWatches === 1, "the watch");
    r.log.length = 0;
    // Drop the watch and hold the next one while changes happen and history is compacted.
    let release = () => {};
    src.gate = new Promise((res) => (release = res));
    src.endWatches();
    await waitFor(() => src.watchCalls.length === 2, "the re-watch attempt");
    src.apply("MODIFIED", "change", { v: "2" });
    src.apply("DELETED", "gone1");
    src.apply("DELETED", "gone2");
    src.apply("ADDED", "new");
    src.compact();
    src.gate = null;
    release();
    await waitFor(() => inf.stats.relistsAfterGone === 1 && r.log.length === 4, "relist diff");
    assert.deepEqual(r.log.sort(), ["add new", "tombstone ns/gone1", "tombstone ns/gone2", "update change 102->105"]);
    assert.deepEqual(inf.list().map((o) => o.metadata?.name).sort(), ["change", "keep", "new"]);
    await waitFor(() => src.openWatches === 1, "watching again");
    assert.equal(src.watchCalls.at(-1)!.resourceVersion, "108");
    await inf.stop();
  });

  it("backs off between failed re-watches on the injected clock", async () => {
    const clock = new FakeClock();
    const src = new FakeSource();
    const inf = new SharedInformer(src, { log: silentLogger, clock, random: () => 0, backoff: { initialMs: 800, maxMs: 30_000 } });
    inf.start();
    await inf.waitForSync();
    await waitFor(() => src.openWatches === 1, "the watch");
    let fail = true;
    const broken = src.watch.bind(src);
    src.watch = (o) => {
      if (!fail) return broken(o);
      src.watchCalls.push({ resourceVersion: o.resourceVersion, timeoutSeconds: o.timeoutSeconds, allowWatchBookmarks: o.allowWatchBookmarks });
      return (async function* () {
        throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      })();
    };
    src.endWatches(new Error("boom"));
    await waitFor(() => clock.pending === 1, "the back-off timer");
    // Delays 800, 1600, 3200 ms (random() = 0 → no jitter): nothing happens before each is due.
    for (const delay of [800, 1600, 3200]) {
      const calls = src.watchCalls.length;
      await clock.tick(delay - 10);
      assert.equal(src.watchCalls.length, calls, `no retry before ${delay} ms`);
      await clock.tick(10);
      await waitFor(() => src.watchCalls.length === calls + 1, `retry after ${delay} ms`);
    }
    fail = false;
    await clock.tick(6400);
    await waitFor(() => src.openWatches === 1, "watching again");
    const stopped = inf.stop();
    await clock.tick(10);
    await stopped;
  });

  it("keeps declared indexes current", async () => {
    const src = new FakeSource();
    src.apply("ADDED", "p1", {}, { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u1", controller: true }] });
    src.apply("ADDED", "p2", {}, { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u1" }] });
    const inf = new SharedInformer(src, { ...quick, indexers: { namespace: indexFuncs.namespace } });
    inf.addIndexers({ owner: indexFuncs.ownerUid, controller: indexFuncs.controllerUid });
    inf.start();
    await inf.waitForSync();
    assert.deepEqual(inf.byIndex("owner", "u1").map((o) => o.metadata?.name).sort(), ["p1", "p2"]);
    assert.deepEqual(inf.byIndex("controller", "u1").map((o) => o.metadata?.name), ["p1"]);
    assert.equal(inf.byIndex("namespace", "ns").length, 2);
    await waitFor(() => src.openWatches === 1, "the watch");
    src.apply("MODIFIED", "p2", {}, { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs2", uid: "u2" }] });
    src.apply("DELETED", "p1");
    await waitFor(() => inf.lastSyncResourceVersion === "104", "the changes");
    assert.deepEqual(inf.byIndex("owner", "u1"), []);
    assert.deepEqual(inf.byIndex("owner", "u2").map((o) => o.metadata?.name), ["p2"]);
    assert.throws(() => inf.byIndex("nope", "x"), /does not exist/);
    await inf.stop();
  });

  it("resyncs periodically, catches up late handlers, and freezes cached objects", async () => {
    const clock = new FakeClock();
    const src = new FakeSource();
    src.apply("ADDED", "a");
    const inf = new SharedInformer(src, { ...quick, clock, resyncPeriodMs: 60_000 });
    const r = recorder();
    inf.addEventHandler(r.handlers);
    inf.addEventHandler({ onAdd: (o) => void ((o.metadata as { name?: string }).name = "mutated") });
    inf.start();
    await inf.waitForSync();
    assert.equal(inf.get("ns/a")?.metadata?.name, "a", "the mutating handler threw (frozen) and the cache is intact");
    assert.ok(Object.isFrozen(inf.get("ns/a")!.metadata));
    await clock.tick(60_000, 1000);
    assert.deepEqual(r.log, ["add a (initial)", "update a 101->101"]);
    const late = recorder();
    const reg = inf.addEventHandler(late.handlers);
    assert.deepEqual(late.log, ["add a (initial)"]);
    assert.equal(reg.hasSynced(), true);
    reg.remove();
    await clock.tick(60_000, 1000);
    assert.equal(late.log.length, 1, "removed handlers get nothing");
    const stopped = inf.stop();
    await clock.tick(10);
    await stopped;
  });

  it("waitForSync resolves false when stopped before syncing", async () => {
    const src = new FakeSource();
    src.list = ({ signal }) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
    const inf = new SharedInformer(src, quick);
    inf.start();
    const waiting = inf.waitForSync();
    void inf.stop();
    assert.equal(await waiting, false);
  });
});
