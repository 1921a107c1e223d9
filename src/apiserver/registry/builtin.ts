// The kinds k8ts serves: one registry entry per kind (see kinds/).
import { Registry } from "./registry.ts";
import { namespaces } from "./kinds/namespace.ts";
import { configmaps } from "./kinds/configmap.ts";

export function builtinRegistry(): Registry {
  return new Registry().add(namespaces, configmaps);
}
