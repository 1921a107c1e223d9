// Fuzz: nothing a client sends may crash the API server, make it answer 500 or damage what it
// stores. A server in a child process (so a crash is seen, attributed and survived) gets a few
// thousand hostile requests from a seeded PRNG: mutated objects, random bytes under every
// Content-Type, odd paths and queries, oversized bodies. Every answer must be a well-formed
// response below 500 (except kube-apiserver's own 504 "Too large resource version"), every error
// a `Status`; the server must still serve afterwards, and "sentinel" ConfigMaps created first
// must be byte-for-byte unchanged.
// Env: K8TS_FUZZ_SEED (reproduce), K8TS_FUZZ_REQUESTS (count), K8TS_FUZZ_SECONDS (send budget),
// K8TS_FUZZ_ONLY=<id,...> (send only those requests of the seed's sequence).
// Longer than the usual 400 lines: it has to stay one file, and generate, send, judge and report
// are one story.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import https from "node:https";
import type { ClientRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { stringify as toYaml } from "yaml";
import { decodeKubernetesProtobuf } from "../src/apiserver/protobuf/index.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SEED = parseSeed(process.env.K8TS_FUZZ_SEED ?? "0x6b387473");
const REQUESTS = Number(process.env.K8TS_FUZZ_REQUESTS ?? 3000);
const SEND_BUDGET_MS = Number(process.env.K8TS_FUZZ_SECONDS ?? 30) * 1000;
const ONLY = new Set((process.env.K8TS_FUZZ_ONLY ?? "").split(",").filter(Boolean).map(Number));
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 6000;
/** A request slower than this alone stalls the server (a denial of service). */
const SLOW_MS = 3000;
const WATCH_READ_MS = 300;
const MAX_BODY = 3 * 1024 * 1024;
const MAX_RESTARTS = 20;
const NS = "fuzz";
const SENTINEL_NS = "sentinel";
const POOL = 20;
const NS_POOL = 4;

function parseSeed(s: string): number {
  const n = s.startsWith("0x") ? parseInt(s.slice(2), 16) : Number(s);
  if (!Number.isInteger(n)) throw new Error(`K8TS_FUZZ_SEED must be an integer, got ${s}`);
  return n >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32): the same seed gives the same request sequence.

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  string(n: number, alphabet: string): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Requests and how they are judged.

interface FuzzRequest {
  id: number;
  /** Which generator made it (for the report). */
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send without Content-Length (chunked). */
  chunked?: boolean;
  /** The only acceptable status (413 for oversized bodies). */
  expect?: number;
  /** Garbage aimed at a sentinel: must not succeed. */
  mustFail?: boolean;
}

interface Outcome {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body: Buffer;
  error?: string;
  ms: number;
  streamed?: boolean;
  /** The request served before this one on the same keep-alive connection. */
  previous?: FuzzRequest;
  /** Bytes of the response body (`body` keeps at most the first 32 MiB). */
  size?: number;
  /** node's HTTP client refused the request (a path it will not send): nothing to judge. */
  unsendable?: boolean;
}

interface Finding {
  request: FuzzRequest;
  outcome?: Outcome;
  problems: string[];
  serverTrace?: string;
  /** Where to look for the server's log of it (read at report time: logs trail responses). */
  log?: { server: ServerProcess; from: number };
}

const UNICODE = ["héllo", "日本語", "🦄🚀", "\u202eRTL", "\u0000nul", "\ud800", "a\u0301", "\uffff", "ǅ", "ß", "İ", "\t\n\r", "%00", "../", "${jndi:x}", "'; DROP TABLE kine; --"];
const BAD_NAMES = ["", "-a", "a-", "A", "a_b", "a b", "a/b", "..", ".", "a..b", "x".repeat(254), "x".repeat(64), "%2F", "😀", "a\u0000b", "default", "sentinel-0", "__proto__", "constructor"];
const CONTENT_TYPES = [
  "application/json", "application/json; charset=utf-8", "application/yaml", "application/vnd.kubernetes.protobuf",
  "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
  "application/strategic-merge-patch+json", "text/plain", "", "application/x-www-form-urlencoded", "APPLICATION/JSON",
  "application/json;;;", "application/cbor", "application/json; charset=utf-16", "*/*", "multipart/form-data; boundary=x",
];
const ACCEPTS = [
  "application/json", "application/json;as=Table;v=v1;g=meta.k8s.io", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
  "application/vnd.kubernetes.protobuf", "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", "text/html", "*/*", "",
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "application/json;as=Table;v=v9;g=x", "garbage;;;=",
];

/** Objects the fuzzer may damage: its pool; sentinels only by garbage. */
const poolName = (rng: Rng) => (rng.chance(0.85) ? `fz-${rng.int(POOL)}` : rng.pick(BAD_NAMES));
const sentinelName = (i: number) => `sentinel-${i}`;

function randomLabels(rng: Rng): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = rng.int(4); i > 0; i--) {
    const key = rng.chance(0.7) ? rng.string(1 + rng.int(10), "abcxyz019") : rng.pick([...UNICODE, "a/b/c", "example.com/x", "-x", "x".repeat(70), ""]);
    out[key] = rng.chance(0.7) ? rng.string(rng.int(12), "abc-_.019") : rng.pick([...UNICODE, "x".repeat(70), "-a", ""]);
  }
  return out;
}

function baseConfigMap(rng: Rng, name: string): Record<string, unknown> {
  const cm: Record<string, unknown> = {
    apiVersion: "v1", kind: "ConfigMap",
    metadata: { name, namespace: NS, labels: randomLabels(rng), annotations: { note: rng.pick(UNICODE) } },
    data: { a: "1", "key.b": "x".repeat(rng.int(200)), u: rng.pick(UNICODE) },
  };
  if (rng.chance(0.3)) cm.binaryData = { bin: rng.bytes(16).toString("base64") };
  if (rng.chance(0.1)) cm.immutable = rng.chance(0.5);
  return cm;
}

function baseNamespace(rng: Rng, name: string): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: randomLabels(rng) }, spec: { finalizers: ["kubernetes"] } };
}

/** Own property even for "__proto__" (JSON.parse on the server makes it an own key too). */
function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Placeholders replaced in the JSON text: nesting too deep to build as objects here. */
const DEEP = (depth: number, array: boolean) => `\u0001DEEP:${depth}:${array ? "a" : "o"}\u0001`;

function randomValue(rng: Rng, depth = 0): unknown {
  const r = rng.int(depth > 2 ? 8 : 11);
  switch (r) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick([0, -1, 1.5, -0, 1e308, -1e308, 2 ** 53 + 1, 4294967296, 0.1, 123456789012]);
    case 3: return rng.pick(UNICODE);
    case 4: return rng.string(rng.int(20), "abcdefghijklmnopqrstuvwxyz0123456789-._/:");
    case 5: return "";
    case 6: return rng.pick(["true", "1", "null", "{}", "[]", "0x10", "1e3", "v1", "ConfigMap", "2024-01-01T00:00:00Z", "not-a-time"]);
    case 7: return rng.pick([[], {}, [null], { "": "" }]);
    case 8: return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    case 9: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) setKey(o, rng.pick(["a", "name", "kind", "$patch", "__proto__", "constructor", "metadata", "data", "x.y", ""]), randomValue(rng, depth + 1));
      return o;
    }
    default: return DEEP(rng.pick([50, 1000]), rng.chance(0.5));
  }
}

/** Every path (list of keys) inside a JSON value. */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

function parentOf(root: unknown, path: (string | number)[]): Record<string | number, unknown> | null {
  let node = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) {
    node = node[k] as Record<string | number, unknown>;
    if (!node || typeof node !== "object") return null;
  }
  return node;
}

