// The objects of bench/scheduler.ts, after scheduler_perf's templates: node-default.yaml (4 cpu,
// 32Gi, 110 pods, Ready) with hostname and zone labels; pod-default.yaml (pause, requests = limits
// = 100m / 500Mi, containerPort 80); pod-with-pod-anti-affinity.yaml (color=green, required
// anti-affinity on hostname against color=green in sched-0 and sched-1); pod-with-topology-
// spreading.yaml (color=blue, DoNotSchedule on zone; maxSkew 1 here, scheduler_perf uses 5).
import type { Node, Pod } from "kubernetes-types/core/v1.js";

export type Workload = "basic" | "anti-affinity" | "topology-spread";

/** scheduler_perf's sizes at 5000 nodes: SchedulingBasic/5000Nodes_10000Pods, SchedulingPodAntiAffinity/5000Nodes_2000Pods, TopologySpreading/5000Nodes_5000Pods. */
export const WORKLOAD_DEFAULTS: Record<Workload, { initPods: number; pods: number }> = {
  basic: { initPods: 1000, pods: 10_000 },
  "anti-affinity": { initPods: 1000, pods: 2000 },
  "topology-spread": { initPods: 5000, pods: 5000 },
};

/** Namespaces of the init and the measured pods (anti-affinity's terms name sched-0 and sched-1). */
export const namespacesOf = (w: Workload): { init: string; measured: string } =>
  w === "anti-affinity" ? { init: "sched-0", measured: "sched-1" } : { init: "bench-init", measured: "bench" };

/** Init pods: anti-affinity ones for that workload (as scheduler_perf), pod-default otherwise. */
export const initKindOf = (w: Workload): Workload => (w === "anti-affinity" ? "anti-affinity" : "basic");

export const zoneOf = (i: number, zones: number): string => `zone-${i % zones}`;

export function benchNode(i: number, zones: number): Node {
  const name = `node-${i}`;
  const capacity = { cpu: "4", memory: "32Gi", pods: "110" };
  return {
    apiVersion: "v1", kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zoneOf(i, zones) } },
    spec: {},
    status: { capacity, allocatable: capacity, conditions: [{ type: "Ready", status: "True" }], phase: "Running" },
  };
}

export function benchPod(namespace: string, name: string, kind: Workload): Pod {
  const pod: Pod = {
    apiVersion: "v1", kind: "Pod", metadata: { name, namespace },
    spec: {
      containers: [{
        name: "pause", image: "registry.k8s.io/pause:3.10.1", ports: [{ containerPort: 80 }],
        resources: { limits: { cpu: "100m", memory: "500Mi" }, requests: { cpu: "100m", memory: "500Mi" } },
      }],
    },
  };
  if (kind === "anti-affinity") {
    pod.metadata!.labels = { color: "green" };
    pod.spec!.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{
      labelSelector: { matchLabels: { color: "green" } }, topologyKey: "kubernetes.io/hostname", namespaces: ["sched-1", "sched-0"],
    }] } };
  } else if (kind === "topology-spread") {
    pod.metadata!.labels = { color: "blue" };
    pod.spec!.topologySpreadConstraints = [{
      maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { color: "blue" } },
    }];
  }
  return pod;
}
