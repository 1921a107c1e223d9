// Pod networking for runtimes without CNI: as root, each sandbox gets a network namespace with a
// veth into a bridge holding the pod CIDR's gateway address and an IP from host-local IPAM (what
// the CNI bridge + host-local plugins do). Otherwise pods share the host network.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { promisify } from "node:util";
import { HostLocalIpam } from "./ipam.ts";

const run = promisify(execFile);

export const NETNS_DIR = "/run/netns";

export interface PodNetworkOptions {
  /** Where IPAM state is kept. */
  stateDir: string;
  /** The node's pod CIDR (node.spec.podCIDR); without it pods use the host network. */
  podCIDR?: string;
  /** Bridge name (default k8ts0; tests use their own). */
  bridge?: string;
  /** Network namespace name prefix (default "k8ts-"). */
  nsPrefix?: string;
  /** The pod IP of host-network pods (default: the first non-loopback IPv4 address, else 127.0.0.1). */
  hostIP?: string;
  /** Force host networking even as root (false) or fail instead of falling back (true). */
  isolate?: boolean;
}

/** What a sandbox's network is; persisted by the runtime with the sandbox. */
export interface SandboxNetwork {
  ips: string[];
  /** Network namespace name (`ip netns`), when the pod has its own. */
  netns?: string;
  /** Host end of the pod's veth. */
  hostVeth?: string;
}

