// Generates src/apiserver/protobuf/schema.json, the field table the protobuf request decoder uses,
// from the protobuf descriptors and Go struct tags compiled into a kubectl binary.
//
// Usage (run by hand when moving to a new Kubernetes minor; the output is committed):
//   export PATH=$PWD/node_modules/.bin:$PATH
//   node scripts/gen-proto-schema.ts [path/to/kubectl] [out.json]
// Defaults: /usr/lib/google-cloud-sdk/bin/kubectl.1.32 (Debian/Ubuntu package `kubectl` from the
// Google Cloud SDK apt repository) and src/apiserver/protobuf/schema.json. The output depends only
// on the binary, so re-running it on the same kubectl gives the same bytes.
//
// Where the data comes from:
// - Go programs register each generated.proto as a gzipped FileDescriptorProto. We find every gzip
//   member in the binary whose payload is a descriptor named k8s.io/….proto: field numbers, proto
//   types, map entries and the gogoproto options `nullable` (65001; `false` = Go value field,
//   absent = pointer) and `customname` (65004; the Go field name).
// - JSON names and `json:",inline"` are not in the descriptors. They are in the Go struct tags the
//   binary keeps for reflection: each struct field's name record is
//   <flags><varint len><GoName><varint len><tag>, flags bit 3 = embedded. We read every record whose
//   tag has `protobuf:"…"` and match it to a descriptor field by (Go name, field number, proto name).
//   A field is inline when its Go field is embedded and its json name is empty (encoding/json's rule);
//   its JSON name is the json tag name (it differs from the proto name in a few places, e.g. `uID`).
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { inflateRawSync } from "node:zlib";
import { scanFields, lastBytes, lastVarint, decodeString, type Fields } from "../src/apiserver/protobuf/wire.ts";

const bin = process.argv[2] ?? "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
const out = process.argv[3] ?? new URL("../src/apiserver/protobuf/schema.json", import.meta.url).pathname;

/** API group of each k8s.io/api package (the `+groupName` of its doc.go, which descriptors lack). */
const GROUPS: Record<string, string> = {
  core: "", apps: "apps", batch: "batch", autoscaling: "autoscaling", policy: "policy", extensions: "extensions",
  rbac: "rbac.authorization.k8s.io", networking: "networking.k8s.io", scheduling: "scheduling.k8s.io",
  coordination: "coordination.k8s.io", discovery: "discovery.k8s.io", events: "events.k8s.io",
  authentication: "authentication.k8s.io", authorization: "authorization.k8s.io", storage: "storage.k8s.io",
  admissionregistration: "admissionregistration.k8s.io", certificates: "certificates.k8s.io",
  flowcontrol: "flowcontrol.apiserver.k8s.io", node: "node.k8s.io",
};
/** meta/v1 kinds every group version registers (sent e.g. as a DELETE body by typed clients). */
const ANY_VERSION_KINDS = ["DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "GetOptions", "ListOptions", "Status"];
const META = "k8s.io.apimachinery.pkg.apis.meta.v1";
/** Messages with ObjectMeta that are parts of objects, not kinds (besides the *Spec ones). */
const NOT_KINDS = new Set(["k8s.io.api.core.v1.PersistentVolumeClaimTemplate"]);
/** Included packages: every GA k8s.io/api group version of GROUPS, plus whatever they reference. */
function included(pkg: string): boolean {
  const group = /^k8s\.io\.api\.([a-z]+)\.v\d+$/.exec(pkg)?.[1];
  return group !== undefined && Object.hasOwn(GROUPS, group);
}

interface FieldDesc { name: string; number: number; label: number; type: number; typeName: string; nullable?: boolean; goName: string }
interface MessageDesc { fullName: string; pkg: string; fields: FieldDesc[]; mapEntry: boolean; stringerOff: boolean }
interface GoField { goName: string; embedded: boolean; json?: string; number: number; protoName?: string }

// ---- descriptors -------------------------------------------------------------------------------

function extractDescriptors(data: Buffer): Fields[] {
  const files = new Map<string, Fields>();
  const magic = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);
  for (let i = data.indexOf(magic); i >= 0; i = data.indexOf(magic, i + 1)) {
    let payload: Buffer;
    try {
      payload = inflateRawSync(data.subarray(i + 10, i + 10 + 4_000_000), { maxOutputLength: 8_000_000 });
    } catch {
      continue;
    }
    if (payload[0] !== 0x0a || payload[1]! > 200) continue;
    const name = payload.subarray(2, 2 + payload[1]!).toString("latin1");
    if (!/^k8s\.io\/.*\.proto$/.test(name)) continue;
    files.set(name, scanFields(payload));
  }
  return [...files.keys()].sort().map((k) => files.get(k)!);
}

const str = (f: Fields, n: number) => decodeString(lastBytes(f, n, String(n)) ?? new Uint8Array());
const num = (f: Fields, n: number) => Number(lastVarint(f, n, String(n)) ?? 0n);
const subs = (f: Fields, n: number) => (f.get(n) ?? []).map((o) => scanFields(o.value as Uint8Array));

