import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { PodRuntimeStatus } from "../container/index.ts";
import type { ContainerStatus as RuntimeContainer, PodSandboxStatus } from "../runtime/types.ts";
import { generateAPIPodStatus } from "./generate.ts";
import type { GenerateOptions } from "./generate.ts";

const T0 = Date.parse("2024-05-01T10:00:00Z");

function pod(extra: Partial<NonNullable<Pod["spec"]>> = {}): Pod {
  return { metadata: { name: "web", namespace: "default", uid: "u1" }, spec: { restartPolicy: "Always", containers: [{ name: "web", image: "nginx" }], ...extra } };
}

const sandbox = (state: "ready" | "notready" = "ready", ips = ["10.88.0.2"]): PodSandboxStatus => ({
  id: "sb1", state, createdAt: T0, ips,
  config: { namespace: "default", name: "web", uid: "u1", attempt: 0, hostname: "web", hostNetwork: false, labels: {}, annotations: {}, logDirectory: "/l", portMappings: [] },
});

let seq = 0;
function ctr(name: string, state: RuntimeContainer["state"], attempt: number, extra: Partial<RuntimeContainer> = {}): RuntimeContainer {
  const created = T0 + attempt * 60_000 + seq++;
  return {
    id: `${name}-${attempt}`, sandboxId: "sb1", name, image: "nginx", imageRef: "fake://nginx@sha256:abc", state, attempt, createdAt: created,
    startedAt: state === "created" ? undefined : created + 1000, logPath: `/l/${name}/${attempt}.log`,
    ...(state === "exited" ? { exitCode: 1, reason: "Error", finishedAt: created + 5000 } : {}), ...extra,
  };
}

function rs(sandboxes: PodSandboxStatus[], containers: RuntimeContainer[]): PodRuntimeStatus {
  containers.sort((a, b) => b.createdAt - a.createdAt);
  return { uid: "u1", name: "web", namespace: "default", sandboxes, containers, ips: sandboxes[0]?.state === "ready" ? sandboxes[0].ips : [] };
}

const opts = (o: Partial<GenerateOptions> = {}): GenerateOptions => ({ runtimeName: "fake", oldStatus: {}, podIsTerminal: false, hostIPs: ["192.168.0.10"], ...o });
const cond = (s: { conditions?: { type: string; status: string; reason?: string; message?: string }[] }) =>
  Object.fromEntries((s.conditions ?? []).map((c) => [c.type, [c.status, c.reason ?? "", c.message ?? ""].join("|")]));

test("a new pod: waiting ContainerCreating, Pending, conditions False, host IP, QoS", () => {
  const s = generateAPIPodStatus(pod(), rs([], []), opts());
  assert.equal(s.phase, "Pending");
  assert.equal(s.qosClass, "BestEffort");
  assert.equal(s.hostIP, "192.168.0.10");
  assert.deepEqual(s.hostIPs, [{ ip: "192.168.0.10" }]);
  assert.equal(s.podIP, undefined);
  assert.deepEqual(s.containerStatuses, [{ name: "web", state: { waiting: { reason: "ContainerCreating" } }, lastState: {}, ready: false, started: false, restartCount: 0, image: "nginx", imageID: "" }]);
  assert.deepEqual(cond(s), {
    PodReadyToStartContainers: "False||", Initialized: "True||", Ready: "False|ContainersNotReady|containers with unready status: [web]",
    ContainersReady: "False|ContainersNotReady|containers with unready status: [web]", PodScheduled: "True||",
  });
});

test("a running container: running state, IDs, ready, Running, pod IP, all conditions True", () => {
  const s = generateAPIPodStatus(pod(), rs([sandbox()], [ctr("web", "running", 0)]), opts());
  assert.equal(s.phase, "Running");
  assert.equal(s.podIP, "10.88.0.2");
  assert.deepEqual(s.podIPs, [{ ip: "10.88.0.2" }]);
  const c = s.containerStatuses![0]!;
  assert.equal(c.containerID, "fake://web-0");
  assert.equal(c.imageID, "fake://nginx@sha256:abc");
  assert.deepEqual(c.state, { running: { startedAt: new Date(T0 + 1000).toISOString().replace(".000Z", "Z").replace(/\.\d+Z/, "Z") } });
  assert.equal(c.ready, true);
  assert.equal(c.started, true);
  assert.deepEqual(cond(s), { PodReadyToStartContainers: "True||", Initialized: "True||", Ready: "True||", ContainersReady: "True||", PodScheduled: "True||" });
});

test("a restarted container: restartCount from attempts, lastState from the previous instance", () => {
  const s = generateAPIPodStatus(pod(), rs([sandbox()], [ctr("web", "exited", 2, { exitCode: 2 }), ctr("web", "running", 3), ctr("web", "exited", 1)]), opts());
  const c = s.containerStatuses![0]!;
  assert.equal(c.restartCount, 3);
  assert.ok(c.state?.running);
  assert.equal(c.lastState?.terminated?.exitCode, 2);
  assert.equal(c.lastState?.terminated?.reason, "Error");
  assert.equal(c.lastState?.terminated?.containerID, "fake://web-2");
  assert.ok(c.lastState?.terminated?.startedAt && c.lastState.terminated.finishedAt);
});

