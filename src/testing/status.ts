// Test helper: asserts that a call throws a Kubernetes StatusError with the given code and reason.
import assert from "node:assert/strict";
import { StatusError } from "../apimachinery/status.ts";

export function assertStatus(fn: () => unknown, code: number, reason: string, message?: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StatusError, `expected StatusError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.reason, reason);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}
