import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { isStatusError } from "../../../apimachinery/status.ts";
import { pods, podGracePeriod } from "./pod.ts";
import { defaultPullPolicy, podQOSClass } from "./pod-defaults.ts";
import { NOW, brief, create, update } from "./testkit.ts";

const minimal = (): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { containers: [{ name: "nginx", image: "nginx" }] } });

test("a minimal pod is defaulted as `kubectl get pod -o yaml` shows it", async () => {
  const { object, causes } = await create(pods, minimal());
  assert.deepEqual(causes, []);
  assert.deepEqual(object.spec, {
    containers: [{
      name: "nginx", image: "nginx", imagePullPolicy: "Always", resources: {},
      terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File",
    }],
    dnsPolicy: "ClusterFirst", enableServiceLinks: true, preemptionPolicy: "PreemptLowerPriority", priority: 0,
    restartPolicy: "Always", schedulerName: "default-scheduler", securityContext: {},
    serviceAccount: "default", serviceAccountName: "default", terminationGracePeriodSeconds: 30,
    tolerations: [
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ],
  });
  assert.deepEqual(object.status, { phase: "Pending", qosClass: "BestEffort" });
});

test("image pull policy follows the tag; ports get TCP; probes and volumes get their defaults", async () => {
  assert.equal(defaultPullPolicy("nginx"), "Always");
  assert.equal(defaultPullPolicy("nginx:latest"), "Always");
  assert.equal(defaultPullPolicy("nginx:1.27"), "IfNotPresent");
  assert.equal(defaultPullPolicy("localhost:5000/nginx"), "Always");
  assert.equal(defaultPullPolicy("localhost:5000/nginx:v1"), "IfNotPresent");
  assert.equal(defaultPullPolicy("nginx@sha256:abcd"), "IfNotPresent");
  const pod = minimal();
  Object.assign((pod.spec as { containers: object[] }).containers[0]!, {
    ports: [{ containerPort: 80 }],
    livenessProbe: { httpGet: { port: 80 } },
    volumeMounts: [{ name: "data", mountPath: "/data" }, { name: "cfg", mountPath: "/cfg" }],
  });
  (pod.spec as Record<string, unknown>).volumes = [{ name: "data" }, { name: "cfg", configMap: { name: "c" } }];
  const { object, causes } = await create(pods, pod);
  assert.deepEqual(causes, []);
  const c = (object.spec as { containers: Record<string, unknown>[] }).containers[0]!;
  assert.deepEqual(c.ports, [{ containerPort: 80, protocol: "TCP" }]);
  assert.deepEqual(c.livenessProbe, { httpGet: { port: 80, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual((object.spec as Record<string, unknown>).volumes, [{ name: "data", emptyDir: {} }, { name: "cfg", configMap: { name: "c", defaultMode: 420 } }]);
});

test("QoS class from requests and limits; limits become requests; quantities are canonical", async () => {
  const withResources = (resources: object) => ({ ...minimal(), spec: { containers: [{ name: "c", image: "i", resources }] } });
  const guaranteed = await create(pods, withResources({ limits: { cpu: "1000m", memory: "0.5Gi" } }));
  const c = (guaranteed.object.spec as { containers: { resources: object }[] }).containers[0]!;
  assert.deepEqual(c.resources, { limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "1", memory: "512Mi" } });
  assert.equal((guaranteed.object.status as { qosClass: string }).qosClass, "Guaranteed");
  assert.equal(((await create(pods, withResources({ requests: { cpu: "100m" } }))).object.status as { qosClass: string }).qosClass, "Burstable");
  assert.equal(podQOSClass({ containers: [{ name: "a", resources: { limits: { cpu: "1" } } }] }), "Burstable");
  await assert.rejects(create(pods, withResources({ limits: { cpu: "lots" } })), (err: unknown) =>
    isStatusError(err, "BadRequest") && /^Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression/.test(err.message));
});

test("validation reports each error at Kubernetes' field path with its reason", async () => {
  const check = async (spec: object, expected: string[]) => assert.deepEqual(brief((await create(pods, { metadata: { name: "p" }, spec })).causes), expected);
  await check({}, ["spec.containers FieldValueRequired"]);
  await check({ containers: [{ name: "Bad_Name", image: "i" }] }, ["spec.containers[0].name FieldValueInvalid"]);
  await check({ containers: [{ name: "a" }] }, ["spec.containers[0].image FieldValueRequired"]);
  await check({ containers: [{ name: "a", image: "i" }], initContainers: [{ name: "a", image: "i" }] }, ["spec.initContainers[0].name FieldValueDuplicate"]);
  await check({ containers: [{ name: "a", image: "i" }, { name: "a", image: "i" }] }, ["spec.containers[1].name FieldValueDuplicate"]);
  await check({ containers: [{ name: "a", image: "i", ports: [{ containerPort: 0 }, { containerPort: 70000 }] }] },
    ["spec.containers[0].ports[0].containerPort FieldValueRequired", "spec.containers[0].ports[1].containerPort FieldValueInvalid"]);
  await check({ containers: [{ name: "a", image: "i", ports: [{ name: "http", containerPort: 80 }, { name: "http", containerPort: 81 }] }] },
    ["spec.containers[0].ports[1].name FieldValueDuplicate"]);
  await check({ containers: [{ name: "a", image: "i", resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } }] },
    ["spec.containers[0].resources.requests FieldValueInvalid"]);
  await check({ containers: [{ name: "a", image: "i" }], restartPolicy: "Sometimes" }, ["spec.restartPolicy FieldValueNotSupported"]);
  await check({ containers: [{ name: "a", image: "i" }], dnsPolicy: "Magic" }, ["spec.dnsPolicy FieldValueNotSupported"]);
  await check({ containers: [{ name: "a", image: "i" }], volumes: [{ name: "v", emptyDir: {} }, { name: "v", emptyDir: {} }] }, ["spec.volumes[1].name FieldValueDuplicate"]);
  await check({ containers: [{ name: "a", image: "i", volumeMounts: [{ name: "nope", mountPath: "/x" }] }] }, ["spec.containers[0].volumeMounts[0].name FieldValueNotFound"]);
  const { causes } = await create(pods, { metadata: { name: "p" }, spec: { containers: [{ name: "a", image: "i", resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } }] } });
  assert.equal(causes[0]!.message, "Invalid value: \"2\": must be less than or equal to cpu limit of 1");
});

