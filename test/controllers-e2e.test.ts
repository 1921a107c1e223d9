// End to end with the real kubectl: an API server, the whole controller manager and three hollow
// nodes that bind (stand-in scheduler) and "run" pods. A Deployment's life: create, scale, roll
// out, history, undo, a deleted pod replaced, cascading and orphaning deletes, namespace deletion.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../src/apimachinery/status.ts";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { startHollowNodes } from "../src/testing/hollow-node.ts";
import type { HollowNodes } from "../src/testing/hollow-node.ts";
import { Client, resources } from "../src/client/index.ts";
import { startControllerManager } from "../src/controllers/index.ts";
import type { ControllerManager } from "../src/controllers/index.ts";
import { silentLogger } from "../src/util/log.ts";
import { waitFor } from "../src/testing/wait.ts";

const NS = "default";
let api: TestApiServer;
let client: Client;
let managerClient: Client;
let nodesClient: Client;
let manager: ControllerManager;
let hollow: HollowNodes;

const kubectl = async (...args: string[]): Promise<string> => {
  const r = await api.kubectl(args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
};
const isReady = (p: Pod) => p.status?.phase === "Running" && !!p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
const image = (p: Pod) => p.spec?.containers?.[0]?.image;
const podsOf = async (app: string, ns = NS) => (await client.list<Pod>(resources.pods, { namespace: ns, labelSelector: { app } })).items;
const replicaSetsOf = async (app: string, ns = NS) => (await client.list<ReplicaSet>(resources.replicasets, { namespace: ns, labelSelector: { app } })).items;
const deployment = (name: string, ns = NS) => client.get<Deployment>(resources.deployments, name, { namespace: ns });

/** Exactly `n` pods of the app (terminating ones included), all Running and Ready, all with `img` if given. */
async function runningPods(app: string, n: number, img?: string, ns = NS): Promise<Pod[]> {
  return waitFor(`${n} running ${app} pods${img ? ` of ${img}` : ""}`, async () => {
    const pods = await podsOf(app, ns);
    const ok = pods.length === n && pods.every((p) => isReady(p) && !p.metadata?.deletionTimestamp && (!img || image(p) === img));
    return ok ? pods : undefined;
  });
}

/** The deployment has observed its spec and has `n` updated, ready, available replicas. */
async function deploymentSettled(name: string, n: number, ns = NS): Promise<Deployment> {
  return waitFor(`deployment ${name} settled at ${n}`, async () => {
    const d = await deployment(name, ns);
    const s = d.status ?? {};
    const ok = s.observedGeneration === d.metadata?.generation && (s.replicas ?? 0) === n && (s.updatedReplicas ?? 0) === n &&
      (s.readyReplicas ?? 0) === n && (s.availableReplicas ?? 0) === n;
    return ok ? d : undefined;
  });
}

before(async () => {
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
  managerClient = await Client.fromKubeconfig(api.kubeconfig, { qps: 500, burst: 1000 });
  nodesClient = await Client.fromKubeconfig(api.kubeconfig, { qps: 500, burst: 1000 });
  manager = await startControllerManager({ client: managerClient, log: silentLogger });
  hollow = await startHollowNodes({ client: nodesClient, count: 3, bind: true, log: silentLogger });
});

after(async () => {
  await manager?.stop();
  await hollow?.stop();
  for (const c of [client, managerClient, nodesClient]) c?.close();
  await api?.close();
});

it("kubectl create deployment: its pod is bound, Running and Ready, and the deployment Available", async () => {
  assert.match(await kubectl("create", "deployment", "web", "--image=busybox", "--replicas=1"), /^deployment\.apps\/web created$/m);
  const [pod] = await runningPods("web", 1);
  assert.match(pod!.spec?.nodeName ?? "", /^hollow-\d$/);
  const d = await deploymentSettled("web", 1);
  const available = d.status?.conditions?.find((c) => c.type === "Available");
  assert.deepEqual([available?.status, available?.reason], ["True", "MinimumReplicasAvailable"]);
  const get = await kubectl("get", "deployment", "web", "--no-headers");
  assert.match(get, /^web\s+1\/1\s+1\s+1\s/);
  const wide = await kubectl("get", "pods", "-l", "app=web", "-o", "wide", "--no-headers");
  assert.match(wide, new RegExp(`^${pod!.metadata!.name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${pod!.status!.podIP!.replace(/\./g, "\\.")}\\s+hollow-\\d`));
});

it("kubectl scale follows up to 5 and down to 2", async () => {
  assert.match(await kubectl("scale", "deployment", "web", "--replicas=5"), /^deployment\.apps\/web scaled$/m);
  const five = await runningPods("web", 5);
  assert.equal(new Set(five.map((p) => p.spec?.nodeName)).size, 3, "spread over the three nodes");
  await deploymentSettled("web", 5);
  await kubectl("scale", "deployment", "web", "--replicas=2");
  await runningPods("web", 2);
  await deploymentSettled("web", 2);
  assert.match(await kubectl("get", "deployment", "web", "--no-headers"), /^web\s+2\/2\s+2\s+2\s/);
});

it("kubectl set image rolls out; rollout status succeeds; history lists two revisions", async () => {
  assert.match(await kubectl("set", "image", "deployment/web", "busybox=busybox:1.36"), /^deployment\.apps\/web image updated$/m);
  const status = await kubectl("rollout", "status", "deployment/web", "--timeout=60s");
  assert.match(status, /deployment "web" successfully rolled out/);
  await runningPods("web", 2, "busybox:1.36");
  const rss = await replicaSetsOf("web");
  assert.equal(rss.length, 2);
  assert.deepEqual(rss.map((rs) => [rs.spec?.template?.spec?.containers?.[0]?.image, rs.spec?.replicas]).sort(), [["busybox", 0], ["busybox:1.36", 2]]);
  const history = await kubectl("rollout", "history", "deployment/web");
  assert.match(history, /^REVISION\s+CHANGE-CAUSE/m);
  assert.match(history, /^1\s+<none>/m);
  assert.match(history, /^2\s+<none>/m);
  assert.doesNotMatch(history, /^3\s/m);
});

it("kubectl rollout undo brings the old image back", async () => {
  assert.match(await kubectl("rollout", "undo", "deployment/web"), /^deployment\.apps\/web rolled back$/m);
  assert.match(await kubectl("rollout", "status", "deployment/web", "--timeout=60s"), /successfully rolled out/);
  await runningPods("web", 2, "busybox");
  const d = await deploymentSettled("web", 2);
  assert.equal(d.spec?.template?.spec?.containers?.[0]?.image, "busybox");
  assert.equal(d.metadata?.annotations?.["deployment.kubernetes.io/revision"], "3");
});

it("kubectl delete pod: a new pod with a new name replaces it", async () => {
  const before = await runningPods("web", 2);
  const victim = before[0]!.metadata!.name!;
  // kubectl waits until the pod is really gone: the hollow kubelet finishes the graceful deletion.
  assert.match(await kubectl("delete", "pod", victim), new RegExp(`^pod "${victim}" deleted`, "m"));
  const after = await runningPods("web", 2);
  const names = after.map((p) => p.metadata!.name!);
  assert.ok(!names.includes(victim), "the deleted pod is gone");
  assert.ok(names.includes(before[1]!.metadata!.name!), "the other pod stays");
});

it("kubectl delete deployment removes its ReplicaSets and pods", async () => {
  assert.match(await kubectl("delete", "deployment", "web"), /^deployment\.apps "web" deleted$/m);
  await waitFor("ReplicaSets and pods of web gone", async () => (await replicaSetsOf("web")).length === 0 && (await podsOf("web")).length === 0);
  const res = await api.kubectl(["get", "deployment", "web"]);
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /NotFound|not found/);
});

