// What the kubelet learns about its host (cadvisor's MachineInfo and VersionInfo, cut down): cores,
// memory, the data directory's filesystem, OS and kernel identity, addresses. Every part is best
// effort: a file that cannot be read leaves its field empty rather than failing registration.
import { cpus, hostname as osHostname, networkInterfaces, release, totalmem } from "node:os";
import { readFile, statfs } from "node:fs/promises";
import type { NodeAddress } from "kubernetes-types/core/v1.js";

export interface HostInfo {
  /** Logical CPUs. */
  cpus: number;
  memoryBytes: number;
  /** Size of the filesystem holding the kubelet's data directory (ephemeral-storage capacity). */
  ephemeralStorageBytes?: number;
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  /** GOOS / GOARCH spelling: "linux", "amd64". */
  operatingSystem: string;
  architecture: string;
}

export interface FilesystemStats {
  capacityBytes: number;
  availableBytes: number;
  inodes: number;
  inodesFree: number;
}

/** Node's process.arch in Go's GOARCH spelling, as Kubernetes labels and reports it. */
export function goArch(arch: string = process.arch): string {
  const names: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64", loong64: "loong64", mips: "mips", mipsel: "mipsle" };
  return names[arch] ?? arch;
}

/** Node's process.platform in Go's GOOS spelling. */
export function goOS(platform: string = process.platform): string {
  return platform === "win32" ? "windows" : platform;
}

async function readTrimmed(path: string): Promise<string> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    return "";
  }
}

/** PRETTY_NAME from /etc/os-release (cadvisor's ContainerOsVersion), or "Linux". */
export async function readOsImage(path = "/etc/os-release"): Promise<string> {
  const text = await readTrimmed(path);
  for (const line of text.split("\n")) {
    const m = /^PRETTY_NAME=(.*)$/.exec(line.trim());
    if (m) return m[1]!.replace(/^["']|["']$/g, "");
  }
  return process.platform === "linux" ? "Linux" : process.platform;
}

/** statfs of `path`: capacity and space available to unprivileged users, and inodes. */
export async function filesystemStats(path: string): Promise<FilesystemStats | undefined> {
  try {
    const s = await statfs(path);
    return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, inodes: s.files, inodesFree: s.ffree };
  } catch {
    return undefined;
  }
}

/** Reads the host once; `dataDir` names the filesystem whose size is the ephemeral-storage capacity. */
export async function readHostInfo(opts: { dataDir?: string } = {}): Promise<HostInfo> {
  const [machineID, dbusID, productUUID, bootID, osImage, fs] = await Promise.all([
    readTrimmed("/etc/machine-id"), readTrimmed("/var/lib/dbus/machine-id"), readTrimmed("/sys/class/dmi/id/product_uuid"),
    readTrimmed("/proc/sys/kernel/random/boot_id"), readOsImage(), opts.dataDir ? filesystemStats(opts.dataDir) : Promise.resolve(undefined),
  ]);
  const machine = machineID || dbusID;
  return {
    cpus: Math.max(1, cpus().length),
    memoryBytes: totalmem(),
    ...(fs ? { ephemeralStorageBytes: fs.capacityBytes } : {}),
    machineID: machine,
    // cadvisor reads the DMI product UUID (root only); without it Kubernetes leaves the field empty.
    systemUUID: productUUID.toLowerCase(),
    bootID,
    kernelVersion: release(),
    osImage,
    operatingSystem: goOS(),
    architecture: goArch(),
  };
}

/**
 * The kubelet's default addresses without a cloud provider (nodestatus.NodeAddress): the given
 * node IP or else the first non-internal IPv4 (then IPv6) interface address, and the hostname.
 */
export function defaultNodeAddresses(opts: { nodeIP?: string; hostname?: string } = {}): NodeAddress[] {
  const host = opts.hostname ?? osHostname().toLowerCase();
  let ip = opts.nodeIP;
  if (!ip) {
    const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []).filter((a) => !a.internal);
    ip = all.find((a) => a.family === "IPv4")?.address ?? all.find((a) => a.family === "IPv6" && !a.address.startsWith("fe80:"))?.address ?? "127.0.0.1";
  }
  return [{ type: "InternalIP", address: ip }, { type: "Hostname", address: host }];
}
