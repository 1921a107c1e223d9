// Discovery documents from the registry: legacy (/api, /apis, /api/v1, /apis/<g>/<v>) and
// aggregated (apidiscovery.k8s.io/v2 APIGroupDiscoveryList), as kubectl and client-go read them.
import { createHash } from "node:crypto";
import type { Registry } from "./registry/registry.ts";
import type { Resource } from "./registry/types.ts";

export const AGGREGATED_DISCOVERY_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const DEFAULT_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export function verbsOf(r: Resource): string[] {
  return r.verbs ?? DEFAULT_VERBS;
}

/** Accept asks for aggregated discovery (v2 or v2beta1). */
export function wantsAggregated(accept: string | undefined): "v2" | "v2beta1" | null {
  for (const part of (accept ?? "").split(",")) {
    const params = part.split(";").map((p) => p.trim());
    if (params.includes("g=apidiscovery.k8s.io") && params.includes("as=APIGroupDiscoveryList")) {
      if (params.includes("v=v2")) return "v2";
      if (params.includes("v=v2beta1")) return "v2beta1";
    }
  }
  return null;
}

function subresourcesOf(r: Resource): { name: string; kind: string; group: string; version: string; verbs: string[] }[] {
  const subs: { name: string; kind: string; group: string; version: string; verbs: string[] }[] = [];
  if (r.status) subs.push({ name: "status", kind: r.kind, group: r.group, version: r.version, verbs: ["get", "patch", "update"] });
  if (r.scale) subs.push({ name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "patch", "update"] });
  for (const name of r.subresources ?? []) subs.push(...extraSubresource(r, name));
  return subs;
}

function extraSubresource(r: Resource, name: string): { name: string; kind: string; group: string; version: string; verbs: string[] }[] {
  switch (name) {
    case "binding": return [{ name, kind: "Binding", group: "", version: "v1", verbs: ["create"] }];
    case "eviction": return [{ name, kind: "Eviction", group: "policy", version: "v1", verbs: ["create"] }];
    case "log": return [{ name, kind: "Pod", group: "", version: "v1", verbs: ["get"] }];
    case "exec": return [{ name, kind: "PodExecOptions", group: "", version: "v1", verbs: ["create", "get"] }];
    case "attach": return [{ name, kind: "PodAttachOptions", group: "", version: "v1", verbs: ["create", "get"] }];
    case "portforward": return [{ name, kind: "PodPortForwardOptions", group: "", version: "v1", verbs: ["create", "get"] }];
    case "proxy": return [{ name, kind: `${r.kind}ProxyOptions`, group: "", version: "v1", verbs: ["create", "delete", "get", "patch", "update"] }];
    case "finalize": return [{ name, kind: r.kind, group: r.group, version: r.version, verbs: ["update"] }];
    case "token": return [{ name, kind: "TokenRequest", group: "authentication.k8s.io", version: "v1", verbs: ["create"] }];
    default: return [{ name, kind: r.kind, group: r.group, version: r.version, verbs: ["get"] }];
  }
}

function storageVersionHash(r: Resource): string {
  return createHash("sha256").update(`${r.group}/${r.version}/${r.kind}`).digest("base64").slice(0, 11);
}

export class Discovery {
  private readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
  }

  /** GET /api (legacy). */
  apiVersions(serverAddress: string): unknown {
    return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
  }

  private groupEntry(group: string, versions: string[]): unknown {
    const gv = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
    return { name: group, versions: gv, preferredVersion: gv[0] };
  }

  /** GET /apis (legacy). */
  apiGroupList(): unknown {
    const groups = this.registry.groups().filter((g) => g.group !== "").map((g) => this.groupEntry(g.group, g.versions));
    return { kind: "APIGroupList", apiVersion: "v1", groups };
  }

  /** GET /apis/<group> (legacy), or null when the group is not served. */
  apiGroup(group: string): unknown {
    const g = this.registry.groups().find((x) => x.group === group && group !== "");
    return g ? { kind: "APIGroup", apiVersion: "v1", ...(this.groupEntry(g.group, g.versions) as object) } : null;
  }

  /** GET /api/v1 or /apis/<g>/<v> (legacy), or null when not served. */
  resourceList(group: string, version: string): unknown {
    const resources = this.registry.resources().filter((r) => r.group === group && r.version === version);
    if (resources.length === 0) return null;
    const list: unknown[] = [];
    for (const r of resources) {
      list.push({
        name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: verbsOf(r),
        ...(r.shortNames ? { shortNames: r.shortNames } : {}), ...(r.categories ? { categories: r.categories } : {}),
        storageVersionHash: storageVersionHash(r),
      });
      for (const s of subresourcesOf(r)) {
        list.push({ name: `${r.plural}/${s.name}`, singularName: "", namespaced: r.namespaced, ...(s.group !== r.group || s.version !== r.version ? { group: s.group, version: s.version } : {}), kind: s.kind, verbs: s.verbs });
      }
    }
    return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources: list };
  }

  /** GET /api or /apis with aggregated discovery: the core group, or every other group. */
  aggregated(core: boolean, version: "v2" | "v2beta1"): unknown {
    const items = this.registry.groups().filter((g) => (g.group === "") === core).map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        freshness: "Current",
        resources: this.registry.resources().filter((r) => r.group === g.group && r.version === v).map((r) => ({
          resource: r.plural,
          responseKind: { group: r.group, version: r.version, kind: r.kind },
          scope: r.namespaced ? "Namespaced" : "Cluster",
          singularResource: r.singular,
          verbs: verbsOf(r),
          ...(r.shortNames ? { shortNames: r.shortNames } : {}),
          ...(r.categories ? { categories: r.categories } : {}),
          ...(subresourcesOf(r).length ? {
            subresources: subresourcesOf(r).map((s) => ({ subresource: s.name, responseKind: { group: s.group, version: s.version, kind: s.kind }, verbs: s.verbs })),
          } : {}),
        })),
      })),
    }));
    return { kind: "APIGroupDiscoveryList", apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
  }
}
