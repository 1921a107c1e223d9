// Authenticator tests against a real HTTPS server built from tlsServerOptions, driven by the real
// kubectl (/usr/bin/kubectl dispatcher) and by node clients with and without certificates.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { Authenticator, tlsServerOptions, writeUnauthorized } from "./authenticator.ts";
import type { UserInfo } from "./authenticator.ts";
import { ensureClusterCredentials } from "./credentials.ts";
import type { ClusterCredentials } from "./credentials.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import type { KubeconfigOptions } from "./kubeconfig.ts";
import { createCA, createClientCert } from "./pki.ts";
import type { CertKeyPair } from "./pki.ts";

const KUBECTL = "/usr/bin/kubectl";

interface Seen {
  url: string;
  status: number;
  user: UserInfo | null;
  userAgent?: string;
}

interface Reply {
  status: number;
  body: string;
}

describe("Authenticator with a TLS server and the real kubectl", () => {
  let root: string;
  let creds: ClusterCredentials;
  let server: https.Server;
  let base: KubeconfigOptions;
  let minor = "32";
  const seen: Seen[] = [];

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), "k8ts-auth-"));
    creds = await ensureClusterCredentials(path.join(root, "data"));
    const auth = await Authenticator.fromFiles({ caPem: creds.ca.cert, tokenFile: creds.paths.tokenFile });
    server = https.createServer(tlsServerOptions(creds), (req, res) => {
      const user = auth.authenticate(req);
      const record = (status: number) => seen.push({ url: req.url ?? "", status, user, userAgent: req.headers["user-agent"] });
      if (!user) {
        record(401);
        writeUnauthorized(res);
        return;
      }
      const json = (status: number, body: unknown) => {
        record(status);
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? "/", "https://x");
      if (req.method === "GET" && url.pathname === "/version") {
        json(200, {
          major: "1", minor, gitVersion: `v1.${minor}.0-k8ts`, gitCommit: "0000000000000000000000000000000000000000", gitTreeState: "clean",
          buildDate: "2025-01-01T00:00:00Z", goVersion: "node", compiler: "k8ts", platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
        });
      } else if (req.method === "GET" && url.pathname === "/api") {
        json(200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: req.socket.localAddress + ":" + req.socket.localPort }] });
      } else if (req.method === "GET" && url.pathname === "/whoami") {
        json(200, user);
      } else {
        json(404, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "not found", reason: "NotFound", code: 404 });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caPem: creds.ca.cert };
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  async function kubeconfig(name: string, opts: Partial<KubeconfigOptions>): Promise<string> {
    const file = path.join(root, `${name}.kubeconfig`);
    await writeKubeconfig(file, { ...base, ...opts });
    return file;
  }

  /** Runs the real kubectl with its own HOME and cache dir, so no earlier run's discovery or version cache leaks in. */
  function kubectl(kubeconfigFile: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, HOME: root, KUBECACHEDIR: path.join(root, "cache", String(seen.length)) };
    return new Promise((resolve) => {
      execFile(KUBECTL, ["--kubeconfig", kubeconfigFile, ...args], { timeout: 20_000, env }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** One GET on a fresh connection (no agent), so per-connection certificate results never leak between calls. */
  function get(urlPath: string, opts: { client?: CertKeyPair; headers?: Record<string, string> } = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = https.request(`${base.server}${urlPath}`, {
        ca: creds.ca.cert, cert: opts.client?.cert, key: opts.client?.key, headers: opts.headers, agent: false,
      }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  it("kubectl version works with the admin client certificate", async () => {
    const file = await kubeconfig("cert", { clientCertPem: creds.admin.cert, clientKeyPem: creds.admin.key });
    const from = seen.length;
    const out = await kubectl(file, ["version", "-o", "json"]);
    assert.equal(out.code, 0, out.stderr);
    const version = JSON.parse(out.stdout) as { serverVersion: { gitVersion: string }; clientVersion: { minor: string } };
    assert.equal(version.serverVersion.gitVersion, "v1.32.0-k8ts");
    assert.match(version.clientVersion.minor, /^32/);
    const calls = seen.slice(from);
    assert.ok(calls.length > 0 && calls.every((s) => s.status === 200));
    assert.deepEqual(calls[0]!.user, { username: "system:admin", groups: ["system:masters", "system:authenticated"] });
  });

  it("kubectl version works with the admin bearer token", async () => {
    const file = await kubeconfig("token", { token: creds.adminToken });
    const from = seen.length;
    const out = await kubectl(file, ["version", "-o", "json"]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal((JSON.parse(out.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion, "v1.32.0-k8ts");
    assert.deepEqual(seen.at(-1)!.user, { username: "system:admin", uid: "k8ts-admin", groups: ["system:masters", "system:authenticated"] });
    assert.ok(seen.slice(from).every((s) => s.status === 200));
  });

  it("the kubectl dispatcher follows the server's minor version", async () => {
    const file = await kubeconfig("token31", { token: creds.adminToken });
    minor = "31";
    try {
      const out = await kubectl(file, ["version", "-o", "json"]);
      assert.equal(out.code, 0, out.stderr);
      const version = JSON.parse(out.stdout) as { serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } };
      assert.equal(version.serverVersion.gitVersion, "v1.31.0-k8ts");
      assert.match(version.clientVersion.gitVersion, /^v1\.31\./);
    } finally {
      minor = "32";
    }
  });

  it("kubectl with a wrong token fails and the server answered 401", async () => {
    const file = await kubeconfig("bad", { token: "not-a-valid-token" });
    const from = seen.length;
    const out = await kubectl(file, ["version", "-o", "json"]);
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, /You must be logged in to the server/);
    const calls = seen.slice(from);
    assert.ok(calls.length > 0 && calls.every((s) => s.status === 401 && s.user === null));
  });

  it("a request without credentials gets 401 with a Status body", async () => {
    const reply = await get("/version");
    assert.equal(reply.status, 401);
    assert.deepEqual(JSON.parse(reply.body), {
      kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401,
    });
  });

  it("serves /api to a user certificate with its groups", async () => {
    const jane = await createClientCert(creds.ca, { user: "jane", groups: ["dev", "ops"] });
    assert.deepEqual(JSON.parse((await get("/whoami", { client: jane })).body), { username: "jane", groups: ["dev", "ops", "system:authenticated"] });
    const api = await get("/api", { client: jane });
    assert.equal(api.status, 200);
    assert.equal((JSON.parse(api.body) as { kind: string }).kind, "APIVersions");
  });

  it("rejects certificates from another CA, server-only certificates and non-bearer schemes", async () => {
    const stranger = await createClientCert(await createCA(), { user: "system:admin", groups: ["system:masters"] });
    assert.equal((await get("/version", { client: stranger })).status, 401);
    assert.equal((await get("/version", { client: creds.serving })).status, 401);
    assert.equal((await get("/version", { headers: { Authorization: `Basic ${creds.adminToken}` } })).status, 401);
    assert.equal((await get("/version", { headers: { Authorization: "Bearer " } })).status, 401);
    assert.equal((await get("/version", { headers: { Authorization: `bearer ${creds.adminToken}` } })).status, 200);
    // a valid certificate wins over a bad token, as in the kube-apiserver
    assert.equal((await get("/version", { client: creds.admin, headers: { Authorization: "Bearer wrong" } })).status, 200);
  });

  it("negotiates http/1.1 by ALPN and refuses h2-only clients", async () => {
    const port = (server.address() as AddressInfo).port;
    const connect = (protocols: string[]) =>
      new Promise<string | false>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, ca: creds.ca.cert, ALPNProtocols: protocols }, () => {
          resolve(socket.alpnProtocol ?? false);
          socket.end();
        });
        socket.on("error", reject);
      });
    assert.equal(await connect(["h2", "http/1.1"]), "http/1.1");
    await assert.rejects(connect(["h2"]), /no application protocol/);
  });
});

describe("Authenticator without TLS", () => {
  it("authenticates bearer tokens on plain connections and copies results", async () => {
    const auth = new Authenticator({ tokens: [{ token: "t1", user: "bob", uid: "", groups: ["g"] }] });
    const server = http.createServer((req, res) => {
      const user = auth.authenticate(req);
      if (!user) return writeUnauthorized(res);
      user.groups.push("mutated");
      res.end(JSON.stringify(user));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const ok = await fetch(url, { headers: { Authorization: "Bearer t1" } });
      assert.deepEqual(await ok.json(), { username: "bob", groups: ["g", "system:authenticated", "mutated"] });
      const again = await fetch(url, { headers: { Authorization: "Bearer t1" } });
      assert.deepEqual(await again.json(), { username: "bob", groups: ["g", "system:authenticated", "mutated"] });
      assert.equal((await fetch(url)).status, 401);
      auth.setTokens([]);
      assert.equal((await fetch(url, { headers: { Authorization: "Bearer t1" } })).status, 401);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
