// autoscaling/v2 HorizontalPodAutoscaler: defaults (minReplicas 1, CPU 80% when no metrics, the
// scaling behavior's rules), replica-bound validation, and kubectl's REFERENCE/TARGETS cells.
import type { HorizontalPodAutoscalerSpec, HPAScalingRules, MetricSpec, MetricStatus } from "kubernetes-types/autoscaling/v2.js";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject, Mutable } from "../../../apimachinery/object.ts";
import { fieldErrors } from "../../../apimachinery/status.ts";
import type { ResourceDefinition } from "../types.ts";
import { arr } from "./pod-spec.ts";
import { quantityString } from "./printers.ts";

interface HPAShape extends KubeObject {
  spec?: Mutable<HorizontalPodAutoscalerSpec>;
  status?: { currentReplicas?: number; desiredReplicas?: number; currentMetrics?: MetricStatus[] };
}

export const DEFAULT_CPU_UTILIZATION = 80;
const METRIC_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"];

const scaleUpDefault = (): HPAScalingRules => ({
  stabilizationWindowSeconds: 0, selectPolicy: "Max",
  policies: [{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }],
});
const scaleDownDefault = (): HPAScalingRules => ({ stabilizationWindowSeconds: 300, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] });

/** GenerateHPAScale{Up,Down}Rules: the given rules with their missing parts from the defaults. */
function fillRules(rules: HPAScalingRules | undefined, defaults: HPAScalingRules): HPAScalingRules {
  if (!rules) return defaults;
  const out = { ...rules } as Mutable<HPAScalingRules>;
  out.stabilizationWindowSeconds ??= defaults.stabilizationWindowSeconds;
  out.selectPolicy ??= defaults.selectPolicy;
  if (arr(out.policies).length === 0) out.policies = defaults.policies;
  return out;
}

