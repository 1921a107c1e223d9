// Pod networking for the kubelet's runtimes: network namespaces on a bridge with host-local IPAM.
export { HostLocalIpam, parseCidr, ipToNumber, numberToIp } from "./ipam.ts";
export type { Ipv4Cidr } from "./ipam.ts";
export { PodNetwork, defaultHostIP, NETNS_DIR } from "./podnetwork.ts";
export type { PodNetworkOptions, SandboxNetwork } from "./podnetwork.ts";
