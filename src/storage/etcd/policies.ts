// Fault-handling policies handed to the etcd3 client: no blind retries (EtcdStore decides what is
// safe to retry), and a per-member breaker that counts only failures to reach the member.
import { GRPCDeadlineExceededError, GRPCUnavailableError } from "etcd3";
import type { IOptions } from "etcd3";
import { neverSent } from "./classify.ts";

type FaultHandling = NonNullable<IOptions["faultHandling"]>;
type Policy = NonNullable<FaultHandling["global"]>;
type PolicyFn<T> = (context: { signal: AbortSignal }) => PromiseLike<T> | T;

/** Thrown for a member whose breaker is open; etcd3 then tries the next member (cockatiel's marker). */
export class MemberDownError extends Error {
  readonly isBrokenCircuitError = true;
}

/**
 * The member itself could not be reached or did not answer. etcd's own replies ("etcdserver:
 * request timed out", "leader changed") come from a live member and do not count; etcd3's default
 * breaker counts them, which during a leader election shuts out every member at once.
 */
export function isConnectionFailure(err: unknown): boolean {
  if (neverSent(err)) return true;
  if (err instanceof GRPCDeadlineExceededError) return true;
  return err instanceof GRPCUnavailableError && !err.message.includes("etcdserver:");
}

/** Runs each call once; etcd3 only ever calls execute() on its policies. */
export const NO_RETRY = {
  execute: <T>(fn: PolicyFn<T>) => Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as Policy;

/** After `threshold` consecutive connection failures the member is skipped for `openMs`, then tried again. */
export function memberBreaker(member: string, threshold = 2, openMs = 1000): Policy {
  let failures = 0;
  let openUntil = 0;
  let lastFailure = "";
  const policy = {
    async execute<T>(fn: PolicyFn<T>): Promise<T> {
      if (failures >= threshold && Date.now() < openUntil) throw new MemberDownError(`etcd member ${member} is unreachable (${lastFailure})`);
      try {
        const result = await fn({ signal: new AbortController().signal });
        failures = 0;
        return result;
      } catch (err) {
        if (!isConnectionFailure(err)) failures = 0;
        else {
          lastFailure = err instanceof Error ? err.message : String(err);
          if (++failures >= threshold) openUntil = Date.now() + openMs;
        }
        throw err;
      }
    },
  };
  return policy as unknown as Policy;
}
