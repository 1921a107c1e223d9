// NodePorts (plugins/nodeports): a pod asking for host ports fits only nodes where none of them is
// taken (same protocol and port, on the same IP or either side binding 0.0.0.0).
import type { Pod } from "kubernetes-types/core/v1.js";
import type { CycleState, StateData } from "../framework/cycle-state.ts";
import type { NodeInfo } from "../framework/node-info.ts";
import type { HostPort } from "../framework/pod-info.ts";
import { SKIP, SUCCESS, errorStatus } from "../framework/status.ts";
import type { Status } from "../framework/status.ts";
import type { ClusterEvent, FilterPlugin, PluginFactory, PreFilterPlugin, PreFilterResult } from "../framework/types.ts";

export const NODE_PORTS = "NodePorts";
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
const preFilterStateKey = "PreFilter" + NODE_PORTS;

/** Host ports of the pod's containers and sidecars (init containers with restartPolicy Always), defaults applied. */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const add = (ports: NonNullable<NonNullable<Pod["spec"]>["containers"][number]["ports"]>) => {
    for (const p of ports) if (p.hostPort && p.hostPort > 0) out.push({ ip: p.hostIP || "0.0.0.0", protocol: p.protocol || "TCP", port: p.hostPort });
  };
  for (const c of pod.spec?.initContainers ?? []) if (c.restartPolicy === "Always" && c.ports) add(c.ports);
  for (const c of pod.spec?.containers ?? []) if (c.ports) add(c.ports);
  return out;
}

class PreFilterState implements StateData {
  /** Immutable once written: clones share it. */
  clone(): StateData {
    return this;
  }
  readonly ports: readonly HostPort[];
  constructor(ports: readonly HostPort[]) {
    this.ports = ports;
  }
}

/** Whether none of `ports` conflicts with the ports in use on the node. */
export function fitsPorts(ports: readonly HostPort[], node: NodeInfo): boolean {
  if (node.usedPorts.size === 0) return true;
  for (let i = 0; i < ports.length; i++) if (node.portConflicts(ports[i])) return false;
  return true;
}

// Ports are immutable in a pod spec, so only a deleted pod or a new node can free one.
const events: readonly ClusterEvent[] = [
  { resource: "Pod", actions: ["Delete"] },
  { resource: "Node", actions: ["Add", "Update"] },
];

export class NodePorts implements PreFilterPlugin, FilterPlugin {
  readonly name = NODE_PORTS;
  private readonly rejected: Status = { code: "Unschedulable", reasons: [ERR_REASON_NODE_PORTS], plugin: NODE_PORTS };

  eventsToRegister(): readonly ClusterEvent[] {
    return events;
  }

  /** Skip for pods without host ports. */
  preFilter(state: CycleState, pod: Pod, _nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const ports = podHostPorts(pod);
    if (ports.length === 0) return { status: SKIP };
    state.write(preFilterStateKey, new PreFilterState(ports));
    return { status: SUCCESS };
  }

  filter(state: CycleState, _pod: Pod, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(preFilterStateKey);
    if (!s) return errorStatus(`reading "${preFilterStateKey}" from cycleState: not found`);
    return fitsPorts(s.ports, node) ? SUCCESS : this.rejected;
  }
}

export const newNodePorts: PluginFactory = () => new NodePorts();
