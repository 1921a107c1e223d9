// Generates src/apiserver/openapi/schemas.json: the OpenAPI v3 component schemas of the served API
// groups, named as Kubernetes names them (io.k8s.api.core.v1.Pod …), read from kubernetes-types' .d.ts
// files with the TypeScript compiler API, plus the Go struct tags the .d.ts files do not carry.
//
// Run (deterministic; commit the output):
//   export PATH=$PWD/node_modules/.bin:$PATH && node scripts/gen-openapi-schemas.ts
//
// What comes from where:
// - description: the JSDoc of each interface / property; required: properties without `?`.
// - type: string, boolean, arrays, `{[k: string]: T}` maps (additionalProperties); `number` is
//   integer/int32 unless INT64 below says int64 (kubernetes-types does not keep the Go width);
//   `number | string` is IntOrString; Quantity, Time, MicroTime, RawExtension, FieldsV1 are refs.
// - x-kubernetes-group-version-kind: interfaces whose apiVersion and kind are string literals.
// - x-kubernetes-patch-*, x-kubernetes-list-*, x-kubernetes-map-type: the tables below, copied from
//   the Go struct tags and +listType/+listMapKey/+structType/+mapType markers of k8s.io/api and
//   k8s.io/apimachinery at v0.32.5 (types.go). listType=atomic is left out: it is what a list
//   without a list type means anyway.
// - LOST_FIELDS: the few fields kubernetes-types 1.30.0 dropped by mistake, restored from Go.
// Fields new in 1.31/1.32 are absent (kubernetes-types is 1.30); the "note:" lines the script
// prints for table entries naming them are expected.
// Quantity and IntOrString follow the real v3 documents (`oneOf`, no `type`), which is also what
// makes `kubectl explain` print <Quantity> and <IntOrString> instead of <string>.
import ts from "typescript";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TYPES = join(ROOT, "node_modules/kubernetes-types");
const OUT = join(ROOT, "src/apiserver/openapi/schemas.json");

/** kubernetes-types module → Kubernetes schema name prefix. */
const PACKAGES: Record<string, string> = {
  "core/v1": "io.k8s.api.core.v1",
  "apps/v1": "io.k8s.api.apps.v1",
  "coordination/v1": "io.k8s.api.coordination.v1",
  "events/v1": "io.k8s.api.events.v1",
  "discovery/v1": "io.k8s.api.discovery.v1",
  "scheduling/v1": "io.k8s.api.scheduling.v1",
  "autoscaling/v1": "io.k8s.api.autoscaling.v1",
  "autoscaling/v2": "io.k8s.api.autoscaling.v2",
  "policy/v1": "io.k8s.api.policy.v1",
  "authentication/v1": "io.k8s.api.authentication.v1",
  "authorization/v1": "io.k8s.api.authorization.v1",
  "meta/v1": "io.k8s.apimachinery.pkg.apis.meta.v1",
  "api/resource": "io.k8s.apimachinery.pkg.api.resource",
  runtime: "io.k8s.apimachinery.pkg.runtime",
};
/** Every type of these modules is emitted; other modules only for what these reference. */
const SERVED = Object.keys(PACKAGES).filter((m) => m !== "api/resource" && m !== "runtime");

const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const SHORT: Record<string, string> = { meta: "io.k8s.apimachinery.pkg.apis.meta" };
/** "core.v1.PodSpec" → "io.k8s.api.core.v1.PodSpec"; "meta.v1.X" → apimachinery's name. */
const full = (short: string): string => {
  const [group, ...rest] = short.split(".");
  return `${SHORT[group] ?? `io.k8s.api.${group}`}.${rest.join(".")}`;
};