/** Applies 1–4 random damages: deleted fields, changed types, huge strings, deep nesting, odd metadata. */
function mutate(rng: Rng, obj: Record<string, unknown>): Record<string, unknown> {
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const paths = pathsOf(obj).filter((p) => p.length > 0);
    const path = paths.length ? rng.pick(paths) : ["metadata"];
    const parent = parentOf(obj, path);
    const key = path[path.length - 1]!;
    const meta = (obj.metadata && typeof obj.metadata === "object" && !Array.isArray(obj.metadata) ? obj.metadata : (obj.metadata = {})) as Record<string, unknown>;
    switch (rng.int(12)) {
      case 0: case 1: if (parent) delete parent[key]; break;
      case 2: case 3: if (parent) parent[key] = randomValue(rng); break;
      case 4: if (parent) parent[key] = rng.pick(["x", "ab", "é", "🦄"]).repeat(rng.chance(0.05) ? 1_450_000 : 16 * 1024 + rng.int(128 * 1024)); break;
      case 5: if (parent) parent[key] = DEEP(rng.chance(0.85) ? 1000 : rng.pick([12_000, 100_000]), rng.chance(0.5)); break;
      case 6: meta.name = rng.pick(BAD_NAMES); break;
      case 7: meta.namespace = rng.pick([SENTINEL_NS, "default", "", "other", 5, null, "a/b"]); if (rng.chance(0.5)) meta.name = sentinelName(rng.int(4)); break;
      case 8: meta.resourceVersion = rng.pick(["abc", "-1", "0", "99999999999999999999", "1", 7, ""]); break;
      case 9: setKey(meta, rng.pick(["uid", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "finalizers", "ownerReferences", "managedFields", "generateName", "selfLink"]), randomValue(rng)); break;
      case 10: obj[rng.pick(["apiVersion", "kind"])] = rng.pick(["v2", "apps/v1", "Pod", "", "v1", "Namespace", "ConfigMap", 1, null, "v1/v1"]); break;
      default: setKey(obj, "__proto__", { immutable: true, polluted: "yes", metadata: { finalizers: ["x"] } }); setKey(meta, "__proto__", { name: "polluted" }); break;
    }
  }
  return obj;
}

/** JSON text with the DEEP placeholders expanded (built as text: too deep for JSON.stringify). */
function toJson(value: unknown): Buffer {
  const text = JSON.stringify(value);
  if (!text.includes("\\u0001DEEP")) return Buffer.from(text);
  return Buffer.from(text.replace(/"\\u0001DEEP:(\d+):([ao])\\u0001"/g, (_, d: string, kind: string) => {
    const depth = Number(d);
    return kind === "a" ? "[".repeat(depth) + "1" + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
  }));
}

function encodeObject(rng: Rng, value: unknown, yamlOk: boolean): { body: Buffer; yaml: boolean } {
  const json = toJson(value);
  // Not for deep nesting: YAML output (and the yaml package's time) grows with depth squared.
  if (yamlOk && rng.chance(0.3) && json.length < 20_000 && !JSON.stringify(value).includes("\\u0001DEEP")) {
    try {
      return { body: Buffer.from(toYaml(JSON.parse(json.toString()))), yaml: true };
    } catch {
      // Some values do not round-trip; JSON is YAML too.
    }
  }
  return { body: json, yaml: false };
}

