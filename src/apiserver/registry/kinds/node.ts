// core/v1 Node: cluster-scoped, registered by kubelets with their status; taints and pod CIDRs
// validated; `kubectl get nodes` shows Ready/NotReady/Unknown, roles and versions.
import type { NodeSpec, NodeStatus, Taint } from "kubernetes-types/core/v1.js";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import { isIP } from "node:net";
import type { KubeObject, Mutable } from "../../../apimachinery/object.ts";
import { fieldErrors } from "../../../apimachinery/status.ts";
import { isQualifiedName, isValidLabelValue } from "../../../apimachinery/validation.ts";
import type { ResourceDefinition, TableColumn } from "../types.ts";
import { AGE_COLUMN, ageCell } from "./printers.ts";
import { arr, canonicalList } from "./pod-defaults.ts";

interface NodeShape extends KubeObject {
  spec?: NodeSpec;
  status?: Mutable<NodeStatus>;
}

/** A CIDR such as "10.244.1.0/24" or "fd00::/64". */
export function isCIDR(value: string): boolean {
  const slash = value.indexOf("/");
  if (slash < 0) return false;
  const family = isIP(value.slice(0, slash));
  const bits = value.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

export function validateTaints(taints: Taint[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  taints.forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (!t.key) causes.push(fieldErrors.required(`${p}.key`));
    else for (const m of isQualifiedName(t.key)) causes.push(fieldErrors.invalid(`${p}.key`, t.key, m));
    if (t.value) for (const m of isValidLabelValue(t.value)) causes.push(fieldErrors.invalid(`${p}.value`, t.value, m));
    if (!t.effect) causes.push(fieldErrors.required(`${p}.effect`));
    else if (!TAINT_EFFECTS.includes(t.effect)) causes.push(fieldErrors.notSupported(`${p}.effect`, t.effect, TAINT_EFFECTS));
    const key = `${t.key}:${t.effect}`;
    if (seen.has(key)) causes.push(fieldErrors.duplicate(p, "taints must be unique by key and effect pair"));
    seen.add(key);
  });
  return causes;
}

/** STATUS: Ready / NotReady from the Ready condition (Unknown without one), plus SchedulingDisabled. */
export function nodeStatusString(node: KubeObject): string {
  const n = node as NodeShape;
  const ready = arr(n.status?.conditions).find((c) => c.type === "Ready");
  const parts = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (n.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
}

/** ROLES: node-role.kubernetes.io/<role> labels and kubernetes.io/role=<role>, sorted, or <none>. */
export function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role) roles.add(role);
    } else if (k === "kubernetes.io/role" && v) {
      roles.add(v);
    }
  }
  return roles.size === 0 ? "<none>" : [...roles].sort().join(",");
}

const columns: TableColumn[] = [
  { name: "Status", type: "string", description: "The status of the node" },
  { name: "Roles", type: "string", description: "The roles of the node" },
  AGE_COLUMN,
  { name: "Version", type: "string", description: "Kubelet Version reported by the node." },
  { name: "Internal-IP", type: "string", priority: 1, description: "List of addresses reachable to the node." },
  { name: "External-IP", type: "string", priority: 1, description: "List of addresses reachable to the node." },
  { name: "OS-Image", type: "string", priority: 1, description: "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))." },
  { name: "Kernel-Version", type: "string", priority: 1, description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)." },
  { name: "Container-Runtime", type: "string", priority: 1, description: "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)." },
];

function cells(obj: KubeObject, now: Date): unknown[] {
  const n = obj as NodeShape;
  const info = n.status?.nodeInfo;
  const address = (type: string) => arr(n.status?.addresses).find((a) => a.type === type)?.address ?? "<none>";
  return [
    nodeStatusString(obj), nodeRoles(obj), ageCell(obj, now), info?.kubeletVersion ?? "",
    address("InternalIP"), address("ExternalIP"), info?.osImage || "<unknown>", info?.kernelVersion || "<unknown>", info?.containerRuntimeVersion || "<unknown>",
  ];
}

/**
 * Nodes keep the status they are created with (a kubelet registers its capacity and addresses);
 * `keepStatusOnCreate` asks the generic store not to drop it (see the report on types.ts).
 */
export const nodes: ResourceDefinition = {
  group: "", version: "v1", kind: "Node", plural: "nodes", singular: "node", shortNames: ["no"],
  namespaced: false,
  status: true,
  subresources: ["proxy"],
  keepStatusOnCreate: true,
  defaults(obj) {
    const n = obj as NodeShape;
    if (n.status?.capacity) n.status.capacity = canonicalList(n.status.capacity, "Node") as Record<string, string>;
    if (n.status?.allocatable) n.status.allocatable = canonicalList(n.status.allocatable, "Node") as Record<string, string>;
    if (n.status?.capacity && !n.status.allocatable) n.status.allocatable = { ...n.status.capacity };
    // podCIDR mirrors podCIDRs[0], as the v1 conversion keeps them.
    const spec = n.spec as Mutable<NodeSpec> | undefined;
    if (spec?.podCIDR && arr(spec.podCIDRs).length === 0) spec.podCIDRs = [spec.podCIDR];
    if (spec && !spec.podCIDR && arr(spec.podCIDRs).length > 0) spec.podCIDR = spec.podCIDRs![0];
  },
  validate(obj) {
    const n = obj as NodeShape;
    const causes = validateTaints(arr(n.spec?.taints), "spec.taints");
    const cidrs = arr(n.spec?.podCIDRs);
    cidrs.forEach((c, i) => {
      if (!isCIDR(c)) causes.push(fieldErrors.invalid(`spec.podCIDRs[${i}]`, c, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
    });
    if (n.spec?.podCIDR && cidrs.length > 0 && cidrs[0] !== n.spec.podCIDR) {
      causes.push(fieldErrors.invalid("spec.podCIDRs", cidrs, "the first element of podCIDRs must match podCIDR"));
    }
    return causes;
  },
  validateUpdate(obj, old) {
    const n = (obj as NodeShape).spec ?? {};
    const o = (old as NodeShape).spec ?? {};
    const causes: StatusCause[] = [];
    const oc = arr(o.podCIDRs);
    if (oc.length > 0 && (arr(n.podCIDRs).length !== oc.length || oc.some((c, i) => arr(n.podCIDRs)[i] !== c))) {
      causes.push(fieldErrors.forbidden("spec.podCIDRs", "node updates may not change podCIDR except from \"\" to valid"));
    }
    if (o.providerID && n.providerID !== o.providerID) {
      causes.push(fieldErrors.forbidden("spec.providerID", "node updates may not change providerID except from \"\" to valid"));
    }
    return causes;
  },
  selectableFields: (obj) => ({ "spec.unschedulable": String((obj as NodeShape).spec?.unschedulable === true) }),
  columns,
  noAgeColumn: true,
  cells,
};
