// Builders for the deployment controller's unit tests: deployments and ReplicaSets in a few lines.
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION } from "./util.ts";

export const template = (image: string): PodTemplateSpec => ({
  metadata: { labels: { app: "web" } },
  spec: { containers: [{ name: "c", image }] },
});

export interface DeploymentOpts {
  replicas?: number;
  image?: string;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  recreate?: boolean;
  generation?: number;
}

export function deployment(o: DeploymentOpts = {}): Deployment {
  return {
    apiVersion: "apps/v1", kind: "Deployment",
    metadata: { name: "web", namespace: "default", uid: "d-uid", generation: o.generation ?? 1 },
    spec: {
      replicas: o.replicas ?? 5,
      selector: { matchLabels: { app: "web" } },
      template: template(o.image ?? "img:2"),
      strategy: o.recreate ? { type: "Recreate" } : { type: "RollingUpdate", rollingUpdate: { maxSurge: o.maxSurge ?? "25%", maxUnavailable: o.maxUnavailable ?? "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {},
  };
}

export interface RSOpts {
  replicas: number;
  available?: number;
  actual?: number;
  image?: string;
  revision?: number;
  desired?: number;
  max?: number;
  created?: string;
}

export function replicaSet(name: string, o: RSOpts): ReplicaSet {
  const annotations: Record<string, string> = {};
  if (o.revision !== undefined) annotations[REVISION_ANNOTATION] = String(o.revision);
  if (o.desired !== undefined) annotations[DESIRED_REPLICAS_ANNOTATION] = String(o.desired);
  if (o.max !== undefined) annotations[MAX_REPLICAS_ANNOTATION] = String(o.max);
  const available = o.available ?? o.replicas;
  return {
    apiVersion: "apps/v1", kind: "ReplicaSet",
    metadata: { name, namespace: "default", annotations, creationTimestamp: o.created ?? "2026-01-01T00:00:00Z", generation: 1 },
    spec: { replicas: o.replicas, selector: { matchLabels: { app: "web" } }, template: template(o.image ?? "img:1") },
    status: { replicas: o.actual ?? o.replicas, readyReplicas: available, availableReplicas: available, observedGeneration: 1 },
  };
}
