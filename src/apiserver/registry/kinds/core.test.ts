import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { isStatusError } from "../../../apimachinery/status.ts";
import { base64ErrorOffset, secrets, serviceAccounts } from "./secret.ts";
import { nodes } from "./node.ts";
import { endpoints, formatEndpoints } from "./endpoints.ts";
import { events } from "./event.ts";
import { persistentVolumeClaims, persistentVolumes } from "./persistentvolume.ts";
import { NOW, brief, create, update } from "./testkit.ts";

const at = { creationTimestamp: "2025-01-01T11:00:00Z" };

test("Secrets: stringData folded into data, base64 checked as Go decodes it, typed keys, immutable type", async () => {
  const { object, causes } = await create(secrets, { metadata: { name: "s" }, data: { a: "Yg==" }, stringData: { b: "hello", a: "over" } });
  assert.deepEqual(causes, []);
  assert.deepEqual([object.data, object.stringData, object.type], [{ a: Buffer.from("over").toString("base64"), b: Buffer.from("hello").toString("base64") }, undefined, "Opaque"]);
  assert.equal(base64ErrorOffset("Yg=="), -1);
  assert.equal(base64ErrorOffset("Yg\n=="), -1);
  assert.equal(base64ErrorOffset("abc"), 0);
  assert.equal(base64ErrorOffset("ab!d"), 2);
  assert.equal(base64ErrorOffset("Yg==x"), 4);
  await assert.rejects(create(secrets, { metadata: { name: "s" }, data: { a: "not base64!" } }), (err: unknown) =>
    isStatusError(err, "BadRequest") && err.message === "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 3");
  const tls = await create(secrets, { metadata: { name: "t" }, type: "kubernetes.io/tls", data: { "tls.crt": "YQ==" } });
  assert.deepEqual(brief(tls.causes), ["data[tls.key] FieldValueRequired"]);
  const sa = await create(secrets, { metadata: { name: "t" }, type: "kubernetes.io/service-account-token" });
  assert.deepEqual(brief(sa.causes), ["metadata.annotations[kubernetes.io/service-account.name] FieldValueRequired"]);
  assert.deepEqual(brief((await create(secrets, { metadata: { name: "k" }, data: { "bad key": "YQ==" } })).causes), ["data[bad key] FieldValueInvalid"]);
  const retyped = await update(secrets, { ...structuredClone(object), type: "Other" }, object);
  assert.deepEqual(brief(retyped.causes), ["type FieldValueInvalid"]);
  const frozen = { ...structuredClone(object), immutable: true };
  assert.deepEqual(brief((await update(secrets, { ...structuredClone(frozen), data: {} }, frozen)).causes), ["data FieldValueForbidden"]);
  assert.deepEqual(secrets.cells!({ ...object, metadata: { name: "s", ...at } }, NOW), ["Opaque", 2]);
  assert.deepEqual(serviceAccounts.cells!({ metadata: { name: "default" }, secrets: [{ name: "x" }] }, NOW), [1]);
});

test("Nodes: status kept on create, roles and Ready/NotReady/Unknown cells, taint validation", async () => {
  const node: KubeObject = {
    metadata: { name: "n1", labels: { "node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/worker": "", "kubernetes.io/role": "edge" }, ...at },
    spec: { podCIDR: "10.244.1.0/24" },
    status: {
      capacity: { cpu: "4", memory: "8Gi" },
      conditions: [{ type: "Ready", status: "True" }],
      addresses: [{ type: "InternalIP", address: "192.168.1.10" }, { type: "Hostname", address: "n1" }],
      nodeInfo: { kubeletVersion: "v1.32.0", osImage: "Debian GNU/Linux 12", kernelVersion: "6.1.0", containerRuntimeVersion: "k8ts://0.1.0" },
    },
  };
  const { object, causes } = await create(nodes, node);
  assert.deepEqual(causes, []);
  assert.deepEqual((object.status as { allocatable: object }).allocatable, { cpu: "4", memory: "8Gi" });
  assert.deepEqual((object.spec as { podCIDRs: string[] }).podCIDRs, ["10.244.1.0/24"]);
  assert.deepEqual(nodes.cells!(object, NOW), ["Ready", "control-plane,edge,worker", "60m", "v1.32.0", "192.168.1.10", "<none>", "Debian GNU/Linux 12", "6.1.0", "k8ts://0.1.0"]);
  const cordoned = { ...object, spec: { unschedulable: true }, status: { conditions: [{ type: "Ready", status: "Unknown" }] } };
  assert.deepEqual(nodes.cells!(cordoned, NOW).slice(0, 2), ["NotReady,SchedulingDisabled", "control-plane,edge,worker"]);
  assert.deepEqual(nodes.cells!({ metadata: { name: "bare" } }, NOW).slice(0, 5), ["Unknown", "<none>", "<unknown>", "", "<none>"]);
  const tainted = await create(nodes, { metadata: { name: "n2" }, spec: { taints: [{ key: "a", effect: "NoSchedule" }, { key: "a", effect: "NoSchedule" }, { key: "b", effect: "Sometimes" }] } });
  assert.deepEqual(brief(tainted.causes), ["spec.taints[1] FieldValueDuplicate", "spec.taints[2].effect FieldValueNotSupported"]);
  const recidr = await update(nodes, { ...structuredClone(object), spec: { podCIDR: "10.244.2.0/24", podCIDRs: ["10.244.2.0/24"] } }, object);
  assert.deepEqual(brief(recidr.causes), ["spec.podCIDRs FieldValueForbidden"]);
  assert.deepEqual(nodes.selectableFields!({ metadata: {} }), { "spec.unschedulable": "false" });
});