test("pod updates may change images, added tolerations and a shorter deadline only", async () => {
  const { object: old } = await create(pods, minimal());
  old.metadata!.resourceVersion = "5";
  const edit = (f: (p: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } }) => void) => {
    const next = structuredClone(old) as KubeObject & { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
    f(next);
    return update(pods, next, old);
  };
  assert.deepEqual((await edit((p) => (p.spec.containers[0]!.image = "nginx:1.27"))).causes, []);
  assert.deepEqual((await edit((p) => (p.spec.tolerations = [...(p.spec.tolerations as object[]), { key: "k", operator: "Exists" }]))).causes, []);
  assert.deepEqual((await edit((p) => (p.spec.activeDeadlineSeconds = 60))).causes, []);
  const ports = await edit((p) => (p.spec.containers[0]!.ports = [{ containerPort: 81 }]));
  assert.deepEqual(brief(ports.causes), ["spec FieldValueForbidden"]);
  assert.match(ports.causes[0]!.message!, /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/);
  assert.match(ports.causes[0]!.message!, /spec\.containers\[0\]\.ports/);
  const withToleration = (await edit((p) => (p.spec.tolerations = [{ key: "k", operator: "Exists" }]))).object;
  const removed = await update(pods, { ...withToleration, spec: { ...(withToleration.spec as object), tolerations: [] } }, withToleration);
  assert.deepEqual(brief(removed.causes), ["spec.tolerations FieldValueForbidden"]);
  // A PUT that leaves out what admission added keeps it (tolerations, priority, service account).
  const put = await edit((p) => {
    delete p.spec.tolerations;
    delete p.spec.priority;
    delete p.spec.serviceAccountName;
  });
  assert.deepEqual(put.causes, []);
});

test("priority comes from the PriorityClass; an unknown class is forbidden", async () => {
  const get = async (_r: string, _ns: string, name: string) => (name === "high" ? { metadata: { name }, value: 1000, preemptionPolicy: "Never" } : null);
  const pod = { ...minimal(), spec: { ...(minimal().spec as object), priorityClassName: "high" } };
  const { object } = await create(pods, pod, { get });
  assert.equal((object.spec as { priority: number }).priority, 1000);
  assert.equal((object.spec as { preemptionPolicy: string }).preemptionPolicy, "Never");
  const missing = { ...minimal(), spec: { ...(minimal().spec as object), priorityClassName: "nope" } };
  await assert.rejects(create(pods, missing, { get }), (err: unknown) => isStatusError(err, "Forbidden") && /no PriorityClass with name nope was found/.test(err.message));
});