function randomPointer(rng: Rng, obj: unknown): string {
  if (rng.chance(0.25)) return rng.pick(["", "/", "a", "/-", "/data/~2", "/data/~", "/metadata/labels/a~1b", "/items/99999999", "/data/0/1", "/metadata/name", "/metadata/namespace", "/metadata/resourceVersion", "/metadata/uid", "/__proto__/polluted", "/constructor/prototype/x", "/kind", "/apiVersion", "/data/-", "/metadata/finalizers/-", "/metadata/managedFields/0/manager"]);
  const p = rng.pick(pathsOf(obj));
  return p.map((k) => "/" + String(k).replace(/~/g, "~0").replace(/\//g, "~1")).join("") + (rng.chance(0.2) ? "/" + rng.pick(["x", "-", "0", "🦄"]) : "");
}

function jsonPatch(rng: Rng, target: unknown): unknown {
  if (rng.chance(0.1)) return randomValue(rng);
  return Array.from({ length: 1 + rng.int(5) }, () => {
    if (rng.chance(0.05)) return randomValue(rng);
    const op: Record<string, unknown> = { op: rng.pick(["add", "remove", "replace", "move", "copy", "test", "bogus", "", 5, null]), path: rng.chance(0.95) ? randomPointer(rng, target) : randomValue(rng) };
    if (rng.chance(0.8)) op.value = rng.chance(0.5) ? randomValue(rng) : mutate(rng, baseConfigMap(rng, "fz-0"));
    if (rng.chance(0.4)) op.from = randomPointer(rng, target);
    return op;
  });
}

function strategicPatch(rng: Rng, base: Record<string, unknown>): unknown {
  const patch = rng.chance(0.5) ? mutate(rng, structuredClone(base)) : {};
  const meta = (patch.metadata && typeof patch.metadata === "object" ? patch.metadata : (patch.metadata = {})) as Record<string, unknown>;
  switch (rng.int(7)) {
    case 0: patch.$patch = rng.pick(["delete", "replace", "merge", "bogus", 5]); break;
    case 1: meta.$retainKeys = randomValue(rng); break;
    case 2: meta["$setElementOrder/finalizers"] = randomValue(rng); break;
    case 3: meta["$deleteFromPrimitiveList/finalizers"] = randomValue(rng); break;
    case 4: meta.labels = { $patch: rng.pick(["replace", "delete", "x"]), a: "b" }; break;
    case 5: meta.ownerReferences = [{ uid: "x", $patch: rng.pick(["delete", "replace", "merge", "bogus"]) }, randomValue(rng)]; break;
    default: meta.finalizers = randomValue(rng);
  }
  return patch;
}

const PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

function writeQuery(rng: Rng, patchType?: string): string {
  const q = new URLSearchParams();
  if (patchType === "application/apply-patch+yaml" ? rng.chance(0.9) : rng.chance(0.1)) q.set("fieldManager", rng.pick(["fuzz", "", "x".repeat(200), "🦄", "kubectl"]));
  if (rng.chance(0.15)) q.set("force", rng.pick(["true", "false", "garbage"]));
  if (rng.chance(0.1)) q.set("dryRun", rng.pick(["All", "garbage", ""]));
  if (rng.chance(0.1)) q.set("fieldValidation", rng.pick(["Strict", "Warn", "Ignore", "garbage"]));
  if (rng.chance(0.05)) q.set("pretty", "true");
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** (a) A valid ConfigMap or Namespace, damaged, sent to a collection or item by POST/PUT/PATCH. */
function mutatedObjectRequest(rng: Rng, id: number): FuzzRequest {
  const namespaceKind = rng.chance(0.2);
  const name = namespaceKind ? `fuzz-ns-${rng.int(NS_POOL)}` : poolName(rng);
  const base = namespaceKind ? baseNamespace(rng, name) : baseConfigMap(rng, name);
  const collection = namespaceKind ? "/api/v1/namespaces" : `/api/v1/namespaces/${NS}/configmaps`;
  const item = `${collection}/${encodeURIComponent(name)}${namespaceKind && rng.chance(0.2) ? rng.pick(["/status", "/finalize"]) : ""}`;
  const method = rng.pick(["POST", "PUT", "PATCH", "PATCH", "PATCH"]);
  const headers: Record<string, string> = { accept: rng.chance(0.85) ? "application/json" : rng.pick(ACCEPTS) };
  if (method !== "PATCH") {
    const { body, yaml } = encodeObject(rng, mutate(rng, base), true);
    headers["content-type"] = yaml ? "application/yaml" : "application/json";
    return { id, kind: `mutated ${base.kind} ${method}`, method, path: (method === "POST" ? collection : item) + writeQuery(rng), headers, body };
  }
  const type = rng.pick(PATCH_TYPES);
  headers["content-type"] = type;
  let patch: unknown;
  if (type === "application/json-patch+json") patch = jsonPatch(rng, base);
  else if (type === "application/merge-patch+json") patch = rng.chance(0.8) ? mutate(rng, base) : randomValue(rng);
  else if (type === "application/strategic-merge-patch+json") patch = strategicPatch(rng, base);
  else patch = mutate(rng, base);
  const body = type === "application/apply-patch+yaml" ? encodeObject(rng, patch, true).body : toJson(patch);
  return { id, kind: `mutated ${base.kind} PATCH ${type.split("/")[1]}`, method, path: item + writeQuery(rng, type), headers, body };
}

// --- (b) random bytes ---------------------------------------------------------------------------

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}
const pbField = (field: number, bytes: Buffer) => Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
const pbString = (field: number, s: string) => pbField(field, Buffer.from(s));
const PB_MAGIC = Buffer.from("k8s\0", "latin1");

/** A plausible protobuf ConfigMap (runtime.Unknown envelope) with random damage. */
function protobufBody(rng: Rng): Buffer {
  const entry = (k: string, v: string) => Buffer.concat([pbString(1, k), pbString(2, v)]);
  const meta = Buffer.concat([pbString(1, rng.pick(["fz-1", "fz-2", ...BAD_NAMES])), pbString(3, rng.pick([NS, SENTINEL_NS, ""])), pbField(11, entry("a", "b"))]);
  const cm = Buffer.concat([pbField(1, meta), pbField(2, entry("k", rng.pick(UNICODE))), rng.chance(0.3) ? Buffer.from([0x20, 0x01]) : Buffer.alloc(0)]);
  const typeMeta = Buffer.concat([pbString(1, rng.pick(["v1", "apps/v1", "", "v9"])), pbString(2, rng.pick(["ConfigMap", "Namespace", "Pod", "", "Nope"]))]);
  let raw: Buffer = cm;
  switch (rng.int(6)) {
    case 0: raw = rng.bytes(rng.int(200)); break;
    case 1: raw = Buffer.concat([cm, Buffer.from([0x0a]), varint(2 ** 40)]); break; // a length far past the end
    case 2: { raw = Buffer.from(cm); for (let i = 0; i < 3; i++) raw[rng.int(raw.length)] = rng.int(256); break; }
    case 3: raw = Buffer.concat(Array.from({ length: 200 }, () => Buffer.from([0x0a, 0x7f]))); break; // nested, truncated
    default: break;
  }
  const unknown = Buffer.concat([pbField(1, typeMeta), pbField(2, raw), rng.chance(0.1) ? pbString(3, "gzip") : Buffer.alloc(0), rng.chance(0.1) ? pbString(4, "application/json") : Buffer.alloc(0)]);
  return Buffer.concat([PB_MAGIC, rng.chance(0.1) ? unknown.subarray(0, rng.int(unknown.length)) : unknown]);
}

/** Bytes that are never a valid object or patch (safe to aim at sentinels). */
function garbageBody(rng: Rng): Buffer {
  switch (rng.int(7)) {
    case 0: return Buffer.concat([Buffer.from([0xff]), rng.bytes(rng.int(2048))]);
    case 1: return Buffer.concat([PB_MAGIC, rng.bytes(rng.int(512))]);
    case 2: return protobufBody(rng);
    case 3: { const t = toJson(baseConfigMap(rng, "fz-1")); return t.subarray(0, 1 + rng.int(t.length - 2)); } // truncated
    case 4: return Buffer.from("{" + rng.string(rng.int(300), '{}[]":,1tnu\\ ') + "\u0000");
    case 5: return Buffer.from("a: &x [*x, *x]\n\t- !!binary ZZ\n? [[[\n" + rng.string(rng.int(200), "&*!|>-?:[]{}# \n\t'\""));
    default: return Buffer.from([0x00, 0x8f, 0xc3]);
  }
}

function randomBody(rng: Rng): Buffer {
  switch (rng.int(9)) {
    case 0: return rng.bytes(rng.int(4096));
    case 1: return Buffer.from(rng.string(rng.int(1024), " !\"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~"));
    case 2: return Buffer.from(rng.string(rng.int(400), '{}[]":,1truefalsenull "kind""apiVersion""metadata"'));
    case 3: return Buffer.alloc(0);
    case 4: return toJson(randomValue(rng));
    case 5: return Buffer.from(toYaml(randomValue(rng)) + rng.string(rng.int(50), "&*!|>-?:[]{} \n"));
    default: return garbageBody(rng);
  }
}

function randomSelector(rng: Rng): string {
  if (rng.chance(0.3)) return rng.pick(["a in (", "!", "a=b=c", "a in ()", "x".repeat(5000), "a notin (b", "!=a", "a,,b", "a==", "=", "a in (b,c),!d,e!=f", "🦄=1", "a>1", "metadata.name=x", "a==b,b!=c", "a in (b", "(a)", "a in (,)"]);
  return rng.string(1 + rng.int(40), "abc=!(), innotexists/._-");
}

function continueToken(rng: Rng): string {
  if (rng.chance(0.3)) return rng.pick(["garbage", "", "===", "eyJ2IjoiIn0", "%", "x".repeat(5000)]);
  const token: Record<string, unknown> = { v: rng.pick(["meta.k8s.io/v1", "x"]), rv: rng.pick([1, 0, -1, 1e20, 2 ** 53, "5", null, 1.5]), start: rng.pick(["", `../${SENTINEL_NS}/`, "../../", "\u0000", "fz-1", "x".repeat(1000), 5, "\uffff"]) };
  return Buffer.from(JSON.stringify(token)).toString(rng.chance(0.8) ? "base64url" : "base64");
}

function readQuery(rng: Rng, watch: boolean): string {
  const q = new URLSearchParams();
  if (watch) q.set("watch", rng.pick(["1", "true", "false", "garbage", ""]));
  if (watch) q.set("timeoutSeconds", rng.pick(["1", "1", "0", "-1", "abc", "1e309", "99999999999"]));
  if (rng.chance(0.4)) q.set("resourceVersion", rng.pick(["0", "1", "garbage", "-1", "99999999999999999999", "1e3", String(2 ** 53), " 1", ""]));
  if (rng.chance(0.2)) q.set("resourceVersionMatch", rng.pick(["NotOlderThan", "Exact", "garbage", ""]));
  if (rng.chance(0.3)) q.set("limit", rng.pick(["-5", "0", "1", "2", "abc", "1e309", "99999999999", "1.5"]));
  if (rng.chance(0.25)) q.set("continue", continueToken(rng));
  if (rng.chance(0.25)) q.set("labelSelector", randomSelector(rng));
  if (rng.chance(0.25)) q.set("fieldSelector", rng.chance(0.5) ? randomSelector(rng) : rng.pick(["metadata.name=fz-1", "metadata.namespace!=x", "spec.nope=1", "metadata.name", "metadata.name in (a)", "status.phase=Running"]));
  if (rng.chance(0.1)) q.set("allowWatchBookmarks", rng.pick(["true", "garbage"]));
  if (rng.chance(0.1)) q.set("sendInitialEvents", rng.pick(["true", "false", "garbage"]));
  if (rng.chance(0.1)) q.set("includeObject", rng.pick(["None", "Object", "PartialObjectMetadata", "garbage"]));
  if (rng.chance(0.05)) q.set("gracePeriodSeconds", rng.pick(["0", "-1", "abc", "1e309"]));
  if (rng.chance(0.05)) q.set("propagationPolicy", rng.pick(["Orphan", "Foreground", "garbage"]));
  const s = q.toString();
  return s ? `?${s}` : "";
}

function garbagePath(rng: Rng): string {
  if (rng.chance(0.4)) {
    return rng.pick([
      "/", "//", "/api/", "/apis//", "/api/v1/namespaces/", "/api/v1/namespaces//configmaps", "/api/v1/namespaces/fuzz/configmaps/",
      "/api/v1/namespaces/%2e%2e/configmaps", `/api/v1/namespaces/fuzz/configmaps/..%2F${SENTINEL_NS}%2Fsentinel-0`,
      `/api/v1/namespaces/fuzz%2F..%2F${SENTINEL_NS}/configmaps/sentinel-0`, "/api/v1/namespaces/fuzz/configmaps/a%00b",
      "/api/v1/proxy/namespaces/fuzz/configmaps/x", "/api/v1/namespaces/fuzz/configmaps/x/exec", "/api/v1/namespaces/fuzz/configmaps/x/a/b/c",
      "/api/v1/namespaces/fuzz/pods/x/log", "/apis/%F0%9F%A6%84/v1/things", "/api/v1/" + "a/".repeat(300), "/" + "x".repeat(3000),
      "/api/v1/namespaces/fuzz/configmaps?watch=1&watch=0&resourceVersion=1&resourceVersion=2", "/api/v1/watch", "/api/v1/watch/namespaces",
      "/api/v1/namespaces/fuzz/configmaps/fz-1?" + "a=1&".repeat(500), "/.well-known/openid-configuration", "/openid/v1/jwks", "/logs/",
    ]);
  }
  return "/" + Array.from({ length: 1 + rng.int(6) }, () => rng.pick(["api", "apis", "v1", "namespaces", NS, "configmaps", "watch", "status", "apps", "", "%20", "🦄", rng.string(3, "abc%.-")])).map((s) => encodeURIComponent(s)).join("/");
}

const futureToken = Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: 2 ** 53, start: "" })).toString("base64url");

