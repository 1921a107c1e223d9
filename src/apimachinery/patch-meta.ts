// Where strategic merge patch learns how to merge each field: patch strategy and merge key, from
// Kubernetes' OpenAPI v2 definitions or from a built-in table of the kinds served first.
import { isPlainObject } from "./object.ts";

/** What SMP needs to know about one field; `meta` describes the field's object, or a list's items. */
export interface FieldPatchMeta {
  /** "merge" | "replace" | "retainKeys" | "merge,retainKeys"; absent = lists are replaced. */
  strategy?: string;
  mergeKey?: string;
  meta: PatchMeta;
}

export interface PatchMeta {
  field(name: string): FieldPatchMeta;
}

/** No information: every list is replaced, maps merge — SMP behaves like JSON merge patch. */
export const emptyPatchMeta: PatchMeta = { field: () => ({ meta: emptyPatchMeta }) };

// ---- OpenAPI v2 (swagger.json `definitions`), resolved lazily ----

const refPrefixes = ["#/definitions/", "#/components/schemas/"];

/**
 * PatchMeta read from an OpenAPI v2 `definitions` map (properties, $ref, allOf, items,
 * additionalProperties, x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key). Schemas are
 * resolved only when a patch reaches them; an unknown field yields no information.
 */
export function patchMetaFromOpenAPI(definitions: Record<string, unknown>, definitionName: string): PatchMeta {
  const nodes = new WeakMap<object, PatchMeta>();

  /** Follows $ref (and a single-$ref allOf, as OpenAPI v3 writes it) to the schema it names. */
  const resolve = (schema: unknown, depth = 0): Record<string, unknown> | undefined => {
    if (!isPlainObject(schema) || depth > 32) return undefined;
    const allOf = schema.allOf;
    if (Array.isArray(allOf) && allOf.length > 0 && schema.$ref === undefined) return resolve(allOf[0], depth + 1);
    const ref = schema.$ref;
    if (typeof ref === "string") {
      const prefix = refPrefixes.find((p) => ref.startsWith(p));
      const name = prefix ? ref.slice(prefix.length) : ref;
      return Object.hasOwn(definitions, name) ? resolve(definitions[name], depth + 1) : undefined;
    }
    return schema;
  };

  const nodeFor = (schema: Record<string, unknown> | undefined): PatchMeta => {
    if (!schema) return emptyPatchMeta;
    const cached = nodes.get(schema);
    if (cached) return cached;
    const node: PatchMeta = {
      field(name: string): FieldPatchMeta {
        const props = schema.properties;
        let prop: unknown = isPlainObject(props) && Object.hasOwn(props, name) ? props[name] : undefined;
        if (prop === undefined && isPlainObject(schema.additionalProperties)) prop = schema.additionalProperties;
        if (!isPlainObject(prop)) return { meta: emptyPatchMeta };
        const target = resolve(prop);
        const strategy = prop["x-kubernetes-patch-strategy"] ?? target?.["x-kubernetes-patch-strategy"];
        const mergeKey = prop["x-kubernetes-patch-merge-key"] ?? target?.["x-kubernetes-patch-merge-key"];
        const inner = target && (target.type === "array" || target.items !== undefined) ? resolve(target.items) : target;
        return {
          ...(typeof strategy === "string" ? { strategy } : {}),
          ...(typeof mergeKey === "string" ? { mergeKey } : {}),
          meta: nodeFor(inner),
        };
      },
    };
    nodes.set(schema, node);
    return node;
  };

  return nodeFor(resolve({ $ref: `#/definitions/${definitionName}` }));
}

// ---- the built-in table, from the patchStrategy/patchMergeKey tags of k8s.io/api ----

interface FieldSpec {
  strategy?: string;
  mergeKey?: string;
  /** The field's object type, or its list's item type. */
  of?: () => Spec;
}
type Spec = Record<string, FieldSpec>;

