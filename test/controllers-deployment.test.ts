// The Deployment controller end to end with the real kubectl: create, scale, set image (a rolling
// update), rollout history/undo/status, restart, pause and Recreate. No ReplicaSet controller runs:
// a small loop here plays its part, copying each ReplicaSet's spec.replicas into its status.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { Event } from "kubernetes-types/core/v1.js";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { Client, EventRecorder, SharedInformerFactory, resources } from "../src/client/index.ts";
import { DeploymentController, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from "../src/controllers/deployment/index.ts";
import { silentLogger } from "../src/util/log.ts";
import { waitFor } from "../src/testing/wait.ts";

const NS = "default";
let api: TestApiServer;
let client: Client;
let factory: SharedInformerFactory;
let recorder: EventRecorder;
let controller: DeploymentController;
const stop = new AbortController();
let controllerDone: Promise<void>;
let simDone: Promise<void>;
/** Largest total of spec.replicas the simulated ReplicaSet controller saw, per deployment name. */
const maxTotal = new Map<string, number>();
/** Deployments whose ReplicaSets the loop must not make ready (to watch a stalled rollout). */
const frozen = new Set<string>();


const owner = (rs: ReplicaSet): string => rs.metadata?.ownerReferences?.[0]?.name ?? "";

/** Stands in for the ReplicaSet controller and kubelets: status follows spec at once. */
async function simulateReplicaSets(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const list = await client.list<ReplicaSet>(resources.replicasets, { namespace: NS });
      const totals = new Map<string, number>();
      for (const rs of list.items) totals.set(owner(rs), (totals.get(owner(rs)) ?? 0) + (rs.spec?.replicas ?? 0));
      for (const [name, n] of totals) maxTotal.set(name, Math.max(maxTotal.get(name) ?? 0, n));
      for (const rs of list.items) {
        const n = rs.spec?.replicas ?? 0;
        const s: NonNullable<ReplicaSet["status"]> = rs.status ?? { replicas: 0 };
        if (frozen.has(owner(rs))) continue;
        if (s.replicas === n && (s.readyReplicas ?? 0) === n && (s.availableReplicas ?? 0) === n && s.observedGeneration === rs.metadata?.generation) continue;
        const status = { replicas: n, readyReplicas: n, availableReplicas: n, fullyLabeledReplicas: n, observedGeneration: rs.metadata?.generation };
        await client.updateStatus<ReplicaSet>(resources.replicasets, { ...rs, status }, { namespace: NS }).catch(() => undefined);
      }
    } catch {
      // the server is going away
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function replicaSetsOf(name: string): Promise<ReplicaSet[]> {
  const list = await client.list<ReplicaSet>(resources.replicasets, { namespace: NS });
  return list.items.filter((rs) => owner(rs) === name);
}
const image = (rs: ReplicaSet | Deployment): string => rs.spec?.template?.spec?.containers?.[0]?.image ?? "";
const revision = (o: ReplicaSet | Deployment): string | undefined => o.metadata?.annotations?.[REVISION_ANNOTATION];
const getDeployment = (name: string) => client.get<Deployment>(resources.deployments, name, { namespace: NS });

/** Waits until the deployment's ReplicaSets have exactly these replicas by image, and its status says so. */
async function settled(name: string, want: Record<string, number>): Promise<ReplicaSet[]> {
  const total = Object.values(want).reduce((a, b) => a + b, 0);
  return waitFor(`${name} to settle at ${JSON.stringify(want)}`, async () => {
    const rss = await replicaSetsOf(name);
    const by: Record<string, number> = {};
    for (const rs of rss) if ((rs.spec?.replicas ?? 0) > 0 || want[image(rs)] === 0) by[image(rs)] = (by[image(rs)] ?? 0) + (rs.spec?.replicas ?? 0);
    const d = await getDeployment(name);
    const st = d.status ?? {};
    const ok = JSON.stringify(Object.entries(by).sort()) === JSON.stringify(Object.entries(want).sort()) &&
      st.observedGeneration === d.metadata?.generation && st.replicas === total && st.updatedReplicas === total && st.availableReplicas === total;
    return ok ? rss : undefined;
  });
}

describe("deployment controller with kubectl", () => {
  const ok = async (args: string[]) => {
    const r = await api.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    api = await startTestApiServer();
    client = await Client.fromKubeconfig(api.kubeconfig);
    factory = new SharedInformerFactory(client, { log: silentLogger });
    recorder = new EventRecorder(client, { component: "deployment-controller", log: silentLogger });
    controller = new DeploymentController({ client, informers: factory, recorder, workers: 2, log: silentLogger });
    factory.start();
    controllerDone = controller.run(stop.signal);
    simDone = simulateReplicaSets(stop.signal);
  });

  after(async () => {
    stop.abort();
    await controllerDone;
    await simDone;
    await factory.stop();
    await recorder.flush();
    client.close();
    await api.close();
  });

  it("creates one ReplicaSet at revision 1 for a new deployment", async () => {
    await ok(["create", "deployment", "web", "--image=busybox:1", "--replicas=3"]);
    const [rs] = await settled("web", { "busybox:1": 3 });
    const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? "";
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs.metadata?.name, `web-${hash}`);
    assert.equal(rs.spec?.selector?.matchLabels?.[POD_TEMPLATE_HASH_LABEL], hash);
    assert.equal(rs.spec?.template?.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL], hash);
    assert.equal(revision(rs), "1");
    const d = await getDeployment("web");
    assert.equal(revision(d), "1");
    assert.deepEqual(rs.metadata?.ownerReferences, [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: d.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(rs.metadata?.annotations?.["deployment.kubernetes.io/desired-replicas"], "3");
    assert.equal(rs.metadata?.annotations?.["deployment.kubernetes.io/max-replicas"], "4");
    const conds = Object.fromEntries((d.status?.conditions ?? []).map((c) => [c.type, c]));
    assert.equal(conds.Available?.status, "True");
    assert.equal(conds.Available?.reason, "MinimumReplicasAvailable");
    await waitFor("Progressing NewReplicaSetAvailable", async () => (await getDeployment("web")).status?.conditions?.some((c) => c.type === "Progressing" && c.reason === "NewReplicaSetAvailable"));
    await waitFor("a ScalingReplicaSet event", async () => {
      const events = await client.list<Event>(resources.events, { namespace: NS });
      return events.items.some((e) => e.reason === "ScalingReplicaSet" && e.involvedObject.name === "web" && e.message === `Scaled up replica set web-${hash} to 3 from 0`);
    });
  });

  it("scales the ReplicaSet with the deployment", async () => {
    await ok(["scale", "deployment", "web", "--replicas=5"]);
    const [rs] = await settled("web", { "busybox:1": 5 });
    assert.equal(rs.metadata?.annotations?.["deployment.kubernetes.io/desired-replicas"], "5");
  });

  it("rolls out a new image within maxSurge and lists both revisions", async () => {
    maxTotal.delete("web");
    await ok(["set", "image", "deployment/web", "busybox=busybox:2"]);
    const rss = await settled("web", { "busybox:2": 5, "busybox:1": 0 });
    assert.equal(rss.length, 2);
    assert.equal(revision(rss.find((rs) => image(rs) === "busybox:2")!), "2");
    assert.equal(revision(await getDeployment("web")), "2");
    // 25% of 5: surge rounds up to 2, so never more than 7 pods asked for.
    assert.ok((maxTotal.get("web") ?? 0) <= 7, `at most 7 replicas at once, saw ${maxTotal.get("web")}`);
    const history = await ok(["rollout", "history", "deployment/web"]);
    assert.match(history, /^1\s+<none>/m);
    assert.match(history, /^2\s+<none>/m);
  });

  it("rolls back with rollout undo: the revision-1 ReplicaSet comes back as revision 3", async () => {
    const before = (await replicaSetsOf("web")).find((rs) => image(rs) === "busybox:1")!;
    await ok(["rollout", "undo", "deployment/web"]);
    const rss = await settled("web", { "busybox:1": 5, "busybox:2": 0 });
    assert.equal(rss.length, 2, "the old ReplicaSet is reused, not a new one created");
    const back = rss.find((rs) => image(rs) === "busybox:1")!;
    assert.equal(back.metadata?.name, before.metadata?.name);
    assert.equal(revision(back), "3");
    assert.equal(back.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION], "1");
    assert.equal(revision(await getDeployment("web")), "3");
    const status = await api.kubectl(["rollout", "status", "deployment/web", "--timeout=30s"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /successfully rolled out/);
  });

  it("reconciling a settled deployment again writes nothing", async () => {
    const versions = async () => JSON.stringify([(await getDeployment("web")).metadata?.resourceVersion, ...(await replicaSetsOf("web")).map((rs) => rs.metadata?.resourceVersion)]);
    // The informer cache may trail the last write for a moment: wait for a pass that changes nothing.
    await waitFor("an idle reconcile", async () => {
      const before = await versions();
      await controller.reconcile(`${NS}/web`);
      return (await versions()) === before;
    });
    const before = await versions();
    await controller.reconcile(`${NS}/web`);
    assert.equal(await versions(), before);
  });

  it("rollout restart makes a new ReplicaSet from the restartedAt annotation", async () => {
    await ok(["rollout", "restart", "deployment/web"]);
    const restarted = (rs: ReplicaSet) => rs.spec?.template?.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"] !== undefined;
    const rss = await waitFor("the restarted ReplicaSet to take over", async () => {
      const list = await replicaSetsOf("web");
      const d = await getDeployment("web");
      const done = list.some((rs) => restarted(rs) && rs.spec?.replicas === 5) && list.every((rs) => restarted(rs) || rs.spec?.replicas === 0) &&
        d.status?.updatedReplicas === 5 && d.status.availableReplicas === 5 && d.status.replicas === 5;
      return done ? list : undefined;
    });
    assert.equal(rss.length, 3);
    assert.equal(revision(rss.find(restarted)!), "4");
  });

  it("while paused, scales but does not roll out; resume rolls out", async () => {
    await ok(["rollout", "pause", "deployment/web"]);
    await ok(["set", "image", "deployment/web", "busybox=busybox:3"]);
    await waitFor("Progressing DeploymentPaused", async () => {
      const d = await getDeployment("web");
      return d.status?.observedGeneration === d.metadata?.generation && d.status?.conditions?.some((c) => c.type === "Progressing" && c.reason === "DeploymentPaused" && c.status === "Unknown");
    });
    await ok(["scale", "deployment", "web", "--replicas=6"]);
    await waitFor("the current ReplicaSet at 6", async () => (await replicaSetsOf("web")).some((rs) => rs.spec?.replicas === 6 && image(rs) === "busybox:1"));
    assert.ok(!(await replicaSetsOf("web")).some((rs) => image(rs) === "busybox:3"), "no rollout while paused");
    await ok(["rollout", "resume", "deployment/web"]);
    await settled("web", { "busybox:3": 6, "busybox:1": 0 });
  });

  it("Recreate scales old pods away before the new ReplicaSet comes up, and keeps revisionHistoryLimit", async () => {
    const manifest = await api.file("db.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: default}
spec:
  replicas: 2
  revisionHistoryLimit: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "db:1"}]}
`);
    await ok(["apply", "-f", manifest]);
    await settled("db", { "db:1": 2 });
    frozen.add("db"); // old pods "do not terminate" until we say so
    await ok(["set", "image", "deployment/db", "db=db:2"]);
    await waitFor("old ReplicaSet scaled to 0", async () => (await replicaSetsOf("db")).some((rs) => image(rs) === "db:1" && rs.spec?.replicas === 0));
    await waitFor("status observed", async () => {
      const d = await getDeployment("db");
      return d.status?.observedGeneration === d.metadata?.generation;
    });
    assert.ok(!(await replicaSetsOf("db")).some((rs) => image(rs) === "db:2" && (rs.spec?.replicas ?? 0) > 0), "new pods wait for old ones to go");
    frozen.delete("db");
    await settled("db", { "db:2": 2, "db:1": 0 });
    await ok(["set", "image", "deployment/db", "db=db:3"]);
    await settled("db", { "db:3": 2, "db:2": 0 });
    await waitFor("only revisionHistoryLimit (1) old ReplicaSet kept", async () => {
      const images = (await replicaSetsOf("db")).map(image).sort();
      return JSON.stringify(images) === JSON.stringify(["db:2", "db:3"]);
    });
  });

  it("reports ProgressDeadlineExceeded when a rollout makes no progress", async () => {
    frozen.add("slow");
    const manifest = await api.file("slow.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: slow, namespace: default}
spec:
  replicas: 2
  progressDeadlineSeconds: 1
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec: {containers: [{name: c, image: "slow:1"}]}
`);
    await ok(["apply", "-f", manifest]);
    const cond = await waitFor("ProgressDeadlineExceeded", async () =>
      (await getDeployment("slow")).status?.conditions?.find((c) => c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded"), 15_000);
    assert.match(cond.message ?? "", /has timed out progressing/);
    const available = (await getDeployment("slow")).status?.conditions?.find((c) => c.type === "Available");
    assert.equal(available?.reason, "MinimumReplicasUnavailable");
    const status = await api.kubectl(["rollout", "status", "deployment/slow", "--timeout=10s"]);
    assert.notEqual(status.code, 0);
    assert.match(status.stderr, /exceeded its progress deadline/);
  });
});