export function defaultHPA(spec: Mutable<HorizontalPodAutoscalerSpec>): void {
  spec.minReplicas ??= 1;
  if (arr(spec.metrics).length === 0) {
    spec.metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  if (spec.behavior) {
    spec.behavior = { ...spec.behavior, scaleUp: fillRules(spec.behavior.scaleUp, scaleUpDefault()), scaleDown: fillRules(spec.behavior.scaleDown, scaleDownDefault()) };
  }
}

/** ValidatePathSegmentName: what a name used in a URL path may not be. */
function pathSegmentErrors(name: string): string[] {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ["/", "%"]) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

export function validateHPASpec(spec: HorizontalPodAutoscalerSpec | undefined): StatusCause[] {
  const s = spec ?? ({} as HorizontalPodAutoscalerSpec);
  const causes: StatusCause[] = [];
  const ref = s.scaleTargetRef ?? ({} as HorizontalPodAutoscalerSpec["scaleTargetRef"]);
  if (!ref.kind) causes.push(fieldErrors.required("spec.scaleTargetRef.kind"));
  else for (const m of pathSegmentErrors(ref.kind)) causes.push(fieldErrors.invalid("spec.scaleTargetRef.kind", ref.kind, m));
  if (!ref.name) causes.push(fieldErrors.required("spec.scaleTargetRef.name"));
  else for (const m of pathSegmentErrors(ref.name)) causes.push(fieldErrors.invalid("spec.scaleTargetRef.name", ref.name, m));
  const min = s.minReplicas;
  if (min !== undefined && min !== null && min < 1) causes.push(fieldErrors.invalid("spec.minReplicas", min, "must be greater than or equal to 1"));
  const max = s.maxReplicas;
  if (typeof max !== "number" || max < 1) causes.push(fieldErrors.invalid("spec.maxReplicas", max ?? 0, "must be greater than 0"));
  else if (min !== undefined && min !== null && max < min) causes.push(fieldErrors.invalid("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`"));
  arr(s.metrics).forEach((m, i) => {
    const path = `spec.metrics[${i}]`;
    if (!m.type) causes.push(fieldErrors.required(`${path}.type`, "must specify a metric source type"));
    else if (!METRIC_TYPES.includes(m.type)) causes.push(fieldErrors.notSupported(`${path}.type`, m.type, METRIC_TYPES));
    else {
      const field = m.type[0]!.toLowerCase() + m.type.slice(1);
      if (!(m as unknown as Record<string, unknown>)[field]) causes.push(fieldErrors.required(`${path}.${field}`, "must populate information for the given metric source"));
    }
  });
  return causes;
}

const q = (v: string | number | undefined) => (v === undefined ? "<unknown>" : quantityString(v));

/** formatHPAMetrics: at most two "current/target" entries, then "+ N more...". */
export function formatHPAMetrics(specs: readonly MetricSpec[], statuses: readonly MetricStatus[]): string {
  if (specs.length === 0) return "<none>";
  const list = specs.map((spec, i) => {
    const st = statuses[i];
    switch (spec.type) {
      case "External":
      case "Object": {
        const target = spec.type === "External" ? spec.external?.target : spec.object?.target;
        const current = spec.type === "External" ? st?.external?.current : st?.object?.current;
        if (target?.averageValue !== undefined) return `${current?.averageValue !== undefined ? q(current.averageValue) : "<unknown>"}/${q(target.averageValue)} (avg)`;
        return `${current ? q(current.value) : "<unknown>"}/${q(target?.value)}`;
      }
      case "Pods":
        return `${st?.pods ? q(st.pods.current.averageValue) : "<unknown>"}/${q(spec.pods?.target.averageValue)}`;
      case "Resource":
      case "ContainerResource": {
        const src = spec.type === "Resource" ? spec.resource : spec.containerResource;
        const cur = spec.type === "Resource" ? st?.resource : st?.containerResource;
        const name = src?.name ?? "";
        if (src?.target.averageValue !== undefined) return `${name}: ${cur ? q(cur.current.averageValue) : "<unknown>"}/${q(src.target.averageValue)}`;
        const current = cur?.current.averageUtilization !== undefined ? `${cur.current.averageUtilization}%` : "<unknown>";
        const target = src?.target.averageUtilization !== undefined ? `${src.target.averageUtilization}%` : "<auto>";
        return `${name}: ${current}/${target}`;
      }
    }
    return "<unknown type>";
  });
  const shown = list.slice(0, 2).join(", ");
  return list.length > 2 ? `${shown} + ${list.length - 2} more...` : shown;
}

export const horizontalPodAutoscalers: ResourceDefinition = {
  group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers", singular: "horizontalpodautoscaler",
  shortNames: ["hpa"], categories: ["all"],
  namespaced: true,
  status: true,
  defaults: (obj) => defaultHPA(((obj as HPAShape).spec ??= {} as HorizontalPodAutoscalerSpec)),
  prepareForCreate(obj) {
    (obj as HPAShape).status = { desiredReplicas: 0 };
  },
  validate: (obj) => validateHPASpec((obj as HPAShape).spec),
  columns: [
    { name: "Reference", type: "string", description: "scaleTargetRef points to the target resource to scale." },
    { name: "Targets", type: "string", description: "metrics contains the specifications for which to use to calculate the desired replica count." },
    { name: "MinPods", type: "string", description: "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down." },
    { name: "MaxPods", type: "string", description: "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up." },
    { name: "Replicas", type: "string", description: "currentReplicas is current number of replicas of pods managed by this autoscaler." },
  ],
  cells(obj) {
    const hpa = obj as HPAShape;
    const s = hpa.spec;
    const min = s?.minReplicas;
    return [
      `${s?.scaleTargetRef?.kind ?? ""}/${s?.scaleTargetRef?.name ?? ""}`, formatHPAMetrics(arr(s?.metrics), arr(hpa.status?.currentMetrics)),
      min === undefined || min === null ? "<unset>" : String(min), s?.maxReplicas ?? 0, hpa.status?.currentReplicas ?? 0,
    ];
  },
};
