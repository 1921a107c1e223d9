// The namespace lifecycle controller.
export { NamespaceController, ContentRemainingError, NAMESPACE_FINALIZER } from "./controller.ts";
export type { NamespaceControllerOptions } from "./controller.ts";
export { discoverNamespacedResources } from "./discovery.ts";
export type { DeletableResource } from "./discovery.ts";
