// The node plugin registry: Kubernetes names to factories building plugins of those names.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fakeHandle } from "../testing.ts";
import { nodePlugins } from "./node-plugins.ts";

describe("nodePlugins", () => {
  it("maps each Kubernetes plugin name to a factory building that plugin", () => {
    assert.deepEqual(Object.keys(nodePlugins).sort(), [
      "NodeAffinity",
      "NodeName",
      "NodePorts",
      "NodeResourcesBalancedAllocation",
      "NodeResourcesFit",
      "NodeUnschedulable",
      "TaintToleration",
    ]);
    for (const [name, factory] of Object.entries(nodePlugins)) assert.equal(factory(undefined, fakeHandle([])).name, name);
  });
});
