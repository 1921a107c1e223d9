// A container's environment as the kubelet builds it (kubelet_pods.go makeEnvironmentVariables):
// envFrom (ConfigMaps, Secrets, with prefixes), then env in order — literal values with $(VAR)
// expansion, downward API fields, resource fields, ConfigMap and Secret keys — and the expansion
// of command and args against the result.
import type { ConfigMap, Container, EnvVar, ObjectFieldSelector, Pod, Secret } from "kubernetes-types/core/v1.js";
import { isStatusError } from "../../apimachinery/status.ts";
import type { Client } from "../../client/index.ts";
import { resources } from "../../client/index.ts";
import { expand, mappingFor } from "./expand.ts";
import { containerResourceValue } from "./resources.ts";

/** Where ConfigMaps and Secrets come from; `undefined` means not found (other failures throw). */
export interface EnvSources {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
}

export interface EnvContext {
  /** The pod's IPs, primary first (empty before the sandbox has one). */
  podIPs: string[];
  /** The node's IPs, primary first. */
  hostIPs: string[];
  /** Node allocatable (cpu, memory, ephemeral-storage) for limits the container does not set. */
  nodeAllocatable?: Record<string, string>;
  sources?: EnvSources;
  /** Service link variables (FOO_SERVICE_HOST…), lowest precedence. */
  serviceEnv?: ReadonlyMap<string, string>;
}

export interface ResolvedEnvVar {
  name: string;
  value: string;
}

/**
 * A failure to build the container's configuration: the container waits with reason
 * CreateContainerConfigError and this message (e.g. `couldn't find key k in ConfigMap ns/cm`).
 */
export class CreateContainerConfigError extends Error {
  readonly reason = "CreateContainerConfigError";
  constructor(message: string) {
    super(message);
    this.name = "CreateContainerConfigError";
  }
}

/** ConfigMaps and Secrets read through the API (one GET each per container start). */
export function apiEnvSources(client: Client): EnvSources {
  const get = async <T>(r: typeof resources.configmaps, namespace: string, name: string): Promise<T | undefined> => {
    try {
      return await client.get<T & { metadata?: object }>(r, name, { namespace });
    } catch (err) {
      if (isStatusError(err, "NotFound")) return undefined;
      throw err;
    }
  };
  return {
    getConfigMap: (ns, name) => get<ConfigMap>(resources.configmaps, ns, name),
    getSecret: (ns, name) => get<Secret>(resources.secrets, ns, name),
  };
}

const decodeSecret = (v: string): string => Buffer.from(v, "base64").toString("utf8");

/** Caches lookups for one container, and turns absence into Kubernetes' errors. */
class SourceCache {
  private readonly cms = new Map<string, ConfigMap | undefined>();
  private readonly secrets = new Map<string, Secret | undefined>();
  private readonly ns: string;
  private readonly sources: EnvSources | undefined;
  constructor(ns: string, sources: EnvSources | undefined) {
    this.ns = ns;
    this.sources = sources;
  }

  /** The ConfigMap, or undefined when missing and optional; throws when missing and required. */
  async configMap(name: string, optional: boolean): Promise<ConfigMap | undefined> {
    if (!this.cms.has(name)) {
      if (!this.sources) throw new CreateContainerConfigError(`couldn't get configMap ${this.ns}/${name}, no kubeClient defined`);
      this.cms.set(name, await this.sources.getConfigMap(this.ns, name));
    }
    const cm = this.cms.get(name);
    if (!cm && !optional) throw new CreateContainerConfigError(`configmap "${name}" not found`);
    return cm;
  }

  async secret(name: string, optional: boolean): Promise<Secret | undefined> {
    if (!this.secrets.has(name)) {
      if (!this.sources) throw new CreateContainerConfigError(`couldn't get secret ${this.ns}/${name}, no kubeClient defined`);
      this.secrets.set(name, await this.sources.getSecret(this.ns, name));
    }
    const s = this.secrets.get(name);
    if (!s && !optional) throw new CreateContainerConfigError(`secret "${name}" not found`);
    return s;
  }
}

/**
 * The environment of `container` in `pod`, in Kubernetes' precedence: envFrom sources in order
 * (later ones override earlier keys), then env entries in order (overriding envFrom), then the
 * service variables not already defined. Literal values are `$(VAR)`-expanded against the
 * variables defined before them and the service variables. Throws CreateContainerConfigError.
 */
