// The process runtime: containers as supervised host processes (the kubelet's embedded default).
export { ProcessRuntime } from "./runtime.ts";
export type { ProcessRuntimeOptions } from "./runtime.ts";
export { ExecTimeoutError, EXEC_OUTPUT_LIMIT } from "./exec.ts";
export { CannotRunError, imageRepository } from "./images.ts";
export { SANDBOX_ENV, UNKNOWN_EXIT_CODE } from "./container.ts";
export { CgroupV1, CgroupV2, detectCgroups } from "./cgroups.ts";
export type { CgroupDriver, CgroupLimits, CgroupUsage } from "./cgroups.ts";
export { CriLogWriter, parseCriLog, rotatedLogs, MAX_LOG_LINE } from "./logwriter.ts";
export type { CriLogWriterOptions, LogStream } from "./logwriter.ts";