/**
 * Requests that once broke the server (or easily could), placed in every run whatever the seed:
 * %-escapes that are not UTF-8, an empty first segment, dot segments, revisions from the future,
 * a HEAD on a watch.
 */
const CORPUS: [method: string, path: string][] = [
  ["GET", "/%zz"], ["GET", "/api/v1/namespaces/%E0%A4%A/configmaps"], ["GET", "/api/v1/namespaces/fuzz/configmaps/%"], ["GET", "/apis/apps/v1/namespaces/%ff/deployments"],
  ["GET", "//"], ["GET", "//api/v1/namespaces"], ["GET", `/api/v1/namespaces/${NS}/configmaps/..`], ["GET", "/api/v1/namespaces/%2e%2e/configmaps"], ["GET", `/api/v1/namespaces/${NS}/configmaps/./fz-1`],
  ["GET", `/api/v1/namespaces/${NS}/configmaps?continue=${futureToken}`], ["GET", `/api/v1/namespaces/${NS}/configmaps?resourceVersion=99999999999&resourceVersionMatch=Exact`],
  ["GET", `/api/v1/namespaces/${NS}/configmaps?watch=1&resourceVersion=99999999999`], ["HEAD", `/api/v1/watch/namespaces/${NS}/configmaps`],
];

function readPath(rng: Rng): { path: string; watchable: boolean } {
  const cm = `/api/v1/namespaces/${NS}/configmaps`;
  const choices: [string, boolean][] = [
    [cm, true], [`${cm}/${encodeURIComponent(poolName(rng))}`, false], [`${cm}/fz-${rng.int(POOL)}/status`, false], [`${cm}/fz-1/scale`, false],
    [`/api/v1/namespaces/${SENTINEL_NS}/configmaps`, true], [`/api/v1/namespaces/${SENTINEL_NS}/configmaps/sentinel-${rng.int(4)}`, false],
    ["/api/v1/configmaps", true], ["/api/v1/namespaces", true], [`/api/v1/namespaces/fuzz-ns-${rng.int(NS_POOL)}`, false],
    [`/api/v1/watch/namespaces/${NS}/configmaps`, false], [`/api/v1/watch/namespaces/${NS}/configmaps/fz-1`, false], ["/api/v1/watch/namespaces", false],
    [`/apis/apps/v1/namespaces/${NS}/deployments`, true], [`/apis/apps/v1/namespaces/${NS}/deployments/x`, false], [`/apis/apps/v1/namespaces/${NS}/deployments/x/scale`, false],
    ["/apis/apps/v1/deployments", true], ["/apis/nope.example.com/v1/things", true], ["/api/v2/namespaces", true],
    ["/api", false], ["/apis", false], ["/api/v1", false], ["/apis/apps", false], ["/apis/apps/v1", false], ["/apis/nope", false],
    ["/openapi/v2", false], ["/openapi/v3", false], ["/openapi/v3/api/v1", false], ["/openapi/v3/apis/apps/v1", false], ["/openapi/v3/api/v1?hash=garbage", false], ["/openapi/v3/nope/v1", false],
    ["/version", false], ["/metrics", false], ["/healthz", false], ["/livez?verbose", false], ["/readyz", false],
  ];
  return rng.chance(0.15) ? { path: garbagePath(rng), watchable: false } : (([path, watchable]) => ({ path, watchable }))(rng.pick(choices));
}

/** Stands for the admin token in generated requests (a restarted server may have a new one). */
const ADMIN = "<admin-token>";

function authHeader(rng: Rng, token: string): Record<string, string> {
  if (rng.chance(0.96)) return { authorization: `Bearer ${token}` };
  return rng.pick<Record<string, string>>([{}, { authorization: "Bearer garbage" }, { authorization: "Basic YWRtaW46YWRtaW4=" }, { authorization: "Bearer " }, { authorization: `bearer ${token}x` }]);
}

