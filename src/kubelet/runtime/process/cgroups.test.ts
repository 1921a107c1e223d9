import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CgroupV1, CgroupV2, cpuQuotaUs, cpuShares, cpuWeight, parseMountInfo } from "./cgroups.ts";

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-cgroups-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("CPU conversions match Kubernetes", () => {
  assert.equal(cpuQuotaUs(500), 50_000);
  assert.equal(cpuQuotaUs(2000), 200_000);
  assert.equal(cpuQuotaUs(1), 1000);
  assert.equal(cpuShares(100), 102);
  assert.equal(cpuShares(0), 2);
  assert.equal(cpuWeight(2), 1);
  assert.equal(cpuWeight(1024), 39);
});

test("v2 delegates controllers down the tree and writes limits", (t) => {
  const root = tmp(t);
  const d = new CgroupV2(root);
  d.create("k8ts.slice/podabc/c1", { memoryBytes: 64 << 20, cpuMillis: 250, cpuRequestMillis: 100 });
  const r = (p: string) => readFileSync(join(root, p), "utf8");
  assert.equal(r("cgroup.subtree_control"), "+cpu +memory");
  assert.equal(r("k8ts.slice/cgroup.subtree_control"), "+cpu +memory");
  assert.equal(r("k8ts.slice/podabc/cgroup.subtree_control"), "+cpu +memory");
  assert.equal(r("k8ts.slice/podabc/c1/memory.max"), String(64 << 20));
  assert.equal(r("k8ts.slice/podabc/c1/memory.swap.max"), "0");
  assert.equal(r("k8ts.slice/podabc/c1/cpu.max"), "25000 100000");
  assert.equal(r("k8ts.slice/podabc/c1/cpu.weight"), String(cpuWeight(102)));
  assert.deepEqual(d.procsFiles("k8ts.slice/podabc/c1"), [join(root, "k8ts.slice/podabc/c1/cgroup.procs")]);

  const c = join(root, "k8ts.slice/podabc/c1");
  assert.equal(d.oomKilled("k8ts.slice/podabc/c1"), false);
  writeFileSync(join(c, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n");
  assert.equal(d.oomKilled("k8ts.slice/podabc/c1"), true);
  writeFileSync(join(c, "cpu.stat"), "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
  writeFileSync(join(c, "memory.current"), "10000\n");
  writeFileSync(join(c, "memory.stat"), "anon 6000\nfile 4000\ninactive_file 3000\n");
  assert.deepEqual(d.usage("k8ts.slice/podabc/c1"), { cpuNs: 1_500_000, memoryWorkingSetBytes: 7000 });
  writeFileSync(join(c, "cgroup.procs"), "12\n34\n");
  assert.deepEqual(d.pids("k8ts.slice/podabc/c1"), [12, 34]);
});

test("v2 does not rewrite controllers already delegated", (t) => {
  const root = tmp(t);
  writeFileSync(join(root, "cgroup.subtree_control"), "cpu memory io");
  new CgroupV2(root).create("k8ts.slice");
  assert.equal(readFileSync(join(root, "cgroup.subtree_control"), "utf8"), "cpu memory io");
});

test("v1 writes limits to the memory and cpu hierarchies", (t) => {
  const base = tmp(t);
  const mounts = { memory: join(base, "memory"), cpu: join(base, "cpu"), cpuacct: join(base, "cpuacct") };
  for (const m of Object.values(mounts)) mkdirSync(m);
  const d = new CgroupV1(mounts);
  d.create("k8ts.slice/podx/c", { memoryBytes: 1 << 20, cpuMillis: 1500, cpuRequestMillis: 500 });
  const r = (p: string) => readFileSync(join(base, p), "utf8");
  assert.equal(r("memory/k8ts.slice/podx/c/memory.limit_in_bytes"), String(1 << 20));
  assert.equal(r("memory/k8ts.slice/podx/c/memory.memsw.limit_in_bytes"), String(1 << 20));
  assert.equal(r("cpu/k8ts.slice/podx/c/cpu.cfs_quota_us"), "150000");
  assert.equal(r("cpu/k8ts.slice/podx/c/cpu.cfs_period_us"), "100000");
  assert.equal(r("cpu/k8ts.slice/podx/c/cpu.shares"), "512");
  assert.equal(d.procsFiles("k8ts.slice/podx/c").length, 3);
  writeFileSync(join(base, "memory/k8ts.slice/podx/c/memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  assert.equal(d.oomKilled("k8ts.slice/podx/c"), true);
  writeFileSync(join(base, "cpuacct/k8ts.slice/podx/c/cpuacct.usage"), "123456\n");
  writeFileSync(join(base, "memory/k8ts.slice/podx/c/memory.usage_in_bytes"), "5000\n");
  writeFileSync(join(base, "memory/k8ts.slice/podx/c/memory.stat"), "cache 100\ntotal_inactive_file 1000\n");
  assert.deepEqual(d.usage("k8ts.slice/podx/c"), { cpuNs: 123456, memoryWorkingSetBytes: 4000 });
});

test("parses mountinfo", () => {
  const m = parseMountInfo(
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" + "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
  );
  assert.deepEqual(m, [
    { mountPoint: "/sys/fs/cgroup/cpu", fsType: "cgroup", superOptions: ["rw", "cpu"] },
    { mountPoint: "/sys/fs/cgroup/unified", fsType: "cgroup2", superOptions: ["rw"] },
  ]);
});