function fromSpec(spec: () => Spec): PatchMeta {
  let resolved: Spec | undefined;
  return {
    field(name: string): FieldPatchMeta {
      resolved ??= spec();
      const f = Object.hasOwn(resolved, name) ? resolved[name]! : undefined;
      if (!f) return { meta: emptyPatchMeta };
      return {
        ...(f.strategy ? { strategy: f.strategy } : {}),
        ...(f.mergeKey ? { mergeKey: f.mergeKey } : {}),
        meta: f.of ? fromSpec(f.of) : emptyPatchMeta,
      };
    },
  };
}

const mergeBy = (mergeKey: string, of?: () => Spec, strategy = "merge"): FieldSpec => ({ strategy, mergeKey, ...(of ? { of } : {}) });
const conditions = { conditions: mergeBy("type") };

const objectMeta = (): Spec => ({ ownerReferences: mergeBy("uid"), finalizers: { strategy: "merge" } });
const container = (): Spec => ({
  ports: mergeBy("containerPort"),
  env: mergeBy("name"),
  volumeMounts: mergeBy("mountPath"),
  volumeDevices: mergeBy("devicePath"),
});
const podSpec = (): Spec => ({
  volumes: mergeBy("name", undefined, "merge,retainKeys"),
  initContainers: mergeBy("name", container),
  containers: mergeBy("name", container),
  ephemeralContainers: mergeBy("name", container),
  imagePullSecrets: mergeBy("name"),
  hostAliases: mergeBy("ip"),
  topologySpreadConstraints: mergeBy("topologyKey"),
  schedulingGates: mergeBy("name"),
  resourceClaims: mergeBy("name", undefined, "merge,retainKeys"),
});
const podStatus = (): Spec => ({
  ...conditions,
  hostIPs: mergeBy("ip"),
  podIPs: mergeBy("ip"),
  resourceClaimStatuses: mergeBy("name", undefined, "merge,retainKeys"),
});
const podTemplateSpec = (): Spec => ({ metadata: { of: objectMeta }, spec: { of: podSpec } });
const statusWithConditions = { status: { of: (): Spec => conditions } };
const withTemplate = (extra: Spec = {}): Spec => ({ spec: { of: () => ({ template: { of: podTemplateSpec }, ...extra }) }, ...statusWithConditions });

const kinds: Record<string, () => Spec> = {
  Pod: () => ({ spec: { of: podSpec }, status: { of: podStatus } }),
  PodTemplate: () => ({ template: { of: podTemplateSpec } }),
  Deployment: () => withTemplate({ strategy: { strategy: "retainKeys" } }),
  ReplicaSet: () => withTemplate(),
  StatefulSet: () => withTemplate(),
  DaemonSet: () => withTemplate(),
  ReplicationController: () => withTemplate(),
  Job: () => withTemplate(),
  CronJob: () => ({ spec: { of: () => ({ jobTemplate: { of: () => ({ metadata: { of: objectMeta }, spec: { of: () => ({ template: { of: podTemplateSpec } }) } }) } }) } }),
  Service: () => ({ spec: { of: () => ({ ports: mergeBy("port") }) }, ...statusWithConditions }),
  Node: () => ({
    spec: { of: () => ({ podCIDRs: { strategy: "merge" } }) },
    status: { of: () => ({ ...conditions, addresses: mergeBy("type") }) },
  }),
  Namespace: () => statusWithConditions,
  ServiceAccount: () => ({ secrets: mergeBy("name") }),
  PersistentVolumeClaim: () => statusWithConditions,
  PodDisruptionBudget: () => ({ spec: { of: () => ({ selector: { strategy: "replace" } }) }, ...statusWithConditions }),
  HorizontalPodAutoscaler: () => statusWithConditions,
};

/**
 * The merge keys and strategies Kubernetes' Go types declare for the kinds served first (every
 * kind gets ObjectMeta's: ownerReferences by uid, finalizers as a set). Lists not listed here —
 * tolerations, node taints, envFrom, Endpoints subsets, Secret/ConfigMap data — are replaced.
 */
export function builtinPatchMeta(kind: string): PatchMeta {
  const body = Object.hasOwn(kinds, kind) ? kinds[kind]! : () => ({});
  return fromSpec(() => ({ metadata: { of: objectMeta }, ...body() }));
}
