// The resource registry: every served kind, looked up by group/version/resource, by kind, or by
// short name; the generic handlers, discovery and OpenAPI all read from here.
import { apiVersionOf } from "../../apimachinery/object.ts";
import type { Resource, ResourceDefinition } from "./types.ts";

export const STORAGE_ROOT = "/registry/";

export class Registry {
  private readonly byPath = new Map<string, Resource>();
  private readonly byKind = new Map<string, Resource>();
  private readonly all: Resource[] = [];

  add(...defs: ResourceDefinition[]): this {
    for (const def of defs) {
      const resource: Resource = {
        ...def,
        apiVersion: apiVersionOf(def.group, def.version),
        listKind: `${def.kind}List`,
        storagePrefix: `${STORAGE_ROOT}${def.group || "core"}/${def.plural}/`,
      };
      const path = `${def.group}/${def.version}/${def.plural}`;
      if (this.byPath.has(path)) throw new Error(`resource ${path} registered twice`);
      this.byPath.set(path, resource);
      this.byKind.set(`${resource.apiVersion}/${def.kind}`, resource);
      this.all.push(resource);
    }
    return this;
  }

  get(group: string, version: string, plural: string): Resource | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  byApiVersionKind(apiVersion: string, kind: string): Resource | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  resources(): readonly Resource[] {
    return this.all;
  }

  /** Groups in discovery order (core first), each with its versions. */
  groups(): { group: string; versions: string[] }[] {
    const groups = new Map<string, Set<string>>();
    for (const r of this.all) {
      let versions = groups.get(r.group);
      if (!versions) groups.set(r.group, (versions = new Set()));
      versions.add(r.version);
    }
    return [...groups].map(([group, versions]) => ({ group, versions: [...versions] }));
  }

  /** The storage key of one object. */
  static key(resource: Resource, namespace: string, name: string): string {
    return resource.namespaced ? `${resource.storagePrefix}${namespace}/${name}` : `${resource.storagePrefix}${name}`;
  }
}
