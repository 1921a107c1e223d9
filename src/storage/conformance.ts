// The store conformance suite: one set of node:test cases that every Store backend must pass
// unchanged (embedded SQLite and real etcd), so the two are interchangeable behind the interface.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DELETE, MAX_VALUE_BYTES } from "./interface.ts";
import type { KeyValue, Store, Watch, WatchEvent } from "./interface.ts";
import { isStoreError } from "./errors.ts";
import { Compactor } from "./compactor.ts";

export interface StoreUnderTest {
  store: Store;
  cleanup: () => Promise<void>;
}

/** Reads `count` events from a watch, failing after `timeoutMs`. */
export async function takeEvents(watch: Watch, count: number, timeoutMs = 10_000): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  if (count === 0) return events;
  const iterator = watch[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${events.length}/${count} events`)), timeoutMs);
  });
  try {
    while (events.length < count) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) throw new Error(`watch ended after ${events.length}/${count} events`);
      events.push(next.value);
    }
    return events;
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with the error the watch ends with (or null if it ends cleanly). */
export async function watchEnd(watch: Watch, timeoutMs = 10_000): Promise<unknown> {
  const drain = (async () => {
    try {
      for await (const _ of watch) { /* drain */ }
      return null;
    } catch (err) {
      return err;
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("watch did not end")), timeoutMs);
  });
  try {
    return await Promise.race([drain, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function brief(e: WatchEvent): string {
  return `${e.type} ${e.kv.key}=${e.kv.value}${e.prevKv ? ` (was ${e.prevKv.value})` : ""}`;
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Registers the conformance tests for one backend; `open` returns a fresh, empty store. */
export function runStoreConformance(backend: string, open: () => Promise<StoreUnderTest>): void {
  describe(`store conformance: ${backend}`, () => {
    let s: StoreUnderTest;
    let store: Store;
    before(async () => {
      s = await open();
      store = s.store;
    });
    after(async () => {
      await s.cleanup();
    });

    it("create, get, update and delete follow etcd's revision rules", async () => {
      const r0 = await store.currentRevision();
      const a = await store.create("/crud/a", "v1");
      assert.equal(a.modRevision, r0 + 1);
      assert.equal(a.createRevision, a.modRevision);
      assert.equal(a.version, 1);
      assert.deepEqual(await store.get("/crud/a"), a);
      const a2 = await store.update("/crud/a", "v2", a.modRevision);
      assert.equal(a2.modRevision, a.modRevision + 1);
      assert.equal(a2.createRevision, a.createRevision);
      assert.equal(a2.version, 2);
      assert.equal(a2.value, "v2");
      assert.equal(await store.currentRevision(), a2.modRevision);
      assert.equal((await store.get("/crud/a", { revision: a.modRevision }))?.value, "v1");
      const deleted = await store.delete("/crud/a", a2.modRevision);
      assert.deepEqual(deleted, a2);
      assert.equal(await store.get("/crud/a"), null);
      assert.equal(await store.currentRevision(), a2.modRevision + 1);
      const again = await store.create("/crud/a", "v3");
      assert.equal(again.version, 1, "a re-created key starts a new incarnation");
      assert.equal(again.createRevision, again.modRevision);
    });

    it("reports exists, conflict and not found as distinct errors", async () => {
      const kv = await store.create("/err/a", "x");
      await assert.rejects(store.create("/err/a", "y"), (e) => isStoreError(e, "Exists"));
      await assert.rejects(store.update("/err/a", "y", kv.modRevision - 1), (e) => isStoreError(e, "Conflict"));
      await assert.rejects(store.update("/err/missing", "y", 5), (e) => isStoreError(e, "NotFound"));
      await assert.rejects(store.delete("/err/a", kv.modRevision + 100), (e) => isStoreError(e, "Conflict"));
      await assert.rejects(store.delete("/err/missing"), (e) => isStoreError(e, "NotFound"));
      assert.equal((await store.get("/err/a"))?.value, "x", "failed writes change nothing");
    });

    it("exactly one of 50 concurrent creates of a key wins", async () => {
      const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.create("/race/key", `writer-${i}`)));
      const winners = results.filter((r) => r.status === "fulfilled");
      assert.equal(winners.length, 1);
      for (const r of results) if (r.status === "rejected") assert.ok(isStoreError(r.reason, "Exists"), String(r.reason));
      const stored = await store.get("/race/key");
      assert.equal(stored?.value, (winners[0] as PromiseFulfilledResult<KeyValue>).value.value);
    });

    it("loses no update under 100 concurrent read-modify-write loops", async () => {
      await store.create("/counter", "0");
      await Promise.all(Array.from({ length: 100 }, () => store.guaranteedUpdate("/counter", (cur) => String(Number(cur!.value) + 1))));
      const final = await store.get("/counter");
      assert.equal(final?.value, "100");
      assert.equal(final?.version, 101);
    });

    it("guaranteedUpdate creates, leaves unchanged and deletes", async () => {
      const created = await store.guaranteedUpdate("/gu/a", (cur) => (cur ? undefined : "new"));
      assert.equal(created?.value, "new");
      const same = await store.guaranteedUpdate("/gu/a", () => undefined);
      assert.deepEqual(same, created);
      assert.equal(await store.guaranteedUpdate("/gu/a", () => DELETE), null);
      assert.equal(await store.get("/gu/a"), null);
    });

    it("ranges over a prefix in key order, paginated, consistent at one revision", async () => {
      for (let i = 0; i < 25; i++) await store.create(`/range/k${String(i).padStart(2, "0")}`, `v${i}`);
      await store.create("/rangeX/other", "no");
      await store.create("/rang", "no");
      const all = await store.range("/range/");
      assert.deepEqual(all.kvs.map((kv) => kv.key), Array.from({ length: 25 }, (_, i) => `/range/k${String(i).padStart(2, "0")}`));
      assert.equal(all.continue, undefined);
      assert.equal(all.revision, await store.currentRevision());
      const page1 = await store.range("/range/", { limit: 10 });
      assert.equal(page1.kvs.length, 10);
      assert.ok(page1.continue);
      const page2 = await store.range("/range/", { limit: 10, continue: page1.continue, revision: page1.revision });
      const page3 = await store.range("/range/", { limit: 10, continue: page2.continue, revision: page1.revision });
      assert.equal(page3.kvs.length, 5);
      assert.equal(page3.continue, undefined);
      assert.deepEqual([...page1.kvs, ...page2.kvs, ...page3.kvs], all.kvs);
    });

    it("keeps a paginated range consistent while writes go on", async () => {
      const n = 60;
      for (let i = 0; i < n; i++) await store.create(`/pages/k${String(i).padStart(3, "0")}`, "original");
      const snapshot = await store.range("/pages/");
      let writing = true;
      const writer = (async () => {
        let i = 0;
        while (writing) {
          const key = `/pages/k${String(i % n).padStart(3, "0")}`;
          await store.guaranteedUpdate(key, (cur) => (cur ? DELETE : "recreated"));
          await store.create(`/pages/new${i}`, "new").catch(() => undefined);
          i++;
        }
      })();
      const seen: KeyValue[] = [];
      let page = await store.range("/pages/", { limit: 7, revision: snapshot.revision });
      seen.push(...page.kvs);
      while (page.continue) {
        await new Promise((r) => setTimeout(r, 5));
        page = await store.range("/pages/", { limit: 7, continue: page.continue, revision: snapshot.revision });
        assert.equal(page.revision, snapshot.revision);
        seen.push(...page.kvs);
      }
      writing = false;
      await writer;
      assert.ok((await store.currentRevision()) > snapshot.revision, "writes happened during the pagination");
      assert.deepEqual(seen, snapshot.kvs);
    });

    it("watches a prefix: every change in order with the previous value, other prefixes unseen", async () => {
      const watch = store.watch("/w1/");
      const a = await store.create("/w1/a", "1");
      await store.create("/w1x/a", "other prefix");
      await store.create("/w2/a", "other prefix");
      const a2 = await store.update("/w1/a", "2", a.modRevision);
      await store.create("/w1/b", "1");
      await store.delete("/w1/a");
      const events = await takeEvents(watch, 4);
      watch.cancel();
      assert.deepEqual(events.map(brief), ["put /w1/a=1", "put /w1/a=2 (was 1)", "put /w1/b=1", "delete /w1/a= (was 2)"]);
      assert.deepEqual(events[0]!.kv, a);
      assert.deepEqual(events[1]!.kv, a2);
      assert.deepEqual(events[1]!.prevKv, a);
      assert.equal(events[3]!.kv.modRevision, a2.modRevision + 2);
      assert.deepEqual(events[3]!.prevKv, a2);
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.kv.modRevision > events[i - 1]!.kv.modRevision);
      assert.equal(await watchEnd(watch), null, "a cancelled watch ends cleanly");
    });

    it("watches from an old revision, replaying history then following live changes", async () => {
      const first = await store.create("/w3/a", "1");
      await store.update("/w3/a", "2", first.modRevision);
      await store.delete("/w3/a");
      const watch = store.watch("/w3/", { fromRevision: first.modRevision });
      const replayed = await takeEvents(watch, 3);
      assert.deepEqual(replayed.map(brief), ["put /w3/a=1", "put /w3/a=2 (was 1)", "delete /w3/a= (was 2)"]);
      await store.create("/w3/b", "live");
      const live = await takeEvents(watch, 1);
      assert.deepEqual(live.map(brief), ["put /w3/b=live"]);
      watch.cancel();
    });

    it("delivers one write to many watchers", async () => {
      const watches = Array.from({ length: 50 }, () => store.watch("/fan/"));
      await store.create("/fan/x", "hello");
      const got = await Promise.all(watches.map((w) => takeEvents(w, 1)));
      for (const events of got) assert.deepEqual(events.map(brief), ["put /fan/x=hello"]);
      for (const w of watches) w.cancel();
    });

    it("fails reads and watches below the compacted revision as expired", async () => {
      const a = await store.create("/c/a", "1");
      const a2 = await store.update("/c/a", "2", a.modRevision);
      const a3 = await store.update("/c/a", "3", a2.modRevision);
      await store.compact(a2.modRevision);
      assert.ok((await store.compactedRevision()) >= a2.modRevision);
      await assert.rejects(store.get("/c/a", { revision: a.modRevision }), (e) => isStoreError(e, "Compacted"));
      await assert.rejects(store.range("/c/", { revision: a.modRevision }), (e) => isStoreError(e, "Compacted"));
      const expired = store.watch("/c/", { fromRevision: a.modRevision });
      assert.ok(isStoreError(await watchEnd(expired), "Compacted"));
      assert.equal((await store.get("/c/a", { revision: a2.modRevision }))?.value, "2");
      // A watch needs the version before its first event (for prevKv): from a3 it is a2, still kept.
      const ok = store.watch("/c/", { fromRevision: a3.modRevision });
      const events = await takeEvents(ok, 1);
      assert.deepEqual(events.map(brief), ["put /c/a=3 (was 2)"]);
      ok.cancel();
    });

    it("compacts automatically, keeping one interval or a bounded number of revisions", async () => {
      const compactor = new Compactor(store, { maxRevisions: 20 });
      const first = await store.create("/auto/a", "0");
      await compactor.tick();
      let last = first;
      for (let i = 1; i <= 5; i++) last = await store.update("/auto/a", String(i), last.modRevision);
      assert.equal(await compactor.tick(), Math.max(first.modRevision, last.modRevision - 20));
      for (let i = 6; i <= 40; i++) last = await store.update("/auto/a", String(i), last.modRevision);
      assert.equal(await compactor.tick(), last.modRevision - 20, "no more than maxRevisions are kept");
      assert.equal(await store.compactedRevision(), last.modRevision - 20);
      await assert.rejects(store.get("/auto/a", { revision: last.modRevision - 21 }), (e) => isStoreError(e, "Compacted"));
      assert.equal((await store.get("/auto/a", { revision: last.modRevision - 20 }))?.value, "20");
    });

    it("accepts values up to 1.5 MiB and rejects larger ones with a clear error", async () => {
      const big = "x".repeat(MAX_VALUE_BYTES - 100);
      const kv = await store.create("/big/ok", big);
      assert.equal((await store.get("/big/ok"))?.value.length, big.length);
      await assert.rejects(store.create("/big/no", "y".repeat(MAX_VALUE_BYTES + 1)), (e) => isStoreError(e, "TooLarge") && /limit/.test((e as Error).message));
      await assert.rejects(store.update("/big/ok", "é".repeat(MAX_VALUE_BYTES / 2 + 1), kv.modRevision), (e) => isStoreError(e, "TooLarge"));
      assert.equal(await store.get("/big/no"), null);
    });

    it("expires keys written with a TTL, with a delete event", async () => {
      const watch = store.watch("/ttl/");
      await store.create("/ttl/short", "bye", { ttlSeconds: 2 });
      await store.create("/ttl/long", "stay");
      assert.equal((await store.get("/ttl/short"))?.value, "bye");
      await waitFor(async () => (await store.get("/ttl/short")) === null, 15_000, "TTL expiry");
      const events = await takeEvents(watch, 3);
      assert.deepEqual(events.map(brief), ["put /ttl/short=bye", "put /ttl/long=stay", "delete /ttl/short= (was bye)"]);
      assert.equal((await store.get("/ttl/long"))?.value, "stay");
      watch.cancel();
    });

    it("cuts off a watcher that falls too far behind", async () => {
      const watch = store.watch("/slow/", { maxBuffered: 5 });
      const reference = store.watch("/slow/");
      for (let i = 0; i < 20; i++) await store.create(`/slow/k${i}`, "v");
      await takeEvents(reference, 20);
      reference.cancel();
      assert.ok(isStoreError(await watchEnd(watch), "SlowConsumer"));
    });
  });
}