/** Go int64 fields (everything else that is a `number` is int32). */
const INT64: Record<string, string[]> = {
  "core.v1.ServiceAccountTokenProjection": ["expirationSeconds"],
  "core.v1.SleepAction": ["seconds"],
  "core.v1.Probe": ["terminationGracePeriodSeconds"],
  "core.v1.LinuxContainerUser": ["uid", "gid", "supplementalGroups"],
  "core.v1.Toleration": ["tolerationSeconds"],
  "core.v1.PodSpec": ["terminationGracePeriodSeconds", "activeDeadlineSeconds"],
  "core.v1.PodSecurityContext": ["runAsUser", "runAsGroup", "supplementalGroups", "fsGroup"],
  "core.v1.SecurityContext": ["runAsUser", "runAsGroup"],
  "core.v1.ReplicationControllerStatus": ["observedGeneration"],
  "core.v1.ContainerImage": ["sizeBytes"],
  "core.v1.PodLogOptions": ["sinceSeconds", "tailLines", "limitBytes"],
  "apps.v1.StatefulSetStatus": ["observedGeneration"],
  "apps.v1.DeploymentStatus": ["observedGeneration"],
  "apps.v1.DaemonSetStatus": ["observedGeneration"],
  "apps.v1.ReplicaSetStatus": ["observedGeneration"],
  "apps.v1.ControllerRevision": ["revision"],
  "autoscaling.v1.HorizontalPodAutoscalerStatus": ["observedGeneration"],
  "autoscaling.v2.HorizontalPodAutoscalerStatus": ["observedGeneration"],
  "policy.v1.PodDisruptionBudgetStatus": ["observedGeneration"],
  "authentication.v1.TokenRequestSpec": ["expirationSeconds"],
  "meta.v1.ListMeta": ["remainingItemCount"],
  "meta.v1.ObjectMeta": ["generation", "deletionGracePeriodSeconds"],
  "meta.v1.DeleteOptions": ["gracePeriodSeconds"],
  "meta.v1.Condition": ["observedGeneration"],
};

