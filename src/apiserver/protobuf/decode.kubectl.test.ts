// End to end with the real kubectl 1.32: a tiny HTTP server captures what `kubectl create` POSTs,
// answers 201 with the decoded object, and the decoded object must equal the expected JSON — and
// kubectl's own JSON rendering of the same object (`--dry-run=client -o json`, nulls and {} pruned).
// Skipped when the binary is absent; set KUBECTL to use another one.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { AddressInfo } from "node:net";
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from "./index.ts";

const KUBECTL = process.env.KUBECTL ?? "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
const skip = existsSync(KUBECTL) ? false : `no kubectl at ${KUBECTL}`;
const run = promisify(execFile);

interface Captured { method: string; path: string; contentType: string; body: Buffer }
const captured: Captured[] = [];
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const path = new URL(req.url ?? "/", "http://x").pathname;
    captured.push({ method: req.method ?? "", path, contentType: req.headers["content-type"] ?? "", body });
    const reply = (code: number, obj: unknown) => {
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(obj));
    };
    if (req.method !== "POST") return reply(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
    try {
      reply(201, decodeKubernetesProtobuf(body));
    } catch (err) {
      reply(400, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "BadRequest", code: 400, message: String(err) });
    }
  });
});
const cacheDir = mkdtempSync(join(tmpdir(), "k8ts-kubectl-cache-"));
const binaryFile = join(cacheDir, "bin");
writeFileSync(binaryFile, Buffer.from([0xff, 0x00, 0x01, 0x80]));
after(() => {
  server.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

async function kubectl(...args: string[]): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const global = ["--server", `http://127.0.0.1:${port}`, "--kubeconfig", "/dev/null", "--cache-dir", cacheDir];
  const { stdout } = await run(KUBECTL, [...global, ...args], { timeout: 30_000 });
  return stdout;
}

/** Creates with kubectl and returns the decoded body of the single protobuf POST it made. */
async function createAndDecode(args: string[]): Promise<Record<string, unknown>> {
  const before = captured.length;
  await kubectl(...args);
  const posts = captured.slice(before).filter((c) => c.method === "POST");
  assert.equal(posts.length, 1);
  assert.equal(posts[0]!.contentType, PROTOBUF_CONTENT_TYPE);
  return decodeKubernetesProtobuf(posts[0]!.body);
}

test("kubectl create configmap: the protobuf body decodes to the ConfigMap", { skip }, async () => {
  const obj = await createAndDecode(["create", "configmap", "cm1", "--from-literal=a=b", "-n", "default"]);
  assert.deepEqual(obj, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm1", namespace: "default" }, data: { a: "b" } });
  assert.equal(captured.at(-1)!.path, "/api/v1/namespaces/default/configmaps");
});

/** Go's JSON without nulls and empty objects (which the protobuf form cannot tell from absent). */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = prune(x);
    if (p !== null && !(typeof p === "object" && !Array.isArray(p) && Object.keys(p).length === 0)) out[k] = p;
  }
  return out;
}

const oracleCases = [
  ["create", "deployment", "d0", "--image=nginx", "--replicas=0", "--port=80", "-n", "default"],
  ["create", "service", "clusterip", "svc1", "--tcp=80:8080", "--tcp=443:https", "-n", "default"],
  ["create", "ingress", "ing1", "--rule=foo.com/bar*=svc1:8080,tls=sec1", "--default-backend=svc2:http", "-n", "default"],
  ["create", "cronjob", "cj1", "--image=busybox", "--schedule=*/5 * * * *", "-n", "default", "--", "sh", "-c", "echo hi"],
  ["create", "secret", "generic", "s1", `--from-file=bin=${binaryFile}`, "--from-literal=a=b", "--type=Opaque", "-n", "default"],
];
for (const args of oracleCases) {
  test(`kubectl ${args.slice(0, 3).join(" ")}: decoded body equals kubectl's own JSON`, { skip }, async () => {
    const decoded = await createAndDecode(args);
    const dryRun = JSON.parse(await kubectl("--dry-run=client", "--output=json", ...args));
    assert.deepEqual(decoded, prune(dryRun));
  });
}
