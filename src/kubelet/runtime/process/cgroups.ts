// Resource limits for process containers through cgroups: v2 (unified) when its memory and cpu
// controllers are available, else v1 (the memory/cpu/cpuacct hierarchies of hybrid hosts).
// Paths are relative to each hierarchy's root, e.g. `k8ts.slice/pod<uid>/<containerId>`.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CgroupLimits {
  cpuMillis?: number;
  memoryBytes?: number;
  cpuRequestMillis?: number;
  memoryRequestBytes?: number;
}

export interface CgroupUsage {
  cpuNs?: number;
  /** usage minus inactive file cache (cAdvisor's working set). */
  memoryWorkingSetBytes?: number;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Creates the cgroup (and its ancestors) and writes the limits; idempotent. */
  create(path: string, limits?: CgroupLimits): void;
  /** The `cgroup.procs` files a process writes its pid to, to join the cgroup everywhere. */
  procsFiles(path: string): string[];
  /** True once the kernel's OOM killer killed a process in the cgroup. */
  oomKilled(path: string): boolean;
  usage(path: string): CgroupUsage | undefined;
  pids(path: string): number[];
  /** SIGKILLs every process in the cgroup. */
  kill(path: string): void;
  /** Removes the cgroup directory (fails quietly while processes remain). */
  remove(path: string): void;
}

export const CPU_PERIOD_US = 100_000;

/** cpu.max / cfs quota for a CPU limit in millicores (Kubernetes' MilliCPUToQuota, min 1 ms). */
export function cpuQuotaUs(millis: number): number {
  return Math.max(1000, Math.round((millis * CPU_PERIOD_US) / 1000));
}

/** cpu.shares for a CPU request (MilliCPUToShares, min 2). */
export function cpuShares(millis: number): number {
  return Math.max(2, Math.floor((millis * 1024) / 1000));
}

