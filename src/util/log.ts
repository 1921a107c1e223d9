// Structured, levelled logs for every component (pino: JSON lines; `log.info({ pod }, "bound")`).
// K8TS_LOG_LEVEL sets the level (default info; "silent" in tests).
import { pino } from "pino";
import type { Logger } from "pino";

export type { Logger };

export function createLogger(component: string, level = process.env.K8TS_LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } });
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = pino({ level: "silent" });
