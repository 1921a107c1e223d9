// The Priority admission plugin over HTTPS: pod priority from its PriorityClass or the global
// default, the 403s Kubernetes answers (unknown class, priority or policy sent by the client, a
// second global default), the bootstrapped system classes, and dry runs that answer the same.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestApiServer, apiRequest } from "../../../testing/apiserver.ts";
import type { TestApiServer } from "../../../testing/apiserver.ts";
import { defaultPriorityClass } from "./priorityclass.ts";

const PODS = "/api/v1/namespaces/default/pods";
const CLASSES = "/apis/scheduling.k8s.io/v1/priorityclasses";

const pod = (name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) =>
  ({ apiVersion: "v1", kind: "Pod", metadata: { name, ...meta }, spec: { containers: [{ name: "c", image: "nginx" }], ...spec } });
const priorityClass = (name: string, value: number, extra: Record<string, unknown> = {}) =>
  ({ apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name }, value, ...extra });

describe("Priority admission", () => {
  let t: TestApiServer;
  const api = (method: string, path: string, body?: unknown) => apiRequest(t.server, method, path, body);
  const forbidden = (r: { status: number; json: { reason?: string; message?: string } }, message: string) => {
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.equal(r.json.reason, "Forbidden");
    assert.equal(r.json.message, message);
  };

  before(async () => {
    t = await startTestApiServer();
  });
  after(async () => {
    await t.close();
  });

  it("bootstraps the two system classes", async () => {
    const node = (await api("GET", `${CLASSES}/system-node-critical`)).json;
    const cluster = (await api("GET", `${CLASSES}/system-cluster-critical`)).json;
    assert.equal(node.value, 2000001000);
    assert.equal(cluster.value, 2000000000);
    assert.equal(node.preemptionPolicy, "PreemptLowerPriority");
    assert.equal(cluster.globalDefault, undefined);
  });

  it("takes priority and preemptionPolicy from the named class", async () => {
    const critical = await api("POST", PODS, pod("critical", { priorityClassName: "system-cluster-critical" }));
    assert.equal(critical.status, 201);
    assert.equal(critical.json.spec.priority, 2000000000);
    assert.equal(critical.json.spec.preemptionPolicy, "PreemptLowerPriority");
    assert.equal((await api("POST", CLASSES, priorityClass("polite", 500, { preemptionPolicy: "Never" }))).status, 201);
    const polite = await api("POST", PODS, pod("polite", { priorityClassName: "polite" }));
    assert.equal(polite.status, 201);
    assert.equal(polite.json.spec.priority, 500);
    assert.equal(polite.json.spec.preemptionPolicy, "Never");
    // The values admission would compute may be sent.
    const same = await api("POST", PODS, pod("polite-2", { priorityClassName: "polite", priority: 500, preemptionPolicy: "Never" }));
    assert.equal(same.status, 201);
  });

  it("forbids an unknown class, naming the pod as the request did", async () => {
    forbidden(await api("POST", PODS, pod("lost", { priorityClassName: "nope" })), 'pods "lost" is forbidden: no PriorityClass with name nope was found');
    forbidden(await api("POST", PODS, pod("", { priorityClassName: "nope" }, { generateName: "web-" })), 'pods "web-" is forbidden: no PriorityClass with name nope was found');
    assert.equal((await api("GET", `${PODS}/lost`)).status, 404);
  });

  it("forbids a priority or preemptionPolicy that differs from the computed one", async () => {
    forbidden(await api("POST", PODS, pod("bold", { priorityClassName: "polite", priority: 7 })),
      'pods "bold" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 500 from the given PriorityClass name');
    forbidden(await api("POST", PODS, pod("bold", { priority: 7 })),
      'pods "bold" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name');
    forbidden(await api("POST", PODS, pod("bold", { priorityClassName: "polite", preemptionPolicy: "PreemptLowerPriority" })),
      'pods "bold" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name');
  });

  it("dry runs are admitted the same and store nothing", async () => {
    forbidden(await api("POST", `${PODS}?dryRun=All`, pod("dry", { priorityClassName: "nope" })), 'pods "dry" is forbidden: no PriorityClass with name nope was found');
    forbidden(await api("POST", `${PODS}?dryRun=All`, pod("dry", { priority: 3 })),
      'pods "dry" is forbidden: the integer value of priority (3) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name');
    const ok = await api("POST", `${PODS}?dryRun=All`, pod("dry", { priorityClassName: "system-node-critical" }));
    assert.equal(ok.status, 201);
    assert.equal(ok.json.spec.priority, 2000001000);
    assert.equal((await api("GET", `${PODS}/dry`)).status, 404);
  });

  it("without a class, the global default applies (else 0); only one class may be the default", async () => {
    const plain = await api("POST", PODS, pod("plain"));
    assert.equal(plain.json.spec.priority, 0);
    assert.equal(plain.json.spec.preemptionPolicy, "PreemptLowerPriority");
    assert.equal(plain.json.spec.priorityClassName, undefined);

    assert.equal((await api("POST", CLASSES, priorityClass("everyone", 10, { globalDefault: true, preemptionPolicy: "Never" }))).status, 201);
    const defaulted = await api("POST", PODS, pod("defaulted"));
    assert.equal(defaulted.status, 201);
    assert.equal(defaulted.json.spec.priorityClassName, "everyone");
    assert.equal(defaulted.json.spec.priority, 10);
    assert.equal(defaulted.json.spec.preemptionPolicy, "Never");

    const second = 'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass everyone is already marked as default. Only one default can exist';
    forbidden(await api("POST", CLASSES, priorityClass("second", 20, { globalDefault: true })), second);
    forbidden(await api("POST", `${CLASSES}?dryRun=All`, priorityClass("second", 20, { globalDefault: true })), second);
    // Marking another existing class as default is refused too, by PUT and by PATCH.
    assert.equal((await api("POST", CLASSES, priorityClass("second", 20))).status, 201);
    const current = (await api("GET", `${CLASSES}/second`)).json;
    forbidden(await api("PUT", `${CLASSES}/second`, { ...current, globalDefault: true }), second);
    const patch = await apiRequest(t.server, "PATCH", `${CLASSES}/second`, { globalDefault: true }, { "content-type": "application/merge-patch+json" });
    forbidden(patch, second);
    // The default itself may still be updated.
    const everyone = (await api("GET", `${CLASSES}/everyone`)).json;
    assert.equal((await api("PUT", `${CLASSES}/everyone`, { ...everyone, description: "for all" })).status, 200);
    // Once it stops being the default, another class may take its place.
    const latest = (await api("GET", `${CLASSES}/everyone`)).json;
    assert.equal((await api("PUT", `${CLASSES}/everyone`, { ...latest, globalDefault: false })).status, 200);
    const promoted = await api("PUT", `${CLASSES}/second`, { ...(await api("GET", `${CLASSES}/second`)).json, globalDefault: true });
    assert.equal(promoted.status, 200);
    assert.equal((await api("POST", PODS, pod("later"))).json.spec.priority, 20);
  });
});

it("with several global defaults (a race let them in), the lowest value wins", () => {
  const classes = [
    { metadata: { name: "a" }, value: 50, globalDefault: true },
    { metadata: { name: "b" }, value: 5, globalDefault: true },
    { metadata: { name: "c" }, value: 1 },
  ];
  assert.equal(defaultPriorityClass(classes)?.metadata?.name, "b");
  assert.equal(defaultPriorityClass([{ metadata: { name: "c" }, value: 1 }]), null);
});
