import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { isStatusError } from "../../../apimachinery/status.ts";
import { services, servicesDefinition } from "./service.ts";
import { MemoryRangeStore, NodePortAllocator, ServiceAllocation, ServiceIPAllocator } from "./service-alloc.ts";
import { NOW, brief, create, update } from "./testkit.ts";

const svc = (spec: object): KubeObject => ({ apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec });

/** A seeded generator, so the random picks are repeatable. */
function seeded(seed = 1): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

test("a minimal Service is defaulted as Kubernetes does", async () => {
  const { object, causes } = await create(services, svc({ selector: { app: "web" }, ports: [{ port: 80 }] }));
  assert.deepEqual(causes, []);
  assert.deepEqual(object.spec, {
    selector: { app: "web" }, ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
    type: "ClusterIP", sessionAffinity: "None", internalTrafficPolicy: "Cluster", ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack",
  });
  assert.deepEqual(object.status, { loadBalancer: {} });
  const lb = (await create(services, svc({ type: "LoadBalancer", ports: [{ port: 443, targetPort: "https" }] }))).object.spec as Record<string, unknown>;
  assert.equal(lb.externalTrafficPolicy, "Cluster");
  assert.equal(lb.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(lb.ports, [{ port: 443, targetPort: "https", protocol: "TCP" }]);
  const headless = (await create(services, svc({ clusterIP: "None" }))).object.spec as Record<string, unknown>;
  assert.deepEqual([headless.clusterIPs, headless.ipFamilyPolicy, headless.ipFamilies], [["None"], "RequireDualStack", ["IPv4", "IPv6"]]);
  const external = (await create(services, svc({ type: "ExternalName", externalName: "example.com" }))).object.spec as Record<string, unknown>;
  assert.equal(external.ipFamilies, undefined);
  assert.equal(external.internalTrafficPolicy, undefined);
});

test("Service validation", async () => {
  const check = async (spec: object, expected: string[]) => assert.deepEqual(brief((await create(services, svc(spec))).causes), expected);
  await check({}, ["spec.ports FieldValueRequired"]);
  await check({ clusterIP: "None" }, []);
  await check({ type: "ExternalName", externalName: "db.example.com" }, []);
  await check({ type: "ExternalName" }, ["spec.externalName FieldValueRequired"]);
  await check({ type: "Magic", ports: [{ port: 80 }] }, ["spec.type FieldValueNotSupported"]);
  await check({ ports: [{ port: 0 }] }, ["spec.ports[0].port FieldValueInvalid", "spec.ports[0].targetPort FieldValueInvalid"]);
  await check({ ports: [{ port: 80 }, { port: 81 }] }, ["spec.ports[0].name FieldValueRequired", "spec.ports[1].name FieldValueRequired"]);
  await check({ ports: [{ name: "a", port: 80 }, { name: "a", port: 81 }] }, ["spec.ports[1].name FieldValueDuplicate"]);
  await check({ type: "NodePort", ports: [{ port: 80, nodePort: 80 }] }, ["spec.ports[0].nodePort FieldValueInvalid"]);
  await check({ ports: [{ port: 80, nodePort: 30080 }] }, ["spec.ports[0].nodePort FieldValueForbidden"]);
  await check({ clusterIP: "10.96.0.300", ports: [{ port: 80 }] }, ["spec.clusterIPs[0] FieldValueInvalid"]);
  const range = (await create(services, svc({ type: "NodePort", ports: [{ port: 80, nodePort: 80 }] }))).causes[0]!;
  assert.equal(range.message, "Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767");
});

test("updates keep the allocated ClusterIP and node ports and refuse to change them", async () => {
  const old = (await create(services, svc({ type: "NodePort", clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }] }))).object;
  // A PUT without clusterIP or nodePort (a client that did not read them back) keeps them.
  const put = await update(services, svc({ type: "NodePort", ports: [{ name: "http", port: 80 }] }), old);
  assert.deepEqual(put.causes, []);
  assert.equal((put.object.spec as { clusterIP: string }).clusterIP, "10.96.0.10");
  assert.equal((put.object.spec as { ports: { nodePort: number }[] }).ports[0]!.nodePort, 30080);
  const moved = await update(services, { ...structuredClone(old), spec: { ...(old.spec as object), clusterIP: "10.96.0.11" } }, old);
  assert.deepEqual(brief(moved.causes), ["spec.clusterIPs[0] FieldValueInvalid"]);
  assert.match(moved.causes[0]!.message!, /may not change once set/);
  const toClusterIP = await update(services, { ...structuredClone(old), spec: { ...(old.spec as object), type: "ClusterIP" } }, old);
  assert.deepEqual(toClusterIP.causes, []);
  assert.equal((toClusterIP.object.spec as { ports: { nodePort?: number }[] }).ports[0]!.nodePort, undefined);
  assert.equal((toClusterIP.object.spec as { externalTrafficPolicy?: string }).externalTrafficPolicy, undefined);
});

