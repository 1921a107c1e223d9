// Pod status: the pure generation (phase, conditions, container statuses, QoS) and the
// StatusManager that writes it to pods/status.
export { containersReadyCondition, KUBELET_CONDITIONS, podInitializedCondition, podReadyCondition, readyToStartContainersCondition } from "./conditions.ts";
export { applyDefaultReadiness, generateAPIPodStatus, rfc3339 } from "./generate.ts";
export type { GenerateOptions, WaitingReason } from "./generate.ts";
export { anyRegularContainerStarted, getPhase, getPodQOS, isTerminalPhase } from "./phase.ts";
export type { PodPhase, QOSClass } from "./phase.ts";
export { StatusManager, mergePodStatus, statusEqual } from "./status-manager.ts";
export type { StatusManagerOptions } from "./status-manager.ts";
