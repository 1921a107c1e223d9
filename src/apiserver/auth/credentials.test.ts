// Tests for the on-disk cluster credentials: first-start generation, file modes, reuse, and
// reissuing the serving certificate when SANs change or expiry nears.
import assert from "node:assert/strict";
import { X509Certificate as NodeX509 } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { ensureClusterCredentials } from "./credentials.ts";
import type { ClusterCredentials } from "./credentials.ts";
import { parseTokenFile } from "./tokenfile.ts";

const DAY = 86_400_000;
const roots: string[] = [];

async function freshDir(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "k8ts-creds-"));
  roots.push(root);
  return path.join(root, "data");
}

async function mode(file: string): Promise<number> {
  return (await stat(file)).mode & 0o777;
}

async function snapshot(c: ClusterCredentials): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, file] of Object.entries(c.paths)) if (name !== "tlsDir") out[name] = await readFile(file, "utf8");
  return out;
}

describe("ensureClusterCredentials", () => {
  after(async () => {
    await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
  });

  it("generates everything on first start with private modes", async () => {
    const dir = await freshDir();
    const c = await ensureClusterCredentials(dir, { sans: ["10.9.8.7", "api.k8ts.test"], hostname: "box" });
    assert.deepEqual(c.generated.map((g) => g.part), ["ca", "serving", "admin", "token"]);
    assert.equal(await mode(dir), 0o700);
    assert.equal(await mode(c.paths.tlsDir), 0o700);
    for (const key of [c.paths.caKey, c.paths.servingKey, c.paths.adminKey, c.paths.tokenFile]) assert.equal(await mode(key), 0o600, key);
    for (const cert of [c.paths.caCert, c.paths.servingCert, c.paths.adminCert]) assert.equal(await mode(cert), 0o644, cert);
    assert.equal(c.paths.caCert, path.join(dir, "tls", "ca.crt"));
    assert.equal(await readFile(c.paths.servingKey, "utf8"), c.serving.key);

    const serving = new NodeX509(c.serving.cert);
    assert.ok(serving.checkIssued(new NodeX509(c.ca.cert)));
    for (const ip of ["10.9.8.7", "127.0.0.1", "::1"]) assert.ok(serving.checkIP(ip), ip);
    for (const host of ["api.k8ts.test", "box", "kubernetes.default.svc.cluster.local"]) assert.ok(serving.checkHost(host), host);
    assert.equal(new NodeX509(c.admin.cert).subject, "CN=system:admin\nO=system:masters");

    const tokens = await readFile(c.paths.tokenFile, "utf8");
    assert.equal(tokens, `${c.adminToken},system:admin,k8ts-admin,"system:masters"\n`);
    assert.match(c.adminToken, /^[0-9a-f]{64}$/);
  });

  it("reuses everything on a later start and tightens loose modes", async () => {
    const dir = await freshDir();
    const first = await ensureClusterCredentials(dir, { sans: ["10.0.0.1"] });
    await chmod(first.paths.adminKey, 0o644);
    await chmod(first.paths.tlsDir, 0o755);
    const second = await ensureClusterCredentials(dir, { sans: ["10.0.0.1"] });
    assert.deepEqual(second.generated, []);
    assert.deepEqual(await snapshot(second), await snapshot(first));
    assert.equal(second.adminToken, first.adminToken);
    assert.equal(await mode(first.paths.adminKey), 0o600);
    assert.equal(await mode(first.paths.tlsDir), 0o700);
    // fewer SANs than the certificate has are still covered
    assert.deepEqual((await ensureClusterCredentials(dir)).generated, []);
  });

  it("reissues only the serving certificate when a SAN is added", async () => {
    const dir = await freshDir();
    const first = await snapshot(await ensureClusterCredentials(dir, { sans: ["10.0.0.1"] }));
    const c = await ensureClusterCredentials(dir, { sans: ["10.0.0.1", "new.example.com"] });
    assert.equal(c.generated.length, 1);
    assert.equal(c.generated[0]!.part, "serving");
    assert.match(c.generated[0]!.reason, /missing SANs new\.example\.com/);
    const now = await snapshot(c);
    assert.notEqual(now.servingCert, first.servingCert);
    assert.notEqual(now.servingKey, first.servingKey);
    for (const same of ["caCert", "caKey", "adminCert", "adminKey", "tokenFile"]) assert.equal(now[same], first[same], same);
    const serving = new NodeX509(c.serving.cert);
    assert.ok(serving.checkHost("new.example.com") && serving.checkIP("10.0.0.1"));
    assert.equal(await mode(c.paths.servingKey), 0o600);
    assert.deepEqual((await ensureClusterCredentials(dir, { sans: ["new.example.com", "10.0.0.1"] })).generated, []);
  });

  it("reissues leaves that expire within 30 days, keeping the CA", async () => {
    const dir = await freshDir();
    const first = await snapshot(await ensureClusterCredentials(dir));
    const later = new Date(Date.now() + 340 * DAY);
    const c = await ensureClusterCredentials(dir, { now: later });
    assert.deepEqual(c.generated.map((g) => g.part), ["serving", "admin"]);
    const now = await snapshot(c);
    assert.equal(now.caCert, first.caCert);
    assert.ok(Date.parse(new NodeX509(c.serving.cert).validTo) > later.getTime() + 300 * DAY);
  });

  it("keeps other token file entries and reuses an existing admin token", async () => {
    const dir = await freshDir();
    await mkdir(dir, { recursive: true });
    const tokenFile = path.join(dir, "tokens.csv");
    await writeFile(tokenFile, 'other-token,bob,u-bob,"dev"', { mode: 0o644 });
    const c = await ensureClusterCredentials(dir);
    const entries = parseTokenFile(await readFile(tokenFile, "utf8"));
    assert.deepEqual(entries.map((e) => e.user), ["bob", "system:admin"]);
    assert.equal(entries[1]!.token, c.adminToken);
    assert.deepEqual(entries[1]!.groups, ["system:masters"]);
    assert.equal(await mode(tokenFile), 0o600);
    assert.equal((await ensureClusterCredentials(dir)).adminToken, c.adminToken);
  });

  it("refuses to replace a half-present CA", async () => {
    const dir = await freshDir();
    const c = await ensureClusterCredentials(dir);
    await rm(c.paths.caKey);
    await assert.rejects(ensureClusterCredentials(dir), /cluster CA incomplete: .*ca\.key is missing/);
  });
});