/** cgroup v2 cpu.weight from shares (the OCI runtime-spec conversion). */
export function cpuWeight(shares: number): number {
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

function readKeyed(file: string): Map<string, number> {
  const m = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return m;
  }
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, "utf8").trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function readPids(file: string): number[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Unified hierarchy mounted at `root` (usually /sys/fs/cgroup). */
export class CgroupV2 implements CgroupDriver {
  readonly version = 2 as const;
  readonly root: string;
  private readonly controllers: string[];

  constructor(root: string, controllers = ["cpu", "memory"]) {
    this.root = root;
    this.controllers = controllers;
  }

  create(path: string, limits: CgroupLimits = {}): void {
    const parts = path.split("/").filter(Boolean);
    let dir = this.root;
    // Every ancestor delegates the controllers to its children ("+cpu +memory").
    for (let i = 0; i <= parts.length; i++) {
      if (i > 0) {
        dir = join(dir, parts[i - 1]);
        mkdirSync(dir, { recursive: true });
      }
      if (i < parts.length) {
        const enabled = safeRead(join(dir, "cgroup.subtree_control")).split(/\s+/);
        const missing = this.controllers.filter((c) => !enabled.includes(c));
        if (missing.length) writeFileSync(join(dir, "cgroup.subtree_control"), missing.map((c) => `+${c}`).join(" "));
      }
    }
    if (limits.memoryBytes !== undefined) {
      writeFileSync(join(dir, "memory.max"), String(limits.memoryBytes));
      tryWrite(join(dir, "memory.swap.max"), "0");
    }
    if (limits.cpuMillis !== undefined) writeFileSync(join(dir, "cpu.max"), `${cpuQuotaUs(limits.cpuMillis)} ${CPU_PERIOD_US}`);
    if (limits.cpuRequestMillis !== undefined) tryWrite(join(dir, "cpu.weight"), String(cpuWeight(cpuShares(limits.cpuRequestMillis))));
  }

  procsFiles(path: string): string[] {
    return [join(this.root, path, "cgroup.procs")];
  }

  oomKilled(path: string): boolean {
    return (readKeyed(join(this.root, path, "memory.events")).get("oom_kill") ?? 0) > 0;
  }

  usage(path: string): CgroupUsage | undefined {
    const dir = join(this.root, path);
    if (!existsSync(dir)) return undefined;
    const usec = readKeyed(join(dir, "cpu.stat")).get("usage_usec");
    const current = readNumber(join(dir, "memory.current"));
    const inactive = readKeyed(join(dir, "memory.stat")).get("inactive_file") ?? 0;
    return {
      cpuNs: usec === undefined ? undefined : usec * 1000,
      memoryWorkingSetBytes: current === undefined ? undefined : Math.max(0, current - inactive),
    };
  }

  pids(path: string): number[] {
    return readPids(join(this.root, path, "cgroup.procs"));
  }

  kill(path: string): void {
    if (!tryWrite(join(this.root, path, "cgroup.kill"), "1")) killPids(this.pids(path));
  }

  remove(path: string): void {
    try {
      rmdirSync(join(this.root, path));
    } catch {
      // busy or gone
    }
  }
}

/** Hierarchy roots of the v1 controllers used (cpu and cpuacct may share a mount). */
export interface CgroupV1Mounts {
  memory: string;
  cpu?: string;
  cpuacct?: string;
}

export class CgroupV1 implements CgroupDriver {
  readonly version = 1 as const;
  readonly mounts: CgroupV1Mounts;

  constructor(mounts: CgroupV1Mounts) {
    this.mounts = mounts;
  }

  private roots(): string[] {
    return [...new Set([this.mounts.memory, this.mounts.cpu, this.mounts.cpuacct].filter((x): x is string => !!x))];
  }

  create(path: string, limits: CgroupLimits = {}): void {
    for (const r of this.roots()) mkdirSync(join(r, path), { recursive: true });
    const mem = join(this.mounts.memory, path);
    if (limits.memoryBytes !== undefined) {
      writeFileSync(join(mem, "memory.limit_in_bytes"), String(limits.memoryBytes));
      // memsw (memory+swap) must be >= the memory limit; equal means no swap.
      tryWrite(join(mem, "memory.memsw.limit_in_bytes"), String(limits.memoryBytes));
    }
    if (this.mounts.cpu) {
      const cpu = join(this.mounts.cpu, path);
      if (limits.cpuMillis !== undefined) {
        writeFileSync(join(cpu, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
        writeFileSync(join(cpu, "cpu.cfs_quota_us"), String(cpuQuotaUs(limits.cpuMillis)));
      }
      if (limits.cpuRequestMillis !== undefined) tryWrite(join(cpu, "cpu.shares"), String(cpuShares(limits.cpuRequestMillis)));
    }
  }

  procsFiles(path: string): string[] {
    return this.roots().map((r) => join(r, path, "cgroup.procs"));
  }

  oomKilled(path: string): boolean {
    return (readKeyed(join(this.mounts.memory, path, "memory.oom_control")).get("oom_kill") ?? 0) > 0;
  }

  usage(path: string): CgroupUsage | undefined {
    const mem = join(this.mounts.memory, path);
    if (!existsSync(mem)) return undefined;
    const acct = this.mounts.cpuacct ?? this.mounts.cpu;
    const usage = readNumber(join(mem, "memory.usage_in_bytes"));
    const inactive = readKeyed(join(mem, "memory.stat")).get("total_inactive_file") ?? 0;
    return {
      cpuNs: acct ? readNumber(join(acct, path, "cpuacct.usage")) : undefined,
      memoryWorkingSetBytes: usage === undefined ? undefined : Math.max(0, usage - inactive),
    };
  }

  pids(path: string): number[] {
    return readPids(join(this.mounts.memory, path, "cgroup.procs"));
  }

  kill(path: string): void {
    killPids(this.pids(path));
  }

  remove(path: string): void {
    for (const r of this.roots()) {
      try {
        rmdirSync(join(r, path));
      } catch {
        // busy or gone
      }
    }
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return "";
  }
}

interface MountInfo {
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    out.push({ mountPoint: left[4].replace(/\\040/g, " "), fsType: right[0], superOptions: (right[2] ?? "").split(",") });
  }
  return out;
}

/**
 * The cgroup driver this host allows, or undefined (not root, no writable hierarchy with memory
 * and cpu). Probing creates `parent` (e.g. k8ts.slice) in the chosen hierarchy.
 */
export function detectCgroups(parent = "k8ts.slice", mountinfo = "/proc/self/mountinfo"): CgroupDriver | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let mounts: MountInfo[];
  try {
    mounts = parseMountInfo(readFileSync(mountinfo, "utf8"));
  } catch {
    return undefined;
  }
  const v2 = mounts.find((m) => m.fsType === "cgroup2");
  if (v2) {
    const available = safeRead(join(v2.mountPoint, "cgroup.controllers")).split(/\s+/);
    if (available.includes("memory") && available.includes("cpu")) {
      const d = new CgroupV2(v2.mountPoint);
      try {
        d.create(parent);
        return d;
      } catch {
        // e.g. the root cgroup has processes (a container without cgroup delegation)
      }
    }
  }
  const v1 = (c: string) => mounts.find((m) => m.fsType === "cgroup" && m.superOptions.includes(c))?.mountPoint;
  const memory = v1("memory");
  if (memory) {
    const d = new CgroupV1({ memory, cpu: v1("cpu"), cpuacct: v1("cpuacct") });
    try {
      d.create(parent);
      return d;
    } catch {
      // read-only
    }
  }
  return undefined;
}
