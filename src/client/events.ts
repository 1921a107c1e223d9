// EventRecorder (client-go record): writes core/v1 Events about objects, and folds repeats of the
// same (object, type, reason, message) into one Event by patching its count and lastTimestamp.
import type { Event, ObjectReference } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../apimachinery/status.ts";
import type { Logger } from "../util/log.ts";
import { createLogger } from "../util/log.ts";
import type { Clock } from "./clock.ts";
import { realClock } from "./clock.ts";
import type { Client } from "./rest.ts";
import type { ObjectLike } from "./resources.ts";
import { resources } from "./resources.ts";

export type EventType = "Normal" | "Warning";

export interface EventRecorderOptions {
  /** `source.component`, e.g. "replicaset-controller". */
  component: string;
  /** `source.host` (kubelets set their node name). */
  host?: string;
  /** Distinct events remembered for aggregation (LRU); default 4096. */
  cacheSize?: number;
  /** Events waiting to be written; more are dropped (logged). Default 1000. */
  maxPending?: number;
  /** Writes in flight at once (events about one object stay in order); default 1. */
  concurrency?: number;
  clock?: Clock;
  log?: Logger;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

/** An ObjectReference for an object (it needs `kind`; items of a list may lack it, so pass one). */
export function referenceTo(obj: ObjectLike, kind = obj.kind, apiVersion = obj.apiVersion): ObjectReference {
  if (!kind) throw new Error(`cannot refer to ${obj.metadata?.name ?? "an object"} without its kind`);
  const m = obj.metadata ?? {};
  const ref: ObjectReference = { kind, name: m.name };
  if (apiVersion) ref.apiVersion = apiVersion;
  if (m.namespace) ref.namespace = m.namespace;
  if (m.uid) ref.uid = m.uid;
  if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
  return ref;
}

/** RFC 3339 with seconds, as metav1.Time is serialised. */
const timeOf = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/** A stable lane for an object, so its events are written in order. */
function laneOf(key: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return (h >>> 0) % lanes;
}

/**
 * Records Events. `event()` never throws and never blocks: writes happen in order in the
 * background; failures are logged and dropped, as client-go's recorder does after its retries.
 */
export class EventRecorder {
  private readonly client: Client;
  private readonly opts: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly seen = new Map<string, Seen>();
  private readonly lanes: Promise<void>[];
  private pending = 0;
  private dropped = 0;
  private lastDropLog = -Infinity;
  private seq = 0;

  constructor(client: Client, opts: EventRecorderOptions) {
    this.client = client;
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? createLogger("events");
    this.lanes = Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, () => Promise.resolve());
  }

  /**
   * Records that `reason` happened to the object, with a human-readable message. The object needs
   * `kind` (and `apiVersion`); for objects without them pass `referenceTo(obj, kind, apiVersion)`.
   */
  event(obj: ObjectLike | ObjectReference, type: EventType, reason: string, message: string): void {
    let ref: ObjectReference;
    try {
      ref = "metadata" in obj || !("name" in obj) ? referenceTo(obj as ObjectLike) : (obj as ObjectReference);
    } catch (err) {
      this.log.warn({ err, reason }, "event dropped");
      return;
    }
    if (this.pending >= (this.opts.maxPending ?? 1000)) {
      this.dropped++;
      const now = this.clock.now();
      if (now - this.lastDropLog >= 10_000) {
        this.log.warn({ object: ref.name, reason, dropped: this.dropped }, "too many pending events; dropping");
        this.lastDropLog = now;
        this.dropped = 0;
      }
      return;
    }
    this.pending++;
    const at = this.clock.now();
    if (message.length > 1024) message = message.slice(0, 1021) + "...";
    const lane = this.lanes.length === 1 ? 0 : laneOf(`${ref.namespace ?? ""}/${ref.name ?? ""}`, this.lanes.length);
    this.lanes[lane] = this.lanes[lane]
      .then(() => this.write(ref, type, reason, message, at))
      .catch((err: unknown) => this.log.warn({ err, object: ref.name, reason }, "could not write event"))
      .finally(() => void this.pending--);
  }

  /** Resolves when every event recorded so far has been written (or dropped). */
  async flush(): Promise<void> {
    await Promise.all(this.lanes);
  }

  private async write(ref: ObjectReference, type: EventType, reason: string, message: string, at: number): Promise<void> {
    const namespace = ref.namespace || "default";
    const key = [ref.apiVersion, ref.kind, namespace, ref.name, ref.uid, type, reason, message].join("\u0000");
    const ts = timeOf(at);
    const prior = this.seen.get(key);
    if (prior) {
      this.seen.delete(key); // re-insert below: most recently used last
      try {
        await this.client.patch<Event>(resources.events, prior.name, { count: prior.count + 1, lastTimestamp: ts }, { type: "strategic", namespace });
        prior.count++;
        this.remember(key, prior);
        return;
      } catch (err) {
        if (!isStatusError(err, "NotFound")) throw err;
        // The event expired or was deleted: start a new one.
      }
    }
    const name = `${ref.name}.${(BigInt(at) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    const event: Event = {
      apiVersion: "v1", kind: "Event", metadata: { name, namespace },
      involvedObject: ref, reason, message, type,
      source: { component: this.opts.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
      firstTimestamp: ts, lastTimestamp: ts, count: 1,
      reportingComponent: this.opts.component, reportingInstance: this.opts.host ?? "",
    };
    await this.client.create<Event>(resources.events, event, { namespace });
    this.remember(key, { name, namespace, count: 1, firstTimestamp: ts });
  }

  private remember(key: string, seen: Seen): void {
    this.seen.set(key, seen);
    const max = this.opts.cacheSize ?? 4096;
    while (this.seen.size > max) this.seen.delete(this.seen.keys().next().value!);
  }
}
