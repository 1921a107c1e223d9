// Cluster PKI: a self-signed CA, the API server's serving certificate and client certificates
// (CN = user, O = groups), as PEM (certificate, PKCS#8 key). Built on @peculiar/x509 + WebCrypto.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { X509Certificate as NodeX509, createPrivateKey } from "node:crypto";
import type { webcrypto } from "node:crypto";
import { isIP } from "node:net";
import os from "node:os";

/** A certificate and its private key, both PEM (the key is PKCS#8, "PRIVATE KEY"). */
export interface CertKeyPair {
  cert: string;
  key: string;
}

/** ECDSA P-256 is the default: small, fast, and accepted by Go's crypto/tls (kubectl) and Node. */
export type KeyAlgorithm = "ecdsa-p256" | "rsa-2048";

/** Options every issued certificate accepts; `now` lets tests control time. */
export interface IssueOptions {
  now?: Date;
  /** Days of validity; CA default 3650, leaves 365. */
  validityDays?: number;
  keyAlgorithm?: KeyAlgorithm;
}

export interface ServingCertOptions extends IssueOptions {
  /** Extra subject alternative names (`--tls-san`); each is an IP if it parses as one, else DNS. */
  sans?: string[];
  /** Defaults to os.hostname(). */
  hostname?: string;
  commonName?: string;
}

export interface ClientCertOptions extends IssueOptions {
  /** Becomes the subject CN: the Kubernetes user name. */
  user: string;
  /** Become the subject O values: the Kubernetes groups. */
  groups?: string[];
}

export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** The administrator every cluster gets, as Kubernetes' superuser group binds it. */
export const ADMIN_USER = "system:admin";
export const ADMIN_GROUPS: readonly string[] = ["system:masters"];

const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start a little in the past so a peer with a slightly slow clock accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;
const OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

interface Algorithms {
  generate: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams;
  sign: webcrypto.EcdsaParams | webcrypto.Algorithm;
}

function algorithms(kind: KeyAlgorithm): Algorithms {
  if (kind === "rsa-2048") {
    const generate: webcrypto.RsaHashedKeyGenParams = { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
    return { generate, sign: { name: "RSASSA-PKCS1-v1_5" } };
  }
  return { generate: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } };
}

async function generateKeys(kind: KeyAlgorithm): Promise<webcrypto.CryptoKeyPair> {
  return (await crypto.subtle.generateKey(algorithms(kind).generate, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

/** A random positive 128-bit serial: top bit clear (Go rejects negative serials), never a leading zero byte. */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return Buffer.from(bytes).toString("hex");
}

function validity(opts: IssueOptions, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const now = (opts.now ?? new Date()).getTime();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + (opts.validityDays ?? defaultDays) * DAY_MS) };
}

function wrapPem(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function certPem(cert: x509.X509Certificate): string {
  return wrapPem("CERTIFICATE", cert.rawData);
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  return wrapPem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", key));
}

/** Imports a PEM private key (PKCS#8, SEC1 or PKCS#1; EC P-256/P-384 or RSA) as a WebCrypto signing key. */
async function importSigningKey(pem: string): Promise<{ key: webcrypto.CryptoKey; sign: webcrypto.EcdsaParams | webcrypto.Algorithm }> {
  const keyObject = createPrivateKey(pem);
  const pkcs8 = keyObject.export({ type: "pkcs8", format: "der" });
  const details = keyObject.asymmetricKeyDetails;
  if (keyObject.asymmetricKeyType === "ec") {
    const curve = details?.namedCurve === "secp384r1" ? "P-384" : details?.namedCurve === "prime256v1" ? "P-256" : undefined;
    if (!curve) throw new Error(`unsupported CA key curve ${details?.namedCurve ?? "unknown"}`);
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: curve }, false, ["sign"]);
    return { key, sign: { name: "ECDSA", hash: curve === "P-384" ? "SHA-384" : "SHA-256" } };
  }
  if (keyObject.asymmetricKeyType === "rsa") {
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
    return { key, sign: { name: "RSASSA-PKCS1-v1_5" } };
  }
  throw new Error(`unsupported CA key type ${keyObject.asymmetricKeyType ?? "unknown"}`);
}

