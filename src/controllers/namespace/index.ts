// The namespace lifecycle controller.
export { NamespaceController, ContentRemainingError, NAMESPACE_FINALIZER } from "./controller.ts";
export type { NamespaceControllerOptions } from "./controller.ts";
export { NamespaceConditionUpdater, NamespaceConditionTypes, GroupDiscoveryFailedError, CONDITION_TYPES } from "./conditions.ts";
export type { ContentTotals } from "./conditions.ts";
export { discoverNamespacedResources, parseGroupVersion } from "./discovery.ts";
export type { DeletableResource, DiscoveryResult } from "./discovery.ts";
