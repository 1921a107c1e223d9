// Protocol-buffers wire format, read side: varints, length-delimited values and a one-pass field
// scanner. Malformed input always ends in errors.badRequest, never in another exception.
import { errors } from "../../apimachinery/status.ts";

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** One occurrence of a field: a varint value, or the bytes of a fixed or length-delimited value. */
export type Occurrence =
  | { readonly wire: typeof WIRE_VARINT; readonly value: bigint }
  | { readonly wire: typeof WIRE_FIXED64 | typeof WIRE_BYTES | typeof WIRE_FIXED32; readonly value: Uint8Array };

/** Field number → occurrences in wire order. Groups (deprecated) are skipped, not recorded. */
export type Fields = Map<number, Occurrence[]>;

const MAX_FIELD = 2 ** 29 - 1;

/** A cursor over `buf[pos, end)`; each read checks the bounds and advances. */
export class ProtoReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint of up to 10 bytes as an unsigned 64-bit value (bits past 64 are dropped, as Go does). */
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw errors.badRequest("protobuf: unexpected end of data inside a varint");
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw errors.badRequest("protobuf: varint longer than 10 bytes");
  }

  /** A varint used as a length or key; must fit a safe integer. */
  smallVarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw errors.badRequest("protobuf: unexpected end of data inside a varint");
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) throw errors.badRequest("protobuf: length or key out of range");
        return result;
      }
      mul *= 128;
    }
    throw errors.badRequest("protobuf: varint longer than 10 bytes");
  }

  take(n: number): Uint8Array {
    if (n < 0 || n > this.end - this.pos) {
      throw errors.badRequest(`protobuf: a ${n}-byte value runs past the end of its message (${this.end - this.pos} bytes left)`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A field key: the field number (1 … 2^29-1) and the wire type. */
  key(): { field: number; wire: number } {
    const k = this.smallVarint();
    const field = Math.floor(k / 8);
    const wire = k % 8;
    if (field < 1 || field > MAX_FIELD) throw errors.badRequest(`protobuf: invalid field number ${field}`);
    if (wire > 5) throw errors.badRequest(`protobuf: invalid wire type ${wire} for field ${field}`);
    return { field, wire };
  }

  /** Skips a group whose start key (field `field`) was just read, nested groups included. */
  skipGroup(field: number): void {
    const open = [field];
    while (open.length > 0) {
      if (this.done) throw errors.badRequest(`protobuf: unterminated group for field ${open.at(-1)}`);
      const k = this.key();
      if (k.wire === WIRE_START_GROUP) open.push(k.field);
      else if (k.wire === WIRE_END_GROUP) {
        if (open.pop() !== k.field) throw errors.badRequest(`protobuf: mismatched end of group for field ${k.field}`);
      } else this.value(k.wire);
    }
  }

  /** Reads the value of a non-group wire type. */
  value(wire: number): Occurrence {
    switch (wire) {
      case WIRE_VARINT: return { wire, value: this.varint() };
      case WIRE_FIXED64: return { wire, value: this.take(8) };
      case WIRE_FIXED32: return { wire, value: this.take(4) };
      case WIRE_BYTES: return { wire, value: this.take(this.smallVarint()) };
      default: throw errors.badRequest(`protobuf: unexpected wire type ${wire}`);
    }
  }
}

/** Reads a whole message into field number → occurrences. Unknown fields are kept; groups are skipped. */
export function scanFields(data: Uint8Array): Fields {
  const r = new ProtoReader(data);
  const fields: Fields = new Map();
  while (!r.done) {
    const { field, wire } = r.key();
    if (wire === WIRE_START_GROUP) {
      r.skipGroup(field);
      continue;
    }
    if (wire === WIRE_END_GROUP) throw errors.badRequest(`protobuf: end of group for field ${field} without a start`);
    const occ = r.value(wire);
    const list = fields.get(field);
    if (list) list.push(occ);
    else fields.set(field, [occ]);
  }
  return fields;
}

/** The last varint of a field (proto's "last one wins"), or undefined if absent. */
export function lastVarint(fields: Fields, field: number, what: string): bigint | undefined {
  const occ = fields.get(field)?.at(-1);
  if (!occ) return undefined;
  if (occ.wire !== WIRE_VARINT) throw wrongWire(what, occ.wire);
  return occ.value;
}

/** The last length-delimited value of a field, or undefined if absent. */
export function lastBytes(fields: Fields, field: number, what: string): Uint8Array | undefined {
  const occ = fields.get(field)?.at(-1);
  if (!occ) return undefined;
  if (occ.wire !== WIRE_BYTES) throw wrongWire(what, occ.wire);
  return occ.value;
}

export function wrongWire(what: string, wire: number) {
  return errors.badRequest(`protobuf: wrong wire type ${wire} for field ${what}`);
}

const utf8 = new TextDecoder("utf-8");

/** Proto2 strings are not validated; invalid UTF-8 becomes U+FFFD, as Go's JSON encoder does. */
export function decodeString(b: Uint8Array): string {
  return utf8.decode(b);
}
