// The scheduler's public surface: the Scheduler, its server (leader election) and the framework
// types plugins are written against.
export { Scheduler, numFeasibleNodesToFind } from "./scheduler.ts";
export type { SchedulerOptions } from "./scheduler.ts";
export { SchedulerServer, startScheduler, SCHEDULER_LEASE } from "./server.ts";
export type { SchedulerServerOptions } from "./server.ts";
export { defaultProfile, inTreeRegistry, DEFAULT_SCHEDULER_NAME } from "./profile.ts";
export { Framework } from "./framework/runtime.ts";
export type { Profile, PluginConfig } from "./framework/runtime.ts";
export * from "./framework/types.ts";
export * from "./framework/status.ts";
export { SchedulerMetrics } from "./metrics.ts";
