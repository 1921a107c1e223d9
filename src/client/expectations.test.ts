// ControllerExpectations: counting creations and deletions, tracked deletions, and the 5-minute TTL.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "./clock.ts";
import { ControllerExpectations, EXPECTATIONS_TTL_MS } from "./expectations.ts";

describe("ControllerExpectations", () => {
  it("is satisfied with no record, and once every expected creation is observed", () => {
    const e = new ControllerExpectations();
    assert.equal(e.satisfied("ns/rs"), true);
    e.expectCreations("ns/rs", 2);
    assert.equal(e.satisfied("ns/rs"), false);
    e.creationObserved("ns/rs");
    assert.deepEqual(e.get("ns/rs"), { add: 1, del: 0 });
    assert.equal(e.satisfied("ns/rs"), false);
    e.creationObserved("ns/rs");
    assert.equal(e.satisfied("ns/rs"), true);
    e.creationObserved("ns/rs");
    assert.equal(e.satisfied("ns/rs"), true, "extra observations keep it satisfied");
    e.delete("ns/rs");
    assert.equal(e.get("ns/rs"), undefined);
  });

  it("lowers expectations for requests that failed, and raises them for more", () => {
    const e = new ControllerExpectations();
    e.expectCreations("k", 4);
    e.lowerExpectations("k", 3, 0); // three creates failed
    e.creationObserved("k");
    assert.equal(e.satisfied("k"), true);
    e.raiseExpectations("k", 0, 1);
    assert.equal(e.satisfied("k"), false);
    e.deletionObserved("k");
    assert.equal(e.satisfied("k"), true);
  });

  it("tracks which objects are expected to go, counting each once", () => {
    const e = new ControllerExpectations();
    e.expectDeletions("ns/rs", ["ns/p1", "ns/p2"]);
    e.deletionObserved("ns/rs", "ns/other");
    e.deletionObserved("ns/rs", "ns/p1");
    e.deletionObserved("ns/rs", "ns/p1");
    assert.deepEqual(e.pendingDeletions("ns/rs"), ["ns/p2"]);
    assert.equal(e.satisfied("ns/rs"), false);
    e.deletionObserved("ns/rs", "ns/p2");
    assert.equal(e.satisfied("ns/rs"), true);
  });

  it("expires after five minutes (a lost watch event must not block the controller forever)", () => {
    const clock = new FakeClock();
    const e = new ControllerExpectations({ clock });
    e.expectCreations("k", 1);
    clock.advance(EXPECTATIONS_TTL_MS);
    assert.equal(e.satisfied("k"), false);
    clock.advance(1);
    assert.equal(e.satisfied("k"), true);
    e.expectDeletions("k", 1);
    assert.equal(e.satisfied("k"), false, "a new expectation restarts the clock");
  });
});
