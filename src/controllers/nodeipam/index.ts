// The node IPAM controller: pod CIDRs for nodes from the cluster CIDR.
export { NodeIpamController, DEFAULT_CLUSTER_CIDR } from "./controller.ts";
export type { NodeIpamOptions } from "./controller.ts";
export { CIDRSet, formatCIDR, formatIP, parseCIDR, parseIP } from "./cidrset.ts";
export type { ParsedCIDR } from "./cidrset.ts";
