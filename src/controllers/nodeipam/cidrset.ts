// A cluster CIDR cut into equal node subnets (pkg/controller/nodeipam/ipam/cidrset): allocate the
// next free one round-robin, occupy ones already in use, release. IPv4 and IPv6 (bigint maths).
import { isIP } from "node:net";

/** At most 2^16 subnets per cluster CIDR (clusterSubnetMaxDiff). */
const MAX_DIFF = 16;

export interface ParsedCIDR {
  family: 4 | 6;
  /** The network address (host bits cleared). */
  base: bigint;
  prefix: number;
}

const bitsOf = (family: 4 | 6) => (family === 4 ? 32 : 128);

export function parseIP(ip: string): { family: 4 | 6; value: bigint } | undefined {
  const family = isIP(ip);
  if (family === 4) return { family, value: ip.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (family !== 6) return undefined;
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = parseIP(v4[1]!)!.value;
    text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") as [string, string] : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || "0", 16)), 0n) };
}

export function formatIP(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of zero groups (two or more) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Parses "10.42.0.0/16"; the host bits are cleared (as net.ParseCIDR's network). Throws on a malformed CIDR. */
export function parseCIDR(cidr: string): ParsedCIDR {
  const slash = cidr.indexOf("/");
  const ip = slash < 0 ? undefined : parseIP(cidr.slice(0, slash));
  const prefix = Number(cidr.slice(slash + 1));
  if (!ip || !/^\d{1,3}$/.test(cidr.slice(slash + 1)) || prefix > bitsOf(ip.family)) throw new Error(`invalid CIDR address: ${cidr}`);
  const host = bitsOf(ip.family) - prefix;
  return { family: ip.family, base: (ip.value >> BigInt(host)) << BigInt(host), prefix };
}

export const formatCIDR = (c: ParsedCIDR): string => `${formatIP(c.family, c.base)}/${c.prefix}`;

export class CIDRSet {
  readonly cluster: ParsedCIDR;
  readonly subnetMaskSize: number;
  readonly max: number;
  private readonly used: Uint8Array;
  private allocated = 0;
  private nextCandidate = 0;

  constructor(clusterCIDR: string, subnetMaskSize: number) {
    this.cluster = parseCIDR(clusterCIDR);
    if (subnetMaskSize < this.cluster.prefix || subnetMaskSize > bitsOf(this.cluster.family)) {
      throw new Error(`node CIDR mask size /${subnetMaskSize} does not fit cluster CIDR ${clusterCIDR}`);
    }
    if (subnetMaskSize - this.cluster.prefix > MAX_DIFF) throw new Error(`CIDRSet: subnet mask size /${subnetMaskSize} is too big for cluster CIDR ${clusterCIDR} (at most ${MAX_DIFF} bits more)`);
    this.subnetMaskSize = subnetMaskSize;
    this.max = 2 ** (subnetMaskSize - this.cluster.prefix);
    this.used = new Uint8Array(this.max);
  }

  get family(): 4 | 6 {
    return this.cluster.family;
  }

  /** Subnets in use. */
  get count(): number {
    return this.allocated;
  }

  private shift(): bigint {
    return BigInt(bitsOf(this.cluster.family) - this.subnetMaskSize);
  }

  private cidrAt(i: number): string {
    return formatCIDR({ family: this.cluster.family, base: this.cluster.base + (BigInt(i) << this.shift()), prefix: this.subnetMaskSize });
  }

  /** The next free subnet after the last one handed out (wrapping), or undefined when all are used. */
  allocateNext(): string | undefined {
    if (this.allocated === this.max) return undefined;
    let candidate = this.nextCandidate;
    for (let i = 0; i < this.max && this.used[candidate]; i++) candidate = (candidate + 1) % this.max;
    this.nextCandidate = (candidate + 1) % this.max;
    this.used[candidate] = 1;
    this.allocated++;
    return this.cidrAt(candidate);
  }

  /** The subnet indexes a CIDR overlaps (it may be larger or smaller than one subnet); undefined if outside the cluster CIDR. */
  private range(cidr: string): [number, number] | undefined {
    const c = parseCIDR(cidr);
    if (c.family !== this.cluster.family) return undefined;
    const bits = BigInt(bitsOf(c.family));
    const end = c.base + (1n << (bits - BigInt(c.prefix))) - 1n;
    const clusterEnd = this.cluster.base + (1n << (bits - BigInt(this.cluster.prefix))) - 1n;
    if (end < this.cluster.base || c.base > clusterEnd) return undefined;
    const lo = c.base < this.cluster.base ? this.cluster.base : c.base;
    const hi = end > clusterEnd ? clusterEnd : end;
    return [Number((lo - this.cluster.base) >> this.shift()), Number((hi - this.cluster.base) >> this.shift())];
  }

  /** Marks every subnet the CIDR overlaps as used (existing nodes, the service range); false when it is outside. */
  occupy(cidr: string): boolean {
    const r = this.range(cidr);
    if (!r) return false;
    for (let i = r[0]; i <= r[1]; i++) {
      if (!this.used[i]) this.allocated++;
      this.used[i] = 1;
    }
    return true;
  }

  /** Frees every subnet the CIDR overlaps. */
  release(cidr: string): void {
    const r = this.range(cidr);
    if (!r) return;
    for (let i = r[0]; i <= r[1]; i++) {
      if (this.used[i]) this.allocated--;
      this.used[i] = 0;
    }
  }

  isAllocated(cidr: string): boolean {
    const r = this.range(cidr);
    if (!r) return false;
    for (let i = r[0]; i <= r[1]; i++) if (!this.used[i]) return false;
    return true;
  }
}
