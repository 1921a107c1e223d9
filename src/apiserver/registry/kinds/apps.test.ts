import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { deployments, replicaSets } from "./deployment.ts";
import { daemonSets, statefulSets } from "./statefulset.ts";
import { NOW, brief, create, update } from "./testkit.ts";

const template = (labels: Record<string, string> = { app: "web" }) => ({ metadata: { labels }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } });
const workload = (kind: string, spec: object): KubeObject => ({ apiVersion: "apps/v1", kind, metadata: { name: "web" }, spec });

/** The template spec `kubectl get deploy -o yaml` shows for template(). */
const defaultedTemplateSpec = {
  containers: [{ name: "c", image: "nginx:1.27", imagePullPolicy: "IfNotPresent", resources: {}, terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File" }],
  dnsPolicy: "ClusterFirst", restartPolicy: "Always", schedulerName: "default-scheduler", securityContext: {}, terminationGracePeriodSeconds: 30,
};

test("a minimal Deployment is defaulted as `kubectl get deploy -o yaml` shows it", async () => {
  const { object, causes } = await create(deployments, workload("Deployment", { selector: { matchLabels: { app: "web" } }, template: template() }));
  assert.deepEqual(causes, []);
  assert.deepEqual(object.spec, {
    replicas: 1, progressDeadlineSeconds: 600, revisionHistoryLimit: 10,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    template: { metadata: { labels: { app: "web" } }, spec: defaultedTemplateSpec },
  });
  assert.deepEqual(object.status, {});
  assert.equal(deployments.generation, true);
  assert.deepEqual(deployments.scale, { specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas", labelSelectorPath: "spec.selector" });
  // Recreate gets no rollingUpdate.
  const recreate = await create(deployments, workload("Deployment", { strategy: { type: "Recreate" }, selector: { matchLabels: { app: "web" } }, template: template() }));
  assert.deepEqual((recreate.object.spec as { strategy: object }).strategy, { type: "Recreate" });
});

test("Deployment validation", async () => {
  const check = async (spec: object, expected: string[]) => assert.deepEqual(brief((await create(deployments, workload("Deployment", spec))).causes), expected);
  await check({ template: template() }, ["spec.selector FieldValueRequired"]);
  await check({ selector: {}, template: template() }, ["spec.selector FieldValueInvalid"]);
  await check({ selector: { matchLabels: { app: "other" } }, template: template() }, ["spec.template.metadata.labels FieldValueInvalid"]);
  await check({ replicas: -1, selector: { matchLabels: { app: "web" } }, template: template() }, ["spec.replicas FieldValueInvalid"]);
  await check({ selector: { matchLabels: { app: "web" } }, template: { ...template(), spec: { ...template().spec, restartPolicy: "Never" } } }, ["spec.template.spec.restartPolicy FieldValueNotSupported"]);
  await check({ selector: { matchLabels: { app: "web" } }, template: { ...template(), spec: { containers: [] } } }, ["spec.template.spec.containers FieldValueRequired"]);
  await check({ selector: { matchLabels: { app: "web" } }, template: template(), strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } },
    ["spec.strategy.rollingUpdate.maxUnavailable FieldValueInvalid"]);
  const mismatch = (await create(deployments, workload("Deployment", { selector: { matchLabels: { app: "other" } }, template: template() }))).causes[0]!;
  assert.equal(mismatch.message, "Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`");
  const empty = (await create(replicaSets, workload("ReplicaSet", { selector: {}, template: template() }))).causes[0]!;
  assert.equal(empty.message, "Invalid value: {}: empty selector is invalid for deployment");
});

test("selectors are immutable; scaling is an ordinary update", async () => {
  const { object: old } = await create(deployments, workload("Deployment", { selector: { matchLabels: { app: "web" } }, template: template() }));
  const scaled = await update(deployments, { ...structuredClone(old), spec: { ...(old.spec as object), replicas: 3 } }, old);
  assert.deepEqual(scaled.causes, []);
  const moved = await update(deployments, { ...structuredClone(old), spec: { ...(old.spec as object), selector: { matchLabels: { app: "web", v: "2" } }, template: template({ app: "web", v: "2" }) } }, old);
  assert.deepEqual(brief(moved.causes), ["spec.selector FieldValueInvalid"]);
  assert.match(moved.causes[0]!.message!, /field is immutable$/);
});

const at = { creationTimestamp: "2025-01-01T11:58:00Z" };

test("table cells: a deployment 2/3, a replica set, a stateful set, a daemon set", () => {
  const deploy = { metadata: { name: "web", ...at }, spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: { spec: { containers: [{ name: "a", image: "nginx" }, { name: "b", image: "redis:7" }] } } }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
  assert.deepEqual(deployments.cells!(deploy, NOW), ["2/3", 3, 2, "2m", "a,b", "nginx,redis:7", "app=web"]);
  assert.deepEqual(deployments.columns!.map((c) => c.name), ["Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]);
  const rs = { metadata: { name: "web-5d4", ...at }, spec: { replicas: 3, selector: { matchExpressions: [{ key: "tier", operator: "In", values: ["b", "a"] }] }, template: template() }, status: { replicas: 3, readyReplicas: 1 } };
  assert.deepEqual(replicaSets.cells!(rs, NOW), [3, 3, 1, "2m", "c", "nginx:1.27", "tier in (a,b)"]);
  const sts = { metadata: { name: "db", ...at }, spec: { replicas: 2, template: template() }, status: { readyReplicas: 1 } };
  assert.deepEqual(statefulSets.cells!(sts, NOW), ["1/2", "2m", "c", "nginx:1.27"]);
  const ds = { metadata: { name: "agent", ...at }, spec: { selector: { matchLabels: { app: "agent" } }, template: { spec: { nodeSelector: { "kubernetes.io/os": "linux" }, containers: [{ name: "c", image: "i" }] } } }, status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 } };
  assert.deepEqual(daemonSets.cells!(ds, NOW), [3, 3, 2, 3, 2, "kubernetes.io/os=linux", "2m", "c", "i", "app=agent"]);
});

test("StatefulSet and DaemonSet defaults, validation and update rules", async () => {
  const sts = await create(statefulSets, workload("StatefulSet", {
    serviceName: "db", selector: { matchLabels: { app: "web" } }, template: template(),
    volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
  }));
  assert.deepEqual(sts.causes, []);
  const spec = sts.object.spec as Record<string, unknown>;
  assert.deepEqual([spec.replicas, spec.podManagementPolicy, spec.revisionHistoryLimit], [1, "OrderedReady", 10]);
  assert.deepEqual(spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
  assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
  assert.deepEqual((spec.volumeClaimTemplates as object[])[0], { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeMode: "Filesystem" }, status: { phase: "Pending" } });
  assert.deepEqual(sts.object.status, { replicas: 0, availableReplicas: 0 });
  const renamed = await update(statefulSets, { ...structuredClone(sts.object), spec: { ...spec, serviceName: "other" } }, sts.object);
  assert.deepEqual(brief(renamed.causes), ["spec FieldValueForbidden"]);
  assert.match(renamed.causes[0]!.message!, /^Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden/);
  assert.deepEqual((await update(statefulSets, { ...structuredClone(sts.object), spec: { ...spec, replicas: 5 } }, sts.object)).causes, []);
  assert.deepEqual(brief((await create(statefulSets, workload("StatefulSet", { selector: {}, template: template() }))).causes), ["spec.selector FieldValueInvalid"]);

  const ds = await create(daemonSets, workload("DaemonSet", { selector: { matchLabels: { app: "web" } }, template: template() }));
  assert.deepEqual(ds.causes, []);
  const dspec = ds.object.spec as Record<string, unknown>;
  assert.deepEqual(dspec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(dspec.revisionHistoryLimit, 10);
  assert.deepEqual(ds.object.status, { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 });
  const bad = await create(daemonSets, workload("DaemonSet", { selector: { matchLabels: { app: "x" } }, template: template(), updateStrategy: { type: "Sometimes" } }));
  assert.deepEqual(brief(bad.causes), ["spec.template.metadata.labels FieldValueInvalid", "spec.updateStrategy.type FieldValueNotSupported"]);
});
