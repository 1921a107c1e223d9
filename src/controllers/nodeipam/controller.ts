// The node IPAM controller's range allocator (pkg/controller/nodeipam/ipam/range_allocator.go):
// gives each Node without one a pod CIDR from the cluster CIDR (one per family when dual-stack),
// after occupying the CIDRs existing nodes (and the service range) already use, and releases a
// node's CIDRs when it is deleted. CIDRNotAvailable is recorded when the range is exhausted.
import type { Node } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../../apimachinery/status.ts";
import type { Client, Clock, SharedInformer } from "../../client/index.ts";
import { EventRecorder, WorkQueue, finalStateOf, keyOf, realClock, resources, runController } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { CIDRSet, formatCIDR, parseCIDR } from "./cidrset.ts";

export interface NodeIpamOptions {
  /** Comma-separated, one per family (k3s: 10.42.0.0/16); default "10.42.0.0/16". */
  clusterCIDR?: string;
  /** Node subnet sizes; default /24 and /64. */
  nodeCIDRMaskSizeIPv4?: number;
  nodeCIDRMaskSizeIPv6?: number;
  /** Service CIDRs (comma-separated) whose overlap with the cluster CIDR is never handed out. */
  serviceCIDR?: string;
  workers?: number;
}

export const DEFAULT_CLUSTER_CIDR = "10.42.0.0/16";

interface Allocation {
  uid: string;
  cidrs: string[];
}

const podCIDRsOf = (node: Node): string[] => (node.spec?.podCIDRs?.length ? [...node.spec.podCIDRs] : node.spec?.podCIDR ? [node.spec.podCIDR] : []);

export class NodeIpamController implements Controller {
  readonly name = "nodeipam";
  readonly sets: CIDRSet[];
  private readonly client: Client;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly opts: NodeIpamOptions;
  private readonly informer: SharedInformer<Node>;
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  /** What each node (by name) holds, as this allocator knows it. */
  private readonly byNode = new Map<string, Allocation>();

  constructor(ctx: ControllerContext, opts: NodeIpamOptions = {}) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.clock = ctx.clock ?? realClock;
    this.opts = opts;
    this.sets = (opts.clusterCIDR ?? DEFAULT_CLUSTER_CIDR).split(",").map((c) => c.trim()).filter(Boolean).map((cidr) => {
      return new CIDRSet(cidr, parseCIDR(cidr).family === 4 ? (opts.nodeCIDRMaskSizeIPv4 ?? 24) : (opts.nodeCIDRMaskSizeIPv6 ?? 64));
    });
    if (this.sets.length === 0 || this.sets.length > 2 || (this.sets.length === 2 && this.sets[0]!.family === this.sets[1]!.family)) {
      throw new Error(`nodeipam: clusterCIDR must be one CIDR or one per IP family: ${opts.clusterCIDR}`);
    }
    for (const svc of (opts.serviceCIDR ?? "").split(",").map((c) => c.trim()).filter(Boolean)) {
      for (const set of this.sets) set.occupy(svc);
    }
    this.queue = new WorkQueue({ name: "nodeipam", clock: this.clock });
    this.recorder = new EventRecorder(ctx.client, { component: "cidrAllocator", clock: this.clock, log: ctx.log });
    this.informer = ctx.factory.informerFor<Node>(resources.nodes);
    this.informer.addEventHandler({
      onAdd: (n) => this.queue.add(keyOf(n)),
      onUpdate: (old, n) => {
        if (podCIDRsOf(n).length === 0 || old.metadata?.uid !== n.metadata?.uid) this.queue.add(keyOf(n));
      },
      onDelete: (obj) => this.queue.add(keyOf(finalStateOf(obj))),
    });
  }

  /** Occupies what existing nodes use before allocating anything, then works the queue. */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.informer.waitForSync(signal))) return;
    for (const node of this.informer.list()) {
      const cidrs = podCIDRsOf(node);
      if (cidrs.length > 0) this.occupy(node, cidrs);
    }
    await runController({ name: this.name, queue: this.queue, workers: this.opts.workers ?? 1, reconcile: (key) => this.reconcile(key), signal, log: this.log });
    await this.recorder.flush();
  }

  private occupy(node: Node, cidrs: string[]): void {
    cidrs.forEach((cidr, i) => {
      const set = this.sets[i];
      if (!set?.occupy(cidr)) this.log.warn({ node: node.metadata?.name, cidr }, "node CIDR is outside the cluster CIDR; not tracked");
    });
    this.byNode.set(node.metadata!.name!, { uid: node.metadata?.uid ?? "", cidrs });
  }

  /** Frees what the node held; with `requeueWaiting`, nodes still waiting for a CIDR are tried again. */
  private release(name: string, requeueWaiting = true): void {
    const held = this.byNode.get(name);
    if (!held) return;
    this.byNode.delete(name);
    held.cidrs.forEach((cidr, i) => this.sets[i]?.release(cidr));
    this.log.info({ node: name, cidrs: held.cidrs }, "released node CIDRs");
    // Nodes that found the range exhausted may fit now.
    if (requeueWaiting) for (const n of this.informer.list()) if (podCIDRsOf(n).length === 0) this.queue.add(keyOf(n));
  }

  /** AllocateOrOccupyCIDR for one node (or ReleaseCIDR when it is gone). */
  async reconcile(name: string): Promise<void> {
    const node = this.informer.indexer.get(name);
    const held = this.byNode.get(name);
    if (!node) return this.release(name);
    if (held && held.uid !== node.metadata?.uid) this.release(name);
    const existing = podCIDRsOf(node);
    if (existing.length > 0) {
      if (!this.byNode.has(name)) this.occupy(node, existing);
      return;
    }
    let cidrs = this.byNode.get(name)?.cidrs;
    if (!cidrs) {
      const got: string[] = [];
      for (const set of this.sets) {
        const cidr = set.allocateNext();
        if (!cidr) {
          got.forEach((c, i) => this.sets[i]!.release(c));
          this.recorder.event({ kind: "Node", name, uid: node.metadata?.uid }, "Normal", "CIDRNotAvailable", `Node ${name} status is now: CIDRNotAvailable`);
          throw new Error(`failed to allocate cidr from cluster cidr ${formatCIDR(set.cluster)}: CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range`);
        }
        got.push(cidr);
      }
      cidrs = got;
      this.byNode.set(name, { uid: node.metadata?.uid ?? "", cidrs });
    }
    try {
      await this.client.patch<Node>(resources.nodes, name, { metadata: { uid: node.metadata?.uid }, spec: { podCIDR: cidrs[0], podCIDRs: cidrs } }, { type: "merge" });
      this.log.info({ node: name, podCIDRs: cidrs }, "set node pod CIDRs");
    } catch (err) {
      this.release(name, false);
      if (isStatusError(err, "NotFound")) return;
      this.recorder.event({ kind: "Node", name, uid: node.metadata?.uid }, "Normal", "CIDRAssignmentFailed", `Node ${name} status is now: CIDRAssignmentFailed`);
      throw err;
    }
  }
}