export async function makeEnvironmentVariables(pod: Pod, container: Container, ctx: EnvContext): Promise<ResolvedEnvVar[]> {
  const ns = pod.metadata?.namespace ?? "";
  const cache = new SourceCache(ns, ctx.sources);
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    if (from.configMapRef) {
      const cm = await cache.configMap(from.configMapRef.name ?? "", from.configMapRef.optional === true);
      for (const [k, v] of Object.entries(cm?.data ?? {})) env.set(prefix + k, v);
    } else if (from.secretRef) {
      const s = await cache.secret(from.secretRef.name ?? "", from.secretRef.optional === true);
      for (const [k, v] of Object.entries(s?.data ?? {})) env.set(prefix + k, decodeSecret(v));
    }
  }
  const serviceEnv = ctx.serviceEnv ?? new Map<string, string>();
  const mapping = mappingFor(env, serviceEnv);
  for (const e of container.env ?? []) {
    const value = await envValue(pod, container, e, ctx, cache, mapping);
    if (value !== undefined) env.set(e.name, value);
  }
  const result: ResolvedEnvVar[] = [...env].map(([name, value]) => ({ name, value }));
  for (const [name, value] of serviceEnv) if (!env.has(name)) result.push({ name, value });
  return result;
}

/** One env entry's value; undefined = skipped (an optional source that is missing). */
async function envValue(pod: Pod, container: Container, e: EnvVar, ctx: EnvContext, cache: SourceCache, mapping: (n: string) => string): Promise<string | undefined> {
  if (e.value) return expand(e.value, mapping);
  const from = e.valueFrom;
  if (!from) return "";
  const ns = pod.metadata?.namespace ?? "";
  if (from.fieldRef) return podFieldValue(from.fieldRef, pod, ctx);
  if (from.resourceFieldRef) {
    try {
      return containerResourceValue(from.resourceFieldRef, pod, container, ctx.nodeAllocatable ?? {});
    } catch (err) {
      throw new CreateContainerConfigError(err instanceof Error ? err.message : String(err));
    }
  }
  if (from.configMapKeyRef) {
    const { name = "", key, optional = false } = from.configMapKeyRef;
    const cm = await cache.configMap(name, optional);
    if (!cm) return undefined;
    const v = cm.data?.[key];
    if (v === undefined) {
      if (optional) return undefined;
      throw new CreateContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
    }
    return v;
  }
  if (from.secretKeyRef) {
    const { name = "", key, optional = false } = from.secretKeyRef;
    const s = await cache.secret(name, optional);
    if (!s) return undefined;
    const v = s.data?.[key];
    if (v === undefined) {
      if (optional) return undefined;
      throw new CreateContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
    }
    return decodeSecret(v);
  }
  return "";
}

/** `key="value"` lines, sorted by key (fieldpath.FormatMap), for whole-map field paths. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify(m![k])}`).join("\n");
}

const SUBSCRIPT = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/;

/** The downward API value of a pod field (podFieldSelectorRuntimeValue + ExtractFieldPathAsString). */
export function podFieldValue(fs: ObjectFieldSelector, pod: Pod, ctx: Pick<EnvContext, "podIPs" | "hostIPs">): string {
  const path = fs.fieldPath;
  const meta = pod.metadata ?? {};
  switch (path) {
    case "spec.nodeName": return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName": return pod.spec?.serviceAccountName ?? "";
    case "status.hostIP": return ctx.hostIPs[0] ?? "";
    case "status.hostIPs": return ctx.hostIPs.join(",");
    case "status.podIP": return ctx.podIPs[0] ?? "";
    case "status.podIPs": return ctx.podIPs.join(",");
    case "spec.terminationGracePeriodSeconds": return String(pod.spec?.terminationGracePeriodSeconds ?? 30);
    case "metadata.name": return meta.name ?? "";
    case "metadata.namespace": return meta.namespace ?? "";
    case "metadata.uid": return meta.uid ?? "";
    case "metadata.labels": return formatMap(meta.labels);
    case "metadata.annotations": return formatMap(meta.annotations);
  }
  const m = SUBSCRIPT.exec(path);
  if (m) {
    const map = m[1] === "metadata.labels" ? meta.labels : meta.annotations;
    return map?.[m[2]!] ?? "";
  }
  throw new CreateContainerConfigError(`unsupported fieldPath: ${path}`);
}

/** Command and args with `$(VAR)` references to the container's final environment expanded. */
export function expandContainerCommandAndArgs(container: Container, env: readonly ResolvedEnvVar[]): { command: string[]; args: string[] } {
  const mapping = mappingFor(new Map(env.map((e) => [e.name, e.value])));
  return {
    command: (container.command ?? []).map((c) => expand(c, mapping)),
    args: (container.args ?? []).map((a) => expand(a, mapping)),
  };
}
