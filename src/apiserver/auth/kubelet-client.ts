// The API server's client certificate for talking to kubelets (logs, exec, port-forward, node
// proxy): CN kube-apiserver-kubelet-client, O system:masters, signed by the cluster CA, kept in
// `<dataDir>/tls/` with the other credentials and reissued when missing, foreign or near expiry.
import path from "node:path";
import { RENEW_BEFORE_MS } from "./credentials.ts";
import { privateDir, readIfExists, writeFileAtomic } from "./files.ts";
import { createClientCert, leafProblem } from "./pki.ts";
import type { CertKeyPair } from "./pki.ts";

export const KUBELET_CLIENT_USER = "kube-apiserver-kubelet-client";
export const KUBELET_CLIENT_GROUPS: readonly string[] = ["system:masters"];

export function kubeletClientPaths(dataDir: string): { cert: string; key: string } {
  const tlsDir = path.join(dataDir, "tls");
  return { cert: path.join(tlsDir, "kubelet-client.crt"), key: path.join(tlsDir, "kubelet-client.key") };
}

/** Loads the kubelet client certificate from `<dataDir>/tls`, issuing (and saving) one when needed. */
export async function ensureKubeletClientCert(dataDir: string, ca: CertKeyPair, now?: Date): Promise<CertKeyPair> {
  const paths = kubeletClientPaths(dataDir);
  await privateDir(path.dirname(paths.cert));
  const [cert, key] = await Promise.all([readIfExists(paths.cert), readIfExists(paths.key)]);
  if (cert !== undefined && key !== undefined && leafProblem({ cert, key }, ca.cert, { minRemainingMs: RENEW_BEFORE_MS, now }) === undefined) {
    return { cert, key };
  }
  const pair = await createClientCert(ca, { user: KUBELET_CLIENT_USER, groups: [...KUBELET_CLIENT_GROUPS], now });
  await writeFileAtomic(paths.key, pair.key, 0o600);
  await writeFileAtomic(paths.cert, pair.cert, 0o644);
  return pair;
}
