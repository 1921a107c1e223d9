import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfigMap, Container, Pod, Secret } from "kubernetes-types/core/v1.js";
import { CreateContainerConfigError, expandContainerCommandAndArgs, makeEnvironmentVariables } from "./env.ts";
import type { EnvContext, EnvSources } from "./env.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

function sources(cms: Record<string, Record<string, string>>, secrets: Record<string, Record<string, string>> = {}): EnvSources & { gets: string[] } {
  const gets: string[] = [];
  return {
    gets,
    async getConfigMap(ns, name) {
      gets.push(`cm ${ns}/${name}`);
      return cms[name] ? ({ metadata: { name, namespace: ns }, data: cms[name] } as ConfigMap) : undefined;
    },
    async getSecret(ns, name) {
      gets.push(`secret ${ns}/${name}`);
      const d = secrets[name];
      return d ? ({ metadata: { name, namespace: ns }, data: Object.fromEntries(Object.entries(d).map(([k, v]) => [k, b64(v)])) } as Secret) : undefined;
    },
  };
}

function pod(container: Container): Pod {
  return {
    metadata: { name: "web", namespace: "ns1", uid: "uid-1", labels: { app: "web", tier: "front" }, annotations: { "example.com/a": "x y" } },
    spec: { nodeName: "node-1", serviceAccountName: "robot", containers: [container, { name: "side", image: "busybox", resources: { limits: { memory: "64Mi" }, requests: { cpu: "250m" } } }] },
  };
}

const ctx = (extra: Partial<EnvContext> = {}): EnvContext => ({ podIPs: ["10.88.0.5", "fd00::5"], hostIPs: ["192.168.0.10"], ...extra });

test("env: literal values expand references to earlier variables; undefined ones stay", async () => {
  const c: Container = {
    name: "app", image: "busybox",
    env: [
      { name: "FOO", value: "bar" },
      { name: "ZOO", value: "$(FOO)-1" },
      { name: "BLU", value: "$(ZOO)-2" },
      { name: "LATER", value: "$(DEFINED_LATER)" },
      { name: "DEFINED_LATER", value: "x" },
      { name: "ESC", value: "$$(FOO)" },
      { name: "EMPTY", value: "" },
    ],
  };
  const env = await makeEnvironmentVariables(pod(c), c, ctx());
  assert.deepEqual(env, [
    { name: "FOO", value: "bar" }, { name: "ZOO", value: "bar-1" }, { name: "BLU", value: "bar-1-2" },
    { name: "LATER", value: "$(DEFINED_LATER)" }, { name: "DEFINED_LATER", value: "x" }, { name: "ESC", value: "$(FOO)" }, { name: "EMPTY", value: "" },
  ]);
});

test("env: downward API fields", async () => {
  const f = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const c: Container = {
    name: "app", image: "busybox",
    env: [
      f("POD_NAME", "metadata.name"), f("POD_NAMESPACE", "metadata.namespace"), f("POD_UID", "metadata.uid"),
      f("APP", "metadata.labels['app']"), f("MISSING", "metadata.labels['nope']"), f("ANN", "metadata.annotations['example.com/a']"),
      f("NODE", "spec.nodeName"), f("SA", "spec.serviceAccountName"), f("HOST_IP", "status.hostIP"), f("HOST_IPS", "status.hostIPs"),
      f("POD_IP", "status.podIP"), f("POD_IPS", "status.podIPs"), f("LABELS", "metadata.labels"),
      { name: "REF", value: "$(POD_NAME).$(POD_NAMESPACE)" },
    ],
  };
  const env = Object.fromEntries((await makeEnvironmentVariables(pod(c), c, ctx())).map((e) => [e.name, e.value]));
  assert.deepEqual(env, {
    POD_NAME: "web", POD_NAMESPACE: "ns1", POD_UID: "uid-1", APP: "web", MISSING: "", ANN: "x y", NODE: "node-1", SA: "robot",
    HOST_IP: "192.168.0.10", HOST_IPS: "192.168.0.10", POD_IP: "10.88.0.5", POD_IPS: "10.88.0.5,fd00::5",
    LABELS: 'app="web"\ntier="front"', REF: "web.ns1",
  });
});

test("env: resource fields with divisors, other containers, and node allocatable for unset limits", async () => {
  const r = (name: string, resource: string, divisor?: string, containerName?: string) =>
    ({ name, valueFrom: { resourceFieldRef: { resource, ...(divisor ? { divisor } : {}), ...(containerName ? { containerName } : {}) } } });
  const c: Container = {
    name: "app", image: "busybox",
    resources: { limits: { cpu: "500m", memory: "128Mi" }, requests: { cpu: "100m", memory: "100M" } },
    env: [
      r("CPU_LIMIT", "limits.cpu"), r("CPU_LIMIT_M", "limits.cpu", "1m"), r("MEM_LIMIT", "limits.memory"), r("MEM_LIMIT_MI", "limits.memory", "1Mi"),
      r("CPU_REQ_M", "requests.cpu", "1m"), r("MEM_REQ_MI", "requests.memory", "1Mi"),
      r("SIDE_MEM", "limits.memory", "1Mi", "side"), r("SIDE_CPU_LIMIT", "limits.cpu", "1m", "side"), r("SIDE_CPU_REQ", "requests.cpu", "1m", "side"),
    ],
  };
  const env = Object.fromEntries((await makeEnvironmentVariables(pod(c), c, ctx({ nodeAllocatable: { cpu: "4", memory: "8Gi" } }))).map((e) => [e.name, e.value]));
  assert.deepEqual(env, {
    CPU_LIMIT: "1", CPU_LIMIT_M: "500", MEM_LIMIT: String(128 * 1024 * 1024), MEM_LIMIT_MI: "128",
    CPU_REQ_M: "100", MEM_REQ_MI: "96", SIDE_MEM: "64", SIDE_CPU_LIMIT: "4000", SIDE_CPU_REQ: "250",
  });
});

