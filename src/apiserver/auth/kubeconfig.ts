// kubeconfig files that the real kubectl (and client-go) read unchanged: one cluster, one user,
// one context, with the CA and client credentials embedded as base64 `*-data` fields.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { writeFileAtomic } from "./files.ts";

export interface KubeconfigOptions {
  /** "https://127.0.0.1:6443". */
  server: string;
  /** PEM of the CA that signed the server's certificate. */
  caPem: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
  /** Name of the cluster, user and context; default "k8ts". */
  name?: string;
  /** Default namespace of the context. */
  namespace?: string;
}

/** The subset of clientcmd's v1 Config that we write. */
export interface Kubeconfig {
  apiVersion: "v1";
  kind: "Config";
  clusters: { name: string; cluster: { server: string; "certificate-authority-data": string } }[];
  users: {
    name: string;
    user: { "client-certificate-data"?: string; "client-key-data"?: string; token?: string };
  }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  "current-context": string;
  preferences: Record<string, never>;
}

const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");

/** Builds the kubeconfig object. A client certificate needs its key (and vice versa). */
export function kubeconfigFor(opts: KubeconfigOptions): Kubeconfig {
  if (!/^https?:\/\//.test(opts.server)) throw new Error(`kubeconfig server must be a URL, got ${JSON.stringify(opts.server)}`);
  if ((opts.clientCertPem === undefined) !== (opts.clientKeyPem === undefined)) {
    throw new Error("kubeconfig: a client certificate and its key go together");
  }
  const name = opts.name ?? "k8ts";
  const user: Kubeconfig["users"][number]["user"] = {};
  if (opts.clientCertPem !== undefined && opts.clientKeyPem !== undefined) {
    user["client-certificate-data"] = b64(opts.clientCertPem);
    user["client-key-data"] = b64(opts.clientKeyPem);
  }
  if (opts.token !== undefined) user.token = opts.token;
  const context: Kubeconfig["contexts"][number]["context"] = { cluster: name, user: name };
  if (opts.namespace) context.namespace = opts.namespace;
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: opts.server, "certificate-authority-data": b64(opts.caPem) } }],
    users: [{ name, user }],
    contexts: [{ name, context }],
    "current-context": name,
    preferences: {},
  };
}

/** The kubeconfig as YAML text. */
export function kubeconfigYaml(opts: KubeconfigOptions): string {
  return stringify(kubeconfigFor(opts), { lineWidth: 0 });
}

/** Writes the kubeconfig with mode 0600 (it holds credentials), creating a missing parent directory with mode 0700. */
export async function writeKubeconfig(file: string, opts: KubeconfigOptions): Promise<Kubeconfig> {
  const config = kubeconfigFor(opts);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, stringify(config, { lineWidth: 0 }), 0o600);
  return config;
}
