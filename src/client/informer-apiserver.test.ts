// Informers against a real k8ts API server: add/update/delete of ConfigMaps, surviving an API
// server restart on the same port and data, and the relist diff after the watch cache window passed.
import { it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigMap } from "kubernetes-types/core/v1.js";
import { startTestApiServer } from "../testing/apiserver.ts";
import type { TestApiServer } from "../testing/apiserver.ts";
import { openSqliteStore } from "../storage/sqlite/index.ts";
import { silentLogger } from "../util/log.ts";
import { Client } from "./rest.ts";
import { resources } from "./resources.ts";
import { DeletedFinalStateUnknown, SharedInformer } from "./informer.ts";
import type { EventHandlers, ListerWatcher } from "./informer.ts";
import { SharedInformerFactory, listWatcherFor } from "./informer-factory.ts";
import { indexFuncs } from "./store.ts";
import { freePort, waitFor } from "../testing/wait.ts";


/** Waits for a synchronous condition (the shared helper polls any condition). */
const waitUntil = (cond: () => boolean, what: string, timeoutMs = 20_000) => waitFor(what, () => cond() || undefined, timeoutMs);

function recorder(): { seen: string[]; handlers: EventHandlers<ConfigMap> } {
  const seen: string[] = [];
  return {
    seen,
    handlers: {
      onAdd: (o) => seen.push(`add ${o.metadata?.name} ${JSON.stringify(o.data ?? {})}`),
      onUpdate: (a, b) => {
        if (a.metadata?.resourceVersion !== b.metadata?.resourceVersion) seen.push(`update ${b.metadata?.name} ${JSON.stringify(b.data ?? {})}`);
      },
      onDelete: (o) => seen.push(o instanceof DeletedFinalStateUnknown ? `tombstone ${o.key}` : `delete ${o.metadata?.name}`),
    },
  };
}

const cm = (name: string, data: Record<string, string>): ConfigMap => ({ metadata: { name, namespace: "default" }, data });
const quickBackoff = { backoff: { initialMs: 100, maxMs: 500 } };

it("a factory informer sees ConfigMap adds, updates and deletes, with indexes", { timeout: 60_000 }, async () => {
  const t = await startTestApiServer();
  const client = await Client.fromKubeconfig(t.kubeconfig);
  const factory = new SharedInformerFactory(client, { log: silentLogger, freezeObjects: true });
  try {
    await client.create(resources.configmaps, cm("before", { v: "0" }));
    const informer = factory.informerFor<ConfigMap>(resources.configmaps, { indexers: { namespace: indexFuncs.namespace } });
    assert.equal(factory.informerFor(resources.configmaps), informer, "one informer per resource and scope");
    assert.notEqual(factory.informerFor(resources.configmaps, { namespace: "default" }), informer);
    const r = recorder();
    informer.addEventHandler(r.handlers);
    factory.start();
    assert.equal(await factory.waitForCacheSync(), true);
    assert.deepEqual(r.seen, ['add before {"v":"0"}']);
    await client.create(resources.configmaps, cm("one", { v: "1" }));
    await client.patch(resources.configmaps, "one", { data: { v: "2" } }, { type: "merge", namespace: "default" });
    await client.delete(resources.configmaps, "before", { namespace: "default" });
    await waitUntil(() => r.seen.length === 4, "three events");
    assert.deepEqual(r.seen.slice(1), ['add one {"v":"1"}', 'update one {"v":"2"}', "delete before"]);
    assert.deepEqual(informer.byIndex("namespace", "default").map((o) => o.metadata?.name), ["one"]);
  } finally {
    await factory.stop();
    client.close();
    await t.close();
  }
});

