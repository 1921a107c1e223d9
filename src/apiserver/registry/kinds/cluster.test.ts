import { test } from "node:test";
import assert from "node:assert/strict";
import { builtinRegistry } from "../builtin.ts";
import { leases } from "./lease.ts";
import { priorityClasses } from "./priorityclass.ts";
import { formatHPAMetrics, horizontalPodAutoscalers } from "./hpa.ts";
import { podDisruptionBudgets } from "./pdb.ts";
import { hpaV1ToV2, hpaV2ToV1 } from "./hpa-v1.ts";
import { endpointSlices } from "./endpoints.ts";
import { eventsV1 } from "./event.ts";
import { NOW, brief, create, update } from "./testkit.ts";

test("every built-in kind has as many cells as columns, even for an empty object", () => {
  const registry = builtinRegistry();
  const plurals = registry.resources().map((r) => `${r.group}/${r.plural}`);
  for (const want of ["/pods", "/nodes", "/services", "/endpoints", "/secrets", "/serviceaccounts", "/events", "/persistentvolumes", "/persistentvolumeclaims",
    "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "coordination.k8s.io/leases", "events.k8s.io/events",
    "discovery.k8s.io/endpointslices", "scheduling.k8s.io/priorityclasses", "autoscaling/horizontalpodautoscalers", "policy/poddisruptionbudgets", "/namespaces", "/configmaps"]) {
    assert.ok(plurals.includes(want), want);
  }
  for (const r of registry.resources()) {
    if (!r.cells) continue;
    assert.equal(r.cells({ metadata: { name: "x" } }, NOW).length, r.columns?.length ?? 0, r.plural);
    if (r.selectableFields) assert.ok(Object.values(r.selectableFields({ metadata: {} })).every((v) => typeof v === "string"), r.plural);
    if (r.noAgeColumn && r.plural !== "events") assert.ok(r.columns!.some((c) => c.name === "Age"), r.plural);
  }
});

test("Leases: validation and the HOLDER cell", async () => {
  assert.deepEqual((await create(leases, { metadata: { name: "l" }, spec: { holderIdentity: "node-1", leaseDurationSeconds: 40 } })).causes, []);
  assert.deepEqual(brief((await create(leases, { metadata: { name: "l" }, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } })).causes),
    ["spec.leaseDurationSeconds FieldValueInvalid", "spec.leaseTransitions FieldValueInvalid"]);
  assert.deepEqual(leases.cells!({ metadata: { name: "l" }, spec: { holderIdentity: "node-1" } }, NOW), ["node-1"]);
  assert.deepEqual(leases.cells!({ metadata: { name: "l" } }, NOW), [""]);
  assert.equal(leases.allowCreateOnUpdate, true);
});

test("PriorityClasses: default preemption policy, reserved names and values, immutable value", async () => {
  const { object, causes } = await create(priorityClasses, { metadata: { name: "high" }, value: 1000 });
  assert.deepEqual(causes, []);
  assert.equal(object.preemptionPolicy, "PreemptLowerPriority");
  assert.deepEqual(brief((await create(priorityClasses, { metadata: { name: "nothing" } })).causes), ["value FieldValueRequired"]);
  const reserved = (await create(priorityClasses, { metadata: { name: "system-mine" }, value: 5 })).causes;
  assert.deepEqual(reserved.map((c) => c.message), ["Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"]);
  assert.deepEqual((await create(priorityClasses, { metadata: { name: "system-node-critical" }, value: 2000001000 })).causes, []);
  assert.deepEqual(brief((await create(priorityClasses, { metadata: { name: "system-node-critical" }, value: 7 })).causes), ["metadata.name FieldValueForbidden"]);
  assert.deepEqual((await create(priorityClasses, { metadata: { name: "huge" }, value: 2e9 })).causes.map((c) => c.message), ["Forbidden: maximum allowed value of a user defined priority is 1000000000"]);
  assert.deepEqual(brief((await create(priorityClasses, { metadata: { name: "p" }, value: 1, preemptionPolicy: "Sometimes" })).causes), ["preemptionPolicy FieldValueNotSupported"]);
  const changed = await update(priorityClasses, { ...structuredClone(object), value: 2000 }, object);
  assert.deepEqual(changed.causes.map((c) => `${c.field}: ${c.message}`), ["value: Forbidden: may not be changed in an update."]);
  assert.deepEqual(priorityClasses.cells!({ ...object, metadata: { name: "high", creationTimestamp: "2025-01-01T11:00:00Z" } }, NOW), [1000, false, "60m", "PreemptLowerPriority"]);
  assert.deepEqual(priorityClasses.columns!.map((c) => c.name), ["Value", "Global-Default", "Age", "PreemptionPolicy"]);
});

