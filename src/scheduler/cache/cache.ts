// The scheduler's cache (internal/cache): per-node state built from the node and assigned-pod
// informers, plus pods the scheduler has *assumed* onto a node before their binding is written.
// An assumed pod counts against its node at once; the informer's copy confirms it, a failed
// bind forgets it. The snapshot is a live view of the same NodeInfos: a scheduling cycle runs
// synchronously, so nothing changes under it (preemption clones what it changes).
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import { NodeInfo } from "../framework/node-info.ts";
import { podKey } from "../framework/pod-info.ts";
import { Snapshot } from "./snapshot.ts";

interface PodState {
  pod: Pod;
  nodeName: string;
  assumed: boolean;
}

const hasPodAffinity = (pod: Pod): boolean => !!(pod.spec?.affinity?.podAffinity || pod.spec?.affinity?.podAntiAffinity);

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  private readonly view = new Snapshot();
  private nodeListDirty = false;
  private affinityDirty = false;

  nodeCount(): number {
    return this.view.list().length;
  }

  podCount(): number {
    return this.pods.size;
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed === true;
  }

  /** The node an assigned or assumed pod is on. */
  nodeOf(key: string): string | undefined {
    return this.pods.get(key)?.nodeName;
  }

  addNode(node: Node): NodeInfo {
    const name = node.metadata?.name ?? "";
    let info = this.nodes.get(name);
    if (info) info.setNode(node);
    else this.nodes.set(name, (info = new NodeInfo(name, node)));
    this.nodeListDirty = true;
    return info;
  }

  updateNode(node: Node): NodeInfo {
    const info = this.nodes.get(node.metadata?.name ?? "");
    if (!info || !info.node) return this.addNode(node);
    info.setNode(node);
    return info;
  }

  removeNode(node: Node): void {
    const name = node.metadata?.name ?? "";
    const info = this.nodes.get(name);
    if (!info) return;
    // Pods still on it keep a placeholder until their deletes arrive.
    if (info.pods.length === 0) this.nodes.delete(name);
    else info.node = undefined;
    this.nodeListDirty = true;
  }

  /** An assigned pod from the informer: confirms an assumed one, or adds it. */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    const existing = this.pods.get(key);
    if (existing) this.removeFromNode(existing);
    this.addToNode({ pod, nodeName: pod.spec?.nodeName ?? "", assumed: false });
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const state = this.pods.get(podKey(pod));
    if (!state) return;
    this.removeFromNode(state);
    this.pods.delete(podKey(pod));
  }

  /** Counts `pod` (with spec.nodeName set) on its node before the binding is written. */
  assumePod(pod: Pod): void {
    const key = podKey(pod);
    if (this.pods.has(key)) throw new Error(`pod ${key} is already in the cache`);
    this.addToNode({ pod, nodeName: pod.spec?.nodeName ?? "", assumed: true });
  }

  /** The binding failed: the assumed pod no longer counts. */
  forgetPod(pod: Pod): void {
    const state = this.pods.get(podKey(pod));
    if (!state?.assumed) return;
    this.removeFromNode(state);
    this.pods.delete(podKey(pod));
  }

  /** The view for a scheduling cycle, refreshed where nodes or affinity pods changed. */
  snapshot(): Snapshot {
    if (this.nodeListDirty) {
      this.view.replace([...this.nodes.values()]);
      this.nodeListDirty = false;
      this.affinityDirty = false;
    } else if (this.affinityDirty) {
      this.view.refreshAffinityLists();
      this.affinityDirty = false;
    }
    return this.view;
  }

  private addToNode(state: PodState): void {
    let info = this.nodes.get(state.nodeName);
    if (!info) {
      this.nodes.set(state.nodeName, (info = new NodeInfo(state.nodeName)));
      this.nodeListDirty = true;
    }
    info.addPod(state.pod);
    this.pods.set(podKey(state.pod), state);
    if (hasPodAffinity(state.pod)) this.affinityDirty = true;
  }

  private removeFromNode(state: PodState): void {
    const info = this.nodes.get(state.nodeName);
    if (!info) return;
    info.removePod(state.pod);
    if (hasPodAffinity(state.pod)) this.affinityDirty = true;
    if (!info.node && info.pods.length === 0) {
      this.nodes.delete(state.nodeName);
      this.nodeListDirty = true;
    }
  }
}