it("an informer survives the API server restarting on the same port and data", { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-client-informer-"));
  const port = await freePort();
  const start = async () => {
    const store = await openSqliteStore({ path: join(dir, "state.db") });
    try {
      return await startTestApiServer({ dir, port, store });
    } catch (err) {
      await store.close();
      throw err;
    }
  };
  let t: TestApiServer | null = await start();
  const client = await Client.fromKubeconfig(t.kubeconfig);
  const informer = new SharedInformer<ConfigMap>(listWatcherFor(client, resources.configmaps, { namespace: "default" }), { log: silentLogger, ...quickBackoff });
  const r = recorder();
  informer.addEventHandler(r.handlers);
  try {
    informer.start();
    await informer.waitForSync();
    await client.create(resources.configmaps, cm("one", { v: "1" }));
    await waitUntil(() => r.seen.includes('add one {"v":"1"}'), "add");
    const watchesBefore = informer.stats.watches;

    await t.close({ keepDir: true });
    await t.store.close();
    t = null;
    t = await start();
    await waitUntil(() => informer.stats.watches > watchesBefore, "a new watch after the restart");
    await client.create(resources.configmaps, cm("two", { v: "2" }));
    await client.patch(resources.configmaps, "one", { data: { v: "1b" } }, { type: "merge", namespace: "default" });
    await waitUntil(() => r.seen.includes('add two {"v":"2"}') && r.seen.includes('update one {"v":"1b"}'), "changes after the restart", 30_000);
    assert.deepEqual(informer.list().map((o) => o.metadata?.name).sort(), ["one", "two"]);
    assert.equal(r.seen.filter((s) => s.startsWith("add one")).length, 1, "no duplicate add for an object it already had");
  } finally {
    await informer.stop();
    client.close();
    if (t) {
      await t.close({ keepDir: true });
      await t.store.close();
    }
    await rm(dir, { recursive: true, force: true });
  }
});

/** Wraps a ListerWatcher so the test can cut the current watch and hold the next one. */
function cuttable<T extends ConfigMap>(lw: ListerWatcher<T>) {
  let cut = new AbortController();
  let gate: Promise<void> | null = null;
  let release = () => {};
  let attempts = 0;
  const wrapped: ListerWatcher<T> = {
    list: (o) => lw.list(o),
    watch(o) {
      attempts++;
      return (async function* () {
        if (gate) await gate;
        yield* lw.watch({ ...o, signal: AbortSignal.any([o.signal, cut.signal]) });
      })();
    },
  };
  return {
    lw: wrapped,
    attempts: () => attempts,
    /** Ends the current watch and holds new ones until `resume`. */
    cutAndHold() {
      gate = new Promise((r) => (release = r));
      cut.abort();
      cut = new AbortController();
    },
    resume() {
      gate = null;
      release();
    },
  };
}

it("after the watch cache window is exceeded the informer relists and delivers the right diff", { timeout: 60_000 }, async () => {
  const t = await startTestApiServer({ watchCacheCapacity: 3 });
  const client = await Client.fromKubeconfig(t.kubeconfig);
  const ctl = cuttable(listWatcherFor<ConfigMap>(client, resources.configmaps, { namespace: "default" }));
  const informer = new SharedInformer<ConfigMap>(ctl.lw, { log: silentLogger, ...quickBackoff, freezeObjects: true });
  const r = recorder();
  informer.addEventHandler(r.handlers);
  try {
    for (const n of ["same", "changed", "gone1", "gone2"]) await client.create(resources.configmaps, cm(n, { v: "0" }));
    informer.start();
    await informer.waitForSync();
    await waitUntil(() => ctl.attempts() === 1, "the first watch");
    r.seen.length = 0;

    ctl.cutAndHold();
    await waitUntil(() => ctl.attempts() === 2, "the informer trying to watch again");
    for (let i = 1; i <= 4; i++) await client.patch(resources.configmaps, "changed", { data: { v: String(i) } }, { type: "merge", namespace: "default" });
    await client.delete(resources.configmaps, "gone1", { namespace: "default" });
    await client.delete(resources.configmaps, "gone2", { namespace: "default" });
    await client.create(resources.configmaps, cm("new", { v: "n" }));
    ctl.resume();

    await waitUntil(() => informer.stats.relistsAfterGone === 1 && r.seen.length === 4, "the relist diff");
    assert.deepEqual(r.seen.sort(), ['add new {"v":"n"}', "tombstone default/gone1", "tombstone default/gone2", 'update changed {"v":"4"}']);
    assert.deepEqual(informer.list().map((o) => o.metadata?.name).sort(), ["changed", "new", "same"]);
    // And it follows new changes from the relist's resourceVersion.
    await client.delete(resources.configmaps, "same", { namespace: "default" });
    await waitUntil(() => r.seen.includes("delete same"), "a delete after the relist");
  } finally {
    await informer.stop();
    client.close();
    await t.close();
  }
});
