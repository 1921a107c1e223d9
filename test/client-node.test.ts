// @kubernetes/client-node against k8ts: its informer (list + watch) sees adds, updates and
// deletes, and after the API server restarts it lists again and follows new changes.
import { it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig, CoreV1Api, makeInformer } from "@kubernetes/client-node";
import type { V1ConfigMap } from "@kubernetes/client-node";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { openSqliteStore } from "../src/storage/sqlite/index.ts";
import { freePort, waitFor } from "../src/testing/wait.ts";


/** Waits for a synchronous condition (the shared helper polls any condition). */
const waitUntil = (cond: () => boolean, what: string, timeoutMs = 20_000) => waitFor(what, () => cond() || undefined, timeoutMs);

it("client-node informer sees adds, updates and deletes, and survives an API server restart", { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-informer-"));
  const port = await freePort();
  const start = async () => startTestApiServer({ dir, port, store: await openSqliteStore({ path: join(dir, "state.db") }) });
  let t: TestApiServer = await start();
  const kc = new KubeConfig();
  kc.loadFromFile(t.kubeconfig);
  const api = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1ConfigMap>(kc, "/api/v1/namespaces/default/configmaps", () => api.listNamespacedConfigMap({ namespace: "default" }));
  const seen: string[] = [];
  informer.on("add", (o) => seen.push(`add ${o.metadata?.name} ${JSON.stringify(o.data)}`));
  informer.on("update", (o) => seen.push(`update ${o.metadata?.name} ${JSON.stringify(o.data)}`));
  informer.on("delete", (o) => seen.push(`delete ${o.metadata?.name}`));
  let errors = 0;
  let stopped = false;
  informer.on("error", () => {
    errors++;
    // The documented client-node pattern: restart the informer after an error (it lists again).
    if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 200);
  });
  try {
    await informer.start();
    await api.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "one" }, data: { v: "1" } } });
    await waitUntil(() => seen.includes('add one {"v":"1"}'), "add");
    await api.patchNamespacedConfigMap({ namespace: "default", name: "one", body: [{ op: "replace", path: "/data/v", value: "2" }] });
    await waitUntil(() => seen.includes('update one {"v":"2"}'), "update");
    await api.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "two" }, data: { v: "1" } } });
    await api.deleteNamespacedConfigMap({ namespace: "default", name: "one" });
    await waitUntil(() => seen.includes("delete one"), "delete");
    assert.deepEqual(informer.list("default").map((o) => o.metadata?.name), ["two"]);

    // Restart the API server on the same port and data: the informer's watch breaks and it relists.
    await t.close({ keepDir: true });
    await t.store.close();
    t = await start();
    await waitUntil(() => errors > 0, "the informer to notice the restart");
    await api.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "three" }, data: { v: "3" } } });
    await waitUntil(() => seen.includes('add three {"v":"3"}'), "an add after the restart", 30_000);
    assert.deepEqual(informer.list("default").map((o) => o.metadata?.name).sort(), ["three", "two"]);
  } finally {
    stopped = true;
    await informer.stop();
    await t.close({ keepDir: true });
    await t.store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
