// Starts the node agent (kubelet) for the CLI: with credentials from the API server in the same
// process (`k8ts server`) or from joining with a node token (`k8ts agent`), writes the kubelet's
// kubeconfig under its data dir, and returns something to stop.
import { hostname } from "node:os";
import { join } from "node:path";
import { Client } from "../client/index.ts";
import { kubeconfigFor, writeKubeconfig } from "../apiserver/auth/index.ts";
import type { NodeCredentials } from "../apiserver/auth/node-join.ts";
import { Kubelet } from "../kubelet/kubelet.ts";
import { defaultNodeAddresses } from "../kubelet/node/index.ts";
import type { Logger } from "../util/log.ts";

export interface NodeAgentOptions {
  server: string;
  /** Issues the kubelet's certificates (in-process API server, or a join). */
  credentials: (nodeName: string, addresses: string[]) => Promise<NodeCredentials>;
  dataDir: string;
  nodeName?: string;
  nodeIP?: string;
  kubeletPort?: number;
  /** Where the kubelet's HTTPS server listens (default 0.0.0.0). */
  serverAddress?: string;
  controlPlane?: boolean;
  log?: Logger;
}

export interface NodeAgent {
  kubelet: Kubelet;
  /** Stops the agent and the pods' containers (Ctrl-C stops everything). */
  stop(): Promise<void>;
}

export async function startNodeAgent(opts: NodeAgentOptions): Promise<NodeAgent> {
  const nodeName = (opts.nodeName ?? hostname()).toLowerCase();
  const addresses = opts.nodeIP ? [opts.nodeIP] : defaultNodeAddresses({ hostname: nodeName }).filter((a) => a.type === "InternalIP").map((a) => a.address);
  const creds = await opts.credentials(nodeName, [...addresses, "127.0.0.1"]);
  const kubeconfig = kubeconfigFor({ server: opts.server, caPem: creds.caPem, clientCertPem: creds.client.cert, clientKeyPem: creds.client.key, name: nodeName });
  await writeKubeconfig(join(opts.dataDir, "kubelet.kubeconfig"), { server: opts.server, caPem: creds.caPem, clientCertPem: creds.client.cert, clientKeyPem: creds.client.key, name: nodeName });
  const client = await Client.fromKubeconfig(kubeconfig as unknown as Record<string, unknown>);
  const kubelet = new Kubelet({
    client, nodeName, dataDir: opts.dataDir, nodeIP: opts.nodeIP ?? addresses[0], kubeletPort: opts.kubeletPort,
    tls: { cert: creds.serving.cert, key: creds.serving.key, caPem: creds.caPem }, serverAddress: opts.serverAddress,
    labels: opts.controlPlane ? { "node-role.kubernetes.io/control-plane": "true" } : undefined, log: opts.log,
  });
  await kubelet.start();
  return {
    kubelet,
    stop: async () => {
      await kubelet.stop({ stopPods: true });
      client.close();
    },
  };
}
