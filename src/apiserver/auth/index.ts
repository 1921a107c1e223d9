// Authentication and cluster PKI for the API server: certificates, credentials on disk,
// kubeconfig files, and the request authenticator with its TLS server options.
export {
  ADMIN_GROUPS, ADMIN_USER, CA_VALIDITY_DAYS, LEAF_VALIDITY_DAYS,
  classifySANs, createAdminCert, createCA, createClientCert, createServingCert, defaultServingSANs, leafProblem, servingSANs,
} from "./pki.ts";
export type { CertKeyPair, ClientCertOptions, IssueOptions, KeyAlgorithm, ServingCertOptions } from "./pki.ts";
export { ADMIN_UID, RENEW_BEFORE_MS, credentialPaths, ensureClusterCredentials } from "./credentials.ts";
export type { ClusterCredentialPaths, ClusterCredentials, EnsureCredentialsOptions, GeneratedPart } from "./credentials.ts";
export { kubeconfigFor, kubeconfigYaml, writeKubeconfig } from "./kubeconfig.ts";
export type { Kubeconfig, KubeconfigOptions } from "./kubeconfig.ts";
export { AUTHENTICATED_GROUP, Authenticator, bearerToken, tlsServerOptions, writeUnauthorized } from "./authenticator.ts";
export type { AuthenticatorOptions, TlsMaterial, UserInfo } from "./authenticator.ts";
export { formatTokenLine, generateToken, parseTokenFile, readTokenFile } from "./tokenfile.ts";
export type { TokenEntry } from "./tokenfile.ts";
