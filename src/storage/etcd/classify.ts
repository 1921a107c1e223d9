// Classifies etcd/gRPC failures: which are "compacted", which mean etcd is unreachable, and
// which a write may safely retry because the request never left the client.
import { FutureRevisionError } from "../errors.ts";
import { GRPCCancelledError, GRPCDeadlineExceededError, GRPCInternalError, GRPCUnavailableError, GRPCUnknownError, ClientClosedError } from "etcd3";
import { UnavailableError } from "../errors.ts";

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isCompacted(err: unknown): boolean {
  return message(err).includes("required revision has been compacted");
}

function isBrokenCircuit(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { isBrokenCircuitError?: unknown }).isBrokenCircuitError === true;
}

/**
 * The request was never sent (no connection to any member, or every member's circuit is open),
 * so even a non-idempotent write may be retried — the rule etcd's own clientv3 uses.
 */
export function neverSent(err: unknown): boolean {
  if (isBrokenCircuit(err)) return true;
  const msg = message(err);
  return msg.includes("No connection established") || msg.includes("ECONNREFUSED");
}

const TRANSIENT_ETCD_MESSAGES = [
  "etcdserver: request timed out",
  "etcdserver: leader changed",
  "etcdserver: no leader",
  "etcdserver: too many requests",
  "etcdserver: server stopped",
  "raft proposal dropped",
];

/** etcd is (perhaps briefly) unreachable or leaderless; the outcome of a write is unknown. */
export function isUnavailable(err: unknown): boolean {
  if (neverSent(err)) return true;
  if (err instanceof GRPCUnavailableError || err instanceof GRPCDeadlineExceededError || err instanceof GRPCCancelledError) return true;
  if (err instanceof GRPCInternalError || err instanceof GRPCUnknownError || err instanceof ClientClosedError) return true;
  const msg = message(err);
  return TRANSIENT_ETCD_MESSAGES.some((m) => msg.includes(m));
}

/**
 * Wraps connectivity failures as UnavailableError with the cause's message (and an earlier,
 * more telling failure's, if any); other errors pass through.
 */
export function toStoreError(err: unknown, earlier: unknown = null): unknown {
  if (message(err).includes("required revision is a future revision")) return new FutureRevisionError(0, 0);
  if (!isUnavailable(err)) return err;
  const also = earlier !== null && earlier !== err && !message(err).includes(message(earlier)) ? ` (earlier: ${message(earlier)})` : "";
  return new UnavailableError(`etcd unavailable: ${message(err)}${also}`);
}
