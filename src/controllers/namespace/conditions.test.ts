// Namespace deletion conditions as Kubernetes writes them: every type present, False with its
// "ok" reason unless a failure or remaining content says otherwise; transitions only on change.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NamespaceStatus } from "kubernetes-types/core/v1.js";
import { GroupDiscoveryFailedError, NamespaceConditionUpdater } from "./conditions.ts";
import { parseGroupVersion } from "./discovery.ts";

const T0 = "2024-01-01T00:00:00Z";
const T1 = "2024-01-01T00:01:00Z";
const byType = (s: NamespaceStatus) => Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c]));
const empty = { remainingByResource: new Map<string, number>(), remainingByFinalizer: new Map<string, number>() };

describe("NamespaceConditionUpdater", () => {
  it("sets all five conditions False with Kubernetes' ok reasons when all went well", () => {
    const status: NamespaceStatus = { phase: "Terminating" };
    const u = new NamespaceConditionUpdater(T0);
    u.processContentTotals(empty);
    assert.equal(u.update(status), true);
    assert.deepEqual(status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [
      ["NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered", "All resources successfully discovered"],
      ["NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions", "All legacy kube types successfully parsed"],
      ["NamespaceDeletionContentFailure", "False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"],
      ["NamespaceContentRemaining", "False", "ContentRemoved", "All content successfully removed"],
      ["NamespaceFinalizersRemaining", "False", "ContentRemoved", "All content successfully removed"],
    ]);
    assert.ok(status.conditions?.every((c) => c.lastTransitionTime === T0));
    // The same outcome again changes nothing.
    const again = new NamespaceConditionUpdater(T1);
    again.processContentTotals(empty);
    assert.equal(again.update(status), false);
  });

  it("reports remaining content and finalizers, sorted, and moves lastTransitionTime only on a status change", () => {
    const status: NamespaceStatus = {};
    const u = new NamespaceConditionUpdater(T0);
    u.processContentTotals({
      remainingByResource: new Map([["pods.", 2], ["configmaps.", 1], ["deployments.apps", 1]]),
      remainingByFinalizer: new Map([["example.com/hold", 2], ["a.io/x", 1]]),
    });
    u.update(status);
    const c = byType(status);
    assert.deepEqual([c.NamespaceContentRemaining?.status, c.NamespaceContentRemaining?.reason, c.NamespaceContentRemaining?.message], [
      "True", "SomeResourcesRemain", "Some resources are remaining: configmaps. has 1 resource instances, deployments.apps has 1 resource instances, pods. has 2 resource instances",
    ]);
    assert.deepEqual([c.NamespaceFinalizersRemaining?.status, c.NamespaceFinalizersRemaining?.reason, c.NamespaceFinalizersRemaining?.message], [
      "True", "SomeFinalizerRemain", "Some finalizers are remaining: a.io/x in 1 resource instances, example.com/hold in 2 resource instances",
    ]);

    const later = new NamespaceConditionUpdater(T1);
    later.processContentTotals({ remainingByResource: new Map([["pods.", 1]]), remainingByFinalizer: new Map([["example.com/hold", 1]]) });
    assert.equal(later.update(status), true);
    const c2 = byType(status);
    assert.equal(c2.NamespaceContentRemaining?.message, "Some resources are remaining: pods. has 1 resource instances");
    assert.equal(c2.NamespaceContentRemaining?.lastTransitionTime, T0, "still True: no transition");
    const done = new NamespaceConditionUpdater(T1);
    done.processContentTotals(empty);
    done.update(status);
    assert.equal(byType(status).NamespaceContentRemaining?.status, "False");
    assert.equal(byType(status).NamespaceContentRemaining?.lastTransitionTime, T1);
    assert.equal(status.conditions?.length, 5);
  });

  it("turns discovery, parsing and deletion errors into their failure conditions", () => {
    const status: NamespaceStatus = {};
    const u = new NamespaceConditionUpdater(T0);
    u.processDiscoverResourcesErr(new GroupDiscoveryFailedError(new Map<string, unknown>([["metrics.k8s.io/v1beta1", new Error("the server is currently unable to handle the request")]])));
    u.processGroupVersionErr(parseErr("a/b/c"));
    u.processDeleteContentErr(new Error("b failed"));
    u.processDeleteContentErr(new Error("a failed"));
    u.update(status);
    const c = byType(status);
    assert.equal(c.NamespaceDeletionDiscoveryFailure?.reason, "DiscoveryFailed");
    assert.equal(c.NamespaceDeletionDiscoveryFailure?.message,
      "Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the server is currently unable to handle the request");
    assert.equal(c.NamespaceDeletionGroupVersionParsingFailure?.reason, "GroupVersionParsingFailed");
    assert.equal(c.NamespaceDeletionGroupVersionParsingFailure?.message, "unexpected GroupVersion string: a/b/c");
    assert.equal(c.NamespaceDeletionContentFailure?.status, "True");
    assert.equal(c.NamespaceDeletionContentFailure?.reason, "ContentDeletionFailed");
    assert.equal(c.NamespaceDeletionContentFailure?.message, "Failed to delete all resource types, 2 remaining: a failed, b failed");
  });
});

function parseErr(gv: string): Error {
  try {
    parseGroupVersion(gv);
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a parse error");
}

it("parseGroupVersion", () => {
  assert.deepEqual(parseGroupVersion("v1"), { group: "", version: "v1" });
  assert.deepEqual(parseGroupVersion("apps/v1"), { group: "apps", version: "v1" });
  assert.throws(() => parseGroupVersion("a/b/c"), /unexpected GroupVersion string: a\/b\/c/);
});
