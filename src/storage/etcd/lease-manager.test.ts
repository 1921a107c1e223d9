// Unit tests of lease sharing for TTL writes, with a fake clock.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LeaseManager } from "./lease-manager.ts";

function setup() {
  let now = 1_000_000;
  const grants: number[] = [];
  const leases = new LeaseManager(async (ttl) => {
    grants.push(ttl);
    return `lease-${grants.length}`;
  }, () => now);
  return { leases, grants, advance: (ms: number) => (now += ms) };
}

describe("LeaseManager", () => {
  it("shares a lease between writes with the same TTL within 5% of it, granting the TTL plus that slack", async () => {
    const { leases, grants, advance } = setup();
    assert.equal(await leases.leaseFor(600), "lease-1");
    advance(29_000);
    assert.equal(await leases.leaseFor(600), "lease-1", "a key written 29 s later lives at most 30 s too long");
    advance(2_000);
    assert.equal(await leases.leaseFor(600), "lease-2", "after 30 s a new lease is needed");
    assert.deepEqual(grants, [630, 630]);
  });

  it("caps the slack at 60 s and never shares short TTLs", async () => {
    const { leases, grants } = setup();
    await leases.leaseFor(3600);
    await leases.leaseFor(5);
    await leases.leaseFor(5);
    await leases.leaseFor(1.2);
    assert.deepEqual(grants, [3660, 5, 5, 2]);
  });

  it("keeps TTLs apart, shares an in-flight grant, and forgets a lease etcd lost", async () => {
    const { leases, grants } = setup();
    const [a, b, c] = await Promise.all([leases.leaseFor(100), leases.leaseFor(100), leases.leaseFor(200)]);
    assert.equal(a, b);
    assert.notEqual(a, c);
    leases.forget(a);
    assert.notEqual(await leases.leaseFor(100), a);
    assert.deepEqual(grants, [105, 210, 105]);
  });

  it("does not keep a failed grant", async () => {
    let fail = true;
    const leases = new LeaseManager(async () => {
      if (fail) throw new Error("etcd down");
      return "ok";
    });
    await assert.rejects(leases.leaseFor(600), /etcd down/);
    fail = false;
    assert.equal(await leases.leaseFor(600), "ok");
  });
});
