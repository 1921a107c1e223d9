// Liveness, readiness and startup probes: the manager, its workers, and the probe mechanisms.
export { ProbeManager } from "./manager.ts";
export type { ProbeManagerOptions } from "./manager.ts";
export { ProbeWorker } from "./worker.ts";
export { execProbe, httpProbe, probeHost, resolvePort, tcpProbe } from "./handlers.ts";
export type { ProbeOutcome } from "./handlers.ts";
export { PROBE_NAMES } from "./types.ts";
export type { ProbeKind, ProbeResult } from "./types.ts";
