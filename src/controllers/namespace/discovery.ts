// Which namespaced resources exist, from the API server's discovery documents (/api/v1 and each
// group's preferred version under /apis), as the namespace controller needs to empty a namespace.
// A group that fails is reported, not fatal: the others can still be emptied.
import type { APIGroupList, APIResourceList } from "kubernetes-types/meta/v1.js";
import type { Client, ResourceDescriptor } from "../../client/index.ts";
import { GroupDiscoveryFailedError } from "./conditions.ts";

export interface DeletableResource extends ResourceDescriptor {
  /** The server supports DELETE on the collection. */
  deleteCollection: boolean;
}

export interface DiscoveryResult {
  resources: DeletableResource[];
  /** Discovery failed: for some groups (GroupDiscoveryFailedError) or as a whole. */
  discoveryError?: Error;
  /** A resource list whose groupVersion does not parse (apimachinery's ParseGroupVersion). */
  groupVersionError?: Error;
}

/** schema.ParseGroupVersion: "v1", "apps/v1"; anything with more slashes is an error. */
export function parseGroupVersion(gv: string): { group: string; version: string } {
  if (gv === "" || gv === "/") return { group: "", version: "" };
  const parts = gv.split("/");
  if (parts.length === 1) return { group: "", version: parts[0]! };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  throw new Error(`unexpected GroupVersion string: ${gv}`);
}

function fromList(list: APIResourceList, group: string, version: string): DeletableResource[] {
  return list.resources
    .filter((r) => r.namespaced && !r.name.includes("/") && r.verbs.includes("list") && (r.verbs.includes("delete") || r.verbs.includes("deletecollection")))
    .map((r) => ({ group, version, resource: r.name, kind: r.kind, namespaced: true, deleteCollection: r.verbs.includes("deletecollection") }));
}

/** Every namespaced resource that can be listed and deleted (one version per group), and what could not be discovered. */
export async function discoverNamespacedResources(client: Client, signal?: AbortSignal): Promise<DiscoveryResult> {
  const lists: { gv: string; list: APIResourceList }[] = [];
  const failed = new Map<string, unknown>();
  try {
    lists.push({ gv: "v1", list: await client.request<APIResourceList>("GET", "/api/v1", undefined, { signal }) });
  } catch (err) {
    failed.set("v1", err);
  }
  let groups: APIGroupList;
  try {
    groups = await client.request<APIGroupList>("GET", "/apis", undefined, { signal });
  } catch (err) {
    return { resources: [], discoveryError: err instanceof Error ? err : new Error(String(err)) };
  }
  await Promise.all(groups.groups.map(async (g) => {
    const version = g.preferredVersion?.version ?? g.versions[0]?.version;
    if (!version) return;
    const gv = `${g.name}/${version}`;
    try {
      lists.push({ gv, list: await client.request<APIResourceList>("GET", `/apis/${gv}`, undefined, { signal }) });
    } catch (err) {
      failed.set(gv, err);
    }
  }));
  const out: DiscoveryResult = { resources: [] };
  for (const { gv, list } of lists) {
    let parsed;
    try {
      parsed = parseGroupVersion(list.groupVersion || gv);
    } catch (err) {
      out.groupVersionError ??= err as Error;
      continue;
    }
    out.resources.push(...fromList(list, parsed.group, parsed.version));
  }
  if (failed.size > 0) out.discoveryError = new GroupDiscoveryFailedError(failed);
  return out;
}