/** (b) Random bytes with a random Content-Type to any endpoint shape, with garbage queries. */
function randomRequest(rng: Rng, id: number): FuzzRequest {
  const method = rng.pick(["GET", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
  const headers: Record<string, string> = { accept: rng.pick(ACCEPTS) };
  if (rng.chance(0.9)) headers["content-type"] = rng.pick(CONTENT_TYPES);
  if (rng.chance(0.05)) headers["content-type"] = rng.string(1 + rng.int(100), "abc/+;=-. *");
  if (method === "DELETE") {
    // Deletes stay inside the fuzz namespace: a sentinel may only be hit by garbage.
    const path = rng.pick([`/api/v1/namespaces/${NS}/configmaps/${poolName(rng)}`, `/api/v1/namespaces/${NS}/configmaps`, `/api/v1/namespaces/fuzz-ns-${rng.int(NS_POOL)}`]);
    const body = rng.chance(0.5) ? Buffer.alloc(0) : rng.chance(0.5) ? toJson({ kind: "DeleteOptions", apiVersion: "v1", ...(randomValue(rng) as object) }) : randomBody(rng);
    return { id, kind: "random DELETE", method, path: encodeURI(path) + readQuery(rng, false), headers, body };
  }
  if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS" && rng.chance(0.1)) {
    const path = `/api/v1/namespaces/${SENTINEL_NS}/configmaps${method === "POST" ? "" : `/${sentinelName(rng.int(4))}`}`;
    return { id, kind: `garbage ${method} at a sentinel`, method, path: path + writeQuery(rng), headers, body: garbageBody(rng), mustFail: true };
  }
  const { path, watchable } = readPath(rng);
  const query = method === "GET" && !path.includes("?") ? readQuery(rng, watchable && rng.chance(0.4)) : "";
  const body = method === "GET" && rng.chance(0.7) ? undefined : randomBody(rng);
  if (body && rng.chance(0.2)) headers["content-type"] = rng.chance(0.5) ? "application/vnd.kubernetes.protobuf" : "application/apply-patch+yaml";
  return { id, kind: `random ${method}`, method, path: path + query, headers, body };
}

/** (c) Bodies over 3 MiB: 413, with or without a Content-Length. */
function oversizedRequest(rng: Rng, id: number): FuzzRequest {
  const method = rng.pick(["POST", "PUT", "PATCH"]);
  const size = MAX_BODY + 1 + rng.int(512 * 1024);
  const cm = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fz-big" }, data: { big: "" } });
  const body = Buffer.from(cm.replace('"big":""', `"big":"${"x".repeat(size - cm.length)}"`));
  const path = `/api/v1/namespaces/${NS}/configmaps${method === "POST" ? "" : "/fz-big"}`;
  const chunked = rng.chance(0.5);
  const type = method === "PATCH" ? "application/merge-patch+json" : rng.pick(["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]);
  return { id, kind: `oversized ${method}${chunked ? " chunked" : ""}`, method, path, headers: { "content-type": type, authorization: `Bearer ${ADMIN}` }, body, chunked, expect: 413 };
}

/**
 * The seed's request sequence, made one at a time as they are sent (the same sequence however
 * fast it goes); `only` keeps just those ids. The CORPUS is spread through it.
 */
function* generate(seed: number, count: number, only: Set<number>): Generator<FuzzRequest> {
  const rng = new Rng(seed);
  const corpus = new Map(CORPUS.map((c, i) => [Math.floor(((i + 1) * count) / (CORPUS.length + 1)), c]));
  for (let id = 0; id < count; id++) {
    const r = rng.next();
    let req: FuzzRequest;
    if (r < 0.45) req = mutatedObjectRequest(rng, id);
    else if (r < 0.995) req = randomRequest(rng, id);
    else req = oversizedRequest(rng, id);
    if (!req.headers.authorization) Object.assign(req.headers, authHeader(rng, ADMIN));
    const known = corpus.get(id);
    if (known) req = { id, kind: "corpus", method: known[0], path: known[1], headers: { authorization: `Bearer ${ADMIN}` } };
    if (only.size === 0 || only.has(id)) yield req;
  }
}

// ---------------------------------------------------------------------------------------------
// The server under test, in its own process.

interface Conn {
  url: string;
  token: string;
  ca: string;
}

const SERVER_SCRIPT = `
import { startTestApiServer } from ${JSON.stringify(pathToFileURL(join(ROOT, "src/testing/apiserver.ts")).href)};
import { createLogger } from ${JSON.stringify(pathToFileURL(join(ROOT, "src/util/log.ts")).href)};
const t = await startTestApiServer({ dir: process.env.K8TS_FUZZ_DIR, log: createLogger("apiserver", "warn") });
console.log("K8TS-FUZZ-READY " + JSON.stringify({ url: t.server.url, token: t.server.adminToken, ca: t.server.caPem }));
const stop = () => t.close().then(() => process.exit(0), () => process.exit(1));
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
`;

class ServerProcess {
  readonly conn: Conn;
  readonly agent: https.Agent;
  readonly child: ChildProcess;
  readonly exited: Promise<string>;
  alive = true;
  /** The server's error log (JSON lines) with sequence numbers, most recent last. */
  readonly logs: { seq: number; line: string }[];
  private readonly output: { stderr: string };

  private constructor(child: ChildProcess, conn: Conn, exited: Promise<string>, logs: { seq: number; line: string }[], output: { stderr: string }) {
    this.child = child;
    this.conn = conn;
    this.exited = exited;
    this.logs = logs;
    this.output = output;
    this.agent = new https.Agent({ ca: conn.ca, keepAlive: true, maxSockets: CONCURRENCY });
    void exited.then(() => (this.alive = false));
  }

  /** The last 20 KB the process wrote to stderr (an uncaught error's trace). */
  get stderr(): string {
    return this.output.stderr;
  }

  static async start(dir: string): Promise<ServerProcess> {
    // Without NODE_TEST_CONTEXT: under `node --test` it would make the child a test runner too.
    const { NODE_TEST_CONTEXT: _context, NODE_TEST_WORKER_ID: _worker, ...env } = process.env;
    const child = spawn(process.execPath, ["-e", SERVER_SCRIPT], { cwd: ROOT, env: { ...env, K8TS_FUZZ_DIR: dir }, stdio: ["pipe", "pipe", "pipe"] });
    const logs: { seq: number; line: string }[] = [];
    let seq = 0;
    const output = { stderr: "" };
    let pending = "";
    const exited = new Promise<string>((resolve) => child.on("exit", (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`)));
    child.stderr!.on("data", (d: Buffer) => (output.stderr = (output.stderr + d.toString()).slice(-20_000)));
    const conn = await new Promise<Conn>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start in 30 s: ${output.stderr}`)), 30_000);
      void exited.then((how) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${how}) before it was ready: ${output.stderr}`));
      });
      child.stdout!.on("data", (d: Buffer) => {
        pending += d.toString();
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith("K8TS-FUZZ-READY ")) {
            clearTimeout(timer);
            resolve(JSON.parse(line.slice("K8TS-FUZZ-READY ".length)) as Conn);
          } else if (line) {
            logs.push({ seq: seq++, line });
            if (logs.length > 5000) logs.shift();
          }
        }
      });
    });
    return new ServerProcess(child, conn, exited, logs, output);
  }

  /** The sequence number the next log line gets. */
  get logSeq(): number {
    return (this.logs[this.logs.length - 1]?.seq ?? -1) + 1;
  }

  /** True when the process exits within `ms` (a crash right after a request). */
  async diesWithin(ms: number): Promise<boolean> {
    if (!this.alive) return true;
    let timer: NodeJS.Timeout | undefined;
    const died = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
    clearTimeout(timer);
    return died;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    if (!this.alive) return;
    this.child.kill("SIGTERM");
    if (!(await this.diesWithin(10_000))) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }
}

const lastOnSocket = new WeakMap<object, FuzzRequest>();
const VERSION_PROBE: FuzzRequest = { id: -1, kind: "probe", method: "GET", path: "/version", headers: {} };

interface SendOptions {
  /** A new connection (no keep-alive) instead of the server's pool. */
  fresh?: boolean;
  agent?: https.Agent;
  timeoutMs?: number;
}

/** Sends one request; never rejects. Watch streams are read for a moment, then dropped. */
function send(server: ServerProcess, r: FuzzRequest, opts: SendOptions = {}): Promise<Outcome> {
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  return new Promise((resolve) => {
    const started = performance.now();
    let done = false;
    let previous: FuzzRequest | undefined;
    const finish = (o: Omit<Outcome, "ms">) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...o, ms: performance.now() - started, previous });
    };
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.headers.authorization) headers.authorization = r.headers.authorization.replace(ADMIN, server.conn.token);
    if (r.body && !r.chunked) headers["content-length"] = r.body.length;
    // The path goes out as it is: a URL string would have the client resolve "..", "%2e%2e" first.
    const { hostname, port } = new URL(server.conn.url);
    let req: ClientRequest;
    try {
      req = https.request({ hostname, port, path: r.path, method: r.method, headers, agent: opts.fresh ? false : (opts.agent ?? server.agent), ca: server.conn.ca });
    } catch (err) {
      resolve({ body: Buffer.alloc(0), ms: 0, error: `the client cannot send this: ${(err as Error).message}`, unsendable: true });
      return;
    }
    req.on("socket", (socket) => {
      previous = lastOnSocket.get(socket);
      lastOnSocket.set(socket, r);
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ body: Buffer.alloc(0), error: `no complete response within ${timeoutMs / 1000} s (hang)` });
    }, timeoutMs);
    req.on("error", (err) => finish({ body: Buffer.alloc(0), error: `${(err as NodeJS.ErrnoException).code ?? ""} ${err.message}`.trim() }));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const streamed = res.statusCode === 200 && /chunked/.test(String(res.headers["transfer-encoding"])) && !res.headers["content-length"] && /watch/.test(r.path);
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size <= 32 * 1024 * 1024) chunks.push(c);
      });
      res.on("end", () => finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), size }));
      res.on("close", () => finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), size, error: streamed || res.complete ? undefined : "response ended before its end (truncated)", streamed }));
      res.on("error", () => undefined);
      if (streamed) {
        setTimeout(() => {
          finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), size, streamed: true });
          res.destroy();
        }, WATCH_READ_MS);
      }
    });
    if (r.body && r.chunked) {
      for (let i = 0; i < r.body.length; i += 256 * 1024) req.write(r.body.subarray(i, i + 256 * 1024));
      req.end();
    } else {
      req.end(r.body);
    }
  });
}

const PUBLIC_TEXT = /^\/(readyz|livez|healthz)(\?|$)/;

/** What is wrong with an answer, if anything. */
function judge(r: FuzzRequest, o: Outcome): string[] {
  const problems: string[] = [];
  if (o.status === undefined) return [`no HTTP response: ${o.error}`];
  if (o.error) problems.push(o.error);
  // kube-apiserver's own answer to a resourceVersion the cache has not reached in 3 s.
  const type = String(o.headers?.["content-type"] ?? "");
  // A protobuf answer (the client asked for it) is judged by its JSON form.
  const text = type.startsWith("application/vnd.kubernetes.protobuf") ? protobufAsJson(o.body) : o.body.toString("utf8");
  const tooLargeRv = o.status === 504 && /"reason":"Timeout"/.test(text) && /Too large resource version/.test(text);
  if (o.status >= 500 && !tooLargeRv) problems.push(`HTTP ${o.status}`);
  if (r.expect !== undefined && o.status !== r.expect) problems.push(`expected HTTP ${r.expect}, got ${o.status}`);
  if (r.mustFail && o.status < 300) problems.push(`garbage write to a sentinel answered ${o.status}`);
  const requestBytes = r.body?.length ?? 0;
  if (o.status >= 400 && (o.size ?? 0) > Math.max(1024 * 1024, 10 * requestBytes)) {
    return [...problems, `a ${requestBytes}-byte request got a ${o.size}-byte error response (amplification): ${preview(o.body)}`];
  }
  if (o.status >= 400 && r.method !== "HEAD" && !PUBLIC_TEXT.test(r.path)) {
    type StatusShape = { kind?: unknown; code?: unknown; reason?: unknown } | null;
    let status: StatusShape = null;
    try {
      status = JSON.parse(text) as StatusShape;
    } catch {
      // reported below
    }
    if (!status || status.kind !== "Status" || status.code !== o.status || typeof status.reason !== "string" || !status.reason) {
      problems.push(`error body is not a Status with code ${o.status} and a reason (Content-Type ${type || "none"}): ${preview(o.body)}`);
    }
  } else if (o.status < 300 && r.method !== "HEAD" && /json/.test(type)) {
    const lines = o.streamed ? text.split("\n").slice(0, -1) : [text];
    for (const line of lines) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        problems.push(`${o.streamed ? "watch event" : "response body"} is not JSON: ${preview(Buffer.from(line))}`);
        break;
      }
      // A normalised path ("configmaps/..", "%2e%2e") must not turn into a request for something else.
      const kind = (value as { kind?: unknown } | null)?.kind;
      if (!o.streamed && /\/configmaps(\/|\?|$)/.test(r.path) && typeof kind === "string" && !/^(ConfigMap|ConfigMapList|Table|Status|PartialObjectMetadata|PartialObjectMetadataList)$/.test(kind)) {
        problems.push(`a request for configmaps was answered with a ${kind} (the path was normalised into another resource's)`);
      }
      const items = (value as { items?: { metadata?: { namespace?: string } }[] } | null)?.items;
      const listNs = /^\/api\/v1\/namespaces\/([^/?]+)\/configmaps(\?|$)/.exec(r.path)?.[1];
      if (listNs && Array.isArray(items) && items.some((i) => i?.metadata?.namespace !== listNs)) problems.push(`LIST of namespace ${listNs} returned objects of another namespace`);
    }
  }
  return problems;
}

function protobufAsJson(body: Buffer): string {
  try {
    return JSON.stringify(decodeKubernetesProtobuf(body));
  } catch (err) {
    return `undecodable protobuf: ${String(err)}`;
  }
}

function preview(body: Buffer | undefined, n = 300): string {
  if (!body || body.length === 0) return "(empty)";
  const text = body.toString("utf8");
  const printable = !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text.slice(0, n));
  const shown = printable ? JSON.stringify(text.slice(0, n)) : `hex ${body.subarray(0, 64).toString("hex")}`;
  return `${shown}${body.length > n ? ` … (${body.length} bytes)` : ""}`;
}

function describeRequest(r: FuzzRequest): string {
  const headers = Object.entries(r.headers).filter(([k]) => k !== "authorization").map(([k, v]) => `${k}: ${v}`).join("; ");
  const auth = r.headers.authorization === `Bearer ${ADMIN}` ? "admin token" : `auth ${JSON.stringify(r.headers.authorization ?? "none")}`;
  return `#${r.id} [${r.kind}] ${r.method} ${r.path.length > 300 ? r.path.slice(0, 300) + "…" : r.path}\n      headers: ${headers || "-"}; ${auth}${r.chunked ? "; chunked" : ""}\n      body: ${preview(r.body)}`;
}

/**
 * The stack the server logged for a request's 5xx (the router logs it with method and path): the
 * entry after `from` with the same method, path and error message as the Status it answered.
 */
function traceFor(server: ServerProcess, r: FuzzRequest, from: number, o: Outcome): string | undefined {
  const path = r.path.split("?")[0]!;
  let message: string | undefined;
  try {
    message = String((JSON.parse(o.body.toString()) as { message?: unknown }).message ?? "").replace(/^Internal error occurred: /, "");
  } catch {
    return undefined;
  }
  for (const { seq, line } of server.logs) {
    if (seq < from) continue;
    try {
      const entry = JSON.parse(line) as { path?: string; method?: string; err?: { message?: string; stack?: string } };
      if (entry.path === path && entry.method === r.method && entry.err?.message === message && entry.err.stack) return entry.err.stack.split("\n").slice(0, 8).join("\n");
    } catch {
      // not a log line
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The run: send everything, survive crashes, find who stalls, check the aftermath, report.

interface Sentinel {
  path: string;
  body: Buffer;
}

const took = (o: Outcome) => o.error ?? `${Math.round(o.ms)} ms`;

/** The error line a crashed server printed ("URIError: URI malformed"), to tell crashes apart. */
function crashSignature(stderr: string): string {
  const lines = stderr.trim().split("\n");
  return lines.find((l) => /^\w*(Error|Exception)\b/.test(l.trim()))?.trim() ?? lines[lines.length - 1] ?? "";
}

const tail = (text: string, lines = 14) => text.trim().split("\n").slice(-lines).join("\n");

class FuzzRun {
  server!: ServerProcess;
  readonly dirs: string[] = [];
  readonly findings: Finding[] = [];
  readonly crashes: string[] = [];
  readonly restartFailures: string[] = [];
  readonly statuses = new Map<number, number>();
  /** Slow or unanswered requests: replayed after the run (most are victims of one stall). */
  readonly slow: Finding[] = [];
  readonly notes: string[] = [];
  sentinels: Sentinel[] = [];
  sent = 0;
  private readonly retired: ServerProcess[] = [];
  private readonly inFlight = new Set<FuzzRequest>();
  private readonly isolated = new Set<string>();
  private restarting: Promise<void> | null = null;
  private restarts = 0;

  async start(): Promise<void> {
    this.dirs.push(await mkdtemp(join(tmpdir(), "k8ts-fuzz-")));
    this.server = await ServerProcess.start(this.dirs[this.dirs.length - 1]!);
    this.sentinels = await this.setup();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
  }

  /** One request outside the fuzz (setup, checks): throws when there is no answer. */
  async call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: Buffer; json: Record<string, unknown> }> {
    const o = await send(this.server, { id: -1, kind: "check", method, path, headers: { authorization: `Bearer ${ADMIN}`, accept: "application/json", "content-type": contentType }, body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)) });
    if (o.status === undefined) throw new Error(`${method} ${path}: ${o.error}`);
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(o.body.toString()) as Record<string, unknown>;
    } catch {
      // not JSON (/readyz)
    }
    return { status: o.status, body: o.body, json };
  }

  async ok(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: Buffer; json: Record<string, unknown> }> {
    const r = await this.call(method, path, body, contentType);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} → ${r.status}: ${r.body.toString().slice(0, 500)}`);
    return r;
  }

  /** The fuzz namespace and its pool, the namespace pool, and the sentinels (as first read back). */
  private async setup(): Promise<Sentinel[]> {
    for (const ns of [NS, SENTINEL_NS, ...Array.from({ length: NS_POOL }, (_, i) => `fuzz-ns-${i}`)]) {
      await this.ok("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    }
    for (let i = 0; i < POOL; i++) await this.ok("POST", `/api/v1/namespaces/${NS}/configmaps`, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `fz-${i}` }, data: { i: String(i) } });
    const sentinels: Sentinel[] = [];
    for (let i = 0; i < 6; i++) {
      const cm = {
        apiVersion: "v1", kind: "ConfigMap",
        metadata: { name: sentinelName(i), labels: { sentinel: "yes", n: String(i) }, annotations: { unicode: UNICODE.join("|") } },
        data: { i: String(i), text: "keep me ".repeat(50 * i), emoji: "🦄" }, binaryData: { bin: Buffer.from([0, 1, 2, 255]).toString("base64") }, immutable: i === 5,
      };
      await this.ok("POST", `/api/v1/namespaces/${SENTINEL_NS}/configmaps`, cm);
      const path = `/api/v1/namespaces/${SENTINEL_NS}/configmaps/${sentinelName(i)}`;
      sentinels.push({ path, body: (await this.ok("GET", path)).body });
    }
    return sentinels;
  }

  /** Starts the server again on its data dir; if it cannot, on a fresh one (set up again). */
  private async restart(): Promise<void> {
    this.retired.push(this.server);
    await this.server.stop();
    if (this.restarts++ >= MAX_RESTARTS) throw new Error(`the server crashed more than ${MAX_RESTARTS} times; stopping`);
    try {
      this.server = await ServerProcess.start(this.dirs[this.dirs.length - 1]!);
    } catch (err) {
      this.restartFailures.push((err as Error).message.split("\n").filter((l) => /Error/.test(l)).slice(-1).join("").trim());
      this.dirs.push(await mkdtemp(join(tmpdir(), "k8ts-fuzz-")));
      this.server = await ServerProcess.start(this.dirs[this.dirs.length - 1]!);
      this.sentinels = await this.setup();
    }
  }

  /**
   * After a crash: restart, then replay the requests that were in flight alone, newest first,
   * until one crashes it again (once per kind of crash; repeats are only counted).
   */
  private async recover(dead: ServerProcess, suspects: FuzzRequest[]): Promise<void> {
    const how = await dead.exited;
    const signature = crashSignature(dead.stderr);
    this.crashes.push(`server process ended (${how}): ${signature}`);
    await this.restart();
    if (this.isolated.has(signature)) return;
    this.isolated.add(signature);
    for (const s of suspects.reverse()) {
      const o = await send(this.server, s, { fresh: true });
      if (o.status === undefined && (await this.server.diesWithin(300))) {
        this.findings.push({ request: s, outcome: o, problems: [`the server process died (${await this.server.exited})`], serverTrace: tail(this.server.stderr) });
        await this.restart();
        return;
      }
    }
    const first = suspects[0] ?? { id: -1, kind: "unknown", method: "-", path: "-", headers: {} };
    this.findings.push({ request: first, problems: [`the server process died (${how}); replaying the ${suspects.length} request(s) in flight one by one did not crash it again`], serverTrace: tail(dead.stderr) });
  }

  /** CONCURRENCY workers take requests in order until none is left or the budget is spent. */
  async sendAll(requests: Iterator<FuzzRequest>, deadline: number): Promise<void> {
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        if (this.restarting) await this.restarting;
        const next = requests.next();
        if (next.done) return;
        await this.sendOne(next.value);
      }
    }));
    if (this.restarting) await this.restarting;
  }

  private async sendOne(r: FuzzRequest): Promise<void> {
    const target = this.server;
    const logFrom = target.logSeq;
    this.inFlight.add(r);
    // A HEAD or an oversized body gets a connection of its own and a probe after it: a response
    // the server never ends (a HEAD on a watch), or a body it stops reading, would otherwise
    // wedge a pooled connection and stall some later request.
    const own = r.method === "HEAD" || r.expect === 413 ? new https.Agent({ ca: target.conn.ca, keepAlive: true, maxSockets: 1 }) : undefined;
    let o = await send(target, r, { agent: own });
    const wedged = own && o.status !== undefined && (await send(target, VERSION_PROBE, { agent: own, timeoutMs: 4000 })).status === undefined;
    own?.destroy();
    this.sent++;
    // Still "in flight" while we look: a crash's suspects are all the requests it cut off.
    const died = o.status === undefined && (await target.diesWithin(300));
    if (died && target === this.server && !this.restarting) {
      this.restarting = this.recover(target, [...this.inFlight]).finally(() => (this.restarting = null));
    }
    this.inFlight.delete(r);
    if (died || o.unsendable) return;
    // A keep-alive connection closed under us is not the server's fault: retry once, fresh.
    if (o.status === undefined && /ECONNRESET|EPIPE|socket hang up/.test(o.error ?? "")) o = await send(target, r, { fresh: true });
    this.statuses.set(o.status ?? 0, (this.statuses.get(o.status ?? 0) ?? 0) + 1);
    const problems = judge(r, o);
    if (wedged) problems.push("the connection is wedged after this request: a GET /version sent next on it got no answer in 4 s (the server never ends this response, or stops reading the connection)");
    if (!o.streamed && o.status !== 504 && (o.ms > SLOW_MS || /\(hang\)/.test(o.error ?? ""))) this.slow.push({ request: r, outcome: o, problems });
    else if (problems.length) this.findings.push({ request: r, outcome: o, problems, log: { server: target, from: logFrom } });
  }

  /**
   * Replays the slowest requests alone, and an unanswered one after the request that preceded it
   * on its keep-alive connection: one that is slow alone stalls the server, one that hangs only
   * after its predecessor was wedged by it.
   */
  async findStalls(): Promise<void> {
    this.slow.sort((a, b) => b.outcome!.ms - a.outcome!.ms);
    let culprits = 0;
    const replayed = new Set<string>();
    for (const f of this.slow) {
      if (replayed.size === 3) break;
      const prev = f.outcome!.error ? f.outcome!.previous : undefined;
      const key = prev ? `after ${prev.kind} ${prev.method}` : `${f.request.kind} ${f.request.method}`;
      if (replayed.has(key)) continue;
      replayed.add(key);
      const server = this.server;
      const logFrom = server.logSeq;
      const single = new https.Agent({ ca: server.conn.ca, keepAlive: true, maxSockets: 1 });
      if (prev) await send(server, prev, { agent: single, timeoutMs: 5000 });
      const o = await send(server, f.request, { agent: prev ? single : undefined, fresh: !prev, timeoutMs: 5000 });
      single.destroy();
      if (o.status === undefined && (await server.diesWithin(300))) {
        this.findings.push({ ...f, outcome: o, problems: [`the server process died (${await server.exited})`], serverTrace: tail(server.stderr) });
        await this.restart();
      } else if (prev && o.status === undefined) {
        culprits++;
        this.findings.push({ request: prev, outcome: o, problems: [`the connection is wedged after this request: the next request on it (#${f.request.id} ${f.request.method} ${f.request.path}) got ${took(o)}`] });
      } else if (o.ms > SLOW_MS || o.status === undefined) {
        culprits++;
        this.findings.push({ request: f.request, outcome: o, problems: [`slow even alone: ${took(o)} (in the run: ${took(f.outcome!)}); the server stalls`, ...judge(f.request, o)], log: { server, from: logFrom } });
      } else if (judge(f.request, o).length) {
        this.findings.push({ request: f.request, outcome: o, problems: judge(f.request, o), log: { server, from: logFrom } });
      }
    }
    if (this.slow.length && culprits === 0) {
      // Not a failure by itself: on a loaded machine (CI) anything can be slow now and then.
      const worst = this.slow[0]!;
      this.notes.push(`${this.slow.length} request(s) took over ${SLOW_MS} ms (the slowest ${took(worst.outcome!)}: ${describeRequest(worst.request).split("\n")[0]}), but none was slow again alone`);
    }
  }

  /** The server answers, writes work, nothing it held was damaged; returns what is wrong. */
  async checkAfterwards(): Promise<string[]> {
    const wrong: string[] = [];
    const check = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        wrong.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    await check("/readyz", async () => assert.equal((await this.call("GET", "/readyz")).status, 200));
    await check("sentinels unchanged", async () => {
      for (const s of this.sentinels) {
        const now = await this.call("GET", s.path);
        if (!now.body.equals(s.body)) throw new Error(`${s.path} changed:\n  before ${preview(s.body, 2000)}\n  after  ${preview(now.body, 2000)}`);
      }
      const list = await this.ok("GET", `/api/v1/namespaces/${SENTINEL_NS}/configmaps`);
      const items = (list.json.items as { metadata: { name: string; resourceVersion: string } }[]).map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
      const expected = this.sentinels.map((s) => JSON.parse(s.body.toString()) as { metadata: { name: string; resourceVersion: string } }).map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
      assert.deepEqual(items, expected, "a LIST of the sentinel namespace shows exactly the sentinels, at their resourceVersions");
    });
    await check("a normal write cycle", async () => {
      await this.ok("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "after-fuzz" } });
      const path = "/api/v1/namespaces/after-fuzz/configmaps";
      await this.ok("POST", path, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "1" } });
      const got = await this.ok("GET", `${path}/c`);
      assert.deepEqual(Object.keys(got.json).sort(), ["apiVersion", "data", "kind", "metadata"], "no unexpected (polluted) fields");
      await this.ok("PUT", `${path}/c`, { ...got.json, data: { a: "2" } });
      const patched = await this.ok("PATCH", `${path}/c`, { data: { b: "3" } }, "application/merge-patch+json");
      assert.deepEqual(patched.json.data, { a: "2", b: "3" });
      await this.ok("DELETE", `${path}/c`);
      assert.equal((await this.call("GET", `${path}/c`)).status, 404);
    });
    await check("every stored ConfigMap still reads", async () => {
      const list = await this.ok("GET", "/api/v1/configmaps");
      for (const item of list.json.items as { metadata?: { name?: unknown; namespace?: unknown } }[]) {
        assert.equal(typeof item.metadata?.name, "string");
        assert.equal(typeof item.metadata?.namespace, "string");
      }
      await this.ok("GET", `/api/v1/namespaces/${NS}/configmaps?resourceVersion=0`);
    });
    return wrong;
  }

  /** Warnings the servers logged besides per-request 5xx (a watch cache that lost its feed…). */
  warnings(): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of [...this.retired, this.server]) {
      for (const { line } of s.logs) {
        try {
          const e = JSON.parse(line) as { level?: string; msg?: string; err?: { message?: string } };
          const text = `${e.msg}: ${e.err?.message ?? ""}`.slice(0, 300);
          if (e.level === "warn") out.set(text, (out.get(text) ?? 0) + 1);
        } catch {
          // not a log line
        }
      }
    }
    return out;
  }

  /** Findings grouped by cause: a 500 by its message, anything else by problem, kind and path. */
  report(): string[] {
    const count = <T,>(items: T[]) => [...new Set(items)].map((i) => [i, items.filter((x) => x === i).length] as const);
    const lines: string[] = [];
    for (const [f, n] of count(this.restartFailures)) lines.push(`RESTART FAILED ×${n}: after a crash the server did not start again on its data dir (the run went on with a fresh one): ${f}`);
    if (this.crashes.length) lines.push(`CRASHES (${this.crashes.length}):\n    ${count(this.crashes).map(([c, n]) => `${c} ×${n}`).join("\n    ")}`);
    const groups = new Map<string, Finding[]>();
    for (const f of this.findings) {
      if (!f.serverTrace && f.log && f.outcome) f.serverTrace = traceFor(f.log.server, f.request, f.log.from, f.outcome);
      const problem = f.problems[0]!.replace(/: .*/s, "");
      const path = f.request.path.split("?")[0]!.replace(/fz-\d+|fuzz-ns-\d+|sentinel-\d+/g, "<name>");
      let sig = `${problem} | ${f.request.kind} | ${f.request.method} ${path}`;
      if (problem === `HTTP ${f.outcome?.status}` && f.outcome) {
        let message = "";
        try {
          message = String((JSON.parse(f.outcome.body.toString()) as { message?: unknown }).message).slice(0, 400);
        } catch {
          // not a Status: the problem says so too
        }
        const frame = /at (?:\S+ )?\(?file:\/\/\/?.*?\/src\/([^:)]+:\d+)/.exec(f.serverTrace ?? "")?.[1] ?? "";
        sig = `${problem}: ${message.replace(/'[^']*'|"[^"]*"|\d+|\b(?<=on )(boolean|string|number)\b/g, "…").slice(0, 120)}${frame ? ` at ${frame}` : ""}`;
      } else if (problem.startsWith("the connection is wedged")) {
        sig = `${problem} | ${f.request.kind}`;
      } else if (problem.startsWith("error body is not a Status")) {
        sig = `${problem} | ${path.split("/").slice(0, 2).join("/")}/…`;
      }
      groups.set(sig, [...(groups.get(sig) ?? []), f]);
    }
    for (const [sig, group] of groups) {
      const f = group[0]!;
      lines.push(
        `FINDING ×${group.length}: ${sig}\n    ${f.problems.join("\n    ")}\n    request ${describeRequest(f.request)}\n    response ${f.outcome?.status ?? "-"} ${preview(f.outcome?.body)}` +
        `${f.serverTrace ? `\n    server: ${f.serverTrace.replace(/\n/g, "\n      ")}` : ""}\n    reproduce: K8TS_FUZZ_SEED=${SEED} K8TS_FUZZ_REQUESTS=${REQUESTS} K8TS_FUZZ_ONLY=${group.slice(0, 5).map((g) => g.request.id).join(",")} node --test test/fuzz.test.ts`,
      );
    }
    return lines;
  }
}

