// One watcher of a watch cache: applies its filter to the object before and after each change,
// so an object entering the selection is ADDED and one leaving it is DELETED, as Kubernetes does.
import type { KubeObject } from "../../apimachinery/object.ts";
import type { CacheEvent, CachedObject, EventType } from "./watch-cache.ts";

export type WatchFilter = (obj: KubeObject) => boolean;

export interface WatchSink {
  /** Sends one event; `object` is what the client sees (for a DELETED leaving the selection, the new state). */
  send(type: EventType, object: CachedObject, event: CacheEvent): void;
  /** The watch ended on the server side (cache resync, shutdown). */
  close(): void;
}

export class CacheWatcher {
  private readonly filter: WatchFilter;
  private readonly sink: WatchSink;
  private readonly onClose: () => void;
  private closed = false;

  constructor(filter: WatchFilter, sink: WatchSink, onClose: () => void) {
    this.filter = filter;
    this.sink = sink;
    this.onClose = onClose;
  }

  deliver(event: CacheEvent): void {
    if (this.closed) return;
    const now = event.type !== "DELETED" && this.filter(event.object.object);
    const before = event.prev !== undefined && this.filter(event.prev.object);
    if (event.type === "DELETED") {
      if (before) this.sink.send("DELETED", event.object, event);
    } else if (now && before) this.sink.send("MODIFIED", event.object, event);
    else if (now) this.sink.send("ADDED", event.object, event);
    else if (before) this.sink.send("DELETED", event.object, event);
  }

  /** Stops delivery; the sink is told when the server ends the watch. */
  close(fromServer = true): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    if (fromServer) this.sink.close();
  }
}
