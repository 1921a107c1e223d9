// The one controller shape (kubernetes/pkg/controller): N workers take keys from the work queue,
// call reconcile(key); failures re-queue with back-off up to maxRetries, then are logged and dropped.
import type { Logger } from "../util/log.ts";
import { createLogger } from "../util/log.ts";
import type { WorkQueue } from "./workqueue.ts";

export interface ControllerOptions {
  /** For logs ("replicaset"). */
  name: string;
  queue: WorkQueue;
  /** Concurrent reconciles (of different keys: the queue never hands one key to two workers). */
  workers?: number;
  /** Brings the object named by `key` (`namespace/name`) to its desired state; throw to retry. */
  reconcile: (key: string) => Promise<void>;
  /** Retries of one key before it is dropped (until its next event re-adds it); default 15. */
  maxRetries?: number;
  /** Aborting shuts the queue down; workers finish their current key and exit. */
  signal?: AbortSignal;
  log?: Logger;
}

/**
 * Runs the workers until the queue is shut down (directly or via `signal`) and drained.
 * Call it after the informers feeding the queue have synced.
 */
export async function runController(opts: ControllerOptions): Promise<void> {
  const log = opts.log ?? createLogger("controller");
  const { queue, signal } = opts;
  const maxRetries = opts.maxRetries ?? 15;
  const onAbort = () => queue.shutDown();
  if (signal?.aborted) queue.shutDown();
  signal?.addEventListener("abort", onAbort, { once: true });

  const worker = async (): Promise<void> => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        await opts.reconcile(key);
        queue.forget(key);
      } catch (err) {
        handleError(opts.name, queue, key, err, maxRetries, log);
      } finally {
        queue.done(key);
      }
    }
  };

  log.info({ controller: opts.name, workers: opts.workers ?? 1 }, "starting workers");
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.workers ?? 1) }, worker));
  } finally {
    signal?.removeEventListener("abort", onAbort);
    log.info({ controller: opts.name }, "workers stopped");
  }
}

function handleError(name: string, queue: WorkQueue, key: string, err: unknown, maxRetries: number, log: Logger): void {
  const retries = queue.numRequeues(key);
  if (retries < maxRetries) {
    log.debug({ controller: name, key, retries, err }, "reconcile failed; retrying");
    queue.addRateLimited(key);
    return;
  }
  log.warn({ controller: name, key, retries, err }, "reconcile failed too often; dropping the key");
  queue.forget(key);
}
