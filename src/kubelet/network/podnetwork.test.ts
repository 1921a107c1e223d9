import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { PodNetwork } from "./podnetwork.ts";
import type { SandboxNetwork } from "./podnetwork.ts";
import { waitFor } from "../../testing/wait.ts";

const isRoot = process.getuid?.() === 0;
const netnsWorks = isRoot && (() => {
  try {
    execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

test("host networking without a pod CIDR, or for hostNetwork pods", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-net-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const noCidr = new PodNetwork({ stateDir: dir, hostIP: "192.0.2.10" });
  assert.equal(await noCidr.isolated(), false);
  assert.deepEqual(await noCidr.setup("abc", false), { ips: ["192.0.2.10"] });
  const withCidr = new PodNetwork({ stateDir: dir, hostIP: "192.0.2.10", podCIDR: "10.244.200.0/24", isolate: false });
  assert.deepEqual(await withCidr.setup("abc", false), { ips: ["192.0.2.10"] });
  assert.deepEqual(await withCidr.setup("abc", true), { ips: ["192.0.2.10"] });
});

test("each sandbox gets a namespace, an IP on the bridge, reachable from the host", { skip: !netnsWorks && "needs root and ip netns" }, async (t) => {
  const rnd = randomBytes(3).toString("hex");
  const dir = mkdtempSync(join(tmpdir(), "k8ts-net-"));
  const cidr = `10.246.${randomBytes(1)[0]}.0/24`;
  const net = new PodNetwork({ stateDir: dir, podCIDR: cidr, bridge: `k8tst${rnd}`, nsPrefix: `k8tst${rnd}-`, isolate: true });
  const ids = [randomBytes(16).toString("hex"), randomBytes(16).toString("hex")];
  const nets: SandboxNetwork[] = [];
  const procs: ChildProcess[] = [];
  t.after(async () => {
    for (const p of procs) p.kill("SIGKILL");
    for (const [i, id] of ids.entries()) await net.teardown(id, nets[i]).catch(() => undefined);
    await net.deleteBridge();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const id of ids) nets.push(await net.setup(id, false));
  const prefix = cidr.slice(0, cidr.lastIndexOf("."));
  assert.deepEqual(nets.map((n) => n.ips[0]), [`${prefix}.2`, `${prefix}.3`]);
  // Setup is idempotent: same IP, same namespace.
  assert.deepEqual(await net.setup(ids[0], false), nets[0]);
  for (const n of nets) assert.ok(existsSync(net.nsPath(n.netns!)));

  // A server on the same port in each namespace; the host reaches both by pod IP.
  const server = "require('net').createServer((s)=>s.end(process.argv[1])).listen(7070,()=>console.log('up'))";
  for (const [i, n] of nets.entries()) {
    const p = spawn("nsenter", [`--net=${net.nsPath(n.netns!)}`, "--", process.execPath, "-e", server, `pod${i}`], { stdio: ["ignore", "pipe", "inherit"] });
    procs.push(p);
    await new Promise<void>((resolve) => p.stdout!.once("data", () => resolve()));
  }
  const read = (host: string) =>
    new Promise<string>((resolve, reject) => {
      const s = connect(7070, host);
      let out = "";
      s.on("data", (d) => (out += d));
      s.on("end", () => resolve(out));
      s.on("error", reject);
    });
  assert.equal(await waitFor("pod0 answers", () => read(nets[0].ips[0]), 5000), "pod0");
  assert.equal(await waitFor("pod1 answers", () => read(nets[1].ips[0]), 5000), "pod1");

  for (const p of procs) p.kill("SIGKILL");
  await net.teardown(ids[0], nets[0]);
  await net.teardown(ids[0], nets[0]);
  assert.ok(!existsSync(net.nsPath(nets[0].netns!)));
  assert.equal(net.allocations().has(ids[0]), false);
  assert.equal(net.allocations().get(ids[1]), nets[1].ips[0]);
});
