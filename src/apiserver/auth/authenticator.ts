// Request authentication as the kube-apiserver does it: a verified client certificate
// (CN = user, O = groups), else a bearer token from the static token file. Plus the TLS options.
import { X509Certificate as NodeX509 } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ServerOptions } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { errors } from "../../apimachinery/status.ts";
import type { CertKeyPair } from "./pki.ts";
import { readTokenFile } from "./tokenfile.ts";
import type { TokenEntry } from "./tokenfile.ts";

/** Who made a request, as Kubernetes' user.Info. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

export const AUTHENTICATED_GROUP = "system:authenticated";
const OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const OID_ANY_EKU = "2.5.29.37.0";

export interface AuthenticatorOptions {
  /** PEM of the CA(s) whose client certificates are accepted; without it, certificates are ignored. */
  caPem?: string;
  /** Static bearer tokens (the parsed token file). */
  tokens?: TokenEntry[];
}

function withAuthenticatedGroup(groups: string[]): string[] {
  return groups.includes(AUTHENTICATED_GROUP) ? groups : [...groups, AUTHENTICATED_GROUP];
}

/** A subject field as a list: Node gives a string, or an array when the attribute repeats. */
function subjectValues(subject: unknown, key: string): string[] {
  if (typeof subject !== "object" || subject === null) return [];
  const value: unknown = (subject as Record<string, unknown>)[key];
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The token of an `Authorization: Bearer <token>` header, by the kube-apiserver's rules; undefined otherwise. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization?.trim();
  if (!auth) return undefined;
  const parts = auth.split(" ");
  if (parts.length < 2 || parts[0]!.toLowerCase() !== "bearer") return undefined;
  return parts[1] || undefined;
}

function isTLSSocket(socket: Socket): socket is TLSSocket {
  return "encrypted" in socket && (socket as TLSSocket).encrypted === true && typeof (socket as TLSSocket).getPeerCertificate === "function";
}

/**
 * Authenticates requests. Order as in the kube-apiserver: a client certificate that the TLS layer
 * verified against the cluster CA wins; otherwise a bearer token must be in the token file. The
 * result always carries the `system:authenticated` group. Client-certificate results are cached
 * per connection (the certificate cannot change within one).
 */
export class Authenticator {
  #ca: NodeX509[];
  #tokens = new Map<string, UserInfo>();
  #byConnection = new WeakMap<TLSSocket, UserInfo | null>();

  constructor(opts: AuthenticatorOptions = {}) {
    this.#ca = opts.caPem ? splitPem(opts.caPem).map((pem) => new NodeX509(pem)) : [];
    this.setTokens(opts.tokens ?? []);
  }

  /** Builds an authenticator from the CA PEM and a token file (a missing file means no tokens). */
  static async fromFiles(opts: { caPem?: string; tokenFile?: string }): Promise<Authenticator> {
    const tokens = opts.tokenFile ? await readTokenFile(opts.tokenFile) : [];
    return new Authenticator({ caPem: opts.caPem, tokens });
  }

  /** Replaces the token table (e.g. after the token file changed). */
  setTokens(tokens: TokenEntry[]): void {
    this.#tokens = new Map(tokens.map((t) => [t.token, { username: t.user, uid: t.uid || undefined, groups: withAuthenticatedGroup(t.groups) }]));
  }

  /** The request's user, or null when it carries no valid credentials (the caller answers 401). */
  authenticate(req: IncomingMessage): UserInfo | null {
    const fromCert = isTLSSocket(req.socket) ? this.authenticateConnection(req.socket) : null;
    if (fromCert) return fromCert;
    const token = bearerToken(req);
    return token === undefined ? null : this.authenticateToken(token);
  }

  authenticateToken(token: string): UserInfo | null {
    const user = this.#tokens.get(token);
    return user ? { ...user, groups: [...user.groups] } : null;
  }

  /** The user named by the connection's verified client certificate, or null. */
  authenticateConnection(socket: TLSSocket): UserInfo | null {
    if (!this.#byConnection.has(socket)) this.#byConnection.set(socket, this.#fromCertificate(socket));
    const user = this.#byConnection.get(socket);
    return user ? { ...user, groups: [...user.groups] } : null;
  }

  #fromCertificate(socket: TLSSocket): UserInfo | null {
    if (this.#ca.length === 0 || !socket.authorized) return null;
    const peer = socket.getPeerCertificate();
    if (!peer || !peer.raw) return null;
    // The TLS layer verified the chain against the server's `ca` option; insist it is our CA.
    const cert = new NodeX509(peer.raw);
    if (!this.#ca.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) return null;
    const usages = peer.ext_key_usage;
    if (usages && usages.length > 0 && !usages.includes(OID_CLIENT_AUTH) && !usages.includes(OID_ANY_EKU)) return null;
    const names = subjectValues(peer.subject, "CN");
    // Go keeps the last CN of a subject; an empty one names nobody.
    const username = names[names.length - 1];
    if (!username) return null;
    return { username, groups: withAuthenticatedGroup(subjectValues(peer.subject, "O")) };
  }
}

function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The TLS material a server needs: the CA certificate (to verify clients) and its serving pair. */
export interface TlsMaterial {
  ca: { cert: string };
  serving: CertKeyPair;
}

/**
 * `https.createServer` options for the API server: client certificates are requested but not
 * required (token users have none; `authenticate` decides), TLS 1.2+, and ALPN offers only
 * "http/1.1" because the server is node:http(s). kubectl offers h2 and http/1.1 and takes http/1.1;
 * a client offering only h2 is refused in the handshake (no_application_protocol).
 */
export function tlsServerOptions(material: TlsMaterial): ServerOptions {
  return {
    key: material.serving.key,
    cert: material.serving.cert,
    ca: [material.ca.cert],
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
    ALPNProtocols: ["http/1.1"],
  };
}

/** Answers 401 with the Kubernetes Status body kubectl expects ("You must be logged in to the server"). */
export function writeUnauthorized(res: ServerResponse, message?: string): void {
  const body = JSON.stringify(errors.unauthorized(message).status);
  res.writeHead(401, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-cache, private" });
  res.end(body);
}