it("kubectl delete deployment --cascade=orphan leaves its ReplicaSet and pods", async () => {
  await kubectl("create", "deployment", "keep", "--image=busybox", "--replicas=2");
  const pods = await runningPods("keep", 2);
  await deploymentSettled("keep", 2);
  const [rs] = await replicaSetsOf("keep");
  assert.match(await kubectl("delete", "deployment", "keep", "--cascade=orphan"), /^deployment\.apps "keep" deleted$/m);
  await waitFor("the deployment gone", async () => {
    try {
      await deployment("keep");
      return false;
    } catch (err) {
      return isStatusError(err, "NotFound");
    }
  });
  const orphan = await waitFor("the ReplicaSet without owner", async () => {
    const [r] = await replicaSetsOf("keep");
    return r && (r.metadata?.ownerReferences ?? []).length === 0 ? r : undefined;
  });
  assert.equal(orphan.metadata?.uid, rs!.metadata?.uid);
  assert.equal(orphan.spec?.replicas, 2);
  const still = await runningPods("keep", 2);
  assert.deepEqual(still.map((p) => p.metadata?.name).sort(), pods.map((p) => p.metadata?.name).sort(), "the same pods");
  for (const p of still) assert.equal(p.metadata?.ownerReferences?.[0]?.uid, rs!.metadata?.uid, "still controlled by the ReplicaSet");
  const out = await kubectl("get", "rs", "-l", "app=keep", "--no-headers");
  assert.match(out, new RegExp(`^${rs!.metadata!.name}\\s+2\\s+2\\s+2\\s`));
});

it("kubectl delete namespace empties it (a deployment inside) and the namespace goes away", async () => {
  assert.match(await kubectl("create", "namespace", "x"), /^namespace\/x created$/m);
  await kubectl("create", "deployment", "app", "-n", "x", "--image=busybox", "--replicas=3");
  await runningPods("app", 3, undefined, "x");
  await deploymentSettled("app", 3, "x");
  assert.match(await kubectl("delete", "namespace", "x", "--timeout=60s"), /^namespace "x" deleted$/m);
  const res = await api.kubectl(["get", "namespace", "x"]);
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /namespaces "x" not found/);
  assert.equal((await podsOf("app", "x")).length, 0);
  assert.equal((await replicaSetsOf("app", "x")).length, 0);
  assert.equal((await client.list(resources.deployments, { namespace: "x" })).items.length, 0);
});