test("env: ConfigMap and Secret keys, envFrom with prefixes, env overriding envFrom", async () => {
  const src = sources({ cfg: { MODE: "prod", LEVEL: "3" }, other: { X: "1" } }, { creds: { user: "admin", pass: "s3cr3t" } });
  const c: Container = {
    name: "app", image: "busybox",
    envFrom: [{ configMapRef: { name: "cfg" } }, { prefix: "DB_", secretRef: { name: "creds" } }, { configMapRef: { name: "absent", optional: true } }],
    env: [
      { name: "MODE", value: "dev" },
      { name: "LEVEL_TOO", valueFrom: { configMapKeyRef: { name: "cfg", key: "LEVEL" } } },
      { name: "PASS", valueFrom: { secretKeyRef: { name: "creds", key: "pass" } } },
      { name: "OPT", valueFrom: { configMapKeyRef: { name: "cfg", key: "nope", optional: true } } },
      { name: "OPT_CM", valueFrom: { configMapKeyRef: { name: "gone", key: "k", optional: true } } },
      { name: "URL", value: "db://$(DB_user)@host/$(MODE)" },
    ],
  };
  const env = await makeEnvironmentVariables(pod(c), c, ctx({ sources: src }));
  assert.deepEqual(env, [
    { name: "MODE", value: "dev" }, { name: "LEVEL", value: "3" }, { name: "DB_user", value: "admin" }, { name: "DB_pass", value: "s3cr3t" },
    { name: "LEVEL_TOO", value: "3" }, { name: "PASS", value: "s3cr3t" }, { name: "URL", value: "db://admin@host/dev" },
  ]);
  assert.equal(src.gets.filter((g) => g === "cm ns1/cfg").length, 1, "one GET per ConfigMap per container");
});

test("env: missing keys and objects fail with Kubernetes' messages", async () => {
  const src = sources({ cfg: { A: "1" } }, { creds: { user: "u" } });
  const cases: [Container["env"], string][] = [
    [[{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "B" } } }], "couldn't find key B in ConfigMap ns1/cfg"],
    [[{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "B" } } }], 'configmap "nope" not found'],
    [[{ name: "X", valueFrom: { secretKeyRef: { name: "creds", key: "pass" } } }], "couldn't find key pass in Secret ns1/creds"],
    [[{ name: "X", valueFrom: { secretKeyRef: { name: "nope", key: "pass" } } }], 'secret "nope" not found'],
  ];
  for (const [env, message] of cases) {
    const c: Container = { name: "app", image: "busybox", env };
    await assert.rejects(makeEnvironmentVariables(pod(c), c, ctx({ sources: src })), (err: unknown) => {
      assert.ok(err instanceof CreateContainerConfigError);
      assert.equal(err.reason, "CreateContainerConfigError");
      assert.equal(err.message, message);
      return true;
    });
  }
  const c: Container = { name: "app", image: "busybox", envFrom: [{ configMapRef: { name: "missing" } }] };
  await assert.rejects(makeEnvironmentVariables(pod(c), c, ctx({ sources: src })), /configmap "missing" not found/);
});

test("env: service variables come last and never override the container's own", async () => {
  const c: Container = { name: "app", image: "busybox", env: [{ name: "A", value: "$(SVC_HOST):80" }, { name: "SVC_PORT", value: "mine" }] };
  const env = await makeEnvironmentVariables(pod(c), c, ctx({ serviceEnv: new Map([["SVC_HOST", "10.0.0.1"], ["SVC_PORT", "80"]]) }));
  assert.deepEqual(env, [{ name: "A", value: "10.0.0.1:80" }, { name: "SVC_PORT", value: "mine" }, { name: "SVC_HOST", value: "10.0.0.1" }]);
});

test("command and args expand against the final environment (ExpandContainerCommandAndArgs)", () => {
  const c: Container = { name: "app", image: "busybox", command: ["sh", "-c", "echo $(GREETING) $$(GREETING) $(UNSET)"], args: ["$(NAME)", "$$HOME", "$(NAME)$(NAME)"] };
  const out = expandContainerCommandAndArgs(c, [{ name: "GREETING", value: "hi" }, { name: "NAME", value: "web" }]);
  assert.deepEqual(out, { command: ["sh", "-c", "echo hi $(GREETING) $(UNSET)"], args: ["web", "$HOME", "webweb"] });
  assert.deepEqual(expandContainerCommandAndArgs({ name: "x" }, []), { command: [], args: [] });
});
