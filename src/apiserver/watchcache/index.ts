// Watch cache: one store watch feeding per-resource in-memory caches that serve list and watch.
export { CacheFeed } from "./cache-feed.ts";
export type { CacheFeedOptions } from "./cache-feed.ts";
export { WatchCache, TooOldError } from "./watch-cache.ts";
export type { CacheEvent, CachedObject, EventType } from "./watch-cache.ts";
export { CacheWatcher } from "./cache-watcher.ts";
export type { WatchFilter, WatchSink } from "./cache-watcher.ts";
