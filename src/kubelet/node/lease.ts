// The node heartbeat (component-helpers lease controller, as pkg/kubelet/nodelease uses it): the
// Lease kube-node-lease/<node> held by the node, renewed every renewInterval (a quarter of its
// duration, with 4% jitter), owned by the Node once the Node exists.
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../../apimachinery/status.ts";
import { realClock, resources, sleep } from "../../client/index.ts";
import type { Client, Clock } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import { silentLogger } from "../../util/log.ts";

export const NODE_LEASE_NAMESPACE = "kube-node-lease";

export interface NodeLeaseOptions {
  client: Client;
  nodeName: string;
  /** Default the node name. */
  holderIdentity?: string;
  /** Default 40 (the kubelet's nodeLeaseDurationSeconds). */
  leaseDurationSeconds?: number;
  /** Default a quarter of the duration (10 s). */
  renewIntervalMs?: number;
  /** Renewals failing this many times in a row call onRepeatedHeartbeatFailure (default 5). */
  maxUpdateRetries?: number;
  onRepeatedHeartbeatFailure?: () => void;
  clock?: Clock;
  random?: () => number;
  log?: Logger;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class NodeLease {
  private readonly opts: NodeLeaseOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private latest: Lease | undefined;
  private failures = 0;
  private serial: Promise<unknown> = Promise.resolve();

  constructor(opts: NodeLeaseOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? silentLogger;
  }

  get durationSeconds(): number {
    return this.opts.leaseDurationSeconds ?? 40;
  }

  get renewIntervalMs(): number {
    return this.opts.renewIntervalMs ?? (this.durationSeconds * 1000) / 4;
  }

  /** The Lease as last written (undefined before the first successful renewal). */
  get lease(): Lease | undefined {
    return this.latest;
  }

  /** Renews now, then every renew interval (jittered), until `signal` aborts. Never throws. */
  async run(signal: AbortSignal): Promise<void> {
    const random = this.opts.random ?? Math.random;
    while (!signal.aborted) {
      await this.renew(signal);
      await sleep(this.clock, this.renewIntervalMs * (1 + 0.04 * random()), signal);
    }
  }

  /**
   * One renewal (one at a time): update the Lease last written, or else read (or create) it and
   * update that. Resolves true on success; never throws.
   */
  renew(signal?: AbortSignal): Promise<boolean> {
    const next = this.serial.then(() => this.tryRenew(signal));
    this.serial = next;
    return next;
  }

  private async tryRenew(signal?: AbortSignal): Promise<boolean> {
    const { client, nodeName } = this.opts;
    try {
      if (this.latest) {
        try {
          this.latest = await client.update<Lease>(resources.leases, await this.next(this.latest), { namespace: NODE_LEASE_NAMESPACE, signal });
          this.failures = 0;
          return true;
        } catch (err) {
          if (signal?.aborted) return false;
          this.log.debug({ node: nodeName, err }, "lease update failed; reading it afresh");
        }
      }
      let base: Lease | undefined;
      try {
        base = await client.get<Lease>(resources.leases, nodeName, { namespace: NODE_LEASE_NAMESPACE, signal });
      } catch (err) {
        if (!isStatusError(err, "NotFound")) throw err;
      }
      const lease = await this.next(base);
      this.latest = base
        ? await client.update<Lease>(resources.leases, lease, { namespace: NODE_LEASE_NAMESPACE, signal })
        : await client.create<Lease>(resources.leases, lease, { namespace: NODE_LEASE_NAMESPACE, signal });
      this.failures = 0;
      return true;
    } catch (err) {
      if (signal?.aborted) return false;
      this.failures++;
      this.log.warn({ node: nodeName, err, failures: this.failures }, "failed to renew the node lease");
      if (this.failures >= (this.opts.maxUpdateRetries ?? 5)) {
        this.failures = 0;
        this.opts.onRepeatedHeartbeatFailure?.();
      }
      return false;
    }
  }

  /** The Lease to write: holder, duration, renewTime now, and the Node as owner when it is known (setNodeOwnerFunction). */
  private async next(base: Lease | undefined): Promise<Lease> {
    const { nodeName } = this.opts;
    const lease: Lease = base ? structuredClone(base) : { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: nodeName, namespace: NODE_LEASE_NAMESPACE }, spec: {} };
    lease.apiVersion ??= "coordination.k8s.io/v1";
    lease.kind ??= "Lease";
    lease.spec = { ...lease.spec, holderIdentity: this.opts.holderIdentity ?? nodeName, leaseDurationSeconds: this.durationSeconds, renewTime: microTime(this.clock.now()) };
    if (!lease.metadata?.ownerReferences?.length) {
      const node = await this.opts.client.get<Node>(resources.nodes, nodeName).catch(() => undefined);
      if (node?.metadata?.uid) {
        lease.metadata = { ...lease.metadata, ownerReferences: [{ apiVersion: "v1", kind: "Node", name: nodeName, uid: node.metadata.uid }] };
      }
    }
    return lease;
  }
}
