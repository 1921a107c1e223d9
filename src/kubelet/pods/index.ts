// Pod lifecycle on the node: the per-pod workers, the sync steps they run, and their pure parts
// (compute actions, back-off, image policy).
export { PodWorkers } from "./pod-workers.ts";
export type { PodWorkersOptions, WorkerState } from "./pod-workers.ts";
export { PodSyncer } from "./sync.ts";
export type { Eviction, PodSyncerOptions, SyncResult } from "./sync.ts";
export { computePodActions, nextInitContainer } from "./actions.ts";
export type { ContainerToKill, KillReason, PodActions, ProbeResults } from "./actions.ts";
export { Backoff, goDuration } from "./backoff.ts";
export { ImageManager, pullPolicyOf } from "./images.ts";
export { MIN_GRACE_SECONDS, killContainer, killPod, podGracePeriod } from "./kill.ts";
export { containerLogPath, podLogDirectory, startContainer } from "./start.ts";
export { runLifecycleHandler } from "./lifecycle.ts";
