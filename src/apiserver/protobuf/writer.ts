// Protocol-buffers wire format, write side: the few primitives the encoder needs. Values are built
// as Buffers and concatenated; Kubernetes objects are small enough that this is not a bottleneck.

/** An unsigned varint; negative numbers are sign-extended to 64 bits (10 bytes), as Go writes int32/int64. */
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

export const fieldKey = (field: number, wire: number): Buffer => varint(field * 8 + wire);
export const varintField = (field: number, n: number | bigint): Buffer => Buffer.concat([fieldKey(field, 0), varint(n)]);
export const bytesField = (field: number, b: Uint8Array): Buffer => Buffer.concat([fieldKey(field, 2), varint(b.length), b]);
export const stringField = (field: number, s: string): Buffer => bytesField(field, Buffer.from(s, "utf8"));

export function fixed64Field(field: number, n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(n);
  return Buffer.concat([fieldKey(field, 1), b]);
}

export function fixed32Field(field: number, n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(n);
  return Buffer.concat([fieldKey(field, 5), b]);
}
