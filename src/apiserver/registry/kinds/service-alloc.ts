// ClusterIP and NodePort allocation for Services (kube's ipallocator/portallocator): random picks
// from the upper part of the range with retries, explicit values honoured when free, over a
// `RangeStore` of claimed keys that the API server backs with store keys.
import type { ServicePort, ServiceSpec } from "kubernetes-types/core/v1.js";
import type { KubeObject, Mutable } from "../../../apimachinery/object.ts";
import { errors, fieldErrors } from "../../../apimachinery/status.ts";

/** Claimed keys of one range (an IP "10.96.0.10" or a port "30080"). */
export interface RangeStore {
  /** Claims `key` atomically; false when it is already claimed. */
  tryReserve(key: string): Promise<boolean>;
  /** Gives `key` back; releasing an unclaimed key does nothing. */
  release(key: string): Promise<void>;
  /** Every claimed key, when the backing store can list them (makes allocation in a nearly full range cheap). */
  list?(): Promise<string[]>;
}

/** A RangeStore in memory, for tests and single-process use. */
export class MemoryRangeStore implements RangeStore {
  readonly keys = new Set<string>();
  async tryReserve(key: string): Promise<boolean> {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    return true;
  }
  async release(key: string): Promise<void> {
    this.keys.delete(key);
  }
  async list(): Promise<string[]> {
    return [...this.keys];
  }
}

export interface ServiceShape extends KubeObject {
  spec?: Mutable<ServiceSpec>;
}

/** Thrown for a full range: 500 "failed to allocate a serviceIP: range is full", as Kubernetes. */
const rangeFull = (what: string) => errors.internal(`failed to allocate a ${what}: range is full`);

/**
 * Picks free offsets of a range [0, size): random tries in the preferred (upper) band, then the
 * lower band, then — when the store can list — a random free offset from the complement.
 */
class OffsetPicker {
  private readonly size: number;
  private readonly band: number;
  private readonly random: () => number;
  private readonly attempts: number;
  private readonly excluded: (offset: number) => boolean;

  constructor(size: number, random: () => number, excluded: (offset: number) => boolean, attempts = 32) {
    this.size = size;
    // kube's static subrange: min(max(16, size/16), 256) low offsets are left for explicit requests.
    this.band = Math.min(Math.max(16, Math.floor(size / 16)), 256);
    if (this.band >= size) this.band = 0;
    this.random = random;
    this.attempts = attempts;
    this.excluded = excluded;
  }

  async pick(store: RangeStore, key: (offset: number) => string): Promise<number | undefined> {
    for (const [lo, hi] of [[this.band, this.size], [0, this.band]] as const) {
      if (hi <= lo) continue;
      for (let i = 0; i < this.attempts; i++) {
        const offset = lo + Math.floor(this.random() * (hi - lo));
        if (!this.excluded(offset) && (await store.tryReserve(key(offset)))) return offset;
      }
    }
    const taken = store.list ? new Set(await store.list()) : undefined;
    const free: number[] = [];
    for (const [lo, hi] of [[this.band, this.size], [0, this.band]] as const) {
      for (let o = lo; o < hi; o++) if (!this.excluded(o) && !taken?.has(key(o))) free.push(o);
      // Random picks among the free offsets (another writer may take one between list and claim).
      while (free.length > 0) {
        const i = Math.floor(this.random() * free.length);
        const offset = free[i]!;
        free[i] = free[free.length - 1]!;
        free.pop();
        if (await store.tryReserve(key(offset))) return offset;
      }
    }
    return undefined;
  }
}

const ipToInt = (ip: string): number | undefined => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
};
const intToIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

export interface IPAllocatorOptions {
  /** IPv4 CIDR of service IPs; default 10.96.0.0/12. */
  cidr?: string;
  /** Randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Allocates ClusterIPs from an IPv4 CIDR. The network and broadcast addresses are never used; the
 * first address (10.96.0.1) is kept for the `kubernetes` Service and only given out on request.
 */
export class ServiceIPAllocator {
  readonly cidr: string;
  private readonly base: number;
  private readonly size: number;
  private readonly picker: OffsetPicker;
  private readonly store: RangeStore;

  constructor(store: RangeStore, opts: IPAllocatorOptions = {}) {
    this.cidr = opts.cidr ?? "10.96.0.0/12";
    const [addr, bitsText] = this.cidr.split("/");
    const ip = ipToInt(addr ?? "");
    const bits = Number(bitsText);
    if (ip === undefined || !Number.isInteger(bits) || bits < 1 || bits > 30) throw new Error(`invalid service CIDR ${this.cidr}`);
    const total = 2 ** (32 - bits);
    this.base = ip - (ip % total);
    this.size = total - 2; // offsets 0..size-1 are base+1 .. broadcast-1
    this.store = store;
    this.picker = new OffsetPicker(this.size, opts.random ?? Math.random, (o) => o === 0);
  }

  /** The address reserved for the `kubernetes` Service (first usable address). */
  get kubernetesServiceIP(): string {
    return intToIp(this.base + 1);
  }

