// Grants etcd leases for TTL writes and shares one lease between writes with the same TTL made
// close together (as kube-apiserver's lease manager does), so a burst of TTL writes is one grant.

/** Longest a key may outlive its requested TTL because its lease is shared. */
export const MAX_REUSE_SECONDS = 60;
/** Share of the TTL a key may outlive it by (a 1 h TTL shares leases over 3 minutes, capped at 60 s). */
export const REUSE_FRACTION = 0.05;
/** Most keys attached to one shared lease. */
export const MAX_KEYS_PER_LEASE = 1000;

interface SharedLease {
  id: Promise<string>;
  /** Earliest the lease can expire (computed before the grant was sent). */
  expiresAt: number;
  attached: number;
  /** The ID once etcd granted it. */
  granted?: string;
}

export class LeaseManager {
  private readonly grant: (ttlSeconds: number) => Promise<string>;
  private readonly now: () => number;
  private readonly leases = new Map<number, SharedLease>();

  constructor(grant: (ttlSeconds: number) => Promise<string>, now: () => number = Date.now) {
    this.grant = grant;
    this.now = now;
  }

  /**
   * A lease ID under which a key lives at least `ttlSeconds` (rounded up to whole seconds) and at
   * most min(60 s, 5 % of the TTL) longer.
   */
  leaseFor(ttlSeconds: number): Promise<string> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    const reuse = Math.min(MAX_REUSE_SECONDS, Math.floor(REUSE_FRACTION * ttl));
    const now = this.now();
    const shared = this.leases.get(ttl);
    if (shared && shared.attached < MAX_KEYS_PER_LEASE && now + ttl * 1000 < shared.expiresAt) {
      shared.attached++;
      return shared.id;
    }
    const lease: SharedLease = { id: this.grant(ttl + reuse), expiresAt: now + (ttl + reuse) * 1000, attached: 1 };
    this.leases.set(ttl, lease);
    lease.id.then(
      (id) => (lease.granted = id),
      () => this.leases.get(ttl) === lease && this.leases.delete(ttl),
    );
    return lease.id;
  }

  /** Drops a lease etcd no longer knows (revoked or expired early), so the next write grants anew. */
  forget(id: string): void {
    for (const [ttl, lease] of this.leases) if (lease.granted === id) this.leases.delete(ttl);
  }
}
