// Tests of the etcd store backend against real etcd clusters: the shared conformance suite,
// etcd-specific behaviour (key prefixes, leases, compaction, close), high availability and TLS.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Etcd3 } from "etcd3";
import { runStoreConformance, takeEvents, watchEnd } from "../conformance.ts";
import { CompactedError, isStoreError } from "../errors.ts";
import type { KeyValue, Store } from "../interface.ts";
import { freePort, startEtcdCluster } from "../../testing/etcd-cluster.ts";
import type { EtcdCluster, EtcdMember } from "../../testing/etcd-cluster.ts";
import { bytesPrefixEnd } from "./codec.ts";
import { openEtcdStore } from "./index.ts";
import type { EtcdStore } from "./index.ts";

/** Polls `probe` until it returns a value other than undefined/false, failing after `timeoutMs`. */
async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The shared cluster: one for the conformance suite and the etcd-specific tests, each store in its own key space. */
let shared: EtcdCluster | undefined;
before(async () => {
  shared = await startEtcdCluster({ members: 3 });
});
after(async () => {
  await shared?.stop();
});

async function freshStore(keyPrefix = `/test-${randomBytes(4).toString("hex")}`): Promise<EtcdStore> {
  return openEtcdStore({ endpoints: shared!.endpoints, keyPrefix });
}

describe("etcd backend", () => {
  const stores: Store[] = [];
  const open = async (keyPrefix?: string) => {
    const store = await freshStore(keyPrefix);
    stores.push(store);
    return store;
  };
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it("keeps stores with different key prefixes apart, and strips the prefix", async () => {
    const a = await open();
    const b = await open();
    const watchA = a.watch("");
    await a.create("/k", "a");
    await b.create("/k", "b");
    await b.create("/only-b", "b");
    await a.create("/k2", "a2");
    assert.deepEqual((await a.range("")).kvs.map((kv) => `${kv.key}=${kv.value}`), ["/k=a", "/k2=a2"]);
    assert.deepEqual((await b.range("/")).kvs.map((kv) => `${kv.key}=${kv.value}`), ["/k=b", "/only-b=b"]);
    const events = await takeEvents(watchA, 2);
    assert.deepEqual(events.map((e) => `${e.type} ${e.kv.key}`), ["put /k", "put /k2"]);
    watchA.cancel();
  });

  it("shares one lease between writes with the same TTL made together", async () => {
    const prefix = `/lease-${randomBytes(4).toString("hex")}`;
    const store = await open(prefix);
    await Promise.all([store.create("/a", "1", { ttlSeconds: 600 }), store.create("/b", "1", { ttlSeconds: 600 })]);
    await store.create("/c", "1", { ttlSeconds: 300 });
    const kvC = await store.create("/d", "no ttl");
    await store.update("/d", "ttl now", kvC.modRevision, { ttlSeconds: 600 });
    const raw = new Etcd3({ hosts: shared!.endpoints });
    try {
      const lease = async (key: string) => (await raw.kv.range({ key: Buffer.from(prefix + key) })).kvs[0]!.lease;
      const [a, b, c, d] = await Promise.all(["/a", "/b", "/c", "/d"].map(lease));
      assert.notEqual(a, "0");
      assert.equal(a, b);
      assert.equal(a, d);
      assert.notEqual(a, c);
      const ttl = await raw.leaseClient.leaseTimeToLive({ ID: a });
      assert.ok(Number(ttl.grantedTTL) >= 600 && Number(ttl.grantedTTL) <= 630, `granted ${ttl.grantedTTL}`);
    } finally {
      raw.close();
    }
  });

  it("finds a compaction made by another client, and ends a watch whose prevKv was compacted", async () => {
    const prefix = `/compact-${randomBytes(4).toString("hex")}`;
    const writer = await open(prefix);
    const first = await writer.create("/c/a", "1");
    const second = await writer.update("/c/a", "2", first.modRevision);
    const third = await writer.update("/c/a", "3", second.modRevision);
    await writer.compact(second.modRevision);
    const reader = await open(prefix);
    assert.equal(await reader.compactedRevision(), second.modRevision);
    await assert.rejects(reader.get("/c/a", { revision: first.modRevision }), (e) => e instanceof CompactedError && e.compactedRevision === second.modRevision);
    await reader.compact(first.modRevision); // already compacted further: nothing to do
    await assert.rejects(reader.compact(third.modRevision + 1000), /future revision/);
    // etcd can only attach prevKv from history it still has: an event at the compacted revision whose
    // previous version was compacted away ends the watch (as kube-apiserver's etcd watcher does).
    const atCompacted = reader.watch("/c/", { fromRevision: second.modRevision });
    const end = await watchEnd(atCompacted);
    assert.ok(isStoreError(end, "Compacted"), String(end));
    const above = reader.watch("/c/", { fromRevision: third.modRevision });
    assert.deepEqual((await takeEvents(above, 1))[0]!.prevKv?.value, "2");
    above.cancel();
  });

  it("ends watches normally on close and refuses calls afterwards", async () => {
    const store = await freshStore();
    const watch = store.watch("/");
    await store.create("/x", "1");
    await takeEvents(watch, 1);
    await store.close();
    assert.equal(await watchEnd(watch), null);
    await assert.rejects(store.get("/x"), (e) => isStoreError(e, "Closed"));
    assert.throws(() => store.watch("/"), (e) => isStoreError(e, "Closed"));
  });

  it("reports a cluster it cannot reach as unavailable", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(openEtcdStore({ endpoints: [endpoint], dialTimeoutMs: 500 }), (e) => isStoreError(e, "Unavailable") && (e as Error).message.includes(endpoint));
  });
});

