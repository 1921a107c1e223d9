// The node agent end to end with the real kubectl: a cluster in this process (API server,
// controllers, scheduler, one kubelet with the process runtime) runs real processes. Ready pods
// behind an HTTP readiness probe; CrashLoopBackOff with climbing restarts; a failing liveness
// probe restarts; a failing readiness probe keeps a pod NotReady; deletion sends SIGTERM; a bare
// pod killed with restartPolicy Never stays dead while a ReplicaSet pod is replaced by a new pod
// (new name, new IP); logs, exec and port-forward through the API server and the kubelet's HTTPS
// server; a restarted kubelet keeps the pods and their restart counts.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pod } from "kubernetes-types/core/v1.js";
import { resources } from "../src/client/index.ts";
import { startTestCluster } from "../src/testing/cluster.ts";
import type { TestCluster } from "../src/testing/cluster.ts";
import { waitFor } from "../src/testing/wait.ts";
import { Kubelet } from "../src/kubelet/kubelet.ts";
import { silentLogger } from "../src/util/log.ts";

let c: TestCluster;
let scratch: string;
const NS = "default";

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "k8ts-e2e-"));
  c = await startTestCluster({ kubeletOptions: { crashLoopBackoff: { initialMs: 500, maxMs: 2000 } } });
});