interface FieldTags {
  /** patchStrategy (strategic merge patch): "merge", "retainKeys", "merge,retainKeys", "replace". */
  strategy?: string;
  /** patchMergeKey. */
  key?: string;
  /** +listType (set or map; atomic is the default and left out). */
  list?: "set" | "map";
  /** +listMapKey, in order. */
  mapKeys?: string[];
  /** +mapType=atomic on a map field. */
  atomicMap?: boolean;
}
const MERGE_BY_TYPE: FieldTags = { strategy: "merge", key: "type", list: "map", mapKeys: ["type"] };
const MERGE_BY_NAME: FieldTags = { strategy: "merge", key: "name", list: "map", mapKeys: ["name"] };
const CONTAINER_LISTS: Record<string, FieldTags> = {
  ports: { strategy: "merge", key: "containerPort", list: "map", mapKeys: ["containerPort", "protocol"] },
  env: MERGE_BY_NAME,
  volumeMounts: { strategy: "merge", key: "mountPath", list: "map", mapKeys: ["mountPath"] },
  volumeDevices: { strategy: "merge", key: "devicePath", list: "map", mapKeys: ["devicePath"] },
};
/** Field tags from k8s.io/api and apimachinery v0.32.5, by "group.version.Type". */
const TAGS: Record<string, Record<string, FieldTags>> = {
  "core.v1.Container": CONTAINER_LISTS,
  "core.v1.EphemeralContainer": CONTAINER_LISTS, // EphemeralContainerCommon, inlined
  "core.v1.ContainerStatus": {
    volumeMounts: CONTAINER_LISTS.volumeMounts,
    allocatedResourcesStatus: MERGE_BY_NAME, // 1.31+
  },
  "core.v1.ResourceStatus": { resources: { list: "map", mapKeys: ["resourceID"] } }, // 1.31+
  "core.v1.ResourceRequirements": { claims: { list: "map", mapKeys: ["name"] } },
  "core.v1.PodSpec": {
    volumes: { ...MERGE_BY_NAME, strategy: "merge,retainKeys" },
    initContainers: MERGE_BY_NAME,
    containers: MERGE_BY_NAME,
    ephemeralContainers: MERGE_BY_NAME,
    nodeSelector: { atomicMap: true },
    imagePullSecrets: MERGE_BY_NAME,
    hostAliases: { strategy: "merge", key: "ip", list: "map", mapKeys: ["ip"] },
    topologySpreadConstraints: {
      strategy: "merge",
      key: "topologyKey",
      list: "map",
      mapKeys: ["topologyKey", "whenUnsatisfiable"],
    },
    schedulingGates: MERGE_BY_NAME,
    resourceClaims: { ...MERGE_BY_NAME, strategy: "merge,retainKeys" },
  },
  "core.v1.PodStatus": {
    conditions: MERGE_BY_TYPE,
    hostIPs: { strategy: "merge", key: "ip" },
    podIPs: { strategy: "merge", key: "ip", list: "map", mapKeys: ["ip"] },
    resourceClaimStatuses: { ...MERGE_BY_NAME, strategy: "merge,retainKeys" },
  },
  "core.v1.PersistentVolumeClaimStatus": { conditions: MERGE_BY_TYPE },
  "core.v1.ReplicationControllerSpec": { selector: { atomicMap: true } },
  "core.v1.ReplicationControllerStatus": { conditions: MERGE_BY_TYPE },
  "core.v1.ServiceSpec": {
    ports: { strategy: "merge", key: "port", list: "map", mapKeys: ["port", "protocol"] },
    selector: { atomicMap: true },
  },
  "core.v1.ServiceStatus": { conditions: MERGE_BY_TYPE },
  "core.v1.ServiceAccount": { secrets: MERGE_BY_NAME },
  "core.v1.NodeSpec": { podCIDRs: { strategy: "merge", list: "set" } },
  "core.v1.NodeStatus": { conditions: MERGE_BY_TYPE, addresses: MERGE_BY_TYPE },
  "core.v1.NamespaceStatus": { conditions: MERGE_BY_TYPE },
  "core.v1.ComponentStatus": { conditions: MERGE_BY_TYPE },
  "apps.v1.StatefulSetStatus": { conditions: MERGE_BY_TYPE },
  "apps.v1.DeploymentSpec": { strategy: { strategy: "retainKeys" } },
  "apps.v1.DeploymentStatus": { conditions: MERGE_BY_TYPE },
  "apps.v1.DaemonSetStatus": { conditions: MERGE_BY_TYPE },
  "apps.v1.ReplicaSetStatus": { conditions: MERGE_BY_TYPE },
  "discovery.v1.Endpoint": { addresses: { list: "set" } },
  "autoscaling.v2.HorizontalPodAutoscalerStatus": { conditions: MERGE_BY_TYPE },
  "policy.v1.PodDisruptionBudgetSpec": { selector: { strategy: "replace" } },
  "policy.v1.PodDisruptionBudgetStatus": { conditions: MERGE_BY_TYPE },
  "meta.v1.ObjectMeta": {
    ownerReferences: { strategy: "merge", key: "uid", list: "map", mapKeys: ["uid"] },
    finalizers: { strategy: "merge", list: "set" },
  },
};
/** Structs marked +structType=atomic (x-kubernetes-map-type: atomic on the schema). */
const ATOMIC_STRUCTS = [
  "core.v1.SecretReference", "core.v1.ObjectFieldSelector", "core.v1.ResourceFieldSelector",
  "core.v1.ConfigMapKeySelector", "core.v1.SecretKeySelector", "core.v1.NodeSelector",
  "core.v1.NodeSelectorTerm", "core.v1.TopologySelectorTerm", "core.v1.EndpointAddress",
  "core.v1.EndpointPort", "core.v1.ObjectReference", "core.v1.LocalObjectReference",
  "core.v1.TypedLocalObjectReference", "core.v1.ScopeSelector", "discovery.v1.EndpointPort",
  "autoscaling.v1.CrossVersionObjectReference", "meta.v1.OwnerReference", "meta.v1.LabelSelector",
];

type Schema = Record<string, unknown>;

/** Fields kubernetes-types 1.30.0 lost (a `*\/` in the Go comment cut its JSDoc short), from Go. */
const LOST_FIELDS: Record<string, Record<string, { required?: boolean; schema: Schema }>> = {
  "authorization.v1.ResourceRule": {
    verbs: {
      required: true,
      schema: {
        description: "Verb is a list of kubernetes resource API verbs, like: get, list, watch, create, update, delete, proxy.  \"*\" means all.",
        type: "array",
        items: { type: "string" },
      },
    },
    resources: {
      schema: {
        description: "Resources is a list of resources this rule applies to.  \"*\" means all in the specified apiGroups.\n \"*/foo\" represents the subresource 'foo' for all resources in the specified apiGroups.",
        type: "array",
        items: { type: "string" },
      },
    },
  },
};

interface Module {
  name: string;
  file: ts.SourceFile;
  /** Declared type name → its node. */
  decls: Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>;
  /** Imported type name → module name. */
  imports: Map<string, string>;
}

const modules = new Map<string, Module>();