test("table cells of ClusterIP, NodePort, LoadBalancer and ExternalName services", () => {
  const row = (spec: object, status?: object) => services.cells!({ metadata: { name: "s", creationTimestamp: "2025-01-01T11:00:00Z" }, spec, status }, NOW);
  assert.deepEqual(row({ type: "ClusterIP", clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"], ports: [{ port: 80, protocol: "TCP" }], selector: { app: "web", tier: "a" } }),
    ["ClusterIP", "10.96.0.10", "<none>", "80/TCP", "60m", "app=web,tier=a"]);
  assert.deepEqual(row({ type: "NodePort", clusterIPs: ["10.96.0.11"], ports: [{ port: 80, nodePort: 30080, protocol: "TCP" }, { port: 53, nodePort: 30053, protocol: "UDP" }] }).slice(0, 4),
    ["NodePort", "10.96.0.11", "<none>", "80:30080/TCP,53:30053/UDP"]);
  assert.equal(row({ type: "LoadBalancer", clusterIPs: ["10.96.0.12"], ports: [] })[2], "<pending>");
  assert.equal(row({ type: "LoadBalancer", ports: [] }, { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } })[2], "1.2.3.4");
  assert.deepEqual(row({ type: "ExternalName", externalName: "example.com" }).slice(0, 4), ["ExternalName", "<none>", "example.com", "<none>"]);
});

test("ClusterIP allocator: 1,000 allocations in a /24 without duplicates, .1 kept, exhaustion", async () => {
  const store = new MemoryRangeStore();
  const ips = new ServiceIPAllocator(store, { cidr: "10.0.0.0/24", random: seeded(7) });
  assert.equal(ips.kubernetesServiceIP, "10.0.0.1");
  const live = new Set<string>();
  const random = seeded(3);
  for (let i = 0; i < 1000; i++) {
    if (live.size >= 200 || (live.size > 50 && random() < 0.3)) {
      const victim = [...live][Math.floor(random() * live.size)]!;
      live.delete(victim);
      await ips.releaseIP(victim);
    }
    const ip = await ips.allocateNext();
    assert.ok(!live.has(ip), `duplicate ${ip}`);
    assert.notEqual(ip, "10.0.0.1");
    assert.ok(ips.contains(ip) && ip !== "10.0.0.0" && ip !== "10.0.0.255", ip);
    live.add(ip);
  }
  for (const ip of live) await ips.releaseIP(ip);
  // Fill the range: 254 usable addresses, one of them kept for the kubernetes Service.
  const all = new Set<string>();
  for (let i = 0; i < 253; i++) all.add(await ips.allocateNext());
  assert.equal(all.size, 253);
  await assert.rejects(ips.allocateNext(), (err: unknown) => isStatusError(err, "InternalError") && err.code === 500 && /failed to allocate a serviceIP: range is full/.test(err.message));
  await ips.allocateIP("10.0.0.1");
});

test("ClusterIP allocator: explicit addresses honoured when free, 422 when taken or outside", async () => {
  const ips = new ServiceIPAllocator(new MemoryRangeStore(), { random: seeded() });
  assert.equal(ips.cidr, "10.96.0.0/12");
  await ips.allocateIP("10.96.0.10", "dns");
  await assert.rejects(ips.allocateIP("10.96.0.10", "other"), (err: unknown) =>
    isStatusError(err, "Invalid") && err.code === 422 &&
    err.message === "Service \"other\" is invalid: spec.clusterIPs: Invalid value: [\"10.96.0.10\"]: failed to allocate IP 10.96.0.10: provided IP is already allocated");
  await assert.rejects(ips.allocateIP("10.0.0.5"), /the provided IP \(10\.0\.0\.5\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/12/);
  const next = await ips.allocateNext();
  assert.ok(ips.contains(next));
  // Dynamic picks come from above the static band (the first 256 addresses of a /12).
  const [, , c, d] = next.split(".").map(Number);
  assert.ok(((next.startsWith("10.96.") ? 0 : 1) * 65536 + c! * 256 + d!) > 256, next);
});

test("NodePort allocator: explicit, duplicate, out of range, exhaustion", async () => {
  const ports = new NodePortAllocator(new MemoryRangeStore(), { min: 30000, max: 30009, random: seeded(5) });
  await ports.allocatePort(30005, "spec.ports[0].nodePort");
  await assert.rejects(ports.allocatePort(30005, "spec.ports[1].nodePort", "web"), (err: unknown) =>
    isStatusError(err, "Invalid") && err.message === "Service \"web\" is invalid: spec.ports[1].nodePort: Invalid value: 30005: provided port is already allocated");
  await assert.rejects(ports.allocatePort(80, "spec.ports[0].nodePort"), /provided port is not in the valid range\. The range of valid ports is 30000-30009/);
  const got = new Set<number>([30005]);
  for (let i = 0; i < 9; i++) got.add(await ports.allocateNext());
  assert.equal(got.size, 10);
  await assert.rejects(ports.allocateNext(), /failed to allocate a nodePort: range is full/);
});

test("Services with allocation: ClusterIPs and node ports filled in, kept on update, given back", async () => {
  const ipStore = new MemoryRangeStore();
  const portStore = new MemoryRangeStore();
  const allocation = new ServiceAllocation(new ServiceIPAllocator(ipStore, { random: seeded(9) }), new NodePortAllocator(portStore, { random: seeded(11) }));
  const def = servicesDefinition(allocation);
  const { object, causes } = await create(def, svc({ type: "NodePort", ports: [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53 }] }));
  assert.deepEqual(causes, []);
  object.metadata!.uid = "uid-1";
  const spec = object.spec as { clusterIP: string; clusterIPs: string[]; ports: { nodePort: number }[] };
  assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
  assert.ok(ipStore.keys.has(spec.clusterIP));
  assert.equal(spec.ports[0]!.nodePort, spec.ports[1]!.nodePort, "TCP and UDP of one port share a node port");
  assert.deepEqual([...portStore.keys], [String(spec.ports[0]!.nodePort)]);
  // An invalid Service claims nothing; an explicit taken IP is refused with 422.
  const invalid = await create(def, svc({ ports: [{ port: 0 }] }));
  assert.equal((invalid.object.spec as { clusterIP?: string }).clusterIP, undefined);
  assert.equal(ipStore.keys.size, 1);
  await assert.rejects(create(def, svc({ clusterIP: spec.clusterIP, ports: [{ port: 80 }] })), /provided IP is already allocated/);
  // Update: what the Service holds is not claimed again; a new node port is.
  const grown = await update(def, svc({ type: "NodePort", ports: [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53 }, { name: "web", port: 80 }] }), object);
  assert.deepEqual(grown.causes, []);
  assert.equal(portStore.keys.size, 2);
  // The same update retried after a write conflict reuses its own claims.
  const explicit = (grown.object.spec as { ports: { nodePort: number }[] }).ports[2]!.nodePort;
  const retry = await update(def, svc({ type: "NodePort", ports: [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53 }, { name: "web", port: 80, nodePort: explicit }] }), object);
  assert.deepEqual(retry.causes, []);
  assert.equal(portStore.keys.size, 2);
  await allocation.release(grown.object);
  assert.equal(ipStore.keys.size + portStore.keys.size, 0);
  // Dry run: values filled in, nothing kept.
  const dry = await create(def, svc({ ports: [{ port: 80 }] }), { dryRun: true } as object);
  assert.ok((dry.object.spec as { clusterIP: string }).clusterIP);
  assert.equal(ipStore.keys.size, 0);
});

test("repair gives back claims no Service holds, after seeing them leaked twice", async () => {
  const ipStore = new MemoryRangeStore();
  const portStore = new MemoryRangeStore();
  const allocation = new ServiceAllocation(new ServiceIPAllocator(ipStore), new NodePortAllocator(portStore));
  await ipStore.tryReserve("10.96.0.50");
  await ipStore.tryReserve("10.96.0.51");
  await portStore.tryReserve("30500");
  const kept = [{ metadata: { name: "a" }, spec: { clusterIP: "10.96.0.51", clusterIPs: ["10.96.0.51"] } }];
  assert.deepEqual(await allocation.repair(kept, ipStore, portStore), []);
  assert.deepEqual((await allocation.repair(kept, ipStore, portStore)).sort(), ["10.96.0.50", "30500"]);
  assert.deepEqual([...ipStore.keys], ["10.96.0.51"]);
});
