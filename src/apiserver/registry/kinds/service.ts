// core/v1 Service: defaults (SetDefaults_Service and the REST layer's IP-family and clusterIP
// normalisation), validation, the update rules for allocated values, and `kubectl get` cells.
// ClusterIP/NodePort allocation runs when a ServiceAllocation is given (service-alloc.ts).
import type { ServicePort, ServiceSpec } from "kubernetes-types/core/v1.js";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import { isIP } from "node:net";
import type { KubeObject, Mutable } from "../../../apimachinery/object.ts";
import { fieldErrors } from "../../../apimachinery/status.ts";
import { isDNS1123Label, isDNS1123Subdomain, nameIsDNS1035Label, validateLabels, validateObjectMeta } from "../../../apimachinery/validation.ts";
import type { ResourceDefinition, StrategyContext, TableColumn } from "../types.ts";
import { AGE_COLUMN, ageCell, formatLabels } from "./printers.ts";
import { arr, isValidPort, PORT_RANGE_ERROR, portNameErrors } from "./pod-spec.ts";
import type { ServiceAllocation, ServiceShape } from "./service-alloc.ts";
import { needsNodePorts } from "./service-alloc.ts";
import { stableEqual } from "./diff.ts";

type Spec = Mutable<ServiceSpec>;
type Port = Mutable<ServicePort>;
const TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const IP_ERROR = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

const externallyAccessible = (s: ServiceSpec) => s.type === "LoadBalancer" || s.type === "NodePort" || (s.type === "ClusterIP" && arr(s.externalIPs).length > 0);

/** SetDefaults_Service. */
export function defaultService(spec: Spec): void {
  spec.sessionAffinity ||= "None";
  if (spec.sessionAffinity === "None") delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === "ClientIP" && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  spec.type ||= "ClusterIP";
  for (const p of arr(spec.ports) as Port[]) {
    p.protocol ||= "TCP";
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
  }
  if (externallyAccessible(spec)) spec.externalTrafficPolicy ||= "Cluster";
  if (spec.type !== "ExternalName") spec.internalTrafficPolicy ??= "Cluster";
  if (spec.type === "LoadBalancer") spec.allocateLoadBalancerNodePorts ??= true;
  // clusterIP and clusterIPs[0] are one value.
  if (spec.clusterIP && arr(spec.clusterIPs).length === 0) spec.clusterIPs = [spec.clusterIP];
  if (!spec.clusterIP && arr(spec.clusterIPs).length > 0) spec.clusterIP = spec.clusterIPs![0];
}

/** The REST layer's IP-family fields: single-stack IPv4, except dual-stack selectorless headless Services. */
function initIPFamilies(spec: Spec): void {
  if (spec.type === "ExternalName") return;
  if (spec.clusterIP === "None" && Object.keys(spec.selector ?? {}).length === 0) {
    spec.ipFamilyPolicy ??= "RequireDualStack";
    const families = arr(spec.ipFamilies);
    if (families.length === 0) families.push("IPv4");
    if (families.length === 1) families.push(families[0] === "IPv4" ? "IPv6" : "IPv4");
    spec.ipFamilies = families;
    return;
  }
  spec.ipFamilyPolicy ??= "SingleStack";
  if (arr(spec.ipFamilies).length === 0) spec.ipFamilies = [spec.clusterIP && isIP(spec.clusterIP) === 6 ? "IPv6" : "IPv4"];
}

/** patchAllocatedValues: an update that leaves out the allocated clusterIP or node ports keeps them. */
function patchAllocatedValues(spec: Spec, old: ServiceSpec): void {
  if (spec.type !== "ExternalName" && old.type !== "ExternalName") {
    if (!spec.clusterIP) spec.clusterIP = old.clusterIP;
    if (arr(spec.clusterIPs).length === 0 && arr(old.clusterIPs).length > 0) spec.clusterIPs = [...old.clusterIPs!];
  }
  if (needsNodePorts(spec) && needsNodePorts(old)) {
    const byName = new Map(arr(old.ports).map((p) => [p.name ?? "", p.nodePort]));
    for (const p of arr(spec.ports) as Port[]) if (!p.nodePort && byName.get(p.name ?? "")) p.nodePort = byName.get(p.name ?? "");
  }
  if (spec.type === "LoadBalancer" && old.type === "LoadBalancer" && spec.externalTrafficPolicy === "Local" && !spec.healthCheckNodePort) {
    spec.healthCheckNodePort = old.healthCheckNodePort;
  }
}