test("Endpoints: kubectl's ip:port list with \"+ N more...\", port defaults and validation", async () => {
  assert.equal(formatEndpoints(undefined), "<none>");
  assert.equal(formatEndpoints([{ addresses: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }], ports: [{ port: 80 }] }]), "10.0.0.1:80,10.0.0.2:80");
  assert.equal(formatEndpoints([{ addresses: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }], ports: [{ port: 80 }, { port: 443 }] }]), "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...");
  assert.equal(formatEndpoints([{ addresses: [{ ip: "10.0.0.1" }] }]), "10.0.0.1");
  assert.equal(formatEndpoints([{ addresses: [{ ip: "fd00::1" }], ports: [{ port: 80 }] }]), "[fd00::1]:80");
  const { object, causes } = await create(endpoints, { metadata: { name: "web" }, subsets: [{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80 }] }] });
  assert.deepEqual(causes, []);
  assert.deepEqual(object.subsets, [{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80, protocol: "TCP" }] }]);
  const bad = await create(endpoints, { metadata: { name: "web" }, subsets: [{ addresses: [{ ip: "nope" }], ports: [{ port: 80 }, { name: "b", port: 70000 }] }] });
  assert.deepEqual(brief(bad.causes), ["subsets[0].addresses[0].ip FieldValueInvalid", "subsets[0].ports[0].name FieldValueRequired", "subsets[0].ports[1].port FieldValueInvalid"]);
  assert.equal(endpoints.allowCreateOnUpdate, true);
});

test("core/v1 Events: field selectors, namespace agreement, kubectl's columns", async () => {
  const ev: KubeObject = {
    metadata: { name: "web.17a", namespace: "default" },
    involvedObject: { kind: "Pod", namespace: "default", name: "web", uid: "u1", apiVersion: "v1", fieldPath: "spec.containers{nginx}" },
    reason: "Pulled", message: " Successfully pulled image \"nginx\"\n", type: "Normal",
    source: { component: "kubelet", host: "node-1" }, firstTimestamp: "2025-01-01T11:50:00Z", lastTimestamp: "2025-01-01T11:58:00Z", count: 3,
  };
  assert.deepEqual((await create(events, ev)).causes, []);
  assert.deepEqual(events.selectableFields!(ev), {
    "involvedObject.kind": "Pod", "involvedObject.namespace": "default", "involvedObject.name": "web", "involvedObject.uid": "u1",
    "involvedObject.apiVersion": "v1", "involvedObject.resourceVersion": "", "involvedObject.fieldPath": "spec.containers{nginx}",
    reason: "Pulled", reportingComponent: "", source: "kubelet", type: "Normal",
  });
  assert.deepEqual(events.cells!(ev, NOW), ["2m", "Normal", "Pulled", "pod/web", "spec.containers{nginx}", "kubelet, node-1", "Successfully pulled image \"nginx\"", "10m", 3, "web.17a"]);
  assert.deepEqual(events.columns!.filter((c) => !c.priority).map((c) => c.name), ["Last Seen", "Type", "Reason", "Object", "Message"]);
  assert.equal(events.noAgeColumn, true);
  const elsewhere = await create(events, { ...ev, involvedObject: { kind: "Pod", namespace: "other", name: "web" } });
  assert.deepEqual(brief(elsewhere.causes), ["involvedObject.namespace FieldValueInvalid"]);
  const newStyle = await create(events, { metadata: { name: "e", namespace: "default" }, involvedObject: { kind: "Node", name: "n1" }, eventTime: "2025-01-01T11:59:00.000000Z" });
  // As in Kubernetes, an empty reportingComponent is also reported as an invalid qualified name (twice).
  assert.deepEqual(brief(newStyle.causes).filter((c, i, all) => all.indexOf(c) === i), ["reportingComponent FieldValueRequired", "reportingComponent FieldValueInvalid", "reportingInstance FieldValueRequired"]);
  const series = { ...ev, series: { count: 7, lastObservedTime: "2025-01-01T11:59:30.000000Z" } };
  assert.deepEqual([events.cells!(series, NOW)[0], events.cells!(series, NOW)[8]], ["30s", 7]);
});

