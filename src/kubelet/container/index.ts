// The runtime's view of a pod (PodRuntimeStatus) and container configuration helpers: $(VAR) expansion, the environment (downward API, ConfigMaps,
// Secrets), command/args expansion and resource values.
export { expand, mappingFor } from "./expand.ts";
export type { Mapping } from "./expand.ts";
export { CreateContainerConfigError, apiEnvSources, expandContainerCommandAndArgs, makeEnvironmentVariables, podFieldValue } from "./env.ts";
export type { EnvContext, EnvSources, ResolvedEnvVar } from "./env.ts";
export { containerResourceValue, runtimeResources } from "./resources.ts";
export {
  containerIDString, emptyRuntimeStatus, formatPod, getPodRuntimeStatus, isInitContainerFailed, latestContainer, parseContainerID,
  podSandboxChanged, shouldContainerBeRestarted,
} from "./pod-status.ts";
export type { PodRuntimeStatus } from "./pod-status.ts";
export { containerRef, podRef } from "./events.ts";
export type { EventSink, EventType } from "./events.ts";
