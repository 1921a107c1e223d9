// The kinds k8ts serves: one registry entry per kind (see kinds/), groups in Kubernetes'
// discovery order (core first, so "events" and "ev" mean core/v1 events as in kubectl).
import { Registry } from "./registry.ts";
import { namespaces } from "./kinds/namespace.ts";
import { configmaps } from "./kinds/configmap.ts";
import { pods } from "./kinds/pod.ts";
import { nodes } from "./kinds/node.ts";
import { servicesDefinition } from "./kinds/service.ts";
import type { ServiceAllocation } from "./kinds/service-alloc.ts";
import { endpoints, endpointSlices } from "./kinds/endpoints.ts";
import { secrets, serviceAccounts } from "./kinds/secret.ts";
import { events, eventsV1 } from "./kinds/event.ts";
import { persistentVolumeClaims, persistentVolumes } from "./kinds/persistentvolume.ts";
import { deployments, replicaSets } from "./kinds/deployment.ts";
import { daemonSets, statefulSets } from "./kinds/statefulset.ts";
import { horizontalPodAutoscalers } from "./kinds/hpa.ts";
import { podDisruptionBudgets } from "./kinds/pdb.ts";
import { priorityClasses } from "./kinds/priorityclass.ts";
import { leases } from "./kinds/lease.ts";
import { selfSubjectReviews } from "./kinds/selfsubjectreview.ts";

export interface BuiltinOptions {
  /** ClusterIP/NodePort allocation for Services; without it Services keep the IPs clients send. */
  serviceAllocation?: ServiceAllocation;
}

export function builtinRegistry(opts: BuiltinOptions = {}): Registry {
  return new Registry().add(
    namespaces, configmaps, pods, nodes, servicesDefinition(opts.serviceAllocation), endpoints, secrets, serviceAccounts, events,
    persistentVolumes, persistentVolumeClaims,
    deployments, replicaSets, statefulSets, daemonSets,
    eventsV1, horizontalPodAutoscalers, podDisruptionBudgets, priorityClasses, leases, endpointSlices,
    selfSubjectReviews,
  );
}