test("PersistentVolumes and claims: defaults, Pending, validation, cells, claim update rules", async () => {
  const pv = await create(persistentVolumes, { metadata: { name: "pv1" }, spec: { capacity: { storage: "10Gi" }, accessModes: ["ReadWriteOnce", "ReadOnlyMany"], hostPath: { path: "/data" }, storageClassName: "manual" } });
  assert.deepEqual(pv.causes, []);
  const spec = pv.object.spec as Record<string, unknown>;
  assert.deepEqual([spec.persistentVolumeReclaimPolicy, spec.volumeMode], ["Retain", "Filesystem"]);
  assert.deepEqual(pv.object.status, { phase: "Pending", lastPhaseTransitionTime: "2025-01-01T12:00:00Z" });
  const bound = { ...pv.object, spec: { ...spec, claimRef: { namespace: "default", name: "data" } }, status: { phase: "Bound" } };
  assert.deepEqual(persistentVolumes.cells!(bound, NOW), ["10Gi", "RWO,ROX", "Retain", "Bound", "default/data", "manual", "<unset>", "", "60m", "Filesystem"]);
  assert.deepEqual(brief((await create(persistentVolumes, { metadata: { name: "pv2" }, spec: { hostPath: { path: "/d" } } })).causes),
    ["spec.accessModes FieldValueRequired", "spec.capacity FieldValueRequired"]);
  assert.deepEqual(brief((await create(persistentVolumes, { metadata: { name: "pv2" }, spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"] } })).causes), ["spec FieldValueRequired"]);
  const moved = await update(persistentVolumes, { ...structuredClone(pv.object), spec: { ...spec, hostPath: { path: "/other" } } }, pv.object);
  assert.deepEqual(brief(moved.causes), ["spec.persistentvolumesource FieldValueForbidden"]);

  const claim = await create(persistentVolumeClaims, { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } });
  assert.deepEqual(claim.causes, []);
  assert.equal((claim.object.spec as { volumeMode: string }).volumeMode, "Filesystem");
  assert.deepEqual(claim.object.status, { phase: "Pending" });
  assert.deepEqual(persistentVolumeClaims.cells!({ ...claim.object, metadata: { name: "data", ...at } }, NOW), ["Pending", "", "", "", "", "<unset>", "60m", "Filesystem"]);
  assert.deepEqual(brief((await create(persistentVolumeClaims, { metadata: { name: "c" }, spec: {} })).causes), ["spec.accessModes FieldValueRequired", "spec.resources[storage] FieldValueRequired"]);
  // Binding sets volumeName once; a bound claim may grow but not shrink; nothing else changes.
  const withVolume = (c: KubeObject, patch: object) => ({ ...structuredClone(c), spec: { ...(c.spec as object), ...patch } });
  assert.deepEqual((await update(persistentVolumeClaims, withVolume(claim.object, { volumeName: "pv1" }), claim.object)).causes, []);
  const boundClaim = { ...withVolume(claim.object, { volumeName: "pv1" }), status: { phase: "Bound", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"] } };
  assert.deepEqual(persistentVolumeClaims.cells!({ ...boundClaim, metadata: { name: "data", ...at } }, NOW).slice(0, 4), ["Bound", "pv1", "1Gi", "RWO"]);
  assert.deepEqual((await update(persistentVolumeClaims, withVolume(boundClaim, { resources: { requests: { storage: "2Gi" } } }), boundClaim)).causes, []);
  assert.deepEqual(brief((await update(persistentVolumeClaims, withVolume(boundClaim, { resources: { requests: { storage: "512Mi" } } }), boundClaim)).causes),
    ["spec.resources.requests.storage FieldValueForbidden"]);
  assert.deepEqual(brief((await update(persistentVolumeClaims, withVolume(claim.object, { resources: { requests: { storage: "2Gi" } } }), claim.object)).causes), ["spec FieldValueForbidden"]);
  assert.deepEqual(brief((await update(persistentVolumeClaims, withVolume(boundClaim, { accessModes: ["ReadWriteMany"] }), boundClaim)).causes), ["spec FieldValueForbidden"]);
});
