// Builders for scheduler unit tests: nodes and pods with just the fields a test cares about, a
// NodeInfo from a node and its pods, and a Handle over a snapshot (no API server).
import type { Node, Pod, Taint, Toleration, Affinity, ContainerPort } from "kubernetes-types/core/v1.js";
import { NodeInfo } from "./framework/node-info.ts";
import { CycleState } from "./framework/cycle-state.ts";
import type { Handle } from "./framework/types.ts";
import { SUCCESS } from "./framework/status.ts";
import { Snapshot } from "./cache/snapshot.ts";
import { silentLogger } from "../util/log.ts";
import { realClock } from "../client/index.ts";
import type { Client, EventRecorder } from "../client/index.ts";

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  extra?: Record<string, string>;
}

export function makeNode(name: string, s: NodeSpec = {}): Node {
  const allocatable = { cpu: s.cpu ?? "4", memory: s.memory ?? "8Gi", pods: String(s.pods ?? 110), ...s.extra };
  return {
    apiVersion: "v1", kind: "Node",
    metadata: { name, uid: `uid-${name}`, labels: { "kubernetes.io/hostname": name, ...s.labels } },
    spec: { taints: s.taints, unschedulable: s.unschedulable },
    status: { capacity: allocatable, allocatable },
  };
}

export interface PodSpecLite {
  namespace?: string;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Affinity;
  ports?: ContainerPort[];
  priority?: number;
  schedulerName?: string;
  topologySpreadConstraints?: NonNullable<Pod["spec"]>["topologySpreadConstraints"];
  creationTimestamp?: string;
}

let podCounter = 0;
export function makePod(name: string, s: PodSpecLite = {}): Pod {
  const requests: Record<string, string> = {};
  if (s.cpu) requests.cpu = s.cpu;
  if (s.memory) requests.memory = s.memory;
  return {
    apiVersion: "v1", kind: "Pod",
    metadata: { name, namespace: s.namespace ?? "default", uid: `uid-${name}-${++podCounter}`, labels: s.labels, creationTimestamp: s.creationTimestamp },
    spec: {
      nodeName: s.nodeName, nodeSelector: s.nodeSelector, tolerations: s.tolerations, affinity: s.affinity,
      priority: s.priority, schedulerName: s.schedulerName ?? "default-scheduler",
      topologySpreadConstraints: s.topologySpreadConstraints,
      containers: [{ name: "c", image: "busybox", resources: Object.keys(requests).length ? { requests } : undefined, ports: s.ports }],
    },
  };
}

/** A NodeInfo for `node` with `pods` on it (their nodeName is set to the node). */
export function nodeInfo(node: Node, ...pods: Pod[]): NodeInfo {
  const n = new NodeInfo(node.metadata!.name!, node);
  for (const p of pods) n.addPod({ ...p, spec: { ...p.spec!, nodeName: n.name } });
  return n;
}

/** A Handle over these node states; no client (plugins under unit test must not call the API). */
export function fakeHandle(nodes: readonly NodeInfo[], namespaces: Record<string, Record<string, string>> = {}): Handle {
  const snap = new Snapshot(nodes);
  return {
    snapshot: () => snap,
    namespaceLabels: (ns) => namespaces[ns] ?? { "kubernetes.io/metadata.name": ns },
    nominatedPodsForNode: () => [],
    runFilterPlugins: () => SUCCESS,
    runPreFilterAddPod: () => SUCCESS,
    runPreFilterRemovePod: () => SUCCESS,
    client: undefined as unknown as Client,
    recorder: undefined as unknown as EventRecorder,
    clock: realClock,
    log: silentLogger,
  };
}

export const newState = (): CycleState => new CycleState();
