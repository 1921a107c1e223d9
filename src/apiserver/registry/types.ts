// A resource registry entry: everything the generic handlers need to serve one kind — names,
// scope, subresources, defaulting, validation, strategy hooks and table columns. Adding a kind
// to the API is adding one of these.
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../apimachinery/object.ts";
import type { NameValidator } from "../../apimachinery/validation.ts";

export interface TableColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format?: string;
  description?: string;
  /** 0: shown by default; 1: only with -o wide. */
  priority?: number;
}

export interface ScaleSubresource {
  /** Dotted paths in the object, e.g. "spec.replicas". */
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** Context the strategy hooks may use (allocators and the like come later through here). */
export interface StrategyContext {
  now: Date;
  /** The request is a dry run: check, but claim and change nothing. */
  dryRun?: boolean;
  /** Reads another object through the registry (e.g. a Pod's namespace). */
  get?: (resource: string, namespace: string, name: string) => Promise<KubeObject | null>;
  /** Reads every object of a resource ("" namespace: all namespaces), current as the store is. */
  list?: (resource: string, namespace: string) => Promise<KubeObject[]>;
  /**
   * How admission errors name the object of a create: the name the request gave, else its
   * generateName (Kubernetes admits before it generates the name).
   */
  admissionName?: string;
}

export interface ResourceDefinition {
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural: the resource in URLs ("deployments"). */
  plural: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  /** Verbs served (discovery); default all of get list watch create update patch delete deletecollection. */
  verbs?: string[];
  /** Has a /status subresource: the main resource ignores status, /status ignores everything else. */
  status?: boolean;
  scale?: ScaleSubresource;
  /** Other subresource names listed in discovery (their handlers are registered separately). */
  subresources?: string[];
  /** metadata.generation is set to 1 on create and bumped when anything outside metadata/status changes. */
  generation?: boolean;
  /** PUT of a missing object creates it (Endpoints, Leases…). */
  allowCreateOnUpdate?: boolean;
  /** An immediate DELETE answers with the deleted object (Pods) rather than a Success Status. */
  returnDeletedObject?: boolean;
  /** A create keeps the status it was sent (Nodes register with their capacity and addresses). */
  keepStatusOnCreate?: boolean;
  /** Objects expire this many seconds after their last write (Events: one hour). */
  ttlSeconds?: number;

  /** Rule for metadata.name (default: DNS subdomain). */
  nameValidator?: NameValidator;
  /** Fills defaults, as the API server's defaulting functions (mutates `obj`). */
  defaults?(obj: KubeObject): void;
  /** Field errors of a new object (after defaults). */
  validate?(obj: KubeObject): StatusCause[];
  /** Field errors of an update (immutability and the like), on top of `validate`. */
  validateUpdate?(obj: KubeObject, old: KubeObject): StatusCause[];
  /** Kind-specific changes on create (after the generic ones, before validation). */
  prepareForCreate?(obj: KubeObject, ctx: StrategyContext): void | Promise<void>;
  /** Kind-specific changes on update (after the generic ones, before validation). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void | Promise<void>;
  /**
   * A validating admission step (after defaults, prepare and field validation, before the
   * write; dry runs too): throws a StatusError (usually 403 Forbidden) to refuse the request.
   * `old` is the stored object on an update, undefined on a create. Main resource only.
   */
  validateAdmission?(obj: KubeObject, old: KubeObject | undefined, ctx: StrategyContext): void | Promise<void>;
  /** Field-selector fields beyond metadata.name / metadata.namespace. */
  selectableFields?(obj: KubeObject): Record<string, string>;
  /**
   * Grace period for a DELETE without one: a number of seconds keeps the object with a
   * deletionTimestamp (Pods on a node); null or 0 deletes at once.
   */
  gracePeriodSeconds?(obj: KubeObject): number | null;

  /** Keeps a deleted object until something else is done (a Namespace until its spec.finalizers are empty). */
  deletionBlocked?(obj: KubeObject): boolean;
  /** Changes to an object that is being marked for deletion (a Namespace turns Terminating). */
  prepareForDelete?(obj: KubeObject): void;

  /**
   * A virtual kind (SelfSubjectReview, access reviews): POST answers from this instead of storing.
   * `user` is the authenticated requester.
   */
  virtualCreate?(obj: KubeObject, user: { username: string; uid?: string; groups: string[] }): KubeObject | Promise<KubeObject>;

  /** A create failed after prepareForCreate: give back what it claimed (Service IPs and ports). */
  abortCreate?(obj: KubeObject): void | Promise<void>;
  /** After an update was stored: release what the old version held and the new one does not. */
  afterUpdate?(obj: KubeObject, old: KubeObject): void | Promise<void>;
  /** After the object left the store for good. */
  afterDelete?(obj: KubeObject): void | Promise<void>;

  /** Extra columns after NAME for `kubectl get` (Table output); NAME and AGE are added by default. */
  columns?: TableColumn[];
  /** The cells of `columns` for one object. */
  cells?(obj: KubeObject, now: Date): unknown[];
  /** Omit the trailing AGE column (it is among `columns` somewhere else). */
  noAgeColumn?: boolean;
  /** Omit the leading NAME column (Events show it only with -o wide, among `columns`). */
  noNameColumn?: boolean;
}

/** A definition with its derived names, as the registry hands it out. */
export interface Resource extends ResourceDefinition {
  apiVersion: string;
  listKind: string;
  /** Store prefix: `/registry/<group or core>/<plural>/`. */
  storagePrefix: string;
}