  contains(ip: string): boolean {
    const n = ipToInt(ip);
    return n !== undefined && n > this.base && n <= this.base + this.size;
  }

  /** Claims `ip`; throws 422 with Kubernetes' message when it is outside the range or taken. */
  async allocateIP(ip: string, name = ""): Promise<void> {
    const invalid = (why: string) => errors.invalid("Service", "", name, [fieldErrors.invalid("spec.clusterIPs", [ip], `failed to allocate IP ${ip}: ${why}`)]);
    if (!this.contains(ip)) throw invalid(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr}`);
    if (!(await this.store.tryReserve(ip))) throw invalid("provided IP is already allocated");
  }

  /** Claims a free address; throws 500 "range is full" when there is none. */
  async allocateNext(): Promise<string> {
    const offset = await this.picker.pick(this.store, (o) => intToIp(this.base + 1 + o));
    if (offset === undefined) throw rangeFull("serviceIP");
    return intToIp(this.base + 1 + offset);
  }

  async releaseIP(ip: string): Promise<void> {
    if (this.contains(ip)) await this.store.release(ip);
  }
}

export interface NodePortAllocatorOptions {
  /** Inclusive port range; default 30000-32767. */
  min?: number;
  max?: number;
  random?: () => number;
}

/** Allocates node ports from one range shared by all protocols. */
export class NodePortAllocator {
  readonly min: number;
  readonly max: number;
  private readonly picker: OffsetPicker;
  private readonly store: RangeStore;

  constructor(store: RangeStore, opts: NodePortAllocatorOptions = {}) {
    this.min = opts.min ?? 30000;
    this.max = opts.max ?? 32767;
    this.store = store;
    this.picker = new OffsetPicker(this.max - this.min + 1, opts.random ?? Math.random, () => false);
  }

  get rangeString(): string {
    return `${this.min}-${this.max}`;
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.min && port <= this.max;
  }

  /** Claims `port`; `field` is the path reported in the 422 (spec.ports[0].nodePort). */
  async allocatePort(port: number, field: string, name = ""): Promise<void> {
    const invalid = (why: string) => errors.invalid("Service", "", name, [fieldErrors.invalid(field, port, why)]);
    if (!this.contains(port)) throw invalid(`provided port is not in the valid range. The range of valid ports is ${this.rangeString}`);
    if (!(await this.store.tryReserve(String(port)))) throw invalid("provided port is already allocated");
  }

  async allocateNext(): Promise<number> {
    const offset = await this.picker.pick(this.store, (o) => String(this.min + o));
    if (offset === undefined) throw rangeFull("nodePort");
    return this.min + offset;
  }

  async releasePort(port: number): Promise<void> {
    if (this.contains(port)) await this.store.release(String(port));
  }
}

/** What one allocation claimed, so that a failed write can give it back. */
export interface Claims {
  ips: string[];
  ports: number[];
}

const clusterIPsOf = (svc: ServiceShape | undefined): string[] =>
  [svc?.spec?.clusterIP, ...(svc?.spec?.clusterIPs ?? [])].filter((ip): ip is string => !!ip && ip !== "None");
const nodePortsOf = (svc: ServiceShape | undefined): number[] =>
  [...(svc?.spec?.ports ?? []).map((p) => p.nodePort), svc?.spec?.healthCheckNodePort].filter((p): p is number => typeof p === "number" && p > 0);

/** The Service's type wants a ClusterIP allocated (not ExternalName, not headless). */
export const needsClusterIP = (spec: ServiceSpec | undefined): boolean => spec?.type !== "ExternalName" && spec?.clusterIP !== "None";
export const needsNodePorts = (spec: ServiceSpec | undefined): boolean => spec?.type === "NodePort" || spec?.type === "LoadBalancer";
export const needsHealthCheckNodePort = (spec: ServiceSpec | undefined): boolean => spec?.type === "LoadBalancer" && spec.externalTrafficPolicy === "Local";

/**
 * Both allocators together, doing for a Service what the service REST storage does: fill in
 * clusterIP(s), node ports and the health-check node port, release them, and repair leaks.
 */
export class ServiceAllocation {
  readonly ips: ServiceIPAllocator;
  readonly nodePorts: NodePortAllocator;
  private suspects = new Set<string>();
  /**
   * Claims made by updates of a Service (by uid) whose write may not have happened: a conflict
   * retry of the same update finds its own claims here instead of "already allocated".
   */
  private readonly pending = new Map<string, Claims>();

  constructor(ips: ServiceIPAllocator, nodePorts: NodePortAllocator) {
    this.ips = ips;
    this.nodePorts = nodePorts;
  }

  /**
   * Claims what `svc` needs beyond what `old` (on update) already holds and writes it into the
   * spec. On error nothing new stays claimed; with `dryRun` the claims are checked and returned.
   */
  async allocate(svc: ServiceShape, old?: ServiceShape, dryRun = false): Promise<Claims> {
    const spec = (svc.spec ??= {});
    const name = svc.metadata?.name ?? "";
    const key = old?.metadata?.uid;
    const earlier = key ? this.pending.get(key) : undefined;
    const heldIPs = new Set([...clusterIPsOf(old), ...(earlier?.ips ?? [])]);
    const heldPorts = new Set([...nodePortsOf(old), ...(earlier?.ports ?? [])]);
    const claimed: Claims = { ips: [], ports: [] };
    const claimPort = async (port: number, field: string) => {
      if (heldPorts.has(port) || claimed.ports.includes(port)) return;
      await this.nodePorts.allocatePort(port, field, name);
      claimed.ports.push(port);
    };
    try {
      if (needsClusterIP(spec)) {
        let ip = spec.clusterIP || spec.clusterIPs?.[0];
        if (ip && !heldIPs.has(ip)) {
          await this.ips.allocateIP(ip, name);
          claimed.ips.push(ip);
        } else if (!ip) {
          ip = await this.ips.allocateNext();
          claimed.ips.push(ip);
        }
        spec.clusterIP = ip;
        spec.clusterIPs = [ip, ...(spec.clusterIPs ?? []).slice(1)];
      }
      if (needsNodePorts(spec)) {
        const ports = (spec.ports ?? []) as Mutable<ServicePort>[];
        const byServicePort = new Map<number, number>();
        for (const [i, p] of ports.entries()) {
          if (!p.nodePort) continue;
          await claimPort(p.nodePort, `spec.ports[${i}].nodePort`);
          byServicePort.set(p.port, p.nodePort);
        }
        if (spec.type === "NodePort" || spec.allocateLoadBalancerNodePorts !== false) {
          for (const p of ports) {
            if (p.nodePort) continue;
            let port = byServicePort.get(p.port);
            if (port === undefined) {
              port = await this.nodePorts.allocateNext();
              claimed.ports.push(port);
              byServicePort.set(p.port, port);
            }
            p.nodePort = port;
          }
        }
      }
      if (needsHealthCheckNodePort(spec)) {
        if (spec.healthCheckNodePort) await claimPort(spec.healthCheckNodePort, "spec.healthCheckNodePort");
        else {
          spec.healthCheckNodePort = await this.nodePorts.allocateNext();
          claimed.ports.push(spec.healthCheckNodePort);
        }
      }
    } catch (err) {
      await this.undo(claimed);
      throw err;
    }
    if (dryRun) await this.undo(claimed);
    else if (key && claimed.ips.length + claimed.ports.length > 0) {
      this.pending.set(key, { ips: [...(earlier?.ips ?? []), ...claimed.ips], ports: [...(earlier?.ports ?? []), ...claimed.ports] });
    }
    return claimed;
  }

  /** Gives back claims made by `allocate` (a write that failed afterwards). */
  async undo(claims: Claims): Promise<void> {
    for (const ip of claims.ips) await this.ips.releaseIP(ip);
    for (const port of claims.ports) await this.nodePorts.releasePort(port);
  }

  /** After an update is written: releases what `old` held and `svc` no longer uses. */
  async releaseUnused(svc: ServiceShape | undefined, old: ServiceShape): Promise<void> {
    const keepIPs = new Set(clusterIPsOf(svc));
    const keepPorts = new Set(nodePortsOf(svc));
    for (const ip of clusterIPsOf(old)) if (!keepIPs.has(ip)) await this.ips.releaseIP(ip);
    for (const port of new Set(nodePortsOf(old))) if (!keepPorts.has(port)) await this.nodePorts.releasePort(port);
  }

  /** After a Service is deleted: releases everything it held. */
  release(svc: ServiceShape): Promise<void> {
    if (svc.metadata?.uid) this.pending.delete(svc.metadata.uid);
    return this.releaseUnused(undefined, svc);
  }

  /**
   * Releases claims that no Service in `services` holds — but only claims already seen leaked by
   * the previous call, so allocations whose Service is still being written survive one round.
   * Needs stores that can list; returns the released keys.
   */
  async repair(services: readonly KubeObject[], ipStore: RangeStore, portStore: RangeStore): Promise<string[]> {
    // Claims older than one repair round are either in a Service by now or leaked.
    this.pending.clear();
    const usedIPs = new Set(services.flatMap((s) => clusterIPsOf(s as ServiceShape)));
    const usedPorts = new Set(services.flatMap((s) => nodePortsOf(s as ServiceShape)).map(String));
    const leaked = new Set<string>();
    for (const ip of (await ipStore.list?.()) ?? []) if (!usedIPs.has(ip)) leaked.add(`ip:${ip}`);
    for (const port of (await portStore.list?.()) ?? []) if (!usedPorts.has(port)) leaked.add(`port:${port}`);
    const released: string[] = [];
    for (const key of leaked) {
      if (!this.suspects.has(key)) continue;
      const value = key.slice(key.indexOf(":") + 1);
      await (key.startsWith("ip:") ? ipStore : portStore).release(value);
      released.push(value);
    }
    // Leaks seen for the first time are released next round if they are still leaked then.
    this.suspects = new Set([...leaked].filter((k) => !this.suspects.has(k)));
    return released;
  }
}