export function defaultHostIP(): string {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (/^(k8ts|vk|veth|docker|cni|br-)/.test(name)) continue;
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

/**
 * Runs iproute2 commands in one `ip -batch` process (spawning is the slow part); `netns` scopes
 * them to a namespace; `force` keeps going past failures (teardown).
 */
async function ipBatch(lines: string[], opts: { netns?: string; force?: boolean } = {}): Promise<void> {
  const args = [...(opts.netns ? ["-n", opts.netns] : []), ...(opts.force ? ["-force"] : []), "-batch", "-"];
  await new Promise<void>((resolve, reject) => {
    const child = execFile("ip", args, { encoding: "utf8" }, (err, _stdout, stderr) => {
      if (err && !opts.force) reject(new Error(`ip ${args.join(" ")} [${lines.join("; ")}]: ${stderr.trim() || err.message}`));
      else resolve();
    });
    child.stdin!.end(lines.join("\n") + "\n");
  });
}

async function ipQuiet(...args: string[]): Promise<boolean> {
  try {
    await run("ip", args);
    return true;
  } catch {
    return false;
  }
}

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export class PodNetwork {
  readonly hostIP: string;
  readonly bridge: string;
  private readonly opts: PodNetworkOptions;
  private readonly ipam: HostLocalIpam | undefined;
  private availability: Promise<boolean> | undefined;
  private bridgeReady: Promise<void> | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private warm = false;

  constructor(opts: PodNetworkOptions) {
    this.opts = opts;
    this.hostIP = opts.hostIP ?? defaultHostIP();
    this.bridge = opts.bridge ?? "k8ts0";
    if (this.bridge.length > 15) throw new Error(`bridge name ${this.bridge} longer than 15 characters`);
    this.ipam = opts.podCIDR ? new HostLocalIpam(opts.stateDir, opts.podCIDR) : undefined;
  }

  get podCIDR(): string | undefined {
    return this.ipam?.cidr;
  }

  /** True when pods get their own network namespace: root, a pod CIDR, and `ip netns` works. */
  isolated(): Promise<boolean> {
    this.availability ??= (async () => {
      if (this.opts.isolate === false || !this.ipam) return false;
      const ok = process.getuid?.() === 0 && (await ipQuiet("netns", "list"));
      if (!ok && this.opts.isolate) throw new Error("pod network namespaces need root and iproute2 (`ip netns`)");
      return ok;
    })();
    return this.availability;
  }

  /** Gives a sandbox its network; idempotent for the same id. */
  async setup(sandboxId: string, hostNetwork: boolean): Promise<SandboxNetwork> {
    if (hostNetwork || !(await this.isolated())) return { ips: [this.hostIP] };
    // IPAM allocation is synchronous, and namespaces and veths of different pods are independent,
    // so setups run side by side — except until the first one has made /run/netns.
    if (this.warm) return this.setupNetns(sandboxId);
    const net = await this.serialized(() => this.setupNetns(sandboxId));
    this.warm = true;
    return net;
  }

  /** Releases a sandbox's network: its IP, veth and namespace; idempotent. */
  async teardown(sandboxId: string, net: SandboxNetwork | undefined): Promise<void> {
    await this.serialized(() => this.teardownNow(sandboxId, net));
  }

  /** Path of a namespace for `nsenter --net=`. */
  nsPath(netns: string): string {
    return `${NETNS_DIR}/${netns}`;
  }

  /** Sandboxes holding an IP (for cleaning up after orphans). */
  allocations(): Map<string, string> {
    return this.ipam?.allocations() ?? new Map();
  }

  /**
   * Releases what sandboxes outside `keep` still hold: their IPs and network namespaces (those
   * named with this network's prefix). For a kubelet whose state lost track of a sandbox.
   */
  async gc(keep: Set<string>): Promise<string[]> {
    return this.serialized(async () => {
      const removed: string[] = [];
      for (const owner of this.allocations().keys()) if (!keep.has(owner)) this.ipam?.release(owner);
      const prefix = this.opts.nsPrefix ?? "k8ts-";
      const kept = new Set([...keep].map((id) => id.slice(0, 12)));
      let names: string[] = [];
      try {
        names = readdirSync(NETNS_DIR);
      } catch {
        return removed;
      }
      const stale = names.filter((n) => n.startsWith(prefix) && !kept.has(n.slice(prefix.length)));
      if (stale.length) await ipBatch(stale.map((n) => `netns del ${n}`), { force: true });
      removed.push(...stale);
      return removed;
    });
  }

  /** Deletes the bridge (tests; a node keeps it). */
  async deleteBridge(): Promise<void> {
    this.bridgeReady = undefined;
    if (linkExists(this.bridge)) await ipQuiet("link", "del", this.bridge);
  }

  private async setupNetns(sandboxId: string): Promise<SandboxNetwork> {
    const ipam = this.ipam!;
    await this.ensureBridge();
    const netns = `${this.opts.nsPrefix ?? "k8ts-"}${sandboxId.slice(0, 12)}`;
    const hostVeth = `vk${sandboxId.slice(0, 11)}`;
    const addr = ipam.allocate(sandboxId);
    const net: SandboxNetwork = { ips: [addr], netns, hostVeth };
    const nsExists = existsSync(this.nsPath(netns));
    if (nsExists && linkExists(hostVeth)) return net; // set up before (kubelet restart, retry)
    try {
      // Start clean if an earlier attempt left a half-built namespace or veth behind.
      const host = [...(linkExists(hostVeth) ? [`link del ${hostVeth}`] : []), ...(nsExists ? [`netns del ${netns}`] : [])];
      await ipBatch([
        ...host,
        `netns add ${netns}`,
        `link add ${hostVeth} type veth peer name eth0 netns ${netns}`,
        `link set ${hostVeth} master ${this.bridge} up`,
      ]);
      await ipBatch(
        [`addr replace ${addr}/${ipam.prefix} dev eth0`, "link set eth0 up", "link set lo up", `route replace default via ${ipam.gateway()} dev eth0`],
        { netns },
      );
      return net;
    } catch (err) {
      await this.teardownNow(sandboxId, net);
      throw err;
    }
  }

  private async teardownNow(sandboxId: string, net: SandboxNetwork | undefined): Promise<void> {
    const lines: string[] = [];
    if (net?.hostVeth && linkExists(net.hostVeth)) lines.push(`link del ${net.hostVeth}`);
    if (net?.netns && existsSync(this.nsPath(net.netns))) lines.push(`netns del ${net.netns}`);
    if (lines.length) await ipBatch(lines, { force: true });
    this.ipam?.release(sandboxId);
  }

  private ensureBridge(): Promise<void> {
    this.bridgeReady ??= (async () => {
      const ipam = this.ipam!;
      await ipBatch([
        ...(linkExists(this.bridge) ? [] : [`link add ${this.bridge} type bridge`]),
        `addr replace ${ipam.gateway()}/${ipam.prefix} dev ${this.bridge}`,
        `link set ${this.bridge} up`,
      ]);
      try {
        writeFileSync("/proc/sys/net/ipv4/ip_forward", "1");
      } catch {
        // pod-to-host traffic works without forwarding
      }
    })().catch((err) => {
      this.bridgeReady = undefined;
      throw err;
    });
    return this.bridgeReady;
  }

  /** One namespace/IPAM change at a time (IPAM state is read-modify-write). */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }
}
