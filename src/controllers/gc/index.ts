// The garbage collector (ownerReferences: background, orphan and foreground deletion).
export { GarbageCollector, ORPHAN_FINALIZER, FOREGROUND_FINALIZER } from "./controller.ts";
export type { GarbageCollectorOptions } from "./controller.ts";
export { discoverResources } from "./discovery.ts";
