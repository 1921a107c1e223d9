// Which namespaced resources exist, from the API server's discovery documents (/api/v1 and each
// group's preferred version under /apis), as the namespace controller needs to empty a namespace.
import type { APIGroupList, APIResourceList } from "kubernetes-types/meta/v1.js";
import type { Client, ResourceDescriptor } from "../../client/index.ts";

export interface DeletableResource extends ResourceDescriptor {
  /** The server supports DELETE on the collection. */
  deleteCollection: boolean;
}

function fromList(list: APIResourceList, group: string, version: string): DeletableResource[] {
  return list.resources
    .filter((r) => r.namespaced && !r.name.includes("/") && r.verbs.includes("list") && (r.verbs.includes("delete") || r.verbs.includes("deletecollection")))
    .map((r) => ({ group, version, resource: r.name, kind: r.kind, namespaced: true, deleteCollection: r.verbs.includes("deletecollection") }));
}

/** Every namespaced resource that can be listed and deleted (one version per group). */
export async function discoverNamespacedResources(client: Client, signal?: AbortSignal): Promise<DeletableResource[]> {
  const core = await client.request<APIResourceList>("GET", "/api/v1", undefined, { signal });
  const out = fromList(core, "", "v1");
  const groups = await client.request<APIGroupList>("GET", "/apis", undefined, { signal });
  const lists = await Promise.all(groups.groups.map(async (g) => {
    const version = g.preferredVersion?.version ?? g.versions[0]?.version;
    if (!version) return [];
    const list = await client.request<APIResourceList>("GET", `/apis/${g.name}/${version}`, undefined, { signal });
    return fromList(list, g.name, version);
  }));
  for (const l of lists) out.push(...l);
  return out;
}
