// Store errors: one class per reason, so the API server can map each to a Kubernetes Status
// (NotFound 404, AlreadyExists/Conflict 409, Gone 410, RequestEntityTooLarge 413).
import type { KeyValue } from "./interface.ts";

export type StoreErrorCode = "NotFound" | "Exists" | "Conflict" | "Compacted" | "FutureRevision" | "TooLarge" | "SlowConsumer" | "Closed" | "Unavailable";

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly key: string;
  constructor(code: StoreErrorCode, key: string, message: string) {
    super(message);
    this.name = `${code}Error`;
    this.code = code;
    this.key = key;
  }
}

export class NotFoundError extends StoreError {
  constructor(key: string) {
    super("NotFound", key, `key not found: ${key}`);
  }
}

export class ExistsError extends StoreError {
  /** The version that is there. */
  readonly current: KeyValue | null;
  constructor(key: string, current: KeyValue | null = null) {
    super("Exists", key, `key already exists: ${key}`);
    this.current = current;
  }
}

export class ConflictError extends StoreError {
  /** The version that is there (null when the key is gone). */
  readonly current: KeyValue | null;
  constructor(key: string, expected: number, current: KeyValue | null) {
    super("Conflict", key, `conflict on ${key}: expected modRevision ${expected}, found ${current ? current.modRevision : "no key"}`);
    this.current = current;
  }
}

/** A read or watch asked for history that compaction has discarded ("expired"). */
export class CompactedError extends StoreError {
  readonly compactedRevision: number;
  constructor(requested: number, compactedRevision: number) {
    super("Compacted", "", `required revision ${requested} has been compacted (compacted revision ${compactedRevision})`);
    this.compactedRevision = compactedRevision;
  }
}

/** A read asked for a revision the store has not reached yet. */
export class FutureRevisionError extends StoreError {
  readonly currentRevision: number;
  constructor(requested: number, current: number) {
    super("FutureRevision", "", `required revision ${requested} is a future revision (current ${current})`);
    this.currentRevision = current;
  }
}

export class TooLargeError extends StoreError {
  constructor(key: string, bytes: number, limit: number) {
    super("TooLarge", key, `value for ${key} is ${bytes} bytes, over the limit of ${limit} bytes`);
  }
}

export class SlowConsumerError extends StoreError {
  constructor(prefix: string, buffered: number) {
    super("SlowConsumer", prefix, `watch on ${prefix} cut off: consumer fell ${buffered} events behind`);
  }
}

export class StoreClosedError extends StoreError {
  constructor() {
    super("Closed", "", "store is closed");
  }
}

/**
 * The store could not be reached or did not answer. From create/update/delete it means the
 * outcome is unknown: the write may have been applied.
 */
export class UnavailableError extends StoreError {
  constructor(message: string) {
    super("Unavailable", "", message);
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