function loadModule(name: string): Module {
  const cached = modules.get(name);
  if (cached) return cached;
  const path = join(TYPES, `${name}.d.ts`);
  const file = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const mod: Module = { name, file, decls: new Map(), imports: new Map() };
  for (const stmt of file.statements) {
    if (ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt)) mod.decls.set(stmt.name.text, stmt);
    else if (ts.isImportDeclaration(stmt) && ts.isStringLiteral(stmt.moduleSpecifier)) {
      const from = join(dirname(name), stmt.moduleSpecifier.text).replace(/\\/g, "/");
      const bindings = stmt.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) for (const el of bindings.elements) mod.imports.set(el.name.text, from);
    }
  }
  modules.set(name, mod);
  return mod;
}

/** The JSDoc text right before a node, with the comment markers stripped. */
function jsDoc(node: ts.Node, file: ts.SourceFile): string | undefined {
  const text = file.getFullText();
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  const last = ranges.filter((r) => text.startsWith("/**", r.pos)).at(-1);
  if (!last) return undefined;
  const lines = text.slice(last.pos + 3, last.end - 2).split("\n").map((l, i) => {
    if (i === 0) return l.trim();
    return l.replace(/^\s*\*? ?/, "").trimEnd();
  });
  while (lines.length && lines[0] === "") lines.shift();
  while (lines.length && lines.at(-1) === "") lines.pop();
  return lines.length ? lines.join("\n") : undefined;
}

/** Schemas still to emit, by name (filled as references are followed). */
const pending: { mod: Module; name: string }[] = [];
const schemaNames = new Set<string>();

function schemaName(mod: Module, typeName: string): string {
  const prefix = PACKAGES[mod.name];
  if (!prefix) throw new Error(`no schema package for module ${mod.name} (type ${typeName})`);
  return `${prefix}.${typeName}`;
}

/** A reference to a named type, queueing its schema. */
function refTo(mod: Module, typeName: string): string {
  const owner = mod.decls.has(typeName) ? mod : loadModule(mod.imports.get(typeName) ?? "?");
  if (!owner.decls.has(typeName)) throw new Error(`${mod.name}: unknown type ${typeName}`);
  const name = schemaName(owner, typeName);
  if (!schemaNames.has(name)) {
    schemaNames.add(name);
    pending.push({ mod: owner, name: typeName });
  }
  return `#/components/schemas/${name}`;
}

function typeSchema(mod: Module, node: ts.TypeNode, int64: boolean): Schema {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: "string" };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: "boolean" };
    case ts.SyntaxKind.NumberKeyword:
      return { type: "integer", format: int64 ? "int64" : "int32" };
  }
  if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return { type: "string" };
  if (ts.isParenthesizedTypeNode(node)) return typeSchema(mod, node.type, int64);
  if (ts.isArrayTypeNode(node)) return { type: "array", items: typeSchema(mod, node.elementType, int64) };
  if (ts.isUnionTypeNode(node)) {
    const kinds = node.types.map((t) => t.kind).sort();
    if (kinds.join() === [ts.SyntaxKind.NumberKeyword, ts.SyntaxKind.StringKeyword].sort().join()) {
      schemaNames.add(INT_OR_STRING);
      return { $ref: `#/components/schemas/${INT_OR_STRING}` };
    }
  }
  if (ts.isTypeLiteralNode(node) && node.members.length === 1) {
    const index = node.members[0];
    if (ts.isIndexSignatureDeclaration(index) && index.type) {
      return { type: "object", additionalProperties: typeSchema(mod, index.type, int64) };
    }
  }
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
    const name = node.typeName.text;
    if (name === "Array" && node.typeArguments?.length === 1) {
      return { type: "array", items: typeSchema(mod, node.typeArguments[0], int64) };
    }
    return { $ref: refTo(mod, name) };
  }
  throw new Error(`${mod.name}: unsupported type ${node.getText()}`);
}

