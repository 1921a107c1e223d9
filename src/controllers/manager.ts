// The controller manager (kube-controller-manager): one Client and one SharedInformerFactory for
// every controller, optional leader election on a Lease, and a clean stop.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { Client, EventRecorder, LeaderElector, LeaseLock, SharedInformerFactory, realClock, sleep } from "../client/index.ts";
import type { Clock } from "../client/index.ts";
import type { Logger } from "../util/log.ts";
import { createLogger } from "../util/log.ts";
import type { Controller, ControllerContext, ControllerSettings } from "./types.ts";
import { ReplicaSetController } from "./replicaset/index.ts";
import { NamespaceController } from "./namespace/index.ts";
import { GarbageCollector } from "./gc/index.ts";
import { DeploymentController } from "./deployment/index.ts";
import { nodeLifecycleControllers } from "./nodelifecycle/index.ts";
import { NodeIpamController } from "./nodeipam/index.ts";

/** Controllers by name; `controllers` options pick among these (default: all). */
export const CONTROLLERS = {
  replicaset: (ctx: ControllerContext): Controller => new ReplicaSetController(ctx),
  namespace: (ctx: ControllerContext): Controller => new NamespaceController(ctx),
  garbagecollector: (ctx: ControllerContext): Controller => new GarbageCollector(ctx),
  deployment: (ctx: ControllerContext): Controller => {
    const recorder = new EventRecorder(ctx.client, { component: "deployment-controller", log: ctx.log });
    const controller = new DeploymentController({ client: ctx.client, informers: ctx.factory, recorder, clock: ctx.clock, log: ctx.log });
    return {
      name: "deployment",
      run: async (signal) => {
        try {
          await controller.run(signal);
        } finally {
          await recorder.flush();
        }
      },
    };
  },
  nodelifecycle: (ctx: ControllerContext): Controller => nodeLifecycleControllers(ctx, ctx.settings?.nodeLifecycle),
  nodeipam: (ctx: ControllerContext): Controller => new NodeIpamController(ctx, ctx.settings?.nodeIpam),
} as const satisfies Record<string, (ctx: ControllerContext) => Controller>;

export type ControllerName = keyof typeof CONTROLLERS;

export const LEADER_LEASE = { namespace: "kube-system", name: "kube-controller-manager" } as const;

export interface ControllerManagerOptions extends ControllerSettings {
  /** A kubeconfig path (the manager makes and closes its client) … */
  kubeconfig?: string;
  /** … or a client the caller owns. */
  client?: Client;
  /** Campaign for the Lease kube-system/kube-controller-manager and run controllers only while leading. */
  leaderElect?: boolean;
  /** Leader election identity; default `<hostname>_<uuid>`. */
  identity?: string;
  /** Which controllers to run; default all. */
  controllers?: readonly ControllerName[];
  /** Leader election timings (tests shorten them). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  log?: Logger;
}

export class ControllerManager {
  readonly client: Client;
  private readonly ownsClient: boolean;
  private readonly opts: ControllerManagerOptions;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();
  private leading = false;
  private terms = 0;
  /** The controllers of the current (or last) term. */
  private running: Promise<void> = Promise.resolve();

  constructor(client: Client, ownsClient: boolean, opts: ControllerManagerOptions) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.opts = opts;
    this.log = opts.log ?? createLogger("controller-manager");
  }

  /** True while the controllers run: always without leader election, else while this manager leads. */
  isLeader(): boolean {
    return this.opts.leaderElect ? this.leading : !this.abort.signal.aborted;
  }

  /** Starts in the background; `stop()` ends it. */
  start(): void {
    const signal = this.abort.signal;
    if (!this.opts.leaderElect) {
      this.running = this.runControllers(signal);
      return;
    }
    this.done = this.campaign(this.opts.identity ?? `${hostname()}_${randomUUID()}`, signal);
  }

  /**
   * Campaigns, leads, and when leadership is lost (the Lease taken, or renewals failing for the
   * renew deadline) waits for the term's controllers to stop and campaigns again, until `signal`
   * aborts. (kube-controller-manager exits instead and lets its supervisor restart it.)
   */
  private async campaign(identity: string, signal: AbortSignal): Promise<void> {
    const retryMs = this.opts.retryPeriodMs ?? 2000;
    while (!signal.aborted) {
      let led = false;
      const elector = new LeaderElector({
        lock: new LeaseLock(this.client, { ...LEADER_LEASE, identity }),
        name: "kube-controller-manager",
        leaseDurationMs: this.opts.leaseDurationMs, renewDeadlineMs: this.opts.renewDeadlineMs, retryPeriodMs: this.opts.retryPeriodMs,
        clock: this.opts.clock, log: this.log,
        callbacks: {
          onStartedLeading: (leading) => {
            led = true;
            this.leading = true;
            this.terms++;
            this.running = this.runControllers(leading);
          },
          onStoppedLeading: () => {
            if (!signal.aborted) this.log.error({ identity }, "leader election lost; stopping controllers and campaigning again");
          },
          onNewLeader: (leader) => this.log.info({ leader }, "new leader"),
        },
      });
      try {
        await elector.run(signal);
      } catch (err) {
        this.log.error({ identity, err }, "leader election failed");
      }
      // The old term's controllers and informers are gone before a new term can begin.
      await this.running;
      this.leading = false;
      if (!led && !signal.aborted) await sleep(this.opts.clock ?? realClock, retryMs, signal);
    }
  }

  /** How many times this manager has started leading (tests, metrics). */
  get leaderTerms(): number {
    return this.terms;
  }

  /** Stops every controller and informer; resolves when all have stopped. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
    await this.running;
    if (this.ownsClient) this.client.close();
  }

  /** One informer factory per term: controllers start when asked and stop with `signal`. */
  private async runControllers(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const factory = new SharedInformerFactory(this.client, { clock: this.opts.clock, log: this.log });
    const ctx: ControllerContext = { client: this.client, factory, log: this.log, clock: this.opts.clock, settings: this.opts };
    const names = this.opts.controllers ?? (Object.keys(CONTROLLERS) as ControllerName[]);
    const controllers = names.map((n) => CONTROLLERS[n](ctx));
    factory.start();
    this.log.info({ controllers: names }, "starting controllers");
    try {
      await Promise.all(controllers.map((c) => c.run(signal).catch((err: unknown) => this.log.error({ controller: c.name, err }, "controller failed"))));
    } finally {
      await factory.stop();
    }
  }
}

/** Creates and starts a controller manager from a kubeconfig path or a client. */
export async function startControllerManager(opts: ControllerManagerOptions): Promise<ControllerManager> {
  let client = opts.client;
  const owns = !client;
  if (!client) {
    if (!opts.kubeconfig) throw new Error("startControllerManager: a kubeconfig or a client is required");
    client = await Client.fromKubeconfig(opts.kubeconfig);
  }
  const manager = new ControllerManager(client, owns, opts);
  manager.start();
  return manager;
}
