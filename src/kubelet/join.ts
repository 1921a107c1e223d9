// An agent joining a cluster with a node token (`k8ts agent --server URL --token TOKEN`): fetch the
// server's CA from /cacerts, check it against the hash in the token, then trade the token's secret
// for the kubelet's client and serving certificates. Trust comes from the hash, as in k3s/kubeadm.
import https from "node:https";
import { caHash, parseNodeToken, NODE_CREDENTIALS_PATH } from "../apiserver/auth/node-join.ts";
import type { NodeCredentials } from "../apiserver/auth/node-join.ts";

interface Reply {
  status: number;
  body: string;
}

function request(url: URL, opts: { method: string; ca?: string; insecure?: boolean; headers?: Record<string, string>; body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: opts.method,
      ca: opts.ca,
      rejectUnauthorized: !opts.insecure,
      headers: { ...opts.headers, ...(opts.body ? { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(opts.body)) } : {}) },
      timeout: 15_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url.origin} within 15 s`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Fetches the server's CA and checks it against the token's hash (a token without a hash trusts what it gets). */
export async function fetchTrustedCA(server: string, token: string): Promise<string> {
  const { caHash: want } = parseNodeToken(token);
  // The CA is not trusted yet: that is what the hash is for.
  const reply = await request(new URL("/cacerts", server), { method: "GET", insecure: true });
  if (reply.status !== 200 || !reply.body.includes("BEGIN CERTIFICATE")) throw new Error(`${server}/cacerts did not return a CA certificate (HTTP ${reply.status})`);
  if (want && caHash(reply.body) !== want) throw new Error(`the CA certificate of ${server} does not match the hash in the token: refusing to join`);
  return reply.body;
}

/** Joins: returns the CA and the kubelet's certificates for `nodeName`. */
export async function joinCluster(server: string, token: string, nodeName: string, addresses: string[]): Promise<NodeCredentials> {
  const ca = await fetchTrustedCA(server, token);
  const { secret } = parseNodeToken(token);
  const reply = await request(new URL(NODE_CREDENTIALS_PATH, server), {
    method: "POST", ca, headers: { Authorization: `Bearer ${secret}` }, body: JSON.stringify({ nodeName, addresses }),
  });
  if (reply.status === 401) throw new Error(`${server} rejected the node token`);
  if (reply.status !== 200) throw new Error(`${server} refused node credentials (HTTP ${reply.status}): ${reply.body.slice(0, 300)}`);
  return JSON.parse(reply.body) as NodeCredentials;
}
