// NodePorts: host-port conflicts by protocol, port and IP (0.0.0.0 conflicts with every IP).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ContainerPort, Pod } from "kubernetes-types/core/v1.js";
import { fakeHandle, makeNode, makePod, newState, nodeInfo } from "../testing.ts";
import { ERR_REASON_NODE_PORTS, NodePorts, newNodePorts, podHostPorts } from "./nodeports.ts";

const withPorts = (name: string, ...ports: ContainerPort[]): Pod => makePod(name, { ports });

describe("NodePorts", () => {
  const pl = newNodePorts(undefined, fakeHandle([])) as NodePorts;
  const run = (pod: Pod, ...existing: Pod[]) => {
    const state = newState();
    const pre = pl.preFilter(state, pod, []);
    if (pre.status.code !== "Success") return pre.status;
    return pl.filter(state, pod, nodeInfo(makeNode("n"), ...existing));
  };

  it("skips pods without host ports", () => {
    assert.equal(run(withPorts("p", { containerPort: 80 })).code, "Skip");
    assert.equal(run(makePod("p")).code, "Skip");
  });

  it("rejects a taken port as Unschedulable (preemption may free it)", () => {
    const s = run(withPorts("p", { containerPort: 80, hostPort: 8080 }), withPorts("old", { containerPort: 80, hostPort: 8080 }));
    assert.equal(s.code, "Unschedulable");
    assert.deepEqual(s.reasons, [ERR_REASON_NODE_PORTS]);
    assert.equal(ERR_REASON_NODE_PORTS, "node(s) didn't have free ports for the requested pod ports");
  });

  it("tells protocols and specific IPs apart, and 0.0.0.0 conflicts with any IP", () => {
    const udp = withPorts("old", { containerPort: 53, hostPort: 53, protocol: "UDP" });
    assert.equal(run(withPorts("p", { containerPort: 53, hostPort: 53 }), udp).code, "Success");
    assert.equal(run(withPorts("p", { containerPort: 53, hostPort: 53, protocol: "UDP" }), udp).code, "Unschedulable");
    const onIP = withPorts("old", { containerPort: 80, hostPort: 80, hostIP: "10.0.0.1" });
    assert.equal(run(withPorts("p", { containerPort: 80, hostPort: 80, hostIP: "10.0.0.2" }), onIP).code, "Success");
    assert.equal(run(withPorts("p", { containerPort: 80, hostPort: 80, hostIP: "10.0.0.1" }), onIP).code, "Unschedulable");
    assert.equal(run(withPorts("p", { containerPort: 80, hostPort: 80 }), onIP).code, "Unschedulable");
    assert.equal(run(withPorts("p", { containerPort: 80, hostPort: 80, hostIP: "10.0.0.9" }), withPorts("old", { containerPort: 80, hostPort: 80 })).code, "Unschedulable");
  });

  it("collects host ports of containers and sidecars only, with defaults", () => {
    const pod = withPorts("p", { containerPort: 1, hostPort: 1001 });
    pod.spec!.initContainers = [
      { name: "init", ports: [{ containerPort: 2, hostPort: 1002 }] },
      { name: "sidecar", restartPolicy: "Always", ports: [{ containerPort: 3, hostPort: 1003, protocol: "UDP", hostIP: "10.0.0.1" }] },
    ];
    assert.deepEqual(podHostPorts(pod), [
      { ip: "10.0.0.1", protocol: "UDP", port: 1003 },
      { ip: "0.0.0.0", protocol: "TCP", port: 1001 },
    ]);
  });

  it("returns an error from Filter when PreFilter did not run", () => {
    assert.equal(pl.filter(newState(), makePod("p"), nodeInfo(makeNode("n"))).code, "Error");
  });

  it("wakes on pod deletes and node changes", () => {
    assert.deepEqual(pl.eventsToRegister(), [
      { resource: "Pod", actions: ["Delete"] },
      { resource: "Node", actions: ["Add", "Update"] },
    ]);
  });
});