function messages(file: Fields): MessageDesc[] {
  const pkg = str(file, 2);
  const out: MessageDesc[] = [];
  const walk = (m: Fields, prefix: string) => {
    const fullName = `${prefix}.${str(m, 1)}`;
    const opts = subs(m, 7)[0];
    out.push({
      fullName, pkg, fields: subs(m, 2).map(field),
      mapEntry: opts ? num(opts, 7) === 1 : false,
      stringerOff: opts?.has(64003) ? num(opts, 64003) === 0 : false,
    });
    for (const n of subs(m, 3)) walk(n, fullName);
  };
  for (const m of subs(file, 4)) walk(m, pkg);
  return out;
}

function field(f: Fields): FieldDesc {
  const name = str(f, 1);
  const opts = subs(f, 8)[0];
  return {
    name, number: num(f, 3), label: num(f, 4), type: num(f, 5), typeName: str(f, 6).replace(/^\./, ""),
    nullable: opts?.has(65001) ? num(opts, 65001) !== 0 : undefined,
    goName: opts?.has(65004) ? str(opts, 65004) : name,
  };
}

// ---- Go struct tags ------------------------------------------------------------------------------

/** Every struct-field name record whose tag has `protobuf:"…"` (see the header). */
function goFields(data: Buffer): GoField[] {
  const text = data.toString("latin1");
  const out = new Map<string, GoField>();
  for (let hit = text.indexOf('protobuf:"'); hit >= 0; hit = text.indexOf('protobuf:"', hit + 1)) {
    const rec = recordAround(data, text, hit);
    if (!rec) throw new Error(`no struct-field record around offset ${hit}: ${JSON.stringify(text.slice(hit - 40, hit + 60))}`);
    const proto = /(?:^| )protobuf:"([^"]*)"/.exec(rec.tag)![1]!.split(",");
    const json = /(?:^| )json:"([^"]*)"/.exec(rec.tag)?.[1]?.split(",")[0];
    const protoName = proto.find((p) => p.startsWith("name="))?.slice(5);
    out.set(`${rec.goName} ${rec.tag}`, { goName: rec.goName, embedded: rec.embedded, json, number: Number(proto[1]), protoName });
  }
  return [...out.values()];
}

const TAG = /^(?:[A-Za-z_]+:"[^"]*"(?: |$))+$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function recordAround(data: Buffer, text: string, hit: number) {
  for (let start = hit; start > hit - 400 && start > 8; start--) {
    for (const varLen of [1, 2]) {
      const len = varLen === 1 ? (data[start - 1]! < 0x80 ? data[start - 1]! : -1)
        : data[start - 2]! >= 0x80 && data[start - 1]! < 0x80 ? (data[start - 2]! & 0x7f) | (data[start - 1]! << 7) : -1;
      if (len < 0 || start + len <= hit) continue;
      const tag = text.slice(start, start + len);
      if (!TAG.test(tag)) continue;
      const nameEnd = start - varLen;
      for (let n = 1; n < 100; n++) {
        const flags = data[nameEnd - n - 2]!;
        const goName = text.slice(nameEnd - n, nameEnd);
        if (data[nameEnd - n - 1] === n && IDENT.test(goName) && (flags & 0xf2) === 2) return { goName, tag, embedded: (flags & 8) !== 0 };
      }
    }
  }
  return undefined;
}

// ---- schema --------------------------------------------------------------------------------------

const SCALARS: Record<number, string> = { 1: "double", 2: "float", 3: "int", 4: "uint", 5: "int32", 8: "bool", 9: "string", 12: "bytes", 13: "uint32" };

type FieldRow = [number, string, string, string?, string?, string?];