after(async () => {
  await c?.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await c.api.kubectl(args, { input });
  assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}
const getPod = (name: string) => c.client.get<Pod>(resources.pods, name, { namespace: NS });
const ready = (p: Pod) => p.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True") ?? false;
const podsOf = async (app: string) => (await c.client.list<Pod>(resources.pods, { namespace: NS, labelSelector: `app=${app}` })).items;

const HTTP_SERVER = "require('http').createServer((q, s) => s.end('hello from ' + process.env.POD_NAME)).listen(8080)";

it("a Deployment of an HTTP server gets Running and Ready pods behind a readiness probe", async () => {
  await kubectl(["apply", "-f", "-"], `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: node:24
        command: ["node", "-e", "${HTTP_SERVER}"]
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
`);
  const pods = await waitFor("2 ready web pods", async () => {
    const list = await podsOf("web");
    return list.length === 2 && list.every((p) => p.status?.phase === "Running" && ready(p)) ? list : undefined;
  }, 60_000);
  const ips = pods.map((p) => p.status?.podIP);
  assert.equal(new Set(ips).size, 2, "each pod has its own IP");
  const body = await (await fetch(`http://${ips[0]}:8080/`)).text();
  assert.equal(body, `hello from ${pods[0].metadata?.name}`);
  assert.match(await kubectl(["rollout", "status", "deployment/web", "--timeout=30s"]), /successfully rolled out/);
});

it("a container that exits 1 goes to CrashLoopBackOff with climbing restarts", async () => {
  await kubectl(["run", "crasher", "--image=busybox", "--", "sh", "-c", "echo dying; exit 1"]);
  const pod = await waitFor("restarts and CrashLoopBackOff", async () => {
    const p = await getPod("crasher");
    const s = p.status?.containerStatuses?.[0];
    return (s?.restartCount ?? 0) >= 2 && s?.state?.waiting?.reason === "CrashLoopBackOff" ? p : undefined;
  }, 60_000);
  const s = pod.status!.containerStatuses![0];
  assert.equal(s.lastState?.terminated?.exitCode, 1);
  assert.equal(s.lastState?.terminated?.reason, "Error");
  assert.match(s.state?.waiting?.message ?? "", /^back-off \d+(\.\d+)?m?s restarting failed container=crasher pod=crasher_default\(/);
  assert.match(await kubectl(["get", "pod", "crasher"]), /CrashLoopBackOff/);
});

it("a failing liveness probe restarts the container; a failing readiness probe keeps the pod NotReady", async () => {
  await kubectl(["apply", "-f", "-"], `
apiVersion: v1
kind: Pod
metadata: {name: unhealthy}
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    livenessProbe: {tcpSocket: {port: 9}, periodSeconds: 1, failureThreshold: 2}
---
apiVersion: v1
kind: Pod
metadata: {name: unready}
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    readinessProbe: {exec: {command: ["false"]}, periodSeconds: 1}
`);
  await waitFor("a liveness restart", async () => ((await getPod("unhealthy")).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 || undefined, 60_000);
  const unready = await waitFor("unready running", async () => {
    const p = await getPod("unready");
    return p.status?.phase === "Running" && p.status.containerStatuses?.[0]?.started ? p : undefined;
  }, 30_000);
  assert.equal(ready(unready), false);
  assert.equal(unready.status?.conditions?.find((x) => x.type === "ContainersReady")?.status, "False");
  assert.equal(unready.status?.containerStatuses?.[0]?.restartCount, 0);
  const events = await kubectl(["get", "events", "--field-selector", "involvedObject.name=unhealthy"]);
  assert.match(events, /Liveness probe failed/);
});

it("deleting a pod sends its process SIGTERM, then the pod object goes", async () => {
  const marker = join(scratch, "sigterm");
  await kubectl(["run", "graceful", "--image=busybox", "--", "sh", "-c", `trap 'echo got TERM > ${marker}; exit 0' TERM; while true; do sleep 0.1; done`]);
  await waitFor("graceful running", async () => (await getPod("graceful")).status?.phase === "Running" || undefined, 30_000);
  await kubectl(["delete", "pod", "graceful", "--wait=true"]);
  assert.equal((await readFile(marker, "utf8")).trim(), "got TERM");
  await assert.rejects(getPod("graceful"), /not found/);
});

it("a bare pod killed with restartPolicy Never stays dead; a ReplicaSet pod that is deleted is replaced by a new pod", async () => {
  await kubectl(["run", "bare", "--image=busybox", "--restart=Never", "--", "sleep", "3601"]);
  const bare = await waitFor("bare running", async () => {
    const p = await getPod("bare");
    return p.status?.phase === "Running" ? p : undefined;
  }, 30_000);
  const { execFile } = await import("node:child_process");
  await new Promise((r) => execFile("pkill", ["-KILL", "-f", "busybox sleep 3601"], r));
  const dead = await waitFor("bare Failed", async () => {
    const p = await getPod("bare");
    return p.status?.phase === "Failed" ? p : undefined;
  }, 30_000);
  assert.equal(dead.metadata?.uid, bare.metadata?.uid, "the same pod, not healed");
  assert.equal(dead.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 137);
  assert.equal(dead.status?.containerStatuses?.[0]?.restartCount, 0);

  const before = await podsOf("web");
  const old = before[0];
  await kubectl(["delete", "pod", old.metadata!.name!]);
  const now = await waitFor("a replacement web pod", async () => {
    const list = (await podsOf("web")).filter((p) => !p.metadata?.deletionTimestamp);
    return list.length === 2 && list.every(ready) && !list.some((p) => p.metadata?.name === old.metadata?.name) ? list : undefined;
  }, 60_000);
  const fresh = now.find((p) => !before.some((b) => b.metadata?.name === p.metadata?.name))!;
  assert.notEqual(fresh.metadata?.name, old.metadata?.name);
  if (process.getuid?.() === 0) assert.notEqual(fresh.status?.podIP, old.status?.podIP, "a new pod gets a new IP");
});

it("kubectl logs, logs -f, exec and port-forward reach the pod through the API server and the kubelet", async () => {
  await kubectl(["run", "talker", "--image=busybox", "--", "sh", "-c", "echo one; echo two; sleep 1; echo three; sleep 3600"]);
  await waitFor("talker logs", async () => (await c.api.kubectl(["logs", "talker"])).stdout.includes("three") || undefined, 30_000);
  assert.equal(await kubectl(["logs", "talker"]), "one\ntwo\nthree\n");
  assert.equal(await kubectl(["logs", "talker", "--tail=1"]), "three\n");
  // logs -f keeps the stream open: it is ended by the timeout, after the lines arrived.
  const follow = await c.api.kubectl(["logs", "-f", "talker", "--request-timeout=3s"], { timeoutMs: 6000 });
  assert.match(follow.stdout, /^one\ntwo\nthree\n/);
  assert.equal(await kubectl(["exec", "talker", "--", "sh", "-c", "echo hi"]), "hi\n");
  const failed = await c.api.kubectl(["exec", "talker", "--", "sh", "-c", "exit 3"]);
  assert.equal(failed.code, 3);
  assert.match(failed.stderr, /command terminated with exit code 3/);
  assert.equal(await kubectl(["exec", "-i", "talker", "--", "cat"], "piped stdin\n"), "piped stdin\n");

  const [web] = await podsOf("web");
  const { spawn } = await import("node:child_process");
  const { freePort } = await import("../src/testing/wait.ts");
  const local = await freePort();
  const pf = spawn("/usr/bin/kubectl", ["--kubeconfig", c.api.kubeconfig, "port-forward", `pod/${web.metadata!.name}`, `${local}:8080`], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(scratch, "home") }, stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const body = await waitFor("port-forward", async () => {
      try {
        return await (await fetch(`http://127.0.0.1:${local}/`)).text();
      } catch {
        return undefined;
      }
    }, 20_000);
    assert.equal(body, `hello from ${web.metadata!.name}`);
  } finally {
    pf.kill("SIGTERM");
  }
});

it("a restarted kubelet keeps running pods and their restart counts", async () => {
  const before = await getPod("unhealthy");
  const restarts = before.status!.containerStatuses![0].restartCount;
  const webBefore = (await podsOf("web")).map((p) => [p.metadata!.name, p.status!.containerStatuses![0].containerID]).sort();
  const old = c.kubelet!;
  await old.stop(); // containers keep running
  const again = new Kubelet({ client: c.client, nodeName: old.nodeName, dataDir: old.dataDir, log: silentLogger, statusUpdateFrequencyMs: 1000, resyncIntervalMs: 2000 });
  c.kubelet = again;
  await again.start();
  try {
    await waitFor("web pods ready again", async () => (await podsOf("web")).every(ready) || undefined, 30_000);
    const webAfter = (await podsOf("web")).map((p) => [p.metadata!.name, p.status!.containerStatuses![0].containerID]).sort();
    assert.deepEqual(webAfter, webBefore, "same pods, same containers: nothing restarted");
    const after = await getPod("unhealthy");
    assert.ok(after.status!.containerStatuses![0].restartCount >= restarts!, "restart counts survive");
  } finally {
    await again.stop({ stopPods: true });
  }
});
