// Two controller managers with leader election on short leases (2 s, renew 1.5 s, retry 0.3 s):
// when the leader loses its Lease while running it stops its controllers and campaigns again,
// and it leads again (with fresh informers) once the other stops.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { Client, microTime, resources } from "../src/client/index.ts";
import { LEADER_LEASE, startControllerManager } from "../src/controllers/index.ts";
import type { ControllerManager } from "../src/controllers/index.ts";
import { silentLogger } from "../src/util/log.ts";
import { waitFor } from "../src/testing/wait.ts";

const NS = "default";
let api: TestApiServer;
let client: Client;
const managers: ControllerManager[] = [];

const start = async (identity: string) => {
  const m = await startControllerManager({
    kubeconfig: api.kubeconfig, log: silentLogger, leaderElect: true, identity, controllers: ["replicaset"],
    leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 300,
  });
  managers.push(m);
  return m;
};
const lease = () => client.get<Lease>(resources.leases, LEADER_LEASE.name, { namespace: LEADER_LEASE.namespace });
const activePods = async () => (await client.list<Pod>(resources.pods, { namespace: NS, labelSelector: { app: "le" } })).items.filter((p) => !p.metadata?.deletionTimestamp);

before(async () => {
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
});

after(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  client?.close();
  await api?.close();
});

it("a manager that loses its Lease stops its controllers, campaigns again, and leads again later", { timeout: 60_000 }, async () => {
  const m1 = await start("m1");
  await waitFor("m1 leading", () => m1.isLeader());
  const m2 = await start("m2");
  await waitFor("m2 to see m1's lease", async () => (await lease()).spec?.holderIdentity === "m1");
  assert.equal(m2.isLeader(), false);

  // Someone writes m2 into the Lease: m2 renews "its" lease at once; m1 cannot renew and steps down.
  await waitFor("the Lease overwritten", async () => {
    const l = await lease();
    const t = microTime(Date.now());
    await client.update<Lease>(resources.leases, { ...l, spec: { ...l.spec, holderIdentity: "m2", acquireTime: t, renewTime: t } });
    return true;
  });
  await waitFor("m2 leading", () => m2.isLeader(), 10_000);
  await waitFor("m1 stepped down", () => !m1.isLeader(), 10_000);
  assert.equal(m1.leaderTerms, 1);
  assert.equal(m2.leaderTerms, 1);
  assert.equal((await lease()).spec?.holderIdentity, "m2");

  // Only m2's controllers run now, and they work.
  await client.create<ReplicaSet>(resources.replicasets, {
    apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "le", namespace: NS },
    spec: { replicas: 2, selector: { matchLabels: { app: "le" } }, template: { metadata: { labels: { app: "le" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  });
  await waitFor("2 pods from m2's ReplicaSet controller", async () => (await activePods()).length === 2);

  // m1 keeps campaigning while m2 renews; it takes over as soon as m2 stops and releases.
  const renewed = (await lease()).spec?.renewTime;
  await waitFor("m2 to renew again", async () => (await lease()).spec?.renewTime !== renewed);
  assert.equal(m1.isLeader(), false);
  assert.equal((await lease()).spec?.holderIdentity, "m2");
  const stoppedAt = Date.now();
  await m2.stop();
  assert.equal(m2.isLeader(), false);
  await waitFor("m1 leading again", () => m1.isLeader(), 10_000);
  assert.ok(Date.now() - stoppedAt < 2000, `took over ${Date.now() - stoppedAt} ms after the release`);
  assert.equal(m1.leaderTerms, 2);
  const held = await lease();
  assert.equal(held.spec?.holderIdentity, "m1");
  // The overwrite kept the count (m2 merely renewed what named it); m1's take-over is one transition.
  assert.equal(held.spec?.leaseTransitions, 1);

  // The second term runs on fresh informers: a scale-up is acted on.
  await client.patch(resources.replicasets, "le", { spec: { replicas: 3 } }, { type: "merge", namespace: NS });
  await waitFor("3 pods from m1's second term", async () => (await activePods()).length === 3);
  await waitFor("status replicas 3", async () => (await client.get<ReplicaSet>(resources.replicasets, "le", { namespace: NS })).status?.replicas === 3);
});