function interfaceSchema(mod: Module, decl: ts.InterfaceDeclaration, shortName: string): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  let apiVersion: string | undefined;
  let kind: string | undefined;
  const int64 = new Set(INT64[shortName] ?? []);
  const tags = TAGS[shortName] ?? {};
  for (const member of decl.members) {
    if (!ts.isPropertySignature(member) || !member.type) throw new Error(`${shortName}: unsupported member`);
    const field = member.name.getText();
    const literal = ts.isLiteralTypeNode(member.type) && ts.isStringLiteral(member.type.literal) ? member.type.literal.text : undefined;
    if (field === "apiVersion") apiVersion = literal;
    if (field === "kind") kind = literal;
    let prop = typeSchema(mod, member.type, int64.has(field));
    const description = jsDoc(member, mod.file);
    // A described reference is wrapped in allOf, as the real v3 documents do.
    if (typeof prop.$ref === "string" && description) prop = { allOf: [prop] };
    if (description) prop = { description, ...prop };
    const t = tags[field];
    if (t) {
      if (t.list) prop["x-kubernetes-list-type"] = t.list;
      if (t.mapKeys) prop["x-kubernetes-list-map-keys"] = t.mapKeys;
      if (t.atomicMap) prop["x-kubernetes-map-type"] = "atomic";
      if (t.key) prop["x-kubernetes-patch-merge-key"] = t.key;
      if (t.strategy) prop["x-kubernetes-patch-strategy"] = t.strategy;
    }
    properties[field] = prop;
    if (!member.questionToken) required.push(field);
  }
  for (const [field, lost] of Object.entries(LOST_FIELDS[shortName] ?? {})) {
    if (properties[field]) throw new Error(`${shortName}.${field} is back in kubernetes-types: drop it from LOST_FIELDS`);
    properties[field] = lost.schema;
    if (lost.required) required.push(field);
  }
  for (const field of Object.keys(tags)) {
    if (!properties[field]) console.error(`note: ${shortName}.${field} has tags but is not in kubernetes-types`);
  }
  const schema: Schema = { description: jsDoc(decl, mod.file), type: "object" };
  if (Object.keys(properties).length) schema.properties = Object.fromEntries(Object.entries(properties).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (required.length) schema.required = required;
  if (ATOMIC_STRUCTS.includes(shortName)) schema["x-kubernetes-map-type"] = "atomic";
  if (apiVersion && kind) {
    const slash = apiVersion.indexOf("/");
    const group = slash < 0 ? "" : apiVersion.slice(0, slash);
    schema["x-kubernetes-group-version-kind"] = [{ group, kind, version: apiVersion.slice(slash + 1) }];
  }
  return schema;
}

/** Scalar wrapper types: their JSON form, as the real v3 documents give it. */
const ALIASES: Record<string, Schema> = {
  "io.k8s.apimachinery.pkg.api.resource.Quantity": { oneOf: [{ type: "string" }, { type: "number" }] },
  "io.k8s.apimachinery.pkg.apis.meta.v1.Time": { type: "string", format: "date-time" },
  "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": { type: "string", format: "date-time" },
};

function declSchema(mod: Module, typeName: string): Schema {
  const decl = mod.decls.get(typeName);
  const name = schemaName(mod, typeName);
  if (!decl) throw new Error(`missing ${name}`);
  if (ts.isTypeAliasDeclaration(decl)) {
    const alias = ALIASES[name];
    if (!alias) throw new Error(`unsupported type alias ${name}`);
    return { description: jsDoc(decl, mod.file), ...alias };
  }
  const shortName = name.replace(/^io\.k8s\.api\./, "").replace(/^io\.k8s\.apimachinery\.pkg\.apis\./, "");
  return interfaceSchema(mod, decl, shortName);
}

function generate(): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const name of SERVED) {
    const mod = loadModule(name);
    for (const typeName of mod.decls.keys()) refTo(mod, typeName);
  }
  for (let next = pending.shift(); next; next = pending.shift()) {
    out[schemaName(next.mod, next.name)] = declSchema(next.mod, next.name);
  }
  out[INT_OR_STRING] = {
    description:
      "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.",
    format: "int-or-string",
    oneOf: [{ type: "integer" }, { type: "string" }],
  };
  for (const short of [...Object.keys(TAGS), ...Object.keys(INT64), ...ATOMIC_STRUCTS]) {
    if (!out[full(short)]) console.error(`note: ${short} is in a table but not in kubernetes-types`);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const schemas = generate();
// One schema per line: small enough to commit, readable in a diff.
const body = Object.entries(schemas).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",\n");
writeFileSync(OUT, `{\n${body}\n}\n`);
console.log(`wrote ${Object.keys(schemas).length} schemas, ${Buffer.byteLength(body)} bytes to ${OUT}`);