function build() {
  const data = readFileSync(bin);
  const all = new Map<string, MessageDesc>();
  for (const file of extractDescriptors(data)) for (const m of messages(file)) all.set(m.fullName, m);
  if (all.size === 0) throw new Error(`${bin}: no Kubernetes protobuf descriptors found`);
  const tags = new Map<string, GoField[]>();
  for (const g of goFields(data)) {
    const key = `${g.goName}/${g.number}`;
    tags.set(key, [...(tags.get(key) ?? []), g]);
  }

  const stats = { inline: [] as string[], renamed: [] as string[], untagged: [] as string[], fields: 0 };
  const kindOf = (f: FieldDesc, where: string): string => {
    if (f.type === 11) return `msg:${f.typeName}`;
    const k = SCALARS[f.type];
    if (!k) throw new Error(`${where}: unsupported proto type ${f.type}`);
    return k;
  };
  const rows = (m: MessageDesc): FieldRow[] => m.fields.map((f) => {
    const where = `${m.fullName}.${f.name}`;
    const matches = (tags.get(`${f.goName}/${f.number}`) ?? []).filter((g) => g.protoName === undefined || g.protoName === f.name);
    stats.fields++;
    if (matches.length === 0) stats.untagged.push(where);
    const inlineVotes = new Set(matches.map((g) => g.embedded && g.json === ""));
    const jsonNames = new Set(matches.map((g) => g.json).filter((j) => j !== undefined && j !== "" && j !== "-"));
    if (inlineVotes.size > 1 || jsonNames.size > 1) throw new Error(`${where}: ambiguous Go struct tags ${JSON.stringify(matches)}`);
    const inline = inlineVotes.has(true);
    const jsonName = [...jsonNames][0] ?? f.name;
    if (inline) stats.inline.push(where);
    if (jsonName !== f.name) stats.renamed.push(`${where} → ${jsonName}`);
    const entry = f.type === 11 ? all.get(f.typeName) : undefined;
    if (f.type === 11 && !entry) throw new Error(`${where}: unknown message ${f.typeName}`);
    if (entry?.mapEntry) {
      const [k, v] = [entry.fields.find((x) => x.number === 1)!, entry.fields.find((x) => x.number === 2)!];
      return [f.number, jsonName, "map", "", kindOf(k, where), kindOf(v, where)];
    }
    const repeated = f.label === 3;
    const pointer = !repeated && f.nullable === undefined && f.type !== 12;
    const flags = `${repeated ? "r" : ""}${pointer ? "p" : ""}${inline ? "i" : ""}`;
    return flags ? [f.number, jsonName, kindOf(f, where), flags] : [f.number, jsonName, kindOf(f, where)];
  });

  // The included packages' messages plus everything they reference, map entries folded in.
  const chosen = new Set<string>();
  const visit = (name: string) => {
    const m = all.get(name);
    if (!m || chosen.has(name)) return;
    if (!m.mapEntry) chosen.add(name);
    for (const f of m.fields) if (f.type === 11) visit(f.typeName);
  };
  for (const m of all.values()) if (included(m.pkg)) visit(m.fullName);
  for (const k of ANY_VERSION_KINDS) visit(`${META}.${k}`);

  const kinds: Record<string, string> = {};
  for (const name of chosen) {
    const m = all.get(name)!;
    const [, group, version] = /^k8s\.io\.api\.([a-z]+)\.(v\d+)$/.exec(m.pkg) ?? [];
    const meta = m.fields.find((f) => f.name === "metadata")?.typeName;
    if (!group || !(meta === `${META}.ObjectMeta` || meta === `${META}.ListMeta`)) continue;
    const kind = name.slice(m.pkg.length + 1);
    if (kind.endsWith("Spec") || NOT_KINDS.has(name)) continue;
    kinds[`${GROUPS[group] ? `${GROUPS[group]}/` : ""}${version}/${kind}`] = name;
  }
  const messagesOut: Record<string, FieldRow[]> = {};
  for (const name of [...chosen].sort()) messagesOut[name] = rows(all.get(name)!);
  const slices = [...chosen].filter((n) => {
    const m = all.get(n)!;
    return m.stringerOff && m.fields.length === 1 && m.fields[0]!.name === "items" && m.fields[0]!.label === 3;
  }).sort();
  return { kinds, slices, messagesOut, stats };
}

function kubectlVersion(): string {
  try {
    const v = JSON.parse(execFileSync(bin, ["version", "--client", "-o", "json"], { encoding: "utf8" })) as { clientVersion?: { gitVersion?: string } };
    return v.clientVersion?.gitVersion ?? "unknown";
  } catch {
    return "unknown";
  }
}

const { kinds, slices, messagesOut, stats } = build();
const anyVersionKinds = Object.fromEntries(ANY_VERSION_KINDS.map((k) => [k, `${META}.${k}`]));
const sortedKinds = Object.fromEntries(Object.entries(kinds).sort(([a], [b]) => (a < b ? -1 : 1)));
// One message per line: small diffs when Kubernetes adds a field, still compact.
const body = Object.entries(messagesOut).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(",\n");
const text = `{
  "generatedBy": "scripts/gen-proto-schema.ts",
  "source": ${JSON.stringify(`kubectl ${kubectlVersion()} protobuf descriptors and Go struct tags`)},
  "format": "messages: full name -> [number, jsonName, kind, flags (r=repeated p=pointer i=JSON-inline), mapKeyKind, mapValueKind]",
  "kinds": ${JSON.stringify(sortedKinds, null, 2).replace(/\n/g, "\n  ")},
  "anyVersionKinds": ${JSON.stringify(anyVersionKinds)},
  "slices": ${JSON.stringify(slices)},
  "messages": {
${body}
  }
}
`;
writeFileSync(out, text);
console.error(`${out}: ${Object.keys(messagesOut).length} messages, ${Object.keys(kinds).length} kinds, ${text.length} bytes`);
console.error(`${stats.fields} fields; without a Go struct tag match (proto name used as JSON name): ${stats.untagged.join(", ") || "none"}`);
console.error(`inline (${stats.inline.length}): ${stats.inline.join(", ")}`);
console.error(`JSON name differs from proto name (${stats.renamed.length}): ${stats.renamed.join(", ")}`);
