// The generated field table (schema.json, from scripts/gen-proto-schema.ts) in the shape the decoder
// walks: message full name → fields, and apiVersion/kind → message. Loaded once, on first use.
import { readFileSync } from "node:fs";

export const SCALAR_KINDS = ["string", "bytes", "bool", "int", "int32", "uint", "uint32", "double", "float"] as const;
export type ScalarKind = (typeof SCALAR_KINDS)[number];
/** A scalar, or `msg:<message full name>`. */
export type ValueKind = ScalarKind | `msg:${string}`;

export interface FieldSpec {
  readonly number: number;
  /** The JSON property name (the Go json tag). */
  readonly json: string;
  readonly kind: ValueKind | "map";
  readonly repeated: boolean;
  /** Go pointer field: present on the wire ⇒ present in JSON, even when zero. */
  readonly pointer: boolean;
  /** Go embedded field with `json:",inline"`: its properties belong to the parent object. */
  readonly inline: boolean;
  readonly mapKey?: ValueKind;
  readonly mapValue?: ValueKind;
}

export interface MessageSpec {
  readonly name: string;
  /** In Go struct order, which is the order JSON output uses. */
  readonly fields: readonly FieldSpec[];
  /** A Go named slice (`type ExtraValue []string`) wrapped as `{items}`; JSON is the bare array. */
  readonly slice: boolean;
}

export interface ProtoSchema {
  message(name: string): MessageSpec | undefined;
  /** The message of a top-level kind, e.g. ("apps/v1", "Deployment") → "k8s.io.api.apps.v1.Deployment". */
  kindMessage(apiVersion: string, kind: string): string | undefined;
  readonly messageCount: number;
}

interface SchemaFile {
  kinds: Record<string, string>;
  anyVersionKinds: Record<string, string>;
  slices: string[];
  messages: Record<string, unknown[][]>;
}

let loaded: ProtoSchema | undefined;

export function protoSchema(): ProtoSchema {
  loaded ??= compile(JSON.parse(readFileSync(new URL("./schema.json", import.meta.url), "utf8")) as SchemaFile);
  return loaded;
}

/** Checks the table's integrity (every referenced message exists); a failure is a build problem. */
function compile(file: SchemaFile): ProtoSchema {
  const messages = new Map<string, MessageSpec>();
  const slices = new Set(file.slices);
  const isKind = (k: unknown): k is ValueKind =>
    typeof k === "string" && ((SCALAR_KINDS as readonly string[]).includes(k) || (k.startsWith("msg:") && k.slice(4) in file.messages));
  for (const [name, rows] of Object.entries(file.messages)) {
    const fields = rows.map((row): FieldSpec => {
      const [number, json, kind, flags = "", mapKey, mapValue] = row;
      const ok = typeof number === "number" && typeof json === "string" && typeof flags === "string" &&
        (kind === "map" ? isKind(mapKey) && isKind(mapValue) : isKind(kind));
      if (!ok) throw new Error(`protobuf schema.json: bad field ${JSON.stringify(row)} in ${name}`);
      return {
        number, json, kind: kind as ValueKind | "map",
        repeated: flags.includes("r"), pointer: flags.includes("p"), inline: flags.includes("i"),
        ...(kind === "map" ? { mapKey: mapKey as ValueKind, mapValue: mapValue as ValueKind } : {}),
      };
    });
    messages.set(name, { name, fields, slice: slices.has(name) });
  }
  for (const target of [...Object.values(file.kinds), ...Object.values(file.anyVersionKinds)]) {
    if (!messages.has(target)) throw new Error(`protobuf schema.json: kind message ${target} missing`);
  }
  return {
    message: (name) => messages.get(name),
    kindMessage: (apiVersion, kind) =>
      Object.hasOwn(file.kinds, `${apiVersion}/${kind}`) ? file.kinds[`${apiVersion}/${kind}`]
        : apiVersion && Object.hasOwn(file.anyVersionKinds, kind) ? file.anyVersionKinds[kind] : undefined,
    messageCount: messages.size,
  };
}
