// autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler conversion (`kubectl autoscale` still
// posts v1). As Kubernetes does, v1 carries the CPU target in its own field and everything v1
// cannot express in "autoscaling.alpha.kubernetes.io/*" annotations, so a round trip is lossless.
import type { HorizontalPodAutoscalerSpec, MetricSpec, MetricStatus } from "kubernetes-types/autoscaling/v2.js";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { arr } from "./pod-spec.ts";

export const METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics";
export const CURRENT_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics";
export const CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions";
export const BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior";
const ANNOTATIONS = [METRICS_ANNOTATION, CURRENT_METRICS_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];

interface V1Spec {
  scaleTargetRef?: HorizontalPodAutoscalerSpec["scaleTargetRef"];
  minReplicas?: number;
  maxReplicas?: number;
  targetCPUUtilizationPercentage?: number;
}
interface V1Status {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas?: number;
  desiredReplicas?: number;
  currentCPUUtilizationPercentage?: number;
}
interface V2Status {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas?: number;
  desiredReplicas?: number;
  currentMetrics?: MetricStatus[];
  conditions?: unknown[];
}

const isCPUUtilization = (m: MetricSpec) => m.type === "Resource" && m.resource?.name === "cpu" && m.resource.target.type === "Utilization";

function parseAnnotation<T>(annotations: Record<string, string>, key: string): T | undefined {
  const text = annotations[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** An autoscaling/v1 object as autoscaling/v2 (the stored version). */
export function hpaV1ToV2(obj: KubeObject): KubeObject {
  const out = structuredClone(obj);
  out.apiVersion = "autoscaling/v2";
  const annotations = { ...(out.metadata?.annotations ?? {}) };
  const spec = (out.spec ?? {}) as V1Spec;
  const metrics: MetricSpec[] = [];
  if (spec.targetCPUUtilizationPercentage !== undefined) {
    metrics.push({ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  metrics.push(...arr(parseAnnotation<MetricSpec[]>(annotations, METRICS_ANNOTATION)));
  const behavior = parseAnnotation<HorizontalPodAutoscalerSpec["behavior"]>(annotations, BEHAVIOR_ANNOTATION);
  const { targetCPUUtilizationPercentage: _cpu, ...rest } = spec;
  out.spec = { ...rest, ...(metrics.length > 0 ? { metrics } : {}), ...(behavior ? { behavior } : {}) };
  if (out.status && typeof out.status === "object") {
    const { currentCPUUtilizationPercentage: current, ...status } = out.status as V1Status;
    const currentMetrics: MetricStatus[] = [];
    if (current !== undefined) currentMetrics.push({ type: "Resource", resource: { name: "cpu", current: { averageUtilization: current } } });
    currentMetrics.push(...arr(parseAnnotation<MetricStatus[]>(annotations, CURRENT_METRICS_ANNOTATION)));
    const conditions = parseAnnotation<unknown[]>(annotations, CONDITIONS_ANNOTATION);
    out.status = { ...status, ...(currentMetrics.length > 0 ? { currentMetrics } : {}), ...(conditions ? { conditions } : {}) };
  }
  for (const key of ANNOTATIONS) delete annotations[key];
  if (out.metadata) {
    if (Object.keys(annotations).length > 0) out.metadata.annotations = annotations;
    else delete out.metadata.annotations;
  }
  return out;
}

/** An autoscaling/v2 object as autoscaling/v1: the first CPU utilization target in the v1 field, the rest in annotations. */
export function hpaV2ToV1(obj: KubeObject): KubeObject {
  const out = structuredClone(obj);
  out.apiVersion = "autoscaling/v1";
  const annotations: Record<string, string> = { ...(out.metadata?.annotations ?? {}) };
  const { metrics, behavior, ...spec } = (out.spec ?? {}) as HorizontalPodAutoscalerSpec;
  const list = arr(metrics);
  const cpuIndex = list.findIndex(isCPUUtilization);
  const v1Spec: V1Spec = { ...spec };
  if (cpuIndex >= 0) v1Spec.targetCPUUtilizationPercentage = list[cpuIndex]!.resource!.target.averageUtilization;
  const others = list.filter((_, i) => i !== cpuIndex);
  if (others.length > 0) annotations[METRICS_ANNOTATION] = JSON.stringify(others);
  if (behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(behavior);
  out.spec = v1Spec;
  if (out.status && typeof out.status === "object") {
    const { currentMetrics, conditions, ...status } = out.status as V2Status;
    const current = arr(currentMetrics);
    const cpu = current.findIndex((m) => m.type === "Resource" && m.resource?.name === "cpu" && m.resource.current.averageUtilization !== undefined);
    const v1Status: V1Status = { ...status, currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0 };
    if (cpu >= 0) v1Status.currentCPUUtilizationPercentage = current[cpu]!.resource!.current.averageUtilization;
    const rest = current.filter((_, i) => i !== cpu);
    if (rest.length > 0) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(rest);
    if (arr(conditions).length > 0) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(conditions);
    out.status = v1Status;
  }
  if (Object.keys(annotations).length > 0) out.metadata = { ...out.metadata, annotations };
  return out;
}
