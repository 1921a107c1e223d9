// Leader election with two electors on a real Lease in a k8ts API server (lease 2 s, renew 1.5 s,
// retry 0.3 s): one leader, fast hand-over on graceful stop, take-over after a crash.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import { startTestApiServer } from "../testing/apiserver.ts";
import { silentLogger } from "../util/log.ts";
import { Client } from "./rest.ts";
import { resources } from "./resources.ts";
import { LeaderElector, LeaseLock } from "./leader-election.ts";

async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Elector {
  id: string;
  elector: LeaderElector;
  stop: AbortController;
  done: Promise<void>;
  leading: boolean;
  started: number;
}

it("two electors on a Lease: one leads, hand-over on release, take-over after a crash", { timeout: 60_000 }, async () => {
  const t = await startTestApiServer();
  const client = await Client.fromKubeconfig(t.kubeconfig);
  const electors: Elector[] = [];
  const t0 = Date.now();
  const timeline: string[] = [];
  const note = (what: string) => timeline.push(`${Date.now() - t0} ms ${what}`);
  const start = (id: string, releaseOnCancel = true): Elector => {
    const e: Elector = { id, stop: new AbortController(), done: Promise.resolve(), leading: false, started: 0, elector: null as unknown as LeaderElector };
    e.elector = new LeaderElector({
      lock: new LeaseLock(client, { namespace: "kube-system", name: "k8ts-test", identity: id }),
      leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 300, releaseOnCancel, log: silentLogger,
      callbacks: {
        onStartedLeading: () => {
          e.leading = true;
          e.started = Date.now();
          note(`${id} started leading`);
        },
        onStoppedLeading: () => {
          e.leading = false;
          note(`${id} stopped leading`);
        },
      },
    });
    e.done = e.elector.run(e.stop.signal);
    electors.push(e);
    return e;
  };
  const lease = () => client.get<Lease>(resources.leases, "k8ts-test", { namespace: "kube-system" });
  try {
    const a = start("a");
    const b = start("b");
    await waitFor(() => a.leading || b.leading, "a leader");
    // Several renew periods later there is still exactly one leader, and it is the lease's holder.
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(electors.filter((e) => e.leading).length, 1);
    const [leader, other] = a.leading ? [a, b] : [b, a];
    const held = await lease();
    assert.equal(held.spec?.holderIdentity, leader.id);
    assert.equal(held.spec?.leaseDurationSeconds, 2);
    assert.match(held.spec?.renewTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const transitions = held.spec?.leaseTransitions ?? 0;

    // Graceful stop: the lease is released and the other takes over well within the lease duration.
    const stoppedAt = Date.now();
    leader.stop.abort();
    await leader.done;
    assert.equal(leader.leading, false);
    await waitFor(() => other.leading, "the hand-over");
    assert.ok(other.started - stoppedAt < 1500, `hand-over took ${other.started - stoppedAt} ms`);
    const handed = await lease();
    assert.equal(handed.spec?.holderIdentity, other.id);
    assert.equal(handed.spec?.leaseTransitions, transitions + 1);

    // Crash: a leader that stops renewing without releasing; a newcomer waits out the lease.
    other.stop.abort();
    await other.done;
    const d = start("d", false);
    await waitFor(() => d.leading, "d leading");
    const c = start("c");
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(c.leading, false);
    const crashedAt = Date.now();
    d.stop.abort();
    await d.done;
    assert.equal((await lease()).spec?.holderIdentity, "d", "not released");
    await waitFor(() => c.leading, "the take-over");
    const waited = c.started - crashedAt;
    assert.ok(waited >= 1000 && waited < 4000, `take-over after ${waited} ms (lease 2 s, judged from the last renewal c saw)`);
    assert.equal((await lease()).spec?.holderIdentity, "c");
  } catch (err) {
    // Timing failures are easier to read with the sequence of leadership changes.
    if (err instanceof Error) err.message += `\ntimeline:\n${timeline.join("\n")}`;
    throw err;
  } finally {
    for (const e of electors) e.stop.abort();
    await Promise.all(electors.map((e) => e.done));
    client.close();
    await t.close();
  }
});
