// Test-only protobuf writer: short names over writer.ts, to build envelopes and messages by field number.
import { bytesField, fieldKey, stringField, varintField } from "../writer.ts";

export { varint } from "../writer.ts";
export const key = fieldKey;
/** A varint field (int32/int64/bool); negatives are sign-extended to 10 bytes, as Go writes them. */
export const int = varintField;
export const bytes = bytesField;
export const str = stringField;
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
