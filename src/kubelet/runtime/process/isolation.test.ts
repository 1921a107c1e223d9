// ProcessRuntime as root: pod network namespaces (two pods on the same port), port-forward,
// bind mounts, hostname, cgroup limits and OOM kills. Skipped where the host does not allow them.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { ProcessRuntime } from "./runtime.ts";
import { detectCgroups } from "./cgroups.ts";
import { parseCriLog } from "./logwriter.ts";
import { PodNetwork } from "../../network/index.ts";
import { waitFor } from "../../../testing/wait.ts";
import { containerConfig, sandboxConfig, scratchDir } from "./testutil.ts";

const isRoot = process.getuid?.() === 0;
const netnsWorks =
  isRoot &&
  (() => {
    try {
      execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();

const rnd = randomBytes(3).toString("hex");
const scratch = scratchDir("isolation");
const dir = scratch.dir;
const cgroupParent = `k8tst${rnd}.slice`;
const cgroups = detectCgroups(cgroupParent);
const network = new PodNetwork({
  stateDir: join(dir, "network"),
  podCIDR: `10.247.${randomBytes(1)[0]}.0/24`,
  bridge: `k8tst${rnd}`,
  nsPrefix: `k8tst${rnd}-`,
  hostIP: "127.0.0.1",
});
const rt = new ProcessRuntime({ stateDir: join(dir, "state"), network, cgroups: cgroups ?? "none", cgroupParent });
const mountPoint = `/tmp/k8ts-mnt-${rnd}`;

after(async () => {
  for (const sb of await rt.listPodSandboxes()) await rt.removePodSandbox(sb.id).catch(() => undefined);
  await rt.close();
  await network.deleteBridge();
  cgroups?.remove(cgroupParent);
  rmSync(mountPoint, { recursive: true, force: true });
  scratch.cleanup();
});

const server = "require('http').createServer((q,s)=>s.end(process.env.POD+' '+require('os').hostname())).listen(8080,()=>console.log('listening'))";

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host, port, path: "/", agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    }).on("error", reject);
  });
}

const logOf = (path: string) => (existsSync(path) ? parseCriLog(readFileSync(path, "utf8")).map((r) => r.content) : []);

test("two pods listen on 8080 in their own namespaces; host reaches both; port-forward works", { skip: !netnsWorks && "needs root and ip netns" }, async () => {
  const pods = ["web-a", "web-b"];
  const started = await Promise.all(
    pods.map(async (pod) => {
      const sb = await rt.runPodSandbox(sandboxConfig(dir, pod));
      const cfg = containerConfig(dir, pod, "server", "node:24", ["node", "-e", server], { env: [{ name: "POD", value: pod }] });
      const id = await rt.createContainer(sb, cfg);
      await rt.startContainer(id);
      return { pod, sb, id, cfg };
    }),
  );
  const ips = await Promise.all(started.map(async (s) => (await rt.podSandboxStatus(s.sb))!.ips[0]));
  assert.notEqual(ips[0], ips[1]);
  for (const [i, s] of started.entries()) {
    await waitFor(`${s.pod} listening`, () => logOf(s.cfg.logPath).includes("listening"), 15_000);
    assert.equal(await httpGet(ips[i], 8080), `${s.pod} ${s.pod}`);
  }
  // exec runs inside the pod's network namespace.
  const addr = await rt.execSync(started[0].id, ["sh", "-c", "ip -4 addr show eth0"], 10);
  assert.match(addr.stdout.toString(), new RegExp(`inet ${ips[0].replace(/\./g, "\\.")}/`));

  const sock = await rt.portForward(started[1].sb, 8080);
  sock.end("GET / HTTP/1.0\r\n\r\n");
  let reply = "";
  for await (const chunk of sock) reply += chunk;
  assert.match(reply, /^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nweb-b web-b$/);

  const nsName = `/run/netns/k8tst${rnd}-${started[0].sb.slice(0, 12)}`;
  assert.equal(existsSync(nsName), true);
  await rt.stopPodSandbox(started[0].sb);
  assert.equal((await rt.containerStatus(started[0].id))!.state, "exited");
  assert.equal(existsSync(nsName), false);
  await rt.stopPodSandbox(started[0].sb); // idempotent
  await rt.removePodSandbox(started[0].sb);
  assert.equal(network.allocations().has(started[0].sb), false);
});

test("bind mounts (read-only too) and the pod hostname in private namespaces", { skip: !isRoot && "needs root" }, async () => {
  const src = join(dir, "volume");
  mkdirSync(src);
  writeFileSync(join(src, "greeting"), "from-volume\n");
  const sb = await rt.runPodSandbox(sandboxConfig(dir, "mounty", { hostname: "mounty-host", dns: { servers: ["10.96.0.10"], searches: ["default.svc.cluster.local"], options: ["ndots:5"] } }));
  const cfg = containerConfig(dir, "mounty", "c", "busybox", ["sh", "-c", `cat ${mountPoint}/greeting; touch ${mountPoint}/x 2>/dev/null || echo read-only; hostname; grep nameserver /etc/resolv.conf`], {
    mounts: [{ hostPath: src, containerPath: mountPoint, readOnly: true }],
  });
  const id = await rt.createContainer(sb, cfg);
  await rt.startContainer(id);
  await rt.waitContainer(id);
  assert.equal((await rt.containerStatus(id))!.exitCode, 0);
  assert.deepEqual(logOf(cfg.logPath), ["from-volume", "read-only", "mounty-host", "nameserver 10.96.0.10"]);
  // The host sees the (empty) mount point, not the mount.
  assert.equal(existsSync(join(mountPoint, "greeting")), false);
});

test("cgroup memory limit: OOM kill is reported as OOMKilled; stats are read", { skip: !cgroups && "cgroups not writable here" }, async () => {
  assert.equal(rt.limitsEnforced(), true);
  const sb = await rt.runPodSandbox(sandboxConfig(dir, "hog", { hostNetwork: true }));
  const idle = containerConfig(dir, "hog", "idle", "busybox", ["sleep", "3600"], { resources: { memoryBytes: 32 << 20, cpuMillis: 200 } });
  const idleId = await rt.createContainer(sb, idle);
  await rt.startContainer(idleId);
  const stats = await waitFor("stats", async () => {
    const s = await rt.containerStats(idleId);
    return s && s.memoryWorkingSetBytes !== undefined && s.cpuUsageCoreNanoSeconds !== undefined ? s : undefined;
  });
  // cgroup v1 usage is batched per CPU: a tiny process may read as 0.
  assert.ok(stats.memoryWorkingSetBytes! < 32 << 20, JSON.stringify(stats));

  const hog = containerConfig(dir, "hog", "hog", "node:24", ["node", "-e", "const a=[];for(;;)a.push(Buffer.alloc(1<<20,1))"], {
    resources: { memoryBytes: 96 << 20 },
  });
  const hogId = await rt.createContainer(sb, hog);
  await rt.startContainer(hogId);
  await rt.waitContainer(hogId);
  const st = (await rt.containerStatus(hogId))!;
  assert.deepEqual([st.state, st.exitCode, st.reason], ["exited", 137, "OOMKilled"]);
  assert.equal((await rt.containerStatus(idleId))!.state, "running");
});
