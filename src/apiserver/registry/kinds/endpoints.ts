// core/v1 Endpoints and discovery.k8s.io/v1 EndpointSlice: the addresses behind a Service, written
// by the endpoints controllers; validated addresses and ports, kubectl's "a,b,c + N more..." cells.
import type { EndpointSubset } from "kubernetes-types/core/v1.js";
import type { Endpoint, EndpointPort } from "kubernetes-types/discovery/v1.js";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import { isIP } from "node:net";
import type { KubeObject, Mutable } from "../../../apimachinery/object.ts";
import { fieldErrors } from "../../../apimachinery/status.ts";
import { isDNS1123Label, isDNS1123Subdomain } from "../../../apimachinery/validation.ts";
import type { ResourceDefinition } from "../types.ts";
import { arr, isValidPort, PORT_RANGE_ERROR } from "./pod-spec.ts";
import { listWithMore } from "./printers.ts";

const PROTOCOLS = ["SCTP", "TCP", "UDP"];
const IP_ERROR = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

interface EndpointsShape extends KubeObject {
  subsets?: EndpointSubset[];
}

interface SliceShape extends KubeObject {
  addressType?: string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

function validatePort(p: { name?: string; port?: number; protocol?: string }, path: string, nameRequired: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (nameRequired && !p.name) causes.push(fieldErrors.required(`${path}.name`));
  else if (p.name) for (const m of isDNS1123Label(p.name)) causes.push(fieldErrors.invalid(`${path}.name`, p.name, m));
  if (p.port !== undefined && p.port !== null && !isValidPort(p.port)) causes.push(fieldErrors.invalid(`${path}.port`, p.port, PORT_RANGE_ERROR));
  if (!p.protocol) causes.push(fieldErrors.required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(p.protocol)) causes.push(fieldErrors.notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  return causes;
}

/** formatEndpoints: "ip:port" per address and port (bare IPs for port-less subsets), 3 shown then "+ N more...". */
export function formatEndpoints(subsets: readonly EndpointSubset[] | undefined): string {
  const list = arr(subsets);
  if (list.length === 0) return "<none>";
  const shown: string[] = [];
  let count = 0;
  for (const ss of list) {
    const addresses = arr(ss.addresses);
    const ports = arr(ss.ports);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) if (shown.length < 3) shown.push(a.ip);
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) if (shown.length < 3) shown.push(a.ip.includes(":") ? `[${a.ip}]:${port.port}` : `${a.ip}:${port.port}`);
    }
  }
  const joined = shown.join(",");
  return count > 3 ? `${joined} + ${count - 3} more...` : joined;
}

export const endpoints: ResourceDefinition = {
  group: "", version: "v1", kind: "Endpoints", plural: "endpoints", singular: "endpoints", shortNames: ["ep"],
  namespaced: true,
  allowCreateOnUpdate: true,
  defaults(obj) {
    for (const ss of arr((obj as EndpointsShape).subsets)) for (const p of arr(ss.ports)) (p as Mutable<typeof p>).protocol ??= "TCP";
  },
  validate(obj) {
    const causes: StatusCause[] = [];
    arr((obj as EndpointsShape).subsets).forEach((ss, i) => {
      const path = `subsets[${i}]`;
      if (arr(ss.addresses).length === 0 && arr(ss.notReadyAddresses).length === 0) {
        causes.push(fieldErrors.required(path, "must specify `addresses` or `notReadyAddresses`"));
      }
      for (const list of ["addresses", "notReadyAddresses"] as const) {
        arr(ss[list]).forEach((a, j) => {
          if (!a.ip) causes.push(fieldErrors.required(`${path}.${list}[${j}].ip`));
          else if (isIP(a.ip) === 0) causes.push(fieldErrors.invalid(`${path}.${list}[${j}].ip`, a.ip, IP_ERROR));
        });
      }
      const ports = arr(ss.ports);
      ports.forEach((p, j) => causes.push(...validatePort(p, `${path}.ports[${j}]`, ports.length > 1)));
    });
    return causes;
  },
  columns: [{ name: "Endpoints", type: "string", description: "The set of all endpoints is the union of all subsets." }],
  cells: (obj) => [formatEndpoints((obj as EndpointsShape).subsets)],
};

const ADDRESS_TYPES = ["IPv4", "IPv6", "FQDN"];

export const endpointSlices: ResourceDefinition = {
  group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices", singular: "endpointslice",
  namespaced: true,
  generation: true,
  defaults(obj) {
    for (const p of arr((obj as SliceShape).ports)) {
      const port = p as Mutable<EndpointPort>;
      port.protocol ??= "TCP";
      port.name ??= "";
    }
  },
  validate(obj) {
    const s = obj as SliceShape;
    const causes: StatusCause[] = [];
    const type = s.addressType;
    if (!type) causes.push(fieldErrors.required("addressType"));
    else if (!ADDRESS_TYPES.includes(type)) causes.push(fieldErrors.notSupported("addressType", type, ADDRESS_TYPES));
    arr(s.endpoints).forEach((e, i) => {
      const addresses = arr(e.addresses);
      if (addresses.length === 0) causes.push(fieldErrors.required(`endpoints[${i}].addresses`, "must contain at least 1 address"));
      else if (addresses.length > 100) causes.push(fieldErrors.tooLong(`endpoints[${i}].addresses`, 100));
      addresses.forEach((a, j) => {
        const path = `endpoints[${i}].addresses[${j}]`;
        if (type === "IPv4" && isIP(a) !== 4) causes.push(fieldErrors.invalid(path, a, "must be a valid IPv4 address"));
        else if (type === "IPv6" && isIP(a) !== 6) causes.push(fieldErrors.invalid(path, a, "must be a valid IPv6 address"));
        else if (type === "FQDN") for (const m of isDNS1123Subdomain(a)) causes.push(fieldErrors.invalid(path, a, m));
      });
    });
    const names = new Set<string>();
    arr(s.ports).forEach((p, i) => {
      causes.push(...validatePort({ name: p.name ?? undefined, port: p.port ?? undefined, protocol: p.protocol ?? undefined }, `ports[${i}]`, false));
      if (names.has(p.name ?? "")) causes.push(fieldErrors.duplicate(`ports[${i}].name`, p.name ?? ""));
      names.add(p.name ?? "");
    });
    return causes;
  },
  validateUpdate: (obj, old) =>
    (obj as SliceShape).addressType !== (old as SliceShape).addressType ? [fieldErrors.invalid("addressType", (obj as SliceShape).addressType, "field is immutable")] : [],
  columns: [
    { name: "AddressType", type: "string", description: "addressType specifies the type of address carried by this EndpointSlice." },
    { name: "Ports", type: "string", description: "ports specifies the list of network ports exposed by each endpoint in this slice." },
    { name: "Endpoints", type: "string", description: "endpoints is a list of unique endpoints in this slice." },
  ],
  cells(obj) {
    const s = obj as SliceShape;
    const ports = arr(s.ports).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : (p.name ?? "*")));
    const addresses = arr(s.endpoints).flatMap((e) => arr(e.addresses));
    return [s.addressType ?? "", listWithMore(ports), listWithMore(addresses)];
  },
};
