// Two agents on one machine, each a `k8ts agent` process joined with the node token (distinct
// node names, data dirs and ports): a Deployment's pods spread over both; SIGKILL one agent and
// its node goes NotReady (Unknown) within the grace period, its pods are evicted after their
// toleration and the ReplicaSet recreates them on the other node.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import { Client, resources } from "../src/client/index.ts";
import { startControllerManager } from "../src/controllers/index.ts";
import type { ControllerManager } from "../src/controllers/index.ts";
import { startScheduler } from "../src/scheduler/index.ts";
import type { SchedulerServer } from "../src/scheduler/index.ts";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { randomClusterCIDR } from "../src/testing/cluster.ts";
import { freePort, waitFor } from "../src/testing/wait.ts";
import { ProcessRuntime } from "../src/kubelet/runtime/process/index.ts";
import { bridgeNameFor } from "../src/kubelet/kubelet.ts";
import { silentLogger } from "../src/util/log.ts";

let api: TestApiServer;
let client: Client;
let controllers: ControllerManager;
let scheduler: SchedulerServer;
let scratch: string;
const agents = new Map<string, { proc: ChildProcess; dir: string }>();
const MAIN = new URL("../src/cli/main.ts", import.meta.url).pathname;

async function startAgent(name: string): Promise<void> {
  const dir = join(scratch, name);
  const proc = spawn(process.execPath, [MAIN, "agent", "--server", api.server.url, "--token", api.server.nodeToken, "--data-dir", dir,
    "--node-name", name, "--node-ip", "127.0.0.1", "--kubelet-address", "127.0.0.1", "--kubelet-port", String(await freePort())], {
    stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LOG_LEVEL: "warn" },
  });
  proc.stderr?.resume();
  agents.set(name, { proc, dir });
}

const nodeReady = (n: Node | undefined) => n?.status?.conditions?.find((c) => c.type === "Ready")?.status;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "k8ts-agents-"));
  api = await startTestApiServer();
  client = await Client.fromKubeconfig(api.kubeconfig);
  controllers = await startControllerManager({
    client, log: silentLogger, nodeIpam: { clusterCIDR: randomClusterCIDR() },
    nodeLifecycle: { nodeMonitorPeriodMs: 1000, nodeMonitorGracePeriodMs: 15_000 },
  });
  scheduler = await startScheduler({ client, log: silentLogger, initialBackoffMs: 200, maxBackoffMs: 1000 });
});

after(async () => {
  for (const { proc } of agents.values()) {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
  }
  // The SIGKILLed agent left its containers running: stop them as its next start would.
  for (const [name, { dir }] of agents) {
    const runtime = new ProcessRuntime({ stateDir: join(dir, "runtime"), bridge: bridgeNameFor(name), log: silentLogger });
    for (const s of await runtime.listPodSandboxes()) await runtime.stopPodSandbox(s.id).catch(() => undefined);
    await runtime.network.deleteBridge().catch(() => undefined);
    await runtime.close();
  }
  await scheduler?.stop();
  await controllers?.stop();
  client?.close();
  await api?.close();
  await rm(scratch, { recursive: true, force: true });
});

it("pods spread over two agents and move to the survivor when one is killed", async () => {
  await startAgent("agent-a");
  await startAgent("agent-b");
  await waitFor("both nodes Ready", async () => {
    const nodes = (await client.list<Node>(resources.nodes)).items;
    return nodes.length === 2 && nodes.every((n) => nodeReady(n) === "True") || undefined;
  }, 60_000);
  const tolerations = ["unreachable", "not-ready"].map((t) => ({ key: `node.kubernetes.io/${t}`, operator: "Exists", effect: "NoExecute", tolerationSeconds: 2 }));
  await client.create(resources.deployments, {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "spread", namespace: "default" },
    spec: {
      replicas: 4, selector: { matchLabels: { app: "spread" } },
      template: { metadata: { labels: { app: "spread" } }, spec: { tolerations, containers: [{ name: "c", image: "busybox", command: ["sleep", "3598"] }] } },
    },
  }, { namespace: "default" });
  const running = (pods: Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === "Running");
  const list = async () => (await client.list<Pod>(resources.pods, { namespace: "default", labelSelector: "app=spread" })).items;
  const first = await waitFor("4 running pods", async () => {
    const pods = running(await list());
    return pods.length === 4 ? pods : undefined;
  }, 60_000);
  const nodesUsed = new Set(first.map((p) => p.spec?.nodeName));
  assert.deepEqual([...nodesUsed].sort(), ["agent-a", "agent-b"], "the pods use both nodes");

  const victim = agents.get("agent-a")!.proc;
  const gone = new Promise((r) => victim.once("exit", r));
  victim.kill("SIGKILL");
  await gone;
  const killedAt = Date.now();
  await waitFor("agent-a NotReady", async () => nodeReady(await client.get<Node>(resources.nodes, "agent-a")) === "Unknown" || undefined, 60_000);
  const notReadyAfter = Date.now() - killedAt;
  assert.ok(notReadyAfter < 60_000, `NotReady after ${notReadyAfter} ms`);
  await waitFor("the unreachable NoExecute taint", async () => {
    const node = await client.get<Node>(resources.nodes, "agent-a");
    return node.spec?.taints?.some((t) => t.key === "node.kubernetes.io/unreachable" && t.effect === "NoExecute") || undefined;
  }, 30_000);
  const moved = await waitFor("4 running pods on agent-b", async () => {
    const pods = running(await list()).filter((p) => p.spec?.nodeName === "agent-b");
    return pods.length === 4 ? pods : undefined;
  }, 60_000);
  const oldOnA = first.filter((p) => p.spec?.nodeName === "agent-a").map((p) => p.metadata?.name);
  assert.ok(oldOnA.every((n) => !moved.some((p) => p.metadata?.name === n)), "replacements are new pods");
});
