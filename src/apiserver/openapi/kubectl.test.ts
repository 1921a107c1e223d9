// The OpenAPI documents driven by the real kubectl 1.32: a tiny node:http server answers /version,
// aggregated discovery, /openapi/v3 from OpenAPIDocuments and a few object requests, and records
// what kubectl sent (explain output, fieldValidation=Strict, strategic merge patches, no /openapi/v2).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "../registry/registry.ts";
import type { Resource } from "../registry/types.ts";
import { OpenAPIDocuments } from "./openapi.ts";
import { DEFAULT_VERBS } from "./paths.ts";

const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
const AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

const registry = new Registry().add(
  { group: "", version: "v1", kind: "Pod", plural: "pods", singular: "pod", shortNames: ["po"], namespaced: true, status: true, subresources: ["log"] },
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", singular: "configmap", shortNames: ["cm"], namespaced: true },
  { group: "", version: "v1", kind: "Namespace", plural: "namespaces", singular: "namespace", shortNames: ["ns"], namespaced: false, status: true },
  {
    group: "apps", version: "v1", kind: "Deployment", plural: "deployments", singular: "deployment", shortNames: ["deploy"], namespaced: true,
    status: true, scale: { specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas" },
  },
);

interface Recorded {
  method: string;
  url: string;
  contentType?: string;
  body: string;
}

/** One APIGroupDiscovery (apidiscovery.k8s.io/v2) entry for a group's resources. */
function discoveryGroup(group: string, resources: readonly Resource[]): unknown {
  const versions = [...new Set(resources.map((r) => r.version))];
  return {
    metadata: { name: group },
    versions: versions.map((version) => ({
      version,
      freshness: "Current",
      resources: resources.filter((r) => r.version === version).map((r) => ({
        resource: r.plural,
        responseKind: { group: r.group, version: r.version, kind: r.kind },
        scope: r.namespaced ? "Namespaced" : "Cluster",
        singularResource: r.singular,
        verbs: r.verbs ?? DEFAULT_VERBS,
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
        subresources: [
          ...(r.status ? [{ subresource: "status", responseKind: { group: r.group, version: r.version, kind: r.kind }, verbs: ["get", "patch", "update"] }] : []),
          ...(r.scale ? [{ subresource: "scale", responseKind: { group: "autoscaling", version: "v1", kind: "Scale" }, verbs: ["get", "patch", "update"] }] : []),
        ],
      })),
    })),
  };
}

function discoveryList(groups: string[]): unknown {
  const all = registry.resources();
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    metadata: {},
    items: groups.map((g) => discoveryGroup(g, all.filter((r) => r.group === g))),
  };
}

class FakeServer {
  readonly requests: Recorded[] = [];
  /** Objects by request path (`/api/v1/namespaces/default/configmaps/x`). */
  readonly objects = new Map<string, Record<string, unknown>>();
  readonly openapi = new OpenAPIDocuments(registry.resources());
  private server?: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    this.requests.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], body });
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const send = (status: number, obj: unknown, contentType = "application/json") => {
      const data = Buffer.from(JSON.stringify(obj));
      res.writeHead(status, { "Content-Type": contentType, "Content-Length": data.length });
      res.end(data);
    };
    const notFound = (message: string, details: Record<string, string> = {}) =>
      send(404, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "NotFound", details, code: 404 });

    if (path === "/version") {
      return send(200, { major: "1", minor: "32", gitVersion: "v1.32.0-k8ts", gitCommit: "", gitTreeState: "clean", buildDate: "2025-01-01T00:00:00Z", goVersion: "node", compiler: "node", platform: "linux/amd64" });
    }
    if (path === "/api") return send(200, discoveryList([""]), AGGREGATED);
    if (path === "/apis") return send(200, discoveryList([...new Set(registry.resources().map((r) => r.group))].filter(Boolean)), AGGREGATED);
    const openapi = this.openapi.serve(path, url.searchParams, { accept: req.headers.accept, "if-none-match": req.headers["if-none-match"] });
    if (openapi) {
      res.writeHead(openapi.status, openapi.headers);
      res.end(openapi.body);
      return;
    }
    const m = path.match(/^\/(?:api\/v1|apis\/apps\/v1)\/namespaces\/([^/]+)\/(\w+)(?:\/([^/]+))?$/);
    if (!m) return notFound("the server could not find the requested resource");
    const [, namespace, plural, name] = m;
    if (req.method === "POST" && !name) {
      const obj = JSON.parse(body) as { metadata: Record<string, unknown> };
      obj.metadata = { ...obj.metadata, namespace, uid: "u-1", resourceVersion: "1", creationTimestamp: "2025-01-01T00:00:00Z" };
      this.objects.set(`${path}/${String(obj.metadata.name)}`, obj);
      return send(201, obj);
    }
    const stored = this.objects.get(path);
    if (!stored) return notFound(`${plural} "${name}" not found`, { name: name ?? "", kind: plural });
    return send(200, stored); // GET and PATCH (the patch is recorded, not applied)
  }
}

