// EventRecorder against the API server: Events about a ConfigMap, repeats folded into one Event
// (count, lastTimestamp), distinct messages kept apart, a deleted Event started afresh.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { ConfigMap, Event, Namespace } from "kubernetes-types/core/v1.js";
import { startTestApiServer } from "../testing/apiserver.ts";
import { silentLogger } from "../util/log.ts";
import { FakeClock } from "./clock.ts";
import { Client } from "./rest.ts";
import { resources } from "./resources.ts";
import { EventRecorder } from "./events.ts";

it("records Events and aggregates repeats by (object, type, reason, message)", { timeout: 60_000 }, async () => {
  const t = await startTestApiServer();
  const client = await Client.fromKubeconfig(t.kubeconfig);
  const clock = new FakeClock(Date.parse("2025-01-01T00:00:00Z"));
  const recorder = new EventRecorder(client, { component: "test-controller", host: "node-1", clock, log: silentLogger });
  try {
    const cm = await client.create<ConfigMap>(resources.configmaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "subject", namespace: "default" } });
    recorder.event(cm, "Normal", "Synced", "synced it");
    clock.advance(5000);
    recorder.event(cm, "Normal", "Synced", "synced it");
    clock.advance(5000);
    recorder.event(cm, "Normal", "Synced", "synced it");
    recorder.event(cm, "Warning", "Failed", "could not do it");
    await recorder.flush();

    const events = (await client.list<Event>(resources.events, { namespace: "default" })).items;
    const synced = events.filter((e) => e.reason === "Synced");
    assert.equal(synced.length, 1, "repeats fold into one Event");
    const e = synced[0]!;
    assert.equal(e.count, 3);
    assert.equal(e.type, "Normal");
    assert.equal(e.message, "synced it");
    assert.equal(e.firstTimestamp, "2025-01-01T00:00:00Z");
    assert.equal(e.lastTimestamp, "2025-01-01T00:00:10Z");
    assert.deepEqual(e.source, { component: "test-controller", host: "node-1" });
    assert.equal(e.involvedObject.kind, "ConfigMap");
    assert.equal(e.involvedObject.name, "subject");
    assert.equal(e.involvedObject.uid, cm.metadata?.uid);
    assert.equal(e.involvedObject.apiVersion, "v1");
    assert.match(e.metadata.name ?? "", /^subject\.[0-9a-f]+$/);
    const failed = events.filter((x) => x.reason === "Failed");
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.type, "Warning");

    // Field selectors on involvedObject work as kubectl describe uses them.
    const about = await client.list<Event>(resources.events, { namespace: "default", fieldSelector: { "involvedObject.name": "subject", "involvedObject.kind": "ConfigMap" } });
    assert.equal(about.items.length, 2);

    // An aggregated Event that was deleted meanwhile is created anew.
    await client.delete(resources.events, e.metadata.name!, { namespace: "default" });
    recorder.event(cm, "Normal", "Synced", "synced it");
    await recorder.flush();
    const again = (await client.list<Event>(resources.events, { namespace: "default", fieldSelector: "reason=Synced" })).items;
    assert.equal(again.length, 1);
    assert.equal(again[0]!.count, 1);
    assert.notEqual(again[0]!.metadata.name, e.metadata.name);

    // Cluster-scoped objects get their Events in "default"; an object without kind is dropped, not thrown.
    const ns = await client.get<Namespace>(resources.namespaces, "kube-public");
    recorder.event({ ...ns, kind: "Namespace", apiVersion: "v1" }, "Normal", "Seen", "saw a namespace");
    recorder.event({ metadata: { name: "no-kind" } }, "Normal", "Seen", "nothing");
    await recorder.flush();
    const nsEvents = (await client.list<Event>(resources.events, { namespace: "default", fieldSelector: "involvedObject.kind=Namespace" })).items;
    assert.equal(nsEvents.length, 1);
    assert.equal(nsEvents[0]!.involvedObject.name, "kube-public");
  } finally {
    client.close();
    await t.close();
  }
});
