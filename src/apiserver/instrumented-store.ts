// Wraps the store so every operation the API server makes is timed into
// apiserver_storage_request_duration_seconds{operation, resource}.
import type { Store } from "../storage/index.ts";
import type { Histogram } from "prom-client";

const TIMED = new Set(["get", "range", "create", "update", "delete", "currentRevision", "compact"]);

/** "/registry/apps/deployments/ns/x" → "deployments.apps"; core resources have no suffix. */
export function resourceOfKey(key: unknown): string {
  if (typeof key !== "string") return "";
  const [, root, group, resource] = key.split("/");
  if (root !== "registry" || !resource) return "";
  return group === "core" ? resource : `${resource}.${group}`;
}

export function instrumentStore(store: Store, histogram: Histogram<"operation" | "resource">): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function" || typeof prop !== "string" || !TIMED.has(prop)) return typeof value === "function" ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        const end = histogram.startTimer({ operation: prop, resource: resourceOfKey(args[0]) });
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          end();
        }
      };
    },
  });
}
