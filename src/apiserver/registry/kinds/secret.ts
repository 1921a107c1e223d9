// core/v1 Secret (base64 data, stringData folded in as the API server's conversion does, typed
// secrets' required keys, immutability) and core/v1 ServiceAccount.
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { errors, fieldErrors } from "../../../apimachinery/status.ts";
import type { ResourceDefinition } from "../types.ts";
import { validateDataKeys, validateImmutableData } from "./configmap.ts";
import { arr } from "./pod-spec.ts";

interface SecretShape extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

const MAX_SECRET_SIZE = 1024 * 1024;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Where Go's base64.StdEncoding rejects `s` (the byte offset in "illegal base64 data at input
 * byte N"), or -1 when it decodes. Newlines are skipped and padding is required, as in Go.
 */
export function base64ErrorOffset(s: string): number {
  let si = 0;
  const skipNewlines = () => {
    while (si < s.length && (s[si] === "\n" || s[si] === "\r")) si++;
  };
  for (;;) {
    for (let j = 0; j < 4; j++) {
      if (si === s.length) {
        if (j === 0) return -1;
        return si - j;
      }
      const c = s[si++]!;
      if (B64.includes(c)) continue;
      if (c === "\n" || c === "\r") {
        j--;
        continue;
      }
      if (c !== "=" || j < 2) return si - 1;
      if (j === 2) {
        skipNewlines();
        if (si === s.length) return s.length;
        if (s[si] !== "=") return si - 1;
        si++;
      }
      skipNewlines();
      return si < s.length ? si : -1;
    }
  }
}

/** data values are base64 (a 400 otherwise, as decoding fails); stringData is folded into data. */
function normalizeSecret(secret: SecretShape): void {
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    const at = typeof value === "string" ? base64ErrorOffset(value) : 0;
    if (at >= 0) throw errors.badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${at}`);
    // Decoded and encoded again, as a round trip through the API server does (drops newlines).
    secret.data![key] = Buffer.from(value, "base64").toString("base64");
  }
  if (secret.stringData && typeof secret.stringData === "object") {
    secret.data ??= {};
    for (const [key, value] of Object.entries(secret.stringData)) secret.data[key] = Buffer.from(String(value), "utf8").toString("base64");
  }
  delete secret.stringData;
  secret.type ||= "Opaque";
}

const decodedLength = (b64: string) => Buffer.from(b64, "base64").length;

/** The keys and annotations each built-in secret type requires. */
function validateSecretType(secret: SecretShape): StatusCause[] {
  const data = secret.data ?? {};
  const has = (k: string) => Object.hasOwn(data, k);
  const need = (k: string) => (has(k) ? [] : [fieldErrors.required(`data[${k}]`)]);
  const json = (k: string): StatusCause[] => {
    if (!has(k)) return [fieldErrors.required(`data[${k}]`)];
    try {
      JSON.parse(Buffer.from(data[k]!, "base64").toString("utf8"));
      return [];
    } catch (err) {
      return [fieldErrors.invalid(`data[${k}]`, "<secret contents redacted>", (err as Error).message)];
    }
  };
  switch (secret.type) {
    case "kubernetes.io/service-account-token":
      return secret.metadata?.annotations?.["kubernetes.io/service-account.name"] ? [] : [fieldErrors.required("metadata.annotations[kubernetes.io/service-account.name]")];
    case "kubernetes.io/dockercfg":
      return json(".dockercfg");
    case "kubernetes.io/dockerconfigjson":
      return json(".dockerconfigjson");
    case "kubernetes.io/basic-auth":
      if ((has("username") && decodedLength(data.username!) > 0) || (has("password") && decodedLength(data.password!) > 0)) return [];
      return [fieldErrors.required("data[username]"), fieldErrors.required("data[password]")];
    case "kubernetes.io/ssh-auth":
      return need("ssh-privatekey");
    case "kubernetes.io/tls":
      return [...need("tls.crt"), ...need("tls.key")];
  }
  return [];
}

export const secrets: ResourceDefinition = {
  group: "", version: "v1", kind: "Secret", plural: "secrets", singular: "secret",
  namespaced: true,
  defaults: (obj) => normalizeSecret(obj as SecretShape),
  validate(obj) {
    const secret = obj as SecretShape;
    const causes = validateDataKeys(secret.data, "data");
    const total = Object.values(secret.data ?? {}).reduce((n, v) => n + decodedLength(v), 0);
    if (total > MAX_SECRET_SIZE) causes.push(fieldErrors.tooLong("data", MAX_SECRET_SIZE));
    causes.push(...validateSecretType(secret));
    return causes;
  },
  validateUpdate(obj, old) {
    const causes = validateImmutableData(obj as SecretShape, old as SecretShape, ["data"]);
    if ((obj as SecretShape).type !== (old as SecretShape).type) causes.push(fieldErrors.invalid("type", (obj as SecretShape).type, "field is immutable"));
    return causes;
  },
  selectableFields: (obj) => ({ type: (obj as SecretShape).type ?? "" }),
  columns: [
    { name: "Type", type: "string", description: "Used to facilitate programmatic handling of secret data." },
    { name: "Data", type: "string", description: "Data contains the secret data." },
  ],
  cells: (obj) => [(obj as SecretShape).type ?? "", Object.keys((obj as SecretShape).data ?? {}).length],
};

export const serviceAccounts: ResourceDefinition = {
  group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", singular: "serviceaccount", shortNames: ["sa"],
  namespaced: true,
  validate(obj) {
    const causes: StatusCause[] = [];
    arr(obj.secrets as { name?: string }[] | undefined).forEach((s, i) => {
      if (!s || typeof s !== "object") causes.push(fieldErrors.invalid(`secrets[${i}]`, s, "must be an object reference"));
    });
    return causes;
  },
  columns: [{ name: "Secrets", type: "string", description: "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use." }],
  cells: (obj) => [arr(obj.secrets as unknown[] | undefined).length],
};
