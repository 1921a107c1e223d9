import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostLocalIpam, parseCidr, numberToIp } from "./ipam.ts";

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-ipam-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("parses and normalises CIDRs", () => {
  const c = parseCidr("10.42.3.17/24");
  assert.equal(numberToIp(c.network), "10.42.3.0");
  assert.equal(c.prefix, 24);
  assert.throws(() => parseCidr("10.42.0.0/31"));
  assert.throws(() => parseCidr("10.42.0/24"));
  assert.throws(() => parseCidr("fd00::/64"));
});

test("allocates after the gateway, idempotently per owner, round-robin after release", (t) => {
  const ipam = new HostLocalIpam(tmp(t), "10.244.7.0/24");
  assert.equal(ipam.gateway(), "10.244.7.1");
  assert.equal(ipam.allocate("a"), "10.244.7.2");
  assert.equal(ipam.allocate("b"), "10.244.7.3");
  assert.equal(ipam.allocate("a"), "10.244.7.2");
  ipam.release("a");
  // A released address is not reused right away.
  assert.equal(ipam.allocate("c"), "10.244.7.4");
  assert.equal(ipam.addressOf("a"), undefined);
});

test("persists allocations across instances", (t) => {
  const dir = tmp(t);
  const one = new HostLocalIpam(dir, "10.244.8.0/24");
  one.allocate("a");
  one.allocate("b");
  const two = new HostLocalIpam(dir, "10.244.8.0/24");
  assert.equal(two.addressOf("b"), "10.244.8.3");
  assert.equal(two.allocate("c"), "10.244.8.4");
  assert.deepEqual([...two.allocations().keys()].sort(), ["a", "b", "c"]);
});

test("never hands out network, gateway or broadcast; fails when full", (t) => {
  const ipam = new HostLocalIpam(tmp(t), "192.168.5.8/29");
  const got = ["p1", "p2", "p3", "p4", "p5"].map((o) => ipam.allocate(o));
  assert.deepEqual(got, ["192.168.5.10", "192.168.5.11", "192.168.5.12", "192.168.5.13", "192.168.5.14"]);
  assert.throws(() => ipam.allocate("p6"), /no free IP/);
  ipam.release("p3");
  assert.equal(ipam.allocate("p6"), "192.168.5.12");
});
