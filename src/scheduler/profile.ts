// The default profile (kube-scheduler's default plugin set for v1.32, multi-point): plugins in
// Filter order with their score weights, and the registry that builds them by name.
import type { Profile } from "./framework/runtime.ts";
import type { PluginFactory } from "./framework/types.ts";
import { DEFAULT_BINDER, newDefaultBinder } from "./plugins/defaultbinder.ts";

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

/** Every plugin k8ts ships, by its Kubernetes name. */
export const inTreeRegistry: Record<string, PluginFactory> = {
  [DEFAULT_BINDER]: newDefaultBinder,
};

export const defaultProfile = (schedulerName = DEFAULT_SCHEDULER_NAME): Profile => ({
  schedulerName,
  plugins: [
    { name: DEFAULT_BINDER },
  ],
});
