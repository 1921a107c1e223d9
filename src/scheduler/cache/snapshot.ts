// A point-in-time view of every node for one scheduling cycle (internal/cache.Snapshot): the
// NodeInfos in a stable order plus the subsets that host pods with (anti-)affinity.
import type { NodeInfo } from "../framework/node-info.ts";
import type { NodeInfoLister } from "../framework/types.ts";

export class Snapshot implements NodeInfoLister {
  private nodes: NodeInfo[] = [];
  private byName = new Map<string, NodeInfo>();
  private withAffinity: NodeInfo[] = [];
  private withRequiredAntiAffinity: NodeInfo[] = [];

  constructor(nodes: readonly NodeInfo[] = []) {
    this.replace(nodes);
  }

  /** Re-points the snapshot at these node states (only nodes that have a Node object). */
  replace(nodes: readonly NodeInfo[]): void {
    this.nodes = nodes.filter((n) => n.node !== undefined);
    this.byName = new Map(this.nodes.map((n) => [n.name, n]));
    this.refreshAffinityLists();
  }

  /** Replaces one node's state (after the cache changed it); keeps the order. */
  update(node: NodeInfo): void {
    const i = this.nodes.findIndex((n) => n.name === node.name);
    if (i >= 0) this.nodes[i] = node;
    this.byName.set(node.name, node);
  }

  refreshAffinityLists(): void {
    this.withAffinity = this.nodes.filter((n) => n.podsWithAffinity.length > 0);
    this.withRequiredAntiAffinity = this.nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
  }

  list(): readonly NodeInfo[] {
    return this.nodes;
  }

  get(name: string): NodeInfo | undefined {
    return this.byName.get(name);
  }

  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.withAffinity;
  }

  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.withRequiredAntiAffinity;
  }
}