test("a crash loop: waiting CrashLoopBackOff with the back-off message, the exit as lastState", () => {
  const message = "back-off 10s restarting failed container=web pod=web_default(u1)";
  const s = generateAPIPodStatus(pod(), rs([sandbox()], [ctr("web", "exited", 1, { exitCode: 3 }), ctr("web", "exited", 0)]),
    opts({ reasons: new Map([["web", { reason: "CrashLoopBackOff", message }]]) }));
  const c = s.containerStatuses![0]!;
  assert.deepEqual(c.state, { waiting: { reason: "CrashLoopBackOff", message } });
  assert.equal(c.lastState?.terminated?.exitCode, 3);
  assert.equal(c.restartCount, 1);
  assert.equal(c.ready, false);
  assert.equal(s.phase, "Running", "a container that ran and will restart keeps the pod Running");
});

test("restartPolicy Never: an exited container is terminated (no waiting reason), the pod Failed/Succeeded", () => {
  const s = generateAPIPodStatus(pod({ restartPolicy: "Never" }), rs([sandbox()], [ctr("web", "exited", 0, { exitCode: 0, reason: "Completed" })]),
    opts({ reasons: new Map([["web", { reason: "CrashLoopBackOff", message: "x" }]]) }));
  assert.deepEqual(s.containerStatuses![0]!.state?.terminated?.reason, "Completed");
  assert.equal(s.phase, "Succeeded");
  assert.deepEqual(cond(s).Ready, "False|PodCompleted|");
});

test("init containers: app containers wait PodInitializing, statuses in spec order, ready once exited 0", () => {
  const p = pod({ initContainers: [{ name: "zz-first", image: "busybox" }, { name: "aa-second", image: "busybox" }], containers: [{ name: "web", image: "nginx" }, { name: "a-side", image: "nginx" }] });
  const s = generateAPIPodStatus(p, rs([sandbox()], [ctr("zz-first", "exited", 0, { exitCode: 0, reason: "Completed" }), ctr("aa-second", "running", 0)]), opts());
  assert.deepEqual(s.initContainerStatuses!.map((c) => [c.name, c.ready, Object.keys(c.state ?? {})[0]]), [["zz-first", true, "terminated"], ["aa-second", false, "running"]]);
  assert.deepEqual(s.containerStatuses!.map((c) => [c.name, c.state?.waiting?.reason]), [["a-side", "PodInitializing"], ["web", "PodInitializing"]]);
  assert.equal(s.phase, "Pending");
  assert.equal(cond(s).Initialized, "False|ContainersNotInitialized|containers with incomplete status: [aa-second]");
});

test("terminal phases never go back; deadline eviction forces Failed with its reason", () => {
  const running = rs([sandbox()], [ctr("web", "running", 0)]);
  const s = generateAPIPodStatus(pod(), running, opts({ oldStatus: { phase: "Failed", reason: "DeadlineExceeded", message: "m" } }));
  assert.equal(s.phase, "Failed");
  assert.equal(s.reason, "DeadlineExceeded");
  const p: Pod = { ...pod(), status: { phase: "Succeeded" } };
  assert.equal(generateAPIPodStatus(p, running, opts()).phase, "Succeeded");
  const e = generateAPIPodStatus(pod(), running, opts({ evict: { reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" } }));
  assert.deepEqual([e.phase, e.reason, e.message], ["Failed", "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"]);
});

test("hostNetwork pods get the host IP as pod IP; other conditions and startTime are kept", () => {
  const p: Pod = { ...pod({ hostNetwork: true }), status: { conditions: [{ type: "PodScheduled", status: "True", lastTransitionTime: "2024-01-01T00:00:00Z" }, { type: "example.com/gate", status: "True" }] } };
  const s = generateAPIPodStatus(p, rs([sandbox("ready", [])], []), opts({ oldStatus: { startTime: "2024-05-01T10:00:00Z" } }));
  assert.equal(s.podIP, "192.168.0.10");
  assert.equal(s.startTime, "2024-05-01T10:00:00Z");
  assert.equal(cond(s)["example.com/gate"], "True||");
  assert.equal(cond(s).PodReadyToStartContainers, "True||", "host-network sandboxes need no IP");
});

test("a container the runtime lost after running: lastState ContainerStatusUnknown, restart counted", () => {
  const old = generateAPIPodStatus(pod(), rs([sandbox()], [ctr("web", "running", 0)]), opts());
  const s = generateAPIPodStatus(pod(), rs([sandbox()], []), opts({ oldStatus: old }));
  const c = s.containerStatuses![0]!;
  assert.equal(c.lastState?.terminated?.reason, "ContainerStatusUnknown");
  assert.equal(c.lastState?.terminated?.exitCode, 137);
  assert.equal(c.restartCount, 1);
  assert.equal(s.phase, "Running");
});
