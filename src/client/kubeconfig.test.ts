// kubeconfig resolution (contexts, data vs file fields, relative paths, token files) and the
// in-cluster service-account configuration.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { inClusterConfig, loadKubeconfig } from "./kubeconfig.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("kubeconfig", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-kubeconfig-"));
    await mkdir(join(dir, "certs"));
    await writeFile(join(dir, "certs", "ca.pem"), "CA FROM FILE");
    await writeFile(join(dir, "certs", "client.pem"), "CERT FROM FILE");
    await writeFile(join(dir, "certs", "client.key"), "KEY FROM FILE");
    await writeFile(join(dir, "token"), "file-token\n");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const doc = () => ({
    apiVersion: "v1", kind: "Config", "current-context": "one",
    clusters: [
      { name: "c1", cluster: { server: "https://one.example:6443/", "certificate-authority-data": b64("CA DATA") } },
      { name: "c2", cluster: { server: "https://two.example", "certificate-authority": "certs/ca.pem", "tls-server-name": "api.two" } },
    ],
    users: [
      { name: "u1", user: { "client-certificate-data": b64("CERT DATA"), "client-key-data": b64("KEY DATA") } },
      { name: "u2", user: { "client-certificate": "certs/client.pem", "client-key": "certs/client.key", tokenFile: join(dir, "token") } },
      { name: "u3", user: { exec: { command: "aws" } } },
    ],
    contexts: [
      { name: "one", context: { cluster: "c1", user: "u1" } },
      { name: "two", context: { cluster: "c2", user: "u2", namespace: "apps" } },
      { name: "three", context: { cluster: "c1", user: "u3" } },
      { name: "broken", context: { cluster: "nope", user: "u1" } },
    ],
  });

  it("resolves the current context with embedded data", async () => {
    const c = await loadKubeconfig(doc());
    assert.deepEqual(c, { server: "https://one.example:6443", caPem: "CA DATA", certPem: "CERT DATA", keyPem: "KEY DATA" });
  });

  it("reads files relative to the kubeconfig, token files, and the context namespace", async () => {
    const path = join(dir, "config.yaml");
    await writeFile(path, stringify(doc()));
    const c = await loadKubeconfig(path, { context: "two" });
    assert.deepEqual(c, { server: "https://two.example", caPem: "CA FROM FILE", tlsServerName: "api.two", certPem: "CERT FROM FILE", keyPem: "KEY FROM FILE", token: "file-token", namespace: "apps" });
  });

  it("refuses what it cannot do", async () => {
    await assert.rejects(loadKubeconfig(doc(), { context: "three" }), /exec and auth-provider/);
    await assert.rejects(loadKubeconfig(doc(), { context: "broken" }), /cluster "nope" not found/);
    await assert.rejects(loadKubeconfig(doc(), { context: "missing" }), /context "missing" not found/);
  });

  it("builds the in-cluster config from the service-account files and environment", async () => {
    const sa = join(dir, "sa");
    await mkdir(sa);
    await writeFile(join(sa, "token"), "sa-token\n");
    await writeFile(join(sa, "ca.crt"), "SA CA");
    await writeFile(join(sa, "namespace"), "kube-system");
    const c = await inClusterConfig(sa, { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" });
    assert.deepEqual(c, { server: "https://[fd00::1]:443", token: "sa-token", caPem: "SA CA", namespace: "kube-system" });
    await assert.rejects(inClusterConfig(sa, {}), /not running in a cluster/);
  });
});
