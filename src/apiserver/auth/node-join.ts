// Joining a node to the cluster, as k3s does: the server writes a node token
// `K10<sha256 of the CA certificate>::node:<secret>`; an agent fetches /cacerts, checks it against
// the hash (so it trusts the right server without a copy of the CA), then trades the secret at
// POST /k8ts/v1/node-credentials for a kubelet client certificate (CN system:node:<name>,
// O system:nodes) and a kubelet serving certificate, both signed by the cluster CA.
import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createClientCert, createServingCert } from "./pki.ts";
import type { CertKeyPair } from "./pki.ts";
import { readIfExists, writeFileAtomic } from "./files.ts";
import { generateToken } from "./tokenfile.ts";
import type { UserInfo } from "./authenticator.ts";
import { StatusError, errors } from "../../apimachinery/status.ts";
import { isDNS1123Subdomain } from "../../apimachinery/validation.ts";

export const NODE_JOIN_USER = "k8ts:node-join";
export const NODE_JOIN_GROUP = "k8ts:node-joiners";
export const NODE_CREDENTIALS_PATH = "/k8ts/v1/node-credentials";

export const caHash = (caPem: string): string => createHash("sha256").update(caPem).digest("hex");

export interface NodeToken {
  caHash: string;
  secret: string;
}

/** Parses `K10<hash>::node:<secret>`; a bare secret (no CA hash) is accepted too. */
export function parseNodeToken(token: string): NodeToken {
  const m = /^K10([0-9a-f]{64})::node:(.+)$/.exec(token.trim());
  if (m) return { caHash: m[1], secret: m[2] };
  if (/^[A-Za-z0-9._-]{16,}$/.test(token.trim())) return { caHash: "", secret: token.trim() };
  throw new Error("the token is not a k8ts node token (K10<ca hash>::node:<secret>)");
}

export const formatNodeToken = (caPem: string, secret: string): string => `K10${caHash(caPem)}::node:${secret}`;

/** Reads `<dataDir>/node-token`, creating it (mode 0600) on first start. */
export async function ensureNodeToken(dataDir: string, caPem: string): Promise<{ token: string; secret: string; path: string }> {
  const file = path.join(dataDir, "node-token");
  const existing = (await readIfExists(file))?.trim();
  if (existing) {
    const parsed = parseNodeToken(existing);
    if (parsed.caHash === caHash(caPem)) return { token: existing, secret: parsed.secret, path: file };
  }
  const secret = generateToken();
  const token = formatNodeToken(caPem, secret);
  await writeFileAtomic(file, `${token}\n`, 0o600);
  return { token, secret, path: file };
}

export const secretsEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export interface NodeCredentials {
  caPem: string;
  client: CertKeyPair;
  serving: CertKeyPair;
}

/** Issues a kubelet's client and serving certificates. */
export async function issueNodeCredentials(ca: CertKeyPair, nodeName: string, addresses: string[]): Promise<NodeCredentials> {
  const client = await createClientCert(ca, { user: `system:node:${nodeName}`, groups: ["system:nodes"] });
  const serving = await createServingCert(ca, { hostname: nodeName, sans: addresses, commonName: nodeName });
  return { caPem: ca.cert, client, serving };
}

async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw errors.tooLarge("the request is too large");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw errors.badRequest("the body must be JSON: {\"nodeName\": ..., \"addresses\": [...]}");
  }
}

/** POST /k8ts/v1/node-credentials for a user authenticated by the node token (or an admin). */
export async function serveNodeCredentials(req: IncomingMessage, res: ServerResponse, ca: CertKeyPair, user: UserInfo | undefined): Promise<void> {
  const groups = user?.groups ?? [];
  if (!groups.includes(NODE_JOIN_GROUP) && !groups.includes("system:masters")) {
    throw new StatusError(403, "Forbidden", `User "${user?.username ?? "system:anonymous"}" cannot request node credentials`);
  }
  if (req.method !== "POST") throw errors.methodNotAllowed("node credentials are requested with POST");
  const body = (await readJson(req)) as { nodeName?: unknown; addresses?: unknown };
  const nodeName = typeof body.nodeName === "string" ? body.nodeName : "";
  if (!nodeName || isDNS1123Subdomain(nodeName).length > 0) throw errors.badRequest(`nodeName must be a DNS subdomain: ${JSON.stringify(body.nodeName)}`);
  const addresses = Array.isArray(body.addresses) ? body.addresses.filter((a): a is string => typeof a === "string" && (isIP(a) !== 0 || isDNS1123Subdomain(a).length === 0)) : [];
  const creds = await issueNodeCredentials(ca, nodeName, addresses);
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify(creds));
}