runStoreConformance("etcd", async () => {
  const store = await freshStore();
  return { store, cleanup: () => store.close() };
});

const WATCHERS = "etcd_debugging_mvcc_watcher_total";

describe("etcd backend: high availability", () => {
  let ha: EtcdCluster | undefined;
  before(async () => {
    ha = await startEtcdCluster({ members: 3 });
  });
  after(async () => {
    await ha?.stop();
  });

  it("keeps every acknowledged write and a gap-free watch when the leader is killed; the member catches up on restart", async (t) => {
    const cluster = ha!;
    const store = await openEtcdStore({ endpoints: cluster.endpoints });
    const watch = store.watch("/ha/", { fromRevision: (await store.currentRevision()) + 1 });
    try {
      // Make the member serving the watch the leader, then kill it: writes and the watch both fail over.
      const victim = await waitFor(async () => {
        for (const m of cluster.members) if ((await m.metric(WATCHERS)) > 0) return m;
        return undefined;
      }, 10_000, "the watch to reach a member");
      await cluster.moveLeader(victim);

      const acked = new Map<string, KeyValue>();
      let killed = false;
      let ackedAfterKill = 0;
      let failed = 0;
      let writing = true;
      let unexpected: unknown = null;
      const writer = async (id: number) => {
        for (let n = 0; writing; n++) {
          const key = `/ha/w${id}-${n}`;
          try {
            acked.set(key, await store.create(key, `value-${id}-${n}`));
            if (killed) ackedAfterKill++;
          } catch (err) {
            // Only "unavailable" (outcome unknown) is acceptable; the key is unique, so never "exists".
            if (isStoreError(err, "Unavailable")) failed++;
            else [unexpected, writing] = [err, false];
          }
        }
      };
      const writers = Promise.all(Array.from({ length: 8 }, (_, i) => writer(i)));
      const progress = (enough: () => boolean) => () => {
        if (unexpected) throw unexpected;
        return enough();
      };
      await waitFor(progress(() => acked.size >= 100), 15_000, "writes before the kill");
      await victim.kill();
      killed = true;
      const killedAt = Date.now();
      await waitFor(progress(() => ackedAfterKill >= 100), 30_000, "writes after the kill");
      writing = false;
      await writers;
      if (unexpected) throw unexpected;
      t.diagnostic(`acknowledged ${acked.size} (${ackedAfterKill} after the kill, first 100 within ${Date.now() - killedAt} ms), ${failed} unavailable`);

      const stored = (await store.range("/ha/")).kvs;
      const byKey = new Map(stored.map((kv) => [kv.key, kv]));
      for (const [key, kv] of acked) assert.deepEqual(byKey.get(key), kv, `acknowledged write ${key}`);

      // The watch saw every applied create exactly once, in revision order, though its member died.
      const events = await takeEvents(watch, stored.length, 20_000);
      const expected = [...stored].sort((x, y) => x.modRevision - y.modRevision);
      assert.deepEqual(events.map((e) => e.kv), expected);
      assert.ok(events.every((e) => e.type === "put" && e.prevKv === undefined));

      await victim.start();
      await assertCatchesUp(victim, await store.currentRevision(), "/ha/", stored.length);
    } finally {
      watch.cancel();
      await store.close();
    }
  });
});

/**
 * Reads the member's own revision (a serializable read, served by it alone) until it reaches
 * `target`, then checks it holds `count` keys under `prefix`.
 */
async function assertCatchesUp(member: EtcdMember, target: number, prefix: string, count: number): Promise<void> {
  const direct = new Etcd3({ hosts: [member.clientUrl] });
  const range = { key: Buffer.from(prefix), range_end: bytesPrefixEnd(Buffer.from(prefix)), serializable: true, count_only: true };
  try {
    await waitFor(async () => {
      const res = await direct.kv.range(range).catch(() => null);
      return res !== null && Number(res.header.revision) >= target;
    }, 20_000, `${member.name} to catch up to revision ${target}`);
    assert.equal(Number((await direct.kv.range(range)).count), count);
  } finally {
    direct.close();
  }
}

describe("etcd backend: TLS", () => {
  let secure: EtcdCluster | undefined;
  before(async () => {
    secure = await startEtcdCluster({ members: 3, tls: true });
  });
  after(async () => {
    await secure?.stop();
  });

  it("works over TLS with a client certificate", async () => {
    const store = await openEtcdStore({ endpoints: secure!.endpoints, tls: secure!.tls });
    const watch = store.watch("/tls/");
    const kv = await store.create("/tls/a", "secret");
    assert.deepEqual(await store.get("/tls/a"), kv);
    assert.deepEqual((await takeEvents(watch, 1))[0]!.kv, kv);
    await store.close();
  });

  it("refuses, as unavailable, a client without a certificate or one that does not trust the CA", async () => {
    const { endpoints, tls } = secure!;
    const refused = (pattern: RegExp) => (e: unknown) => isStoreError(e, "Unavailable") && pattern.test((e as Error).message);
    await assert.rejects(openEtcdStore({ endpoints, tls: { ca: tls!.ca }, dialTimeoutMs: 1500 }), refused(/bad certificate|certificate required/));
    await assert.rejects(openEtcdStore({ endpoints, dialTimeoutMs: 1500 }), refused(/verify|certificate/));
  });
});
