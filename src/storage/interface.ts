// The store contract: an etcd-v3-shaped revisioned key-value API that both backends (embedded
// SQLite and a real etcd cluster) implement identically, verified by one conformance suite.

/** One version of one key, as etcd reports it. */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which the key was created (its current incarnation). */
  createRevision: number;
  /** Revision of the last change; a Kubernetes object's resourceVersion. */
  modRevision: number;
  /** Number of changes since creation: 1 after create. */
  version: number;
}

export type WatchEventType = "put" | "delete";

/**
 * One change. `kv` is the key after the change (for a delete: the key name, empty value and the
 * delete's revision as modRevision). `prevKv` is the key before the change, absent on a create.
 */
export interface WatchEvent {
  type: WatchEventType;
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface RangeOptions {
  /** Most keys to return; 0 or absent means all. */
  limit?: number;
  /** The `continue` of a previous page: the page starts at this key (inclusive). */
  continue?: string;
  /** Read the state as of this revision; absent means the current revision. */
  revision?: number;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** The revision the read was served at; pass it back with `continue` for a consistent next page. */
  revision: number;
  /** Set when more keys follow; pass it as `continue` with the same `revision`. */
  continue?: string;
}

export interface PutOptions {
  /** The key is deleted (a normal delete with a watch event) this many seconds after the write. */
  ttlSeconds?: number;
}

export interface WatchOptions {
  /**
   * First revision to deliver (inclusive). Absent or 0: changes after the newest revision this
   * store has seen (with a remote backend, a few changes by other clients just before the call
   * may be delivered too; callers that need exactness pass a revision). When the history needed
   * (from fromRevision - 1, for prevKv) is compacted the watch fails with CompactedError.
   */
  fromRevision?: number;
  /** Most undelivered events before the watch is cut off with SlowConsumerError. */
  maxBuffered?: number;
}

/**
 * A running watch. Iterate it to receive events in revision order; iteration ends after
 * `cancel()`, and throws CompactedError / SlowConsumerError / StoreClosedError when the watch
 * cannot go on.
 */
export interface Watch extends AsyncIterable<WatchEvent> {
  cancel(): void;
}

/** Returned by a guaranteedUpdate callback to delete the key instead of writing it. */
export const DELETE = Symbol("delete");

/**
 * Computes the new value from the current one (null when the key does not exist). Return a
 * string to write it, `DELETE` to delete the key, or `undefined` to leave the key unchanged.
 */
export type TryUpdate = (current: KeyValue | null) => string | typeof DELETE | undefined | Promise<string | typeof DELETE | undefined>;

export interface Store {
  /** The current (newest committed) revision. */
  currentRevision(): Promise<number>;
  /** The key at `revision` (default: now), or null. */
  get(key: string, opts?: { revision?: number }): Promise<KeyValue | null>;
  /** Keys starting with `prefix` in key order, consistent at one revision. */
  range(prefix: string, opts?: RangeOptions): Promise<RangeResult>;
  /** Creates `key`; throws ExistsError if it exists. */
  create(key: string, value: string, opts?: PutOptions): Promise<KeyValue>;
  /** Replaces `key` if its modRevision is `expectedModRevision`; throws ConflictError or NotFoundError. */
  update(key: string, value: string, expectedModRevision: number, opts?: PutOptions): Promise<KeyValue>;
  /**
   * Deletes `key` (if `expectedModRevision` is given, only at that modRevision) and returns the
   * deleted version; throws NotFoundError or ConflictError.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;
  /**
   * Read-modify-write that retries on conflict with a fresh read: the one way callers change an
   * existing value. Returns the written version, null after a delete, or the unchanged current
   * version when `tryUpdate` returned undefined.
   */
  guaranteedUpdate(key: string, tryUpdate: TryUpdate, opts?: PutOptions): Promise<KeyValue | null>;
  /** Watches keys starting with `prefix`. */
  watch(prefix: string, opts?: WatchOptions): Watch;
  /** Discards history before `revision`; reads and watches below it fail with CompactedError. */
  compact(revision: number): Promise<void>;
  /** The revision history was compacted to (0 when never). */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}

/** Largest value a key may hold, as etcd's default request limit (1.5 MiB). */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;

/** The exclusive end of the key range that starts with `prefix`. */
export function prefixEnd(prefix: string): string {
  if (prefix === "") return "\u{10FFFF}";
  const last = prefix.codePointAt(prefix.length - 1)!;
  return prefix.slice(0, -1) + String.fromCodePoint(last + 1);
}