/** Runs kubectl against `server` with a fresh HOME and cache directory; rejects on non-zero exit. */
async function kubectl(server: FakeServer, dir: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const home = await mkdtemp(join(dir, "home-"));
  const argv = ["--server", server.url, "--kubeconfig", "/dev/null", "--cache-dir", join(home, "cache"), ...args];
  return new Promise((resolve, reject) => {
    execFile(KUBECTL, argv, { env: { HOME: home, PATH: process.env.PATH ?? "" }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(" ")}: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe("OpenAPI v3 with real kubectl 1.32", { skip: !existsSync(KUBECTL) && `${KUBECTL} not installed` }, () => {
  const server = new FakeServer();
  let dir = "";

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-openapi-"));
    await server.start();
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const noV2 = () => assert.ok(!server.requests.some((r) => r.url.startsWith("/openapi/v2")), "kubectl fetched /openapi/v2");

  it("explain pod.spec renders the schema, its types and descriptions", async () => {
    const { stdout } = await kubectl(server, dir, ["explain", "pod.spec"]);
    assert.match(stdout, /KIND:\s+Pod/);
    assert.match(stdout, /VERSION:\s+v1/);
    assert.match(stdout, /containers\s+<\[\]Container> -required-/);
    assert.match(stdout, /List of containers belonging to the pod/);
    assert.match(stdout, /terminationGracePeriodSeconds\s+<integer>/);
    assert.match(stdout, /nodeSelector\s+<map\[string\]string>/);
    assert.match(stdout, /securityContext\s+<PodSecurityContext>/);
    noV2();
  });

  it("explain deployment fields, IntOrString and Quantity by name", async () => {
    const replicas = await kubectl(server, dir, ["explain", "deployment.spec.replicas"]);
    assert.match(replicas.stdout, /GROUP:\s+apps/);
    assert.match(replicas.stdout, /FIELD: replicas <integer>/);
    assert.match(replicas.stdout, /Number of desired pods/);
    const surge = await kubectl(server, dir, ["explain", "deploy.spec.strategy.rollingUpdate.maxSurge"]);
    assert.match(surge.stdout, /FIELD: maxSurge <IntOrString>/);
    const limits = await kubectl(server, dir, ["explain", "pods.spec.containers.resources"]);
    assert.match(limits.stdout, /limits\s+<map\[string\]Quantity>/);
    const meta = await kubectl(server, dir, ["explain", "configmap.metadata.creationTimestamp"]);
    assert.match(meta.stdout, /FIELD: creationTimestamp <string>/);
    noV2();
  });

  it("create -f: server-side validation (fieldValidation=Strict), no client-side schema", async () => {
    const file = join(dir, "cm.yaml");
    await writeFile(file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\ndata:\n  a: b\n");
    const { stdout } = await kubectl(server, dir, ["create", "-f", file]);
    assert.match(stdout, /configmap\/cm1 created/);
    const post = server.requests.find((r) => r.method === "POST" && r.url.includes("/configmaps"));
    assert.ok(post, "no POST seen");
    assert.match(post.url, /fieldValidation=Strict/);
    assert.equal(JSON.parse(post.body).data.a, "b");
    noV2();
  });

  it("apply of an existing Deployment sends a strategic merge patch computed from the v3 schemas", async () => {
    const container = (name: string, image: string) => ({ name, image });
    const applied = (containers: unknown[]) => ({
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" },
      spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers } } },
    });
    const old = applied([container("a", "img:1"), container("b", "img:1")]);
    const live = structuredClone(old) as Record<string, unknown> & { metadata: Record<string, unknown> };
    live.metadata = { ...live.metadata, uid: "u-2", resourceVersion: "7", annotations: { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(old) } };
    server.objects.set("/apis/apps/v1/namespaces/default/deployments/web", live);
    const file = join(dir, "deploy.json");
    await writeFile(file, JSON.stringify(applied([container("a", "img:2"), container("c", "img:1")])));
    const before = server.requests.length;
    const { stdout, stderr } = await kubectl(server, dir, ["apply", "-f", file]);
    assert.match(stdout, /deployment.apps\/web configured/);
    assert.doesNotMatch(stderr, /error calculating patch/);
    const patch = server.requests.slice(before).find((r) => r.method === "PATCH");
    assert.ok(patch, "no PATCH seen");
    assert.equal(patch.contentType, "application/strategic-merge-patch+json");
    assert.match(patch.url, /fieldValidation=Strict/);
    const body = JSON.parse(patch.body) as { spec: { template: { spec: Record<string, unknown> } } };
    const podSpec = body.spec.template.spec;
    // The merge key (name) came from x-kubernetes-patch-merge-key on PodSpec.containers.
    assert.deepEqual(podSpec["$setElementOrder/containers"], [{ name: "a" }, { name: "c" }]);
    assert.deepEqual(podSpec.containers, [{ image: "img:2", name: "a" }, { image: "img:1", name: "c" }, { $patch: "delete", name: "b" }]);
    assert.ok(server.requests.some((r) => r.url.startsWith("/openapi/v3/apis/apps/v1?hash=")));
    noV2();
  });
});
