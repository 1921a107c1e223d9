// Host-local IPAM (the CNI host-local plugin's idea): hands out pod IPs from the node's pod CIDR,
// persisted in one JSON file so a restarted kubelet never gives out an address still in use.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
}

export function ipToNumber(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) throw new Error(`invalid IPv4 address ${JSON.stringify(ip)}`);
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) throw new Error(`invalid IPv4 address ${JSON.stringify(ip)}`);
    n = n * 256 + v;
  }
  return n;
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseCidr(cidr: string): Ipv4Cidr {
  const [ip, len] = cidr.split("/");
  const prefix = Number(len);
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`unsupported pod CIDR ${JSON.stringify(cidr)} (IPv4 /8 to /30)`);
  const size = 2 ** (32 - prefix);
  const network = ipToNumber(ip) - (ipToNumber(ip) % size);
  return { network, prefix };
}

interface IpamFile {
  cidr: string;
  /** The last address handed out: allocation continues after it (round-robin, like host-local). */
  last?: string;
  /** ip → owner (sandbox id). */
  allocations: Record<string, string>;
}

export class HostLocalIpam {
  readonly cidr: string;
  readonly file: string;
  private readonly range: Ipv4Cidr;
  private state: IpamFile;

  /** Keeps its state in `<dir>/ipam-<cidr>.json`. */
  constructor(dir: string, cidr: string) {
    this.range = parseCidr(cidr);
    this.cidr = `${numberToIp(this.range.network)}/${this.range.prefix}`;
    this.file = join(dir, `ipam-${this.cidr.replace("/", "_")}.json`);
    this.state = this.load();
  }

  get prefix(): number {
    return this.range.prefix;
  }

  /** The bridge's address: the first host address of the range. */
  gateway(): string {
    return numberToIp(this.range.network + 1);
  }

  /** An address for `owner`; the same one again if it already has one. Throws when the range is full. */
  allocate(owner: string): string {
    const existing = this.addressOf(owner);
    if (existing) return existing;
    const first = this.range.network + 2;
    const last = this.range.network + 2 ** (32 - this.range.prefix) - 2;
    const count = last - first + 1;
    const prev = this.state.last ? ipToNumber(this.state.last) : last;
    for (let i = 1; i <= count; i++) {
      const n = first + ((prev - first + i) % count + count) % count;
      const ip = numberToIp(n);
      if (this.state.allocations[ip] === undefined) {
        this.state.allocations[ip] = owner;
        this.state.last = ip;
        this.save();
        return ip;
      }
    }
    throw new Error(`no free IP address left in pod CIDR ${this.cidr}`);
  }

  release(owner: string): void {
    let changed = false;
    for (const [ip, o] of Object.entries(this.state.allocations)) {
      if (o === owner) {
        delete this.state.allocations[ip];
        changed = true;
      }
    }
    if (changed) this.save();
  }

  addressOf(owner: string): string | undefined {
    return Object.entries(this.state.allocations).find(([, o]) => o === owner)?.[0];
  }

  /** owner → ip of every allocation. */
  allocations(): Map<string, string> {
    return new Map(Object.entries(this.state.allocations).map(([ip, o]) => [o, ip]));
  }

  private load(): IpamFile {
    try {
      const f = JSON.parse(readFileSync(this.file, "utf8")) as IpamFile;
      return { cidr: this.cidr, last: f.last, allocations: f.allocations ?? {} };
    } catch {
      return { cidr: this.cidr, allocations: {} };
    }
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, this.file);
  }
}
