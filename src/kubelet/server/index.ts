// The kubelet's HTTPS server (health, metrics, stats, logs, exec/attach/port-forward/run) and the
// host interface the rest of the kubelet implements for it.
export { KubeletServer } from "./server.ts";
export { HttpError } from "./errors.ts";
export type {
  ContainerRef, KubeletRequestAttributes, KubeletServerHost, KubeletServerOptions, KubeletUser, SandboxRef,
  CPUStats, MemoryStats, FsStats, NetworkStats, ContainerStatsSummary, PodStatsSummary, StatsSummary,
} from "./types.ts";
export { parseCriRecord, parseLogOptions, readLogs } from "./logs.ts";
export type { LogOptions, CriRecord } from "./logs.ts";
export { SpdySession, SpdyStream } from "./spdy/session.ts";