describe("fuzz: hostile requests against the API server", () => {
  const run = new FuzzRun();
  before(() => run.start());
  after(() => run.stop());

  it("survives a few thousand hostile requests unharmed", async (t) => {
    const total = ONLY.size || REQUESTS;
    t.diagnostic(`seed ${SEED} (0x${SEED.toString(16)}), set K8TS_FUZZ_SEED to reproduce; ${total} requests, ${CONCURRENCY} at a time, sending for at most ${SEND_BUDGET_MS / 1000} s`);
    const started = performance.now();
    await run.sendAll(generate(SEED, REQUESTS, ONLY), started + SEND_BUDGET_MS);
    const statuses = [...run.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s || "none"}×${n}`).join(" ");
    t.diagnostic(`sent ${run.sent} of ${total} requests in ${((performance.now() - started) / 1000).toFixed(1)} s; statuses ${statuses}`);
    await run.findStalls();
    const afterwards = await run.checkAfterwards();
    for (const note of run.notes) t.diagnostic(`note: ${note}`);
    for (const [w, n] of run.warnings()) t.diagnostic(`server warning ×${n}: ${w}`);
    const report = [...run.report(), ...afterwards.map((a) => `AFTER THE RUN: ${a}`)];
    t.diagnostic(`${report.length} problem(s)`);
    assert.equal(report.length, 0, `the fuzz run (seed ${SEED}) found problems:\n\n${report.join("\n\n")}`);
  });
});
