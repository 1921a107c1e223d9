// Who is calling the kubelet: a client certificate the TLS layer verified against the cluster CA
// (CN = user, O = groups; the API server's is kube-apiserver-kubelet-client / system:masters), or
// a bearer token the kubelet was given. Anything else is anonymous and gets 401.
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { KubeletUser } from "./types.ts";

const OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const OID_ANY_EKU = "2.5.29.37.0";

function values(subject: unknown, key: string): string[] {
  if (typeof subject !== "object" || subject === null) return [];
  const v: unknown = (subject as Record<string, unknown>)[key];
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

export class KubeletAuthenticator {
  private readonly tokens: Map<string, KubeletUser>;
  private readonly byConnection = new WeakMap<TLSSocket, KubeletUser | null>();

  constructor(tokens: { token: string; user: KubeletUser }[] = []) {
    this.tokens = new Map(tokens.map((t) => [t.token, { ...t.user, viaToken: true }]));
  }

  authenticate(req: IncomingMessage): KubeletUser | null {
    const socket = req.socket as TLSSocket;
    if (!this.byConnection.has(socket)) this.byConnection.set(socket, fromCertificate(socket));
    const fromCert = this.byConnection.get(socket);
    if (fromCert) return fromCert;
    const auth = req.headers.authorization?.trim() ?? "";
    const [scheme, token] = auth.split(/\s+/, 2);
    if (scheme?.toLowerCase() !== "bearer" || !token) return null;
    return this.tokens.get(token) ?? null;
  }
}

/** The user of a client certificate that chains to the CA the server was given (`authorized`). */
function fromCertificate(socket: TLSSocket): KubeletUser | null {
  if (typeof socket.getPeerCertificate !== "function" || !socket.authorized) return null;
  const peer = socket.getPeerCertificate();
  if (!peer?.raw) return null;
  const usages = peer.ext_key_usage;
  if (usages && usages.length > 0 && !usages.includes(OID_CLIENT_AUTH) && !usages.includes(OID_ANY_EKU)) return null;
  const names = values(peer.subject, "CN");
  const username = names[names.length - 1];
  if (!username) return null;
  return { username, groups: [...values(peer.subject, "O"), "system:authenticated"] };
}
