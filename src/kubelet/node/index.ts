// The kubelet's node side: registration, status and Lease (NodeStatusManager), the host facts it
// reports, and the eviction manager that turns resource pressure into conditions and evictions.
export { NodeStatusManager, KUBELET_VERSION, CONTROLLER_MANAGED_ATTACH_DETACH } from "./status-manager.ts";
export type { NodeStatusManagerOptions, PressureSource } from "./status-manager.ts";
export { NodeLease, NODE_LEASE_NAMESPACE, microTime } from "./lease.ts";
export type { NodeLeaseOptions } from "./lease.ts";
export { defaultNodeAddresses, filesystemStats, goArch, goOS, readHostInfo, readOsImage } from "./host.ts";
export type { FilesystemStats, HostInfo } from "./host.ts";
export { allocatableReservation, applySetters, defaultSetters, nodeStatusChanged, rfc3339 } from "./setters.ts";
export type { RecordNodeEvent, Setter, SetterConfig, StatusInputs } from "./setters.ts";
export { EvictionManager, EVICTED_REASON, isCriticalPod } from "./eviction/manager.ts";
export type { AdmitResult, EvictionDetails, EvictionManagerOptions } from "./eviction/manager.ts";
export { rankPods, podRequest } from "./eviction/ranking.ts";
export type { PodStatsFunc, PodUsage } from "./eviction/ranking.ts";
export { hostSignalSource, parseMeminfo } from "./eviction/signals.ts";
export type { HostSignalOptions, SignalSource } from "./eviction/signals.ts";
export { DEFAULT_EVICTION_HARD, SIGNALS, parseThresholds, thresholdsMet } from "./eviction/thresholds.ts";
export type { Observation, Observations, PressureCondition, Signal, Threshold } from "./eviction/thresholds.ts";
