// The resources the garbage collector watches: everything discovery lists that can be listed,
// watched and deleted (one version per group), namespaced or not.
import type { APIGroupList, APIResourceList } from "kubernetes-types/meta/v1.js";
import type { Client, ResourceDescriptor } from "../../client/index.ts";

function fromList(list: APIResourceList, group: string, version: string): ResourceDescriptor[] {
  return list.resources
    .filter((r) => !r.name.includes("/") && ["list", "watch", "delete"].every((v) => r.verbs.includes(v)))
    .map((r) => ({ group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced }));
}

export async function discoverResources(client: Client, signal?: AbortSignal): Promise<ResourceDescriptor[]> {
  const core = await client.request<APIResourceList>("GET", "/api/v1", undefined, { signal });
  const groups = await client.request<APIGroupList>("GET", "/apis", undefined, { signal });
  const lists = await Promise.all(groups.groups.map(async (g) => {
    const version = g.preferredVersion?.version ?? g.versions[0]?.version;
    return version ? fromList(await client.request<APIResourceList>("GET", `/apis/${g.name}/${version}`, undefined, { signal }), g.name, version) : [];
  }));
  return [...fromList(core, "", "v1"), ...lists.flat()];
}
