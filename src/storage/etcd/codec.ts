// Translation between the store's string keys/values and etcd's bytes: an optional key prefix
// (an isolated namespace), byte-wise range ends, and etcd KeyValue → store KeyValue.
import type { IKeyValue } from "etcd3";
import type { KeyValue } from "../interface.ts";

/** The exclusive end of the byte range of keys that start with `start` ("\0" = no end). */
export function bytesPrefixEnd(start: Buffer): Buffer {
  const end = Buffer.from(start);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i] += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Maps store keys to etcd keys under a fixed prefix, and back. */
export class KeyCodec {
  readonly prefix: string;
  private readonly prefixBytes: number;

  constructor(prefix = "") {
    this.prefix = prefix;
    this.prefixBytes = Buffer.byteLength(prefix, "utf8");
  }

  /** The etcd key for a store key; never empty (etcd rejects an empty key, "\0" is the first key). */
  encode(key: string): Buffer {
    const bytes = Buffer.from(this.prefix + key, "utf8");
    return bytes.length === 0 ? Buffer.from([0]) : bytes;
  }

  decode(bytes: Buffer): string {
    return bytes.subarray(this.prefixBytes).toString("utf8");
  }

  /** The etcd [key, range_end) of every store key starting with `prefix`. */
  prefixRange(prefix: string): { key: Buffer; rangeEnd: Buffer } {
    const key = Buffer.from(this.prefix + prefix, "utf8");
    return { key: key.length === 0 ? Buffer.from([0]) : key, rangeEnd: bytesPrefixEnd(key) };
  }

  toKeyValue(kv: IKeyValue): KeyValue {
    return {
      key: this.decode(kv.key),
      value: kv.value.toString("utf8"),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
    };
  }
}