/** Creates a self-signed CA (basicConstraints CA:TRUE, keyCertSign/cRLSign, subject key id). */
export async function createCA(opts: IssueOptions & { commonName?: string } = {}): Promise<CertKeyPair> {
  const kind = opts.keyAlgorithm ?? "ecdsa-p256";
  const keys = await generateKeys(kind);
  const { notBefore, notAfter } = validity(opts, CA_VALIDITY_DAYS);
  const commonName = opts.commonName ?? `k8ts-ca@${Math.floor(notBefore.getTime() / 1000)}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [commonName] }],
    keys,
    serialNumber: randomSerial(),
    notBefore,
    notAfter,
    signingAlgorithm: algorithms(kind).sign,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: certPem(cert), key: await keyPem(keys.privateKey) };
}

interface LeafRequest extends IssueOptions {
  subject: x509.JsonName;
  usages: string[];
  sans?: x509.JsonGeneralNames;
}

async function issueLeaf(ca: CertKeyPair, req: LeafRequest): Promise<CertKeyPair> {
  const kind = req.keyAlgorithm ?? "ecdsa-p256";
  const caCert = new x509.X509Certificate(ca.cert);
  const signer = await importSigningKey(ca.key);
  const keys = await generateKeys(kind);
  const { notBefore, notAfter: wanted } = validity(req, LEAF_VALIDITY_DAYS);
  // A leaf never outlives its CA.
  const notAfter = wanted > caCert.notAfter ? caCert.notAfter : wanted;
  // The authority key id must equal the CA's subject key id, so chain building finds the parent.
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const aki = caKeyId ? new x509.AuthorityKeyIdentifierExtension(caKeyId) : await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);
  // keyEncipherment only makes sense for RSA key exchange; Go's own generators set it only for RSA.
  const keyUsage = x509.KeyUsageFlags.digitalSignature | (kind === "rsa-2048" ? x509.KeyUsageFlags.keyEncipherment : 0);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsage, true),
    new x509.ExtendedKeyUsageExtension(req.usages),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    aki,
  ];
  if (req.sans?.length) extensions.push(new x509.SubjectAlternativeNameExtension(req.sans));
  const cert = await x509.X509CertificateGenerator.create({
    subject: req.subject,
    // The issuer is the CA's subject exactly as encoded: Go matches parents by raw issuer bytes.
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.sign,
    serialNumber: randomSerial(),
    notBefore,
    notAfter,
    extensions,
  });
  return { cert: certPem(cert), key: await keyPem(keys.privateKey) };
}

/** Strips IPv6 brackets and lower-cases DNS names; returns "" for blank input. */
function normalizeSAN(san: string): string {
  const s = san.trim();
  const unbracketed = s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : s;
  return isIP(unbracketed) ? unbracketed : s.toLowerCase().replace(/\.$/, "");
}

/** Splits SAN strings into IP addresses and DNS names (deduplicated, order kept). */
export function classifySANs(sans: Iterable<string>): { ips: string[]; dns: string[] } {
  const ips = new Set<string>();
  const dns = new Set<string>();
  for (const raw of sans) {
    const san = normalizeSAN(raw);
    if (!san) continue;
    (isIP(san) ? ips : dns).add(san);
  }
  return { ips: [...ips], dns: [...dns] };
}

/** The names every serving certificate carries: loopback, the host name and the in-cluster service names. */
export function defaultServingSANs(hostname: string = os.hostname()): string[] {
  return [
    "127.0.0.1", "::1", "localhost", hostname,
    "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
  ];
}

/** All SANs a serving certificate for `extra` (and `hostname`) must carry, classified. */
export function servingSANs(extra: string[] = [], hostname?: string): { ips: string[]; dns: string[] } {
  return classifySANs([...defaultServingSANs(hostname), ...extra]);
}

/** Issues the API server's serving certificate (serverAuth) with the default SANs plus `opts.sans`. */
export async function createServingCert(ca: CertKeyPair, opts: ServingCertOptions = {}): Promise<CertKeyPair> {
  const { ips, dns } = servingSANs(opts.sans, opts.hostname);
  return issueLeaf(ca, {
    ...opts,
    subject: [{ CN: [opts.commonName ?? "kube-apiserver"] }],
    usages: [OID_SERVER_AUTH],
    sans: [...dns.map((value) => ({ type: "dns" as const, value })), ...ips.map((value) => ({ type: "ip" as const, value }))],
  });
}

/** Issues a client certificate (clientAuth) for `user` in `groups`, as the Kubernetes x509 authenticator reads it. */
export async function createClientCert(ca: CertKeyPair, opts: ClientCertOptions): Promise<CertKeyPair> {
  if (!opts.user) throw new Error("a client certificate needs a user name");
  const subject: x509.JsonName = [{ CN: [opts.user] }];
  if (opts.groups?.length) subject.push({ O: [...opts.groups] });
  return issueLeaf(ca, { ...opts, subject, usages: [OID_CLIENT_AUTH] });
}

/** The administrator's client certificate: CN=system:admin, O=system:masters. */
export function createAdminCert(ca: CertKeyPair, opts: IssueOptions = {}): Promise<CertKeyPair> {
  return createClientCert(ca, { ...opts, user: ADMIN_USER, groups: [...ADMIN_GROUPS] });
}

/** What makes an existing leaf unusable for reuse; `undefined` when it is fine. */
export function leafProblem(
  pair: CertKeyPair,
  caPem: string,
  want: { sans?: string[]; minRemainingMs?: number; now?: Date } = {},
): string | undefined {
  let cert: NodeX509;
  try {
    cert = new NodeX509(pair.cert);
    if (!cert.checkPrivateKey(createPrivateKey(pair.key))) return "the key does not match the certificate";
  } catch (err) {
    return `unreadable: ${(err as Error).message}`;
  }
  const ca = new NodeX509(caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return "not signed by the cluster CA";
  const now = (want.now ?? new Date()).getTime();
  if (Date.parse(cert.validFrom) > now) return "not yet valid";
  if (Date.parse(cert.validTo) - now < (want.minRemainingMs ?? 0)) return `expires ${cert.validTo}`;
  const { ips, dns } = classifySANs(want.sans ?? []);
  const missing = [
    ...ips.filter((ip) => cert.checkIP(ip) === undefined),
    ...dns.filter((name) => cert.checkHost(name, { subject: "never", wildcards: false }) === undefined),
  ];
  return missing.length ? `missing SANs ${missing.join(", ")}` : undefined;
}
