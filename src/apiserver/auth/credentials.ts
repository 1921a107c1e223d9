// A cluster's TLS material and admin token under `<dataDir>`: generated on first start, reused on
// later starts; the serving certificate is reissued when the wanted SANs change or it nears expiry.
import { X509Certificate as NodeX509, createPrivateKey } from "node:crypto";
import { appendFile, chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import {
  ADMIN_GROUPS, ADMIN_USER, createAdminCert, createCA, createServingCert, defaultServingSANs, leafProblem,
} from "./pki.ts";
import type { CertKeyPair } from "./pki.ts";
import { privateDir, readIfExists, writeFileAtomic } from "./files.ts";
import { formatTokenLine, generateToken, readTokenFile } from "./tokenfile.ts";

export interface ClusterCredentialPaths {
  /** `<dataDir>/tls`, mode 0700. */
  tlsDir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  /** `<dataDir>/tokens.csv`, the static token file (mode 0600). */
  tokenFile: string;
}

export type GeneratedPart = "ca" | "serving" | "admin" | "token";

export interface ClusterCredentials {
  ca: CertKeyPair;
  serving: CertKeyPair;
  admin: CertKeyPair;
  /** The bearer token of `system:admin` (group system:masters) in the token file. */
  adminToken: string;
  paths: ClusterCredentialPaths;
  /** What this call created (empty when everything was reused), with why, for the startup log. */
  generated: { part: GeneratedPart; reason: string }[];
}

export interface EnsureCredentialsOptions {
  /** Extra serving SANs (`--tls-san`), IPs or DNS names. */
  sans?: string[];
  /** Defaults to os.hostname(). */
  hostname?: string;
  /** Injected clock for tests. */
  now?: Date;
}

/** Leaves expiring sooner than this are reissued at startup. */
export const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;
/** The admin's uid in the token file. */
export const ADMIN_UID = "k8ts-admin";

export function credentialPaths(dataDir: string): ClusterCredentialPaths {
  const tlsDir = path.join(dataDir, "tls");
  return {
    tlsDir,
    caCert: path.join(tlsDir, "ca.crt"),
    caKey: path.join(tlsDir, "ca.key"),
    servingCert: path.join(tlsDir, "serving.crt"),
    servingKey: path.join(tlsDir, "serving.key"),
    adminCert: path.join(tlsDir, "admin.crt"),
    adminKey: path.join(tlsDir, "admin.key"),
    tokenFile: path.join(dataDir, "tokens.csv"),
  };
}

async function savePair(pair: CertKeyPair, certPath: string, keyPath: string): Promise<void> {
  await writeFileAtomic(keyPath, pair.key, 0o600);
  await writeFileAtomic(certPath, pair.cert, 0o644);
}

/** Loads the CA, or creates one when neither file exists. A half-present or broken CA is an error, not silently replaced: clients trust it. */
async function ensureCA(paths: ClusterCredentialPaths, now: Date | undefined): Promise<{ ca: CertKeyPair; created: boolean }> {
  const [cert, key] = await Promise.all([readIfExists(paths.caCert), readIfExists(paths.caKey)]);
  if (cert === undefined && key === undefined) {
    const ca = await createCA({ now });
    await savePair(ca, paths.caCert, paths.caKey);
    return { ca, created: true };
  }
  if (cert === undefined || key === undefined) {
    throw new Error(`cluster CA incomplete: ${cert === undefined ? paths.caCert : paths.caKey} is missing (remove both to create a new CA)`);
  }
  const parsed = new NodeX509(cert);
  if (!parsed.ca) throw new Error(`${paths.caCert} is not a CA certificate`);
  if (!parsed.checkPrivateKey(createPrivateKey(key))) throw new Error(`${paths.caKey} does not match ${paths.caCert}`);
  await chmod(paths.caKey, 0o600);
  return { ca: { cert, key }, created: false };
}

/** Reuses a leaf pair when `problem` finds nothing wrong with it, else issues a new one. */
async function ensureLeaf(
  certPath: string,
  keyPath: string,
  problem: (pair: CertKeyPair) => string | undefined,
  issue: () => Promise<CertKeyPair>,
): Promise<{ pair: CertKeyPair; reason?: string }> {
  const [cert, key] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  const reason = cert === undefined || key === undefined ? "missing" : problem({ cert, key });
  if (reason === undefined) {
    await chmod(keyPath, 0o600);
    return { pair: { cert: cert!, key: key! } };
  }
  const pair = await issue();
  await savePair(pair, certPath, keyPath);
  return { pair, reason };
}

/** Finds the admin's token in the token file, appending a fresh one (keeping other lines) when absent. */
async function ensureAdminToken(tokenFile: string): Promise<{ token: string; created: boolean }> {
  const existing = (await readTokenFile(tokenFile)).find((e) => e.user === ADMIN_USER);
  if (existing) {
    await chmod(tokenFile, 0o600);
    return { token: existing.token, created: false };
  }
  const token = generateToken();
  const line = formatTokenLine({ token, user: ADMIN_USER, uid: ADMIN_UID, groups: [...ADMIN_GROUPS] });
  const current = await readIfExists(tokenFile);
  if (current === undefined) {
    await writeFileAtomic(tokenFile, line, 0o600);
  } else {
    await appendFile(tokenFile, current === "" || current.endsWith("\n") ? line : `\n${line}`);
    await chmod(tokenFile, 0o600);
  }
  return { token, created: true };
}

/**
 * Makes sure `<dataDir>` holds a CA, a serving certificate covering the default SANs plus
 * `opts.sans`, an admin client certificate (CN=system:admin, O=system:masters) and an admin bearer
 * token, and returns them. Idempotent: a second call with the same SANs changes nothing on disk.
 */
export async function ensureClusterCredentials(dataDir: string, opts: EnsureCredentialsOptions = {}): Promise<ClusterCredentials> {
  const paths = credentialPaths(dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await privateDir(paths.tlsDir);
  const generated: ClusterCredentials["generated"] = [];
  const { now } = opts;

  const { ca, created } = await ensureCA(paths, now);
  if (created) generated.push({ part: "ca", reason: "missing" });

  const wantSANs = [...defaultServingSANs(opts.hostname), ...(opts.sans ?? [])];
  const serving = await ensureLeaf(
    paths.servingCert, paths.servingKey,
    (pair) => leafProblem(pair, ca.cert, { sans: wantSANs, minRemainingMs: RENEW_BEFORE_MS, now }),
    () => createServingCert(ca, { sans: opts.sans, hostname: opts.hostname, now }),
  );
  if (serving.reason) generated.push({ part: "serving", reason: serving.reason });

  const admin = await ensureLeaf(
    paths.adminCert, paths.adminKey,
    (pair) => leafProblem(pair, ca.cert, { minRemainingMs: RENEW_BEFORE_MS, now }),
    () => createAdminCert(ca, { now }),
  );
  if (admin.reason) generated.push({ part: "admin", reason: admin.reason });

  const token = await ensureAdminToken(paths.tokenFile);
  if (token.created) generated.push({ part: "token", reason: "missing" });

  return { ca, serving: serving.pair, admin: admin.pair, adminToken: token.token, paths, generated };
}

