// The node lifecycle controller (node health, Unknown conditions, condition and NoExecute taints,
// pods marked not ready) and the taint eviction controller that deletes pods from tainted nodes.
import type { Controller, ControllerContext } from "../types.ts";
import { NodeLifecycleController } from "./controller.ts";
import type { NodeLifecycleOptions } from "./controller.ts";
import { TaintEvictionController } from "./taint-eviction.ts";
import type { TaintEvictionOptions } from "./taint-eviction.ts";

export { NodeLifecycleController } from "./controller.ts";
export type { NodeLifecycleOptions } from "./controller.ts";
export { TaintEvictionController, evictionTime } from "./taint-eviction.ts";
export type { TaintEvictionOptions } from "./taint-eviction.ts";
export { assessNodeHealth, computeZoneState, microsOf, zoneOf } from "./health.ts";
export type { HealthOptions, HealthResult, NodeHealth, ZoneState } from "./health.ts";
export * from "./taints.ts";

export interface NodeLifecycleSettings extends NodeLifecycleOptions {
  /** Run the NoExecute taint eviction too (kube-controller-manager's taint-eviction-controller); default true. */
  taintEviction?: boolean;
  taintEvictionOptions?: TaintEvictionOptions;
}

/** The "nodelifecycle" entry of the controller manager: the lifecycle controller and (by default) taint eviction. */
export function nodeLifecycleControllers(ctx: ControllerContext, settings: NodeLifecycleSettings = {}): Controller {
  const controllers: Controller[] = [new NodeLifecycleController(ctx, settings)];
  if (settings.taintEviction !== false) controllers.push(new TaintEvictionController(ctx, settings.taintEvictionOptions));
  return {
    name: "nodelifecycle",
    run: async (signal) => {
      await Promise.all(controllers.map((c) => c.run(signal)));
    },
  };
}
