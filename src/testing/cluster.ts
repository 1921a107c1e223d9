// A whole cluster for end-to-end tests and benchmarks, in this process: API server (embedded
// store, 127.0.0.1, free port), controller manager, scheduler and optionally a kubelet with the
// process runtime — each a client of the API server, as in `k8ts server`. Every cluster gets its
// own random pod CIDR so that several test files can run side by side.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../client/index.ts";
import { startControllerManager } from "../controllers/index.ts";
import type { ControllerManager, ControllerManagerOptions } from "../controllers/index.ts";
import { startScheduler } from "../scheduler/index.ts";
import type { SchedulerServer } from "../scheduler/index.ts";
import { Kubelet } from "../kubelet/kubelet.ts";
import type { KubeletOptions } from "../kubelet/kubelet.ts";
import { ProcessRuntime } from "../kubelet/runtime/process/index.ts";
import { silentLogger } from "../util/log.ts";
import { startTestApiServer } from "./apiserver.ts";
import type { TestApiServer } from "./apiserver.ts";

export interface TestCluster {
  api: TestApiServer;
  client: Client;
  controllers: ControllerManager;
  scheduler: SchedulerServer;
  kubelet?: Kubelet;
  clusterCIDR: string;
  /** Starts (another) kubelet in this process; stopped with the cluster. */
  startKubelet(nodeName: string, opts?: Partial<KubeletOptions>): Promise<Kubelet>;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** Start a kubelet named `nodeName` (default true). */
  kubelet?: boolean;
  nodeName?: string;
  kubeletOptions?: Partial<KubeletOptions>;
  controllerOptions?: Partial<ControllerManagerOptions>;
}

/** 10.<100..199>.0.0/16: distinct per cluster with high probability. */
export const randomClusterCIDR = (): string => `10.${100 + Math.floor(Math.random() * 100)}.0.0/16`;

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const api = await startTestApiServer();
  const client = await Client.fromKubeconfig(api.kubeconfig);
  const clusterCIDR = randomClusterCIDR();
  const controllers = await startControllerManager({ client, log: silentLogger, nodeIpam: { clusterCIDR }, ...opts.controllerOptions });
  const scheduler = await startScheduler({ client, log: silentLogger, initialBackoffMs: 200, maxBackoffMs: 1000 });
  const kubelets: { kubelet: Kubelet; dir: string }[] = [];
  const startKubelet = async (nodeName: string, o: Partial<KubeletOptions> = {}): Promise<Kubelet> => {
    const dir = await mkdtemp(join(tmpdir(), "k8ts-kubelet-"));
    const creds = await api.server.nodeCredentials(nodeName, ["127.0.0.1"]);
    const kubelet = new Kubelet({
      client, nodeName, dataDir: dir, kubeletPort: 0, nodeIP: "127.0.0.1", serverAddress: "127.0.0.1",
      tls: { cert: creds.serving.cert, key: creds.serving.key, caPem: creds.caPem }, log: silentLogger,
      statusUpdateFrequencyMs: 1000, resyncIntervalMs: 2000, ...o,
    });
    kubelets.push({ kubelet, dir });
    await kubelet.start();
    return kubelet;
  };
  const cluster: TestCluster = {
    api, client, controllers, scheduler, clusterCIDR, startKubelet,
    stop: async () => {
      for (const k of kubelets) {
        await k.kubelet.stop({ stopPods: true }).catch(() => undefined);
        // A node keeps its bridge; a test must not, or the next cluster's random CIDR may clash with it.
        if (k.kubelet.runtime instanceof ProcessRuntime) await k.kubelet.runtime.network.deleteBridge().catch(() => undefined);
      }
      await Promise.all([scheduler.stop(), controllers.stop()]);
      client.close();
      await api.close();
      for (const k of kubelets) await rm(k.dir, { recursive: true, force: true });
    },
  };
  try {
    if (opts.kubelet !== false) cluster.kubelet = await startKubelet(opts.nodeName ?? `node-${Math.random().toString(36).slice(2, 8)}`, opts.kubeletOptions);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