test("field selectors, and the grace period of a delete", () => {
  const pod = { metadata: { name: "p" }, spec: { nodeName: "n1", restartPolicy: "Always", schedulerName: "s", serviceAccountName: "sa", hostNetwork: true }, status: { phase: "Running", podIPs: [{ ip: "10.1.0.5" }] } };
  assert.deepEqual(pods.selectableFields!(pod), {
    "spec.nodeName": "n1", "spec.restartPolicy": "Always", "spec.schedulerName": "s", "spec.serviceAccountName": "sa", "spec.hostNetwork": "true",
    "status.phase": "Running", "status.podIP": "10.1.0.5", "status.nominatedNodeName": "",
  });
  assert.deepEqual(Object.keys(pods.selectableFields!({ metadata: {} })).length, 8);
  assert.equal(podGracePeriod({ spec: { containers: [] } }), 0);
  assert.equal(podGracePeriod({ spec: { nodeName: "n1", containers: [], terminationGracePeriodSeconds: 30 } }), 30);
  assert.equal(podGracePeriod({ spec: { nodeName: "n1", containers: [], terminationGracePeriodSeconds: 5 } }), 5);
  assert.equal(podGracePeriod({ spec: { nodeName: "n1", containers: [] }, status: { phase: "Succeeded" } }), 0);
});

const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
const podWith = (status: object, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: "p", creationTimestamp: ago(60), ...(extra.metadata as object) },
  spec: { nodeName: "node-1", containers: [{ name: "app", image: "i" }], ...(extra.spec as object) },
  status,
});

test("table cells: running, crash-looping, terminating, completed and initialising pods", () => {
  const running = podWith({
    phase: "Running", podIPs: [{ ip: "10.244.0.7" }], conditions: [{ type: "Ready", status: "True" }],
    containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: { startedAt: ago(59) } } }],
  });
  assert.deepEqual(pods.cells!(running, NOW), ["1/1", "Running", "0", "60m", "10.244.0.7", "node-1", "<none>", "<none>"]);
  const crashing = podWith({
    phase: "Running",
    containerStatuses: [{
      name: "app", ready: false, restartCount: 4, state: { waiting: { reason: "CrashLoopBackOff" } },
      lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(5) } },
    }],
  });
  assert.deepEqual(pods.cells!(crashing, NOW).slice(0, 3), ["0/1", "CrashLoopBackOff", "4 (5m ago)"]);
  const creating = podWith({ phase: "Pending", containerStatuses: [{ name: "app", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } }] });
  assert.equal(pods.cells!(creating, NOW)[1], "ContainerCreating");
  const terminating = podWith({ phase: "Running", containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: {} } }] }, { metadata: { deletionTimestamp: ago(-1) } });
  assert.equal(pods.cells!(terminating, NOW)[1], "Terminating");
  const completed = podWith({ phase: "Succeeded", containerStatuses: [{ name: "app", ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } }] });
  assert.deepEqual(pods.cells!(completed, NOW).slice(0, 2), ["0/1", "Completed"]);
  const initialising = podWith(
    { phase: "Pending", initContainerStatuses: [{ name: "init", ready: false, restartCount: 0, state: { running: {} } }] },
    { spec: { initContainers: [{ name: "init", image: "i" }] } },
  );
  assert.equal(pods.cells!(initialising, NOW)[1], "Init:0/1");
  const gated = podWith({ phase: "Running", conditions: [{ type: "gate", status: "True" }] }, { spec: { readinessGates: [{ conditionType: "gate" }, { conditionType: "other" }] } });
  assert.equal(pods.cells!(gated, NOW)[7], "1/2");
  const columns = pods.columns!.map((c) => `${c.name}${c.priority ? "*" : ""}`);
  assert.deepEqual(columns, ["Ready", "Status", "Restarts", "Age", "IP*", "Node*", "Nominated Node*", "Readiness Gates*"]);
});
