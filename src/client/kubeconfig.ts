// Connection settings for the REST client: read from a kubeconfig (file or object, as clientcmd
// resolves current-context → cluster + user) or the in-cluster service-account files.
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { isPlainObject } from "../apimachinery/object.ts";

/** Everything needed to reach and authenticate to one API server. */
export interface ClientConfig {
  /** "https://host:port" (a path prefix is kept). */
  server: string;
  /** PEM of the CA that signed the server's certificate; without it the system CAs are used. */
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  insecureSkipTLSVerify?: boolean;
  /** The context's default namespace ("default" when unset). */
  namespace?: string;
  /** Overrides the TLS server name (kubeconfig `tls-server-name`). */
  tlsServerName?: string;
}

type Named = { name?: unknown; [k: string]: unknown };

function entry(list: unknown, name: string, field: string, what: string): Record<string, unknown> {
  const found = Array.isArray(list) ? (list as Named[]).find((e) => isPlainObject(e) && e.name === name) : undefined;
  const value = found?.[field];
  if (!isPlainObject(value)) throw new Error(`kubeconfig: ${what} ${JSON.stringify(name)} not found`);
  return value;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** `*-data` (base64) wins over the file path, as in clientcmd; relative paths are from the kubeconfig's folder. */
async function dataOrFile(obj: Record<string, unknown>, dataField: string, fileField: string, base: string | undefined): Promise<string | undefined> {
  const data = str(obj[dataField]);
  if (data) return Buffer.from(data, "base64").toString("utf8");
  const file = str(obj[fileField]);
  if (!file) return undefined;
  return readFile(isAbsolute(file) || !base ? file : join(base, file), "utf8");
}

export interface KubeconfigLoadOptions {
  /** Use this context instead of `current-context`. */
  context?: string;
}

/**
 * Resolves a kubeconfig (a path to YAML/JSON, or the parsed object) to a ClientConfig.
 * Supported user credentials: client certificate + key (data or file), token, tokenFile.
 * Exec and auth-provider plugins are not supported (they throw).
 */
export async function loadKubeconfig(source: string | Record<string, unknown>, opts: KubeconfigLoadOptions = {}): Promise<ClientConfig> {
  const base = typeof source === "string" ? dirname(source) : undefined;
  const doc: unknown = typeof source === "string" ? parse(await readFile(source, "utf8")) : source;
  if (!isPlainObject(doc)) throw new Error("kubeconfig: not a mapping");
  const contextName = opts.context ?? str(doc["current-context"]);
  if (!contextName) throw new Error("kubeconfig: no current-context");
  const context = entry(doc.contexts, contextName, "context", "context");
  const clusterName = str(context.cluster);
  if (!clusterName) throw new Error(`kubeconfig: context ${JSON.stringify(contextName)} names no cluster`);
  const cluster = entry(doc.clusters, clusterName, "cluster", "cluster");
  const server = str(cluster.server);
  if (!server) throw new Error(`kubeconfig: cluster ${JSON.stringify(clusterName)} has no server`);
  const userName = str(context.user);
  const user = userName ? entry(doc.users, userName, "user", "user") : {};
  if (user.exec || user["auth-provider"]) throw new Error("kubeconfig: exec and auth-provider credentials are not supported");
  const config: ClientConfig = { server: server.replace(/\/+$/, "") };
  const ca = await dataOrFile(cluster, "certificate-authority-data", "certificate-authority", base);
  if (ca) config.caPem = ca;
  if (cluster["insecure-skip-tls-verify"] === true) config.insecureSkipTLSVerify = true;
  const sni = str(cluster["tls-server-name"]);
  if (sni) config.tlsServerName = sni;
  const cert = await dataOrFile(user, "client-certificate-data", "client-certificate", base);
  const key = await dataOrFile(user, "client-key-data", "client-key", base);
  if (cert && key) {
    config.certPem = cert;
    config.keyPem = key;
  }
  const token = str(user.token) ?? (str(user.tokenFile) ? (await readFile(str(user.tokenFile)!, "utf8")).trim() : undefined);
  if (token) config.token = token;
  const ns = str(context.namespace);
  if (ns) config.namespace = ns;
  return config;
}

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The in-cluster configuration, as client-go's rest.InClusterConfig: KUBERNETES_SERVICE_HOST/PORT
 * and the service-account token, CA and namespace files under `dir`.
 */
export async function inClusterConfig(dir = SERVICE_ACCOUNT_DIR, env: NodeJS.ProcessEnv = process.env): Promise<ClientConfig> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const [token, caPem, namespace] = await Promise.all([
    readFile(join(dir, "token"), "utf8"),
    readFile(join(dir, "ca.crt"), "utf8"),
    readFile(join(dir, "namespace"), "utf8").catch(() => undefined),
  ]);
  const config: ClientConfig = { server: `https://${hostPart}:${port}`, token: token.trim(), caPem };
  if (namespace?.trim()) config.namespace = namespace.trim();
  return config;
}
