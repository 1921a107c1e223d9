import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod, PodStatus } from "kubernetes-types/core/v1.js";
import { FakeClock } from "../../client/index.ts";
import { FakeApi, makePod } from "../pods/test-helpers.ts";
import { StatusManager, mergePodStatus } from "./status-manager.ts";

function setup(o: { couldRun?: (uid: string) => boolean } = {}) {
  const clock = new FakeClock(Date.parse("2024-05-01T10:00:00Z"));
  const api = new FakeApi();
  const deleted: string[] = [];
  const sm = new StatusManager({ client: api.client, clock, couldHaveRunningContainers: o.couldRun, onPodDeleted: (uid) => deleted.push(uid) });
  const pod = api.putPod(makePod("web", [{ name: "web", image: "i" }]));
  const puts = () => api.calls.filter((c) => c.startsWith("PUT")).length;
  return { clock, api, sm, pod, puts, deleted };
}

const running = (ready: "True" | "False", extra: Partial<PodStatus> = {}): PodStatus => ({
  phase: "Running", podIP: "10.0.0.2",
  conditions: [{ type: "Ready", status: ready }, { type: "ContainersReady", status: ready }, { type: "PodScheduled", status: "True" }],
  containerStatuses: [{ name: "web", ready: ready === "True", restartCount: 0, image: "i", imageID: "", state: { running: { startedAt: "2024-05-01T10:00:00Z" } } }],
  ...extra,
});

test("writes are coalesced per pod and skipped when nothing the kubelet owns changed", async () => {
  const s = setup();
  s.sm.setPodStatus(s.pod, running("False"));
  s.sm.setPodStatus(s.pod, running("False", { podIP: "10.0.0.3" }));
  s.sm.setPodStatus(s.pod, running("True"));
  await s.sm.flush();
  assert.equal(s.puts(), 1);
  const written = s.api.pod("default", "web")!.status!;
  assert.equal(written.conditions?.find((c) => c.type === "Ready")?.status, "True");
  assert.equal(written.startTime, "2024-05-01T10:00:00Z");
  assert.equal(written.conditions?.find((c) => c.type === "PodScheduled")?.lastTransitionTime, "2024-01-01T00:00:00Z", "an unchanged condition keeps its transition time");
  s.clock.advance(5000);
  s.sm.setPodStatus(s.pod, running("True"));
  await s.sm.flush();
  assert.equal(s.puts(), 1, "same status: no write");
  s.sm.setPodStatus(s.pod, running("False"));
  await s.sm.flush();
  assert.equal(s.puts(), 2);
  const ready = s.api.pod("default", "web")!.status!.conditions!.find((c) => c.type === "Ready")!;
  assert.equal(ready.lastTransitionTime, "2024-05-01T10:00:05Z", "a changed condition gets a new transition time");
});

test("conflicts are retried against a fresh read", async () => {
  const s = setup();
  s.api.conflicts = 2;
  s.sm.setPodStatus(s.pod, running("True"));
  await s.sm.flush();
  assert.equal(s.puts(), 3);
  assert.equal(s.api.pod("default", "web")!.status!.phase, "Running");
});

test("conditions the kubelet does not own are kept; a terminal phase is never regressed", async () => {
  const s = setup();
  const api = s.api.pod("default", "web")!;
  s.api.putPod({ ...api, status: { ...api.status, phase: "Succeeded", conditions: [...api.status!.conditions!, { type: "example.com/gate", status: "True" }] } });
  s.sm.setPodStatus(s.pod, running("True"));
  await s.sm.flush();
  const st = s.api.pod("default", "web")!.status!;
  assert.equal(st.phase, "Succeeded");
  assert.equal(st.conditions?.find((c) => c.type === "example.com/gate")?.status, "True");
  assert.equal(st.conditions?.find((c) => c.type === "Ready")?.status, "False", "ready conditions are False once terminal");
  assert.equal(st.conditions?.find((c) => c.type === "Ready")?.reason, "PodCompleted");
});

test("a terminal phase waits until the pod's containers have stopped", async () => {
  let couldRun = true;
  const s = setup({ couldRun: () => couldRun });
  s.sm.setPodStatus(s.pod, running("True"));
  await s.sm.flush();
  s.sm.setPodStatus(s.pod, { ...running("False"), phase: "Failed" });
  await s.sm.flush();
  assert.equal(s.api.pod("default", "web")!.status!.phase, "Running");
  couldRun = false;
  s.sm.terminatePod(s.pod);
  await s.sm.flush();
  assert.equal(s.api.pod("default", "web")!.status!.phase, "Failed");
});

test("terminatePod: containers without a terminated state become ContainerStatusUnknown; deletion finishes with a DELETE", async () => {
  const s = setup({ couldRun: () => false });
  s.sm.setPodStatus(s.pod, running("True"));
  await s.sm.flush();
  assert.equal(s.api.deletes.length, 0);
  const cur = s.api.pod("default", "web")!;
  const deleting: Pod = s.api.putPod({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: "2024-05-01T10:00:30Z", deletionGracePeriodSeconds: 30 } });
  s.sm.setPodStatus(deleting, running("True"));
  await s.sm.flush();
  assert.equal(s.api.deletes.length, 0, "not before the pod is finished");
  s.sm.terminatePod(deleting);
  const final = s.sm.getPodStatus(s.pod.metadata!.uid!)!;
  assert.equal(final.phase, "Failed");
  assert.deepEqual(final.containerStatuses![0]!.state, { terminated: { reason: "ContainerStatusUnknown", message: "The container could not be located when the pod was terminated", exitCode: 137 } });
  await s.sm.flush();
  assert.ok(s.api.calls.indexOf("PUT pods/status default/web", s.api.calls.lastIndexOf("GET pods default/web")) > 0, "the final status is written before the DELETE");
  assert.deepEqual(s.api.deletes, [{ name: "web", opts: { namespace: "default", gracePeriodSeconds: 0, preconditions: { uid: s.pod.metadata!.uid } } }]);
  assert.deepEqual(s.deleted, [s.pod.metadata!.uid]);
  assert.equal(s.sm.getPodStatus(s.pod.metadata!.uid!), undefined);
});

test("a pod recreated under the same name (new uid) is not written; a missing pod is ignored", async () => {
  const s = setup();
  s.api.putPod({ ...s.pod, metadata: { ...s.pod.metadata, uid: "other" } });
  s.sm.setPodStatus(s.pod, running("True"));
  await s.sm.flush();
  assert.equal(s.puts(), 0);
  s.api.pods.clear();
  s.sm.setPodStatus(s.pod, running("False"));
  await s.sm.flush();
  assert.equal(s.puts(), 0);
});

test("mergePodStatus keeps the API's terminal phase and foreign conditions", () => {
  const merged = mergePodStatus({ phase: "Failed", conditions: [{ type: "DisruptionTarget", status: "True" }] }, { phase: "Running", conditions: [{ type: "Ready", status: "True" }] }, false);
  assert.equal(merged.phase, "Failed");
  assert.deepEqual(merged.conditions?.map((c) => `${c.type}=${c.status}`), ["DisruptionTarget=True", "Ready=False"]);
});
