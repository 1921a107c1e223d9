// Joining a node with the server's node token: /cacerts is public, the CA is checked against the
// token's hash, the secret buys a kubelet client certificate the API server accepts (as
// system:node:<name>), and wrong tokens or a different CA are refused.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { Node } from "kubernetes-types/core/v1.js";
import { X509Certificate } from "node:crypto";
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { Client, resources } from "../src/client/index.ts";
import { joinCluster } from "../src/kubelet/join.ts";
import { parseNodeToken } from "../src/apiserver/auth/node-join.ts";

let api: TestApiServer;
before(async () => {
  api = await startTestApiServer();
});
after(async () => {
  await api?.close();
});

it("the server writes a node token bound to its CA", async () => {
  const token = api.server.nodeToken;
  assert.match(token, /^K10[0-9a-f]{64}::node:.+$/);
  const { readFile } = await import("node:fs/promises");
  assert.equal((await readFile(`${api.dir}/data/node-token`, "utf8")).trim(), token);
});

it("an agent with the token gets certificates the API server accepts", async () => {
  const creds = await joinCluster(api.server.url, api.server.nodeToken, "worker-1", ["127.0.0.1"]);
  assert.equal(creds.caPem, api.server.caPem);
  const client = new X509Certificate(creds.client.cert);
  assert.match(client.subject, /CN=system:node:worker-1/);
  assert.match(client.subject, /O=system:nodes/);
  assert.ok(new X509Certificate(creds.serving.cert).checkIP("127.0.0.1"));
  const kubelet = await Client.fromKubeconfig({
    apiVersion: "v1", kind: "Config", "current-context": "c",
    clusters: [{ name: "c", cluster: { server: api.server.url, "certificate-authority-data": Buffer.from(creds.caPem).toString("base64") } }],
    users: [{ name: "u", user: { "client-certificate-data": Buffer.from(creds.client.cert).toString("base64"), "client-key-data": Buffer.from(creds.client.key).toString("base64") } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
  });
  try {
    const node = await kubelet.create<Node>(resources.nodes, { apiVersion: "v1", kind: "Node", metadata: { name: "worker-1" } });
    assert.equal(node.metadata?.name, "worker-1");
  } finally {
    kubelet.close();
  }
});

it("a wrong secret or a CA that does not match the hash is refused", async () => {
  const { caHash } = parseNodeToken(api.server.nodeToken);
  await assert.rejects(joinCluster(api.server.url, `K10${caHash}::node:not-the-secret-at-all`, "worker-2", []), /rejected the node token/);
  const other = `K10${"0".repeat(64)}::node:${parseNodeToken(api.server.nodeToken).secret}`;
  await assert.rejects(joinCluster(api.server.url, other, "worker-2", []), /does not match the hash in the token/);
  await assert.rejects(joinCluster(api.server.url, "garbage", "worker-2", []), /not a k8ts node token/);
});

it("the node-credentials endpoint checks its input and method", async () => {
  const { secret } = parseNodeToken(api.server.nodeToken);
  const { apiRequest } = await import("../src/testing/apiserver.ts");
  const asJoiner = { url: api.server.url, caPem: api.server.caPem, adminToken: secret };
  const bad = await apiRequest(asJoiner, "POST", "/k8ts/v1/node-credentials", { nodeName: "Not_A_Name" });
  assert.equal(bad.status, 400);
  const admin = { url: api.server.url, caPem: api.server.caPem, adminToken: api.server.adminToken };
  assert.equal((await apiRequest(admin, "GET", "/k8ts/v1/node-credentials")).status, 405);
});
