// CIDR sets without a server: round-robin allocation, exhaustion, occupy/release, IPv6.
import { it } from "node:test";
import assert from "node:assert/strict";
import { CIDRSet, formatIP, parseCIDR, parseIP } from "./cidrset.ts";

it("allocates /24s from 10.42.0.0/16 in order, starting at the first", () => {
  const set = new CIDRSet("10.42.0.0/16", 24);
  assert.equal(set.max, 256);
  assert.deepEqual([set.allocateNext(), set.allocateNext(), set.allocateNext()], ["10.42.0.0/24", "10.42.1.0/24", "10.42.2.0/24"]);
  assert.equal(set.count, 3);
});

it("skips occupied subnets, never hands one out twice, and is exhausted when full", () => {
  const set = new CIDRSet("10.99.0.0/22", 24);
  assert.equal(set.occupy("10.99.1.0/24"), true);
  assert.equal(set.occupy("192.168.0.0/24"), false, "outside the cluster CIDR");
  const got = [set.allocateNext(), set.allocateNext(), set.allocateNext()];
  assert.deepEqual(got, ["10.99.0.0/24", "10.99.2.0/24", "10.99.3.0/24"]);
  assert.equal(set.allocateNext(), undefined);
  set.release("10.99.2.0/24");
  assert.equal(set.isAllocated("10.99.2.0/24"), false);
  assert.equal(set.allocateNext(), "10.99.2.0/24");
});

it("a larger CIDR (a service range) occupies every subnet it overlaps; a smaller one its subnet", () => {
  const set = new CIDRSet("10.0.0.0/16", 24);
  set.occupy("10.0.0.0/23");
  set.occupy("10.0.5.128/25");
  assert.equal(set.count, 3);
  assert.equal(set.allocateNext(), "10.0.2.0/24");
  assert.equal(set.isAllocated("10.0.5.0/24"), true);
});

it("IPv6: /64s from a /56", () => {
  const set = new CIDRSet("fd00:10:42::/56", 64);
  assert.equal(set.max, 256);
  assert.deepEqual([set.allocateNext(), set.allocateNext()], ["fd00:10:42::/64", "fd00:10:42:1::/64"]);
  assert.equal(formatIP(6, parseIP("2001:db8::1")!.value), "2001:db8::1");
});

it("rejects masks that do not fit or are too fine, and malformed CIDRs", () => {
  assert.throws(() => new CIDRSet("10.42.0.0/16", 8), /does not fit/);
  assert.throws(() => new CIDRSet("10.0.0.0/8", 30), /too big/);
  assert.throws(() => parseCIDR("10.0.0.0"), /invalid CIDR/);
  assert.deepEqual(parseCIDR("10.42.3.7/16"), { family: 4, base: parseIP("10.42.0.0")!.value, prefix: 16 });
});
