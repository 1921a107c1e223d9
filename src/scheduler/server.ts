// Runs the scheduler as kube-scheduler does: from a kubeconfig or a client, optionally only
// while holding the Lease kube-system/kube-scheduler (a lost lease stops scheduling, drops the
// cache, and campaigns again), with a clean stop.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { Client, LeaderElector, LeaseLock } from "../client/index.ts";
import type { Clock } from "../client/index.ts";
import type { Logger } from "../util/log.ts";
import { createLogger } from "../util/log.ts";
import { Scheduler } from "./scheduler.ts";
import type { SchedulerOptions } from "./scheduler.ts";
import { SchedulerMetrics } from "./metrics.ts";

export const SCHEDULER_LEASE = { namespace: "kube-system", name: "kube-scheduler" } as const;

export interface SchedulerServerOptions extends Omit<SchedulerOptions, "client" | "metrics"> {
  kubeconfig?: string;
  client?: Client;
  leaderElect?: boolean;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  log?: Logger;
}

export class SchedulerServer {
  readonly client: Client;
  readonly metrics = new SchedulerMetrics();
  private readonly owns: boolean;
  private readonly opts: SchedulerServerOptions;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();
  private elector: LeaderElector | undefined;
  /** The scheduler of the current term (tests look at it). */
  current: Scheduler | undefined;

  constructor(client: Client, owns: boolean, opts: SchedulerServerOptions) {
    this.client = client;
    this.owns = owns;
    this.opts = opts;
    this.log = opts.log ?? createLogger("scheduler");
  }

  isLeader(): boolean {
    return this.opts.leaderElect ? (this.elector?.isLeader() ?? false) : !this.abort.signal.aborted;
  }

  start(): void {
    const signal = this.abort.signal;
    if (!this.opts.leaderElect) {
      this.done = this.term(signal);
      return;
    }
    const identity = this.opts.identity ?? `${hostname()}_${randomUUID()}`;
    let running: Promise<void> = Promise.resolve();
    this.elector = new LeaderElector({
      lock: new LeaseLock(this.client, { ...SCHEDULER_LEASE, identity }),
      name: "kube-scheduler",
      leaseDurationMs: this.opts.leaseDurationMs, renewDeadlineMs: this.opts.renewDeadlineMs, retryPeriodMs: this.opts.retryPeriodMs,
      clock: this.opts.clock, log: this.log,
      callbacks: {
        onStartedLeading: (leading) => {
          running = this.term(leading);
        },
        onStoppedLeading: () => {
          if (!signal.aborted) this.log.error({ identity }, "leader election lost; scheduling stopped, campaigning again");
        },
        onNewLeader: (leader) => this.log.info({ leader }, "new leader"),
      },
    });
    const elector = this.elector;
    this.done = (async () => {
      while (!signal.aborted) {
        await elector.run(signal);
        await running;
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
    if (this.owns) this.client.close();
  }

  /** One term: a fresh scheduler (cache, queue, informers) until `signal` aborts. */
  private async term(signal: AbortSignal): Promise<void> {
    const scheduler = new Scheduler({ ...this.opts, client: this.client, metrics: this.metrics });
    this.current = scheduler;
    try {
      await scheduler.run(signal);
    } catch (err) {
      this.log.error({ err }, "scheduler failed");
    }
  }
}

export async function startScheduler(opts: SchedulerServerOptions): Promise<SchedulerServer> {
  let client = opts.client;
  const owns = !client;
  if (!client) {
    if (!opts.kubeconfig) throw new Error("startScheduler: a kubeconfig or a client is required");
    client = await Client.fromKubeconfig(opts.kubeconfig);
  }
  const server = new SchedulerServer(client, owns, opts);
  server.start();
  return server;
}
