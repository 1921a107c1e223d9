// The status conditions a Terminating namespace carries (kubernetes/pkg/controller/namespace/
// deletion/status_condition_utils.go): what failed and what remains, with Kubernetes' types,
// reasons and messages, each set to False with its "ok" reason when nothing is wrong.
import type { NamespaceCondition, NamespaceStatus } from "kubernetes-types/core/v1.js";

export const NamespaceConditionTypes = {
  discoveryFailure: "NamespaceDeletionDiscoveryFailure",
  groupVersionParsingFailure: "NamespaceDeletionGroupVersionParsingFailure",
  contentFailure: "NamespaceDeletionContentFailure",
  contentRemaining: "NamespaceContentRemaining",
  finalizersRemaining: "NamespaceFinalizersRemaining",
} as const;
const T = NamespaceConditionTypes;

/** In the order Kubernetes adds them. */
export const CONDITION_TYPES: readonly string[] = [T.discoveryFailure, T.groupVersionParsingFailure, T.contentFailure, T.contentRemaining, T.finalizersRemaining];

const OK_MESSAGES: Record<string, string> = {
  [T.discoveryFailure]: "All resources successfully discovered",
  [T.groupVersionParsingFailure]: "All legacy kube types successfully parsed",
  [T.contentFailure]: "All content successfully deleted, may be waiting on finalization",
  [T.contentRemaining]: "All content successfully removed",
  [T.finalizersRemaining]: "All content successfully removed",
};
const OK_REASONS: Record<string, string> = {
  [T.discoveryFailure]: "ResourcesDiscovered",
  [T.groupVersionParsingFailure]: "ParsedGroupVersions",
  [T.contentFailure]: "ContentDeleted",
  [T.contentRemaining]: "ContentRemoved",
  [T.finalizersRemaining]: "ContentRemoved",
};

/** Some API groups could not be discovered (client-go's ErrGroupDiscoveryFailed). */
export class GroupDiscoveryFailedError extends Error {
  /** groupVersion ("v1", "apps/v1") → what went wrong. */
  readonly groups: ReadonlyMap<string, unknown>;
  constructor(groups: ReadonlyMap<string, unknown>) {
    const parts = [...groups].map(([gv, err]) => `${gv}: ${err instanceof Error ? err.message : String(err)}`).sort();
    super(`unable to retrieve the complete list of server APIs: ${parts.join(", ")}`);
    this.groups = groups;
  }
}

/** What is left in the namespace after a deletion pass. */
export interface ContentTotals {
  /** "resource.group" (the core group is empty: "pods.") → objects remaining. */
  remainingByResource: ReadonlyMap<string, number>;
  /** finalizer → objects still carrying it. */
  remainingByFinalizer: ReadonlyMap<string, number>;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Collects one deletion pass's failures and totals, then folds them into the namespace status. */
export class NamespaceConditionUpdater {
  private readonly now: string;
  private readonly newConditions: NamespaceCondition[] = [];
  private readonly contentErrors: unknown[] = [];

  /** `now`: the RFC 3339 time for new transitions. */
  constructor(now: string) {
    this.now = now;
  }

  private add(type: string, reason: string, message: string): void {
    this.newConditions.push({ type, status: "True", lastTransitionTime: this.now, reason, message });
  }

  processDiscoverResourcesErr(err: unknown): void {
    const msg = err instanceof GroupDiscoveryFailedError ? `Discovery failed for some groups, ${err.groups.size} failing: ${err.message}` : messageOf(err);
    this.add(T.discoveryFailure, "DiscoveryFailed", msg);
  }

  processGroupVersionErr(err: unknown): void {
    this.add(T.groupVersionParsingFailure, "GroupVersionParsingFailed", messageOf(err));
  }

  processDeleteContentErr(err: unknown): void {
    this.contentErrors.push(err);
  }

  processContentTotals(totals: ContentTotals): void {
    const list = (m: ReadonlyMap<string, number>, fmt: (k: string, n: number) => string) => [...m].filter(([, n]) => n > 0).map(([k, n]) => fmt(k, n)).sort();
    if (totals.remainingByResource.size > 0) {
      const items = list(totals.remainingByResource, (r, n) => `${r} has ${n} resource instances`);
      this.add(T.contentRemaining, "SomeResourcesRemain", `Some resources are remaining: ${items.join(", ")}`);
    }
    if (totals.remainingByFinalizer.size > 0) {
      const items = list(totals.remainingByFinalizer, (f, n) => `${f} in ${n} resource instances`);
      this.add(T.finalizersRemaining, "SomeFinalizerRemain", `Some finalizers are remaining: ${items.join(", ")}`);
    }
  }

  /**
   * Sets every condition type on `status` (in place): the failure recorded for it, or its "ok"
   * form with status False. lastTransitionTime changes only when the status does. Returns
   * whether anything changed (so the caller writes status only then).
   */
  update(status: NamespaceStatus): boolean {
    const conditions = [...this.newConditions];
    if (!conditions.some((c) => c.type === T.contentFailure) && this.contentErrors.length > 0) {
      const msgs = this.contentErrors.map(messageOf).sort();
      conditions.push({
        type: T.contentFailure, status: "True", lastTransitionTime: this.now, reason: "ContentDeletionFailed",
        message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(", ")}`,
      });
    }
    const current = (status.conditions ??= []);
    let changed = false;
    for (const type of CONDITION_TYPES) {
      const next = conditions.find((c) => c.type === type) ?? { type, status: "False", lastTransitionTime: this.now, reason: OK_REASONS[type], message: OK_MESSAGES[type] };
      const old = current.find((c) => c.type === type);
      if (!old) {
        current.push(next);
        changed = true;
      } else if (old.status !== next.status || old.message !== next.message || old.reason !== next.reason) {
        if (old.status !== next.status) old.lastTransitionTime = this.now;
        old.status = next.status;
        old.reason = next.reason;
        old.message = next.message;
        changed = true;
      }
    }
    return changed;
  }
}
