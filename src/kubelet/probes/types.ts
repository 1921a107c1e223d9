// Probe kinds and results (pkg/kubelet/prober/results).
export type ProbeKind = "liveness" | "readiness" | "startup";
export type ProbeResult = "success" | "failure" | "unknown";

/** "Liveness", "Readiness", "Startup": how events name the probe. */
export const PROBE_NAMES: Record<ProbeKind, string> = { liveness: "Liveness", readiness: "Readiness", startup: "Startup" };
