// What every controller gets from the manager and what it offers back: one shared Client and
// SharedInformerFactory, a logger and a clock; a name and `run(signal)`.
import type { Client, Clock, SharedInformerFactory } from "../client/index.ts";
import type { Logger } from "../util/log.ts";
import type { NodeLifecycleSettings } from "./nodelifecycle/index.ts";
import type { NodeIpamOptions } from "./nodeipam/index.ts";

/** Settings of individual controllers (kube-controller-manager's per-controller flags). */
export interface ControllerSettings {
  /** nodelifecycle: grace periods, eviction rates, taint eviction on/off. */
  nodeLifecycle?: NodeLifecycleSettings;
  /** nodeipam: clusterCIDR (default 10.42.0.0/16), node mask sizes, serviceCIDR. */
  nodeIpam?: NodeIpamOptions;
}

export interface ControllerContext {
  client: Client;
  /** Shared by all controllers: ask it for informers in the constructor, before `run`. */
  factory: SharedInformerFactory;
  log: Logger;
  clock?: Clock;
  settings?: ControllerSettings;
}

export interface Controller {
  readonly name: string;
  /** Waits for its informers to sync, then works until `signal` aborts; resolves when stopped. */
  run(signal: AbortSignal): Promise<void>;
}
