// Test-only protobuf writer: just enough to build envelopes and messages by field number.

export function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return Buffer.from(out);
}

export const key = (field: number, wire: number) => varint(field * 8 + wire);
/** A varint field (int32/int64/bool); negatives are sign-extended to 10 bytes, as Go writes them. */
export const int = (field: number, n: number | bigint) => Buffer.concat([key(field, 0), varint(n)]);
export const bytes = (field: number, b: Uint8Array) => Buffer.concat([key(field, 2), varint(b.length), b]);
export const str = (field: number, s: string) => bytes(field, Buffer.from(s));
export const msg = (field: number, ...parts: Buffer[]) => bytes(field, Buffer.concat(parts));
export const entry = (field: number, k: string, v: Buffer) => msg(field, str(1, k), bytes(2, v));

/** "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding "", contentType ""}. */
export function envelope(apiVersion: string, kind: string, ...raw: Buffer[]): Buffer {
  return Buffer.concat([
    Buffer.from("k8s\0", "latin1"),
    msg(1, str(1, apiVersion), str(2, kind)),
    msg(2, ...raw),
    str(3, ""),
    str(4, ""),
  ]);
}
