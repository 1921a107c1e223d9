// Tests for kubeconfig generation: the clientcmd v1 shape, embedded base64 data, file mode.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
import { kubeconfigFor, kubeconfigYaml, writeKubeconfig } from "./kubeconfig.ts";

const CA = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";
const unb64 = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");

describe("kubeconfig", () => {
  const roots: string[] = [];
  after(async () => {
    await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
  });

  it("embeds the CA and client certificate as base64 data with a current context", () => {
    const config = kubeconfigFor({ server: "https://127.0.0.1:6443", caPem: CA, clientCertPem: CERT, clientKeyPem: KEY });
    assert.equal(config.apiVersion, "v1");
    assert.equal(config.kind, "Config");
    assert.equal(config["current-context"], "k8ts");
    assert.deepEqual(config.contexts, [{ name: "k8ts", context: { cluster: "k8ts", user: "k8ts" } }]);
    assert.equal(config.clusters[0]!.cluster.server, "https://127.0.0.1:6443");
    assert.equal(unb64(config.clusters[0]!.cluster["certificate-authority-data"]), CA);
    const user = config.users[0]!.user;
    assert.equal(unb64(user["client-certificate-data"]), CERT);
    assert.equal(unb64(user["client-key-data"]), KEY);
    assert.equal(user.token, undefined);
    assert.deepEqual(parse(kubeconfigYaml({ server: "https://127.0.0.1:6443", caPem: CA, clientCertPem: CERT, clientKeyPem: KEY })), config);
  });

  it("writes a token kubeconfig with mode 0600, creating the directory", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "k8ts-kubeconfig-"));
    roots.push(root);
    const file = path.join(root, ".kube", "config");
    const written = await writeKubeconfig(file, { server: "https://localhost:1", caPem: CA, token: "abc", name: "dev", namespace: "team" });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(path.dirname(file))).mode & 0o777, 0o700);
    const text = await readFile(file, "utf8");
    assert.deepEqual(parse(text), written);
    assert.deepEqual(written.users, [{ name: "dev", user: { token: "abc" } }]);
    assert.deepEqual(written.contexts[0]!.context, { cluster: "dev", user: "dev", namespace: "team" });
    assert.equal(written["current-context"], "dev");
  });

  it("rejects a certificate without its key and a server that is not a URL", () => {
    assert.throws(() => kubeconfigFor({ server: "https://x", caPem: CA, clientCertPem: CERT }), /go together/);
    assert.throws(() => kubeconfigFor({ server: "127.0.0.1:6443", caPem: CA }), /must be a URL/);
  });
});