/** dropTypeDependentFields: values that only the old type needed go when the type changes. */
function dropTypeDependentFields(spec: Spec, old: ServiceSpec): void {
  if (spec.type === "ExternalName" && old.type !== "ExternalName") {
    if (spec.clusterIP === old.clusterIP) delete spec.clusterIP;
    if (stableEqual(spec.clusterIPs, old.clusterIPs)) delete spec.clusterIPs;
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
  }
  if (!needsNodePorts(spec) && needsNodePorts(old)) {
    const oldPorts = new Set(arr(old.ports).map((p) => p.nodePort));
    for (const p of arr(spec.ports) as Port[]) if (p.nodePort && oldPorts.has(p.nodePort)) delete p.nodePort;
  }
  if (!(spec.type === "LoadBalancer" && spec.externalTrafficPolicy === "Local") && spec.healthCheckNodePort === old.healthCheckNodePort) delete spec.healthCheckNodePort;
  if (spec.type !== "LoadBalancer") {
    if (spec.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === old.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (!externallyAccessible(spec) && spec.externalTrafficPolicy === old.externalTrafficPolicy) delete spec.externalTrafficPolicy;
}

/** Validation of one Service's spec; `nodePortRange` is the allocator's range. */
export function validateServiceSpec(s: ServiceSpec | undefined, nodePortRange: [number, number] = [30000, 32767]): StatusCause[] {
  const spec = s ?? {};
  const causes: StatusCause[] = [];
  const type = spec.type ?? "";
  if (!TYPES.includes(type)) causes.push(fieldErrors.notSupported("spec.type", type, TYPES));
  const headless = spec.clusterIP === "None";
  const ports = arr(spec.ports);
  if (ports.length === 0 && !headless && type !== "ExternalName") causes.push(fieldErrors.required("spec.ports"));
  if (type === "ExternalName") {
    if (spec.clusterIP) causes.push(fieldErrors.forbidden("spec.clusterIP", "may not be set for ExternalName services"));
    if (!spec.externalName) causes.push(fieldErrors.required("spec.externalName"));
    else for (const m of isDNS1123Subdomain(spec.externalName.replace(/\.$/, ""))) causes.push(fieldErrors.invalid("spec.externalName", spec.externalName, m));
  } else {
    const ips = arr(spec.clusterIPs);
    ips.forEach((ip, i) => {
      if (ip !== "None" && isIP(ip) === 0) causes.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ip, IP_ERROR));
      if (ip === "None" && (type === "NodePort" || type === "LoadBalancer")) causes.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ip, `may not be set to 'None' for ${type} services`));
    });
    if (spec.clusterIP && ips.length > 0 && ips[0] !== spec.clusterIP) causes.push(fieldErrors.invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"));
  }
  const names = new Set<string>();
  const keys = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) causes.push(fieldErrors.required(`${path}.name`));
    else if (p.name) {
      for (const m of isDNS1123Label(p.name)) causes.push(fieldErrors.invalid(`${path}.name`, p.name, m));
      if (names.has(p.name)) causes.push(fieldErrors.duplicate(`${path}.name`, p.name));
      names.add(p.name);
    }
    if (!isValidPort(p.port)) causes.push(fieldErrors.invalid(`${path}.port`, p.port, PORT_RANGE_ERROR));
    const protocol = p.protocol ?? "";
    if (!["SCTP", "TCP", "UDP"].includes(protocol)) causes.push(fieldErrors.notSupported(`${path}.protocol`, protocol, ["SCTP", "TCP", "UDP"]));
    const key = `${p.port}/${protocol}`;
    if (keys.has(key)) causes.push(fieldErrors.duplicate(path, key));
    keys.add(key);
    const target = p.targetPort;
    if (typeof target === "number" && !isValidPort(target)) causes.push(fieldErrors.invalid(`${path}.targetPort`, target, PORT_RANGE_ERROR));
    if (typeof target === "string") for (const m of portNameErrors(target)) causes.push(fieldErrors.invalid(`${path}.targetPort`, target, m));
    if (p.nodePort) {
      if (type === "ClusterIP") causes.push(fieldErrors.forbidden(`${path}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else if (p.nodePort < nodePortRange[0] || p.nodePort > nodePortRange[1]) {
        causes.push(fieldErrors.invalid(`${path}.nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${nodePortRange[0]}-${nodePortRange[1]}`));
      }
      const npKey = `${p.nodePort}/${protocol}`;
      if (nodePorts.has(npKey)) causes.push(fieldErrors.duplicate(`${path}.nodePort`, p.nodePort));
      nodePorts.add(npKey);
    }
  });
  const affinity = spec.sessionAffinity ?? "";
  if (!["ClientIP", "None"].includes(affinity)) causes.push(fieldErrors.notSupported("spec.sessionAffinity", affinity, ["ClientIP", "None"]));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (affinity === "ClientIP" && timeout !== undefined && (timeout <= 0 || timeout > 86400)) {
    causes.push(fieldErrors.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout, "must be greater than 0 and less than 86400"));
  }
  for (const [field, values] of [["externalTrafficPolicy", ["Cluster", "Local"]], ["internalTrafficPolicy", ["Cluster", "Local"]], ["ipFamilyPolicy", ["SingleStack", "PreferDualStack", "RequireDualStack"]]] as const) {
    const v = spec[field];
    if (v !== undefined && v !== null && !(values as readonly string[]).includes(v)) causes.push(fieldErrors.notSupported(`spec.${field}`, v, [...values]));
  }
  causes.push(...validateLabels(spec.selector, "spec.selector"));
  arr(spec.externalIPs).forEach((ip, i) => {
    if (isIP(ip) === 0) causes.push(fieldErrors.invalid(`spec.externalIPs[${i}]`, ip, IP_ERROR));
  });
  return causes;
}

/** ValidateServiceUpdate: allocated ClusterIPs stay (unless the type moves to or from ExternalName). */
export function validateServiceUpdate(spec: ServiceSpec, old: ServiceSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  if (spec.type === "ExternalName" || old.type === "ExternalName") return causes;
  arr(old.clusterIPs).forEach((ip, i) => {
    const next = arr(spec.clusterIPs)[i];
    if (next !== undefined && next !== ip) causes.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, spec.clusterIPs, "may not change once set"));
  });
  const oldFamily = arr(old.ipFamilies)[0];
  const family = arr(spec.ipFamilies)[0];
  if (oldFamily && family && oldFamily !== family) causes.push(fieldErrors.invalid("spec.ipFamilies[0]", family, "may not change once set"));
  return causes;
}

function externalIP(spec: ServiceSpec, status: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } | undefined): string {
  const external = arr(spec.externalIPs);
  switch (spec.type) {
    case "ClusterIP":
    case "NodePort":
      return external.length > 0 ? external.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = [...new Set(arr(status?.loadBalancer?.ingress).map((i) => i.ip || i.hostname || "").filter(Boolean))].sort();
      if (external.length > 0) return [...lb, ...external].join(",");
      return lb.length > 0 ? lb.join(",") : "<pending>";
    }
    case "ExternalName":
      return spec.externalName ?? "";
  }
  return "<unknown>";
}

/** makePortString: "80/TCP", "80:30080/TCP", comma-joined. */
export const portsString = (ports: readonly ServicePort[]): string =>
  ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(",");

const columns: TableColumn[] = [
  { name: "Type", type: "string", description: "type determines how the Service is exposed." },
  { name: "Cluster-IP", type: "string", description: "clusterIP is the IP address of the service and is usually assigned randomly." },
  { name: "External-IP", type: "string", description: "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service." },
  { name: "Port(s)", type: "string", description: "The list of ports that are exposed by this service." },
  AGE_COLUMN,
  { name: "Selector", type: "string", priority: 1, description: "Route service traffic to pods with label keys and values matching this selector." },
];

function cells(obj: KubeObject, now: Date): unknown[] {
  const spec = ((obj as ServiceShape).spec ?? {}) as ServiceSpec;
  const clusterIP = arr(spec.clusterIPs)[0] || spec.clusterIP || "<none>";
  const ports = portsString(arr(spec.ports)) || "<none>";
  return [spec.type ?? "", clusterIP, externalIP(spec, obj.status as never), ports, ageCell(obj, now), formatLabels(spec.selector)];
}

const dryRunOf = (ctx: StrategyContext): boolean => ctx.dryRun === true;

/**
 * The Service definition; with `allocation`, creates and updates claim ClusterIPs and node ports,
 * and failed creates, updates and deletes give them back.
 */
export function servicesDefinition(allocation?: ServiceAllocation): ResourceDefinition {
  const range: [number, number] = allocation ? [allocation.nodePorts.min, allocation.nodePorts.max] : [30000, 32767];
  const valid = (svc: ServiceShape) =>
    validateServiceSpec(svc.spec, range).length === 0 && validateObjectMeta(svc.metadata, { namespaced: true, nameValidator: nameIsDNS1035Label }).length === 0;
  return {
    group: "", version: "v1", kind: "Service", plural: "services", singular: "service", shortNames: ["svc"], categories: ["all"],
    namespaced: true,
    status: true,
    nameValidator: nameIsDNS1035Label,
    defaults(obj) {
      const svc = obj as ServiceShape;
      defaultService((svc.spec ??= {}));
    },
    async prepareForCreate(obj, ctx) {
      const svc = obj as ServiceShape;
      const spec = (svc.spec ??= {});
      initIPFamilies(spec);
      svc.status = { loadBalancer: {} };
      // Allocation after validation, as Kubernetes does: an invalid Service claims nothing.
      if (allocation && valid(svc)) await allocation.allocate(svc, undefined, dryRunOf(ctx));
    },
    async prepareForUpdate(obj, old, ctx) {
      const svc = obj as ServiceShape;
      const prev = ((old as ServiceShape).spec ?? {}) as ServiceSpec;
      const spec = (svc.spec ??= {});
      // normalizeClusterIPs: a changed clusterIP with untouched clusterIPs means both changed.
      if (spec.clusterIP && spec.clusterIP !== prev.clusterIP && stableEqual(spec.clusterIPs, prev.clusterIPs)) spec.clusterIPs = [spec.clusterIP];
      patchAllocatedValues(spec, prev);
      dropTypeDependentFields(spec, prev);
      initIPFamilies(spec);
      if (allocation && valid(svc) && validateServiceUpdate(spec, prev).length === 0) await allocation.allocate(svc, old as ServiceShape, dryRunOf(ctx));
    },
    validate: (obj) => validateServiceSpec((obj as ServiceShape).spec, range),
    validateUpdate: (obj, old) => validateServiceUpdate((obj as ServiceShape).spec ?? {}, (old as ServiceShape).spec ?? {}),
    abortCreate: allocation ? (obj) => allocation.release(obj as ServiceShape) : undefined,
    afterUpdate: allocation ? (obj, old) => allocation.releaseUnused(obj as ServiceShape, old as ServiceShape) : undefined,
    afterDelete: allocation ? (obj) => allocation.release(obj as ServiceShape) : undefined,
    columns,
    noAgeColumn: true,
    cells,
  };
}

/** Services without allocation (ClusterIPs stay as the client sent them). */
export const services: ResourceDefinition = servicesDefinition();