test("HorizontalPodAutoscalers: defaults, replica bounds, REFERENCE and TARGETS", async () => {
  const hpa = { metadata: { name: "web" }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, maxReplicas: 5 } };
  const { object, causes } = await create(horizontalPodAutoscalers, hpa);
  assert.deepEqual(causes, []);
  const spec = object.spec as Record<string, unknown>;
  assert.equal(spec.minReplicas, 1);
  assert.deepEqual(spec.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }]);
  assert.deepEqual(object.status, { desiredReplicas: 0 });
  assert.deepEqual(horizontalPodAutoscalers.cells!(object, NOW), ["Deployment/web", "cpu: <unknown>/80%", "1", 5, 0]);
  const withBehavior = await create(horizontalPodAutoscalers, { ...hpa, spec: { ...hpa.spec, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } });
  const behavior = (withBehavior.object.spec as { behavior: Record<string, unknown> }).behavior;
  assert.deepEqual(behavior.scaleDown, { stabilizationWindowSeconds: 60, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] });
  assert.deepEqual((behavior.scaleUp as { policies: unknown[] }).policies.length, 2);
  assert.deepEqual(brief((await create(horizontalPodAutoscalers, { metadata: { name: "h" }, spec: { minReplicas: 3, maxReplicas: 2, scaleTargetRef: {} } })).causes),
    ["spec.scaleTargetRef.kind FieldValueRequired", "spec.scaleTargetRef.name FieldValueRequired", "spec.maxReplicas FieldValueInvalid"]);
  assert.deepEqual(brief((await create(horizontalPodAutoscalers, { metadata: { name: "h" }, spec: { minReplicas: 0, maxReplicas: 0, scaleTargetRef: { kind: "Deployment", name: "w" } } })).causes),
    ["spec.minReplicas FieldValueInvalid", "spec.maxReplicas FieldValueInvalid"]);
  const metrics = formatHPAMetrics(
    [
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
      { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "512Mi" } } },
      { type: "Pods", pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "1k" } } },
    ],
    [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 42 } } }],
  );
  assert.equal(metrics, "cpu: 42%/50%, memory: <unknown>/512Mi + 1 more...");
});

test("autoscaling/v1 HPAs convert to v2 and back without loss", () => {
  // What `kubectl autoscale deployment web --min=2 --max=5 --cpu-percent=60` posts.
  const v1 = { apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler", metadata: { name: "web" }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 60 } };
  const v2 = hpaV1ToV2(v1);
  assert.deepEqual(v2.spec, { scaleTargetRef: v1.spec.scaleTargetRef, minReplicas: 2, maxReplicas: 5, metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } }] });
  const full = {
    apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "web", annotations: { keep: "me" } },
    spec: {
      scaleTargetRef: { kind: "Deployment", name: "web" }, maxReplicas: 5,
      metrics: [
        { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "1Gi" } } },
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
    },
    status: { currentReplicas: 2, desiredReplicas: 3, currentMetrics: [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 55 } } }], conditions: [{ type: "AbleToScale", status: "True" }] },
  };
  const down = hpaV2ToV1(full);
  assert.equal((down.spec as { targetCPUUtilizationPercentage: number }).targetCPUUtilizationPercentage, 70);
  assert.equal((down.status as { currentCPUUtilizationPercentage: number }).currentCPUUtilizationPercentage, 55);
  const back = hpaV1ToV2(down);
  assert.deepEqual((back.spec as { metrics: object[] }).metrics, [full.spec.metrics[1], full.spec.metrics[0]]);
  assert.deepEqual({ ...back, spec: { ...(back.spec as object), metrics: full.spec.metrics } }, full);
});

test("PodDisruptionBudgets: one of minAvailable/maxUnavailable, N/A cells", async () => {
  const { object, causes } = await create(podDisruptionBudgets, { metadata: { name: "p" }, spec: { minAvailable: "50%", selector: { matchLabels: { app: "web" } } } });
  assert.deepEqual(causes, []);
  assert.deepEqual(object.status, { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 });
  assert.deepEqual(podDisruptionBudgets.cells!(object, NOW), ["50%", "N/A", 0]);
  assert.deepEqual(brief((await create(podDisruptionBudgets, { metadata: { name: "p" }, spec: { minAvailable: 1, maxUnavailable: 1 } })).causes), ["spec FieldValueInvalid"]);
  assert.deepEqual(brief((await create(podDisruptionBudgets, { metadata: { name: "p" }, spec: { maxUnavailable: "150%" } })).causes), ["spec.maxUnavailable FieldValueInvalid"]);
});

test("EndpointSlices and events.k8s.io Events", async () => {
  const slice = await create(endpointSlices, { metadata: { name: "web-abc" }, addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.1"] }, { addresses: ["10.0.0.2"] }], ports: [{ port: 80 }] });
  assert.deepEqual(slice.causes, []);
  assert.deepEqual(slice.object.ports, [{ port: 80, protocol: "TCP", name: "" }]);
  assert.deepEqual(endpointSlices.cells!(slice.object, NOW), ["IPv4", "80", "10.0.0.1,10.0.0.2"]);
  assert.deepEqual(endpointSlices.cells!({ metadata: { name: "s" }, addressType: "IPv4" }, NOW), ["IPv4", "<unset>", "<unset>"]);
  assert.deepEqual(brief((await create(endpointSlices, { metadata: { name: "s" }, endpoints: [{ addresses: [] }] })).causes), ["addressType FieldValueRequired", "endpoints[0].addresses FieldValueRequired"]);
  const changed = await update(endpointSlices, { ...structuredClone(slice.object), addressType: "IPv6", endpoints: [] }, slice.object);
  assert.deepEqual(brief(changed.causes), ["addressType FieldValueInvalid"]);

  const ev = {
    metadata: { name: "e1" }, eventTime: "2025-01-01T11:59:00.000000Z", reportingController: "k8ts.io/scheduler", reportingInstance: "scheduler-1",
    action: "Binding", reason: "Scheduled", type: "Normal", note: "assigned default/web to node-1", regarding: { kind: "Pod", namespace: "default", name: "web" },
  };
  assert.deepEqual((await create(eventsV1, ev)).causes, []);
  assert.deepEqual(eventsV1.cells!(ev, NOW).slice(0, 7), ["60s", "Normal", "Scheduled", "pod/web", "", "k8ts.io/scheduler, scheduler-1", "assigned default/web to node-1"]);
  assert.equal(eventsV1.selectableFields!(ev)["regarding.name"], "web");
  assert.deepEqual(brief((await create(eventsV1, { metadata: { name: "e2" }, type: "Odd", reportingController: "a", reportingInstance: "b", regarding: { namespace: "default" } })).causes),
    ["eventTime FieldValueRequired", "type FieldValueInvalid"]);
});
