// Test helpers for DefaultPreemption: a Handle whose Filter is a plain resource fit (cpu, memory,
// pod count), a fake client that records the calls preemption makes, and a recording EventRecorder.
import type { Pod } from "kubernetes-types/core/v1.js";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import type { Client, EventRecorder } from "../../../client/index.ts";
import { FakeClock } from "../../../client/index.ts";
import type { NodeInfo } from "../../framework/node-info.ts";
import type { PodInfo } from "../../framework/pod-info.ts";
import { podRequests } from "../../framework/resources.ts";
import { SUCCESS, unschedulable } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import type { Handle } from "../../framework/types.ts";
import { fakeHandle } from "../../testing.ts";

/** NodeResourcesFit in miniature: cpu, memory and the pod count. */
export function resourceFit(pod: Pod, node: NodeInfo): Status {
  const req = podRequests(pod);
  const reasons: string[] = [];
  if (node.pods.length + 1 > node.allocatable.pods) reasons.push("Too many pods");
  if (req.milliCPU > 0 && node.requested.milliCPU + req.milliCPU > node.allocatable.milliCPU) reasons.push("Insufficient cpu");
  if (req.memory > 0 && node.requested.memory + req.memory > node.allocatable.memory) reasons.push("Insufficient memory");
  return reasons.length > 0 ? unschedulable(...reasons) : SUCCESS;
}

export interface Call {
  verb: "patch" | "delete";
  name: string;
  namespace?: string;
  body?: unknown;
  opts?: Record<string, unknown>;
}

/** The Client methods preemption uses, recording writes; `fail` makes a call throw. */
export class FakeClient {
  calls: Call[] = [];
  pdbs: PodDisruptionBudget[] = [];
  fail?: (call: Call) => Error | undefined;

  private record(call: Call): void {
    this.calls.push(call);
    const err = this.fail?.(call);
    if (err) throw err;
  }

  async patch(_r: unknown, name: string, body: unknown, opts: Record<string, unknown>): Promise<unknown> {
    this.record({ verb: "patch", name, namespace: opts.namespace as string, body, opts });
    return {};
  }

  async delete(_r: unknown, name: string, opts: Record<string, unknown> = {}): Promise<unknown> {
    this.record({ verb: "delete", name, namespace: opts.namespace as string, opts });
    return {};
  }

  async listAll(): Promise<{ metadata: object; items: PodDisruptionBudget[] }> {
    return { metadata: {}, items: this.pdbs };
  }

  deleted(): string[] {
    return this.calls.filter((c) => c.verb === "delete").map((c) => c.name);
  }

  /** Status patches as "name → body" for merge patches (nominations). */
  nominations(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const c of this.calls) if (c.verb === "patch" && c.opts?.type === "merge") out[c.name] = (c.body as { status: { nominatedNodeName: unknown } }).status.nominatedNodeName;
    return out;
  }
}

export interface RecordedEvent {
  name: string;
  kind: string;
  type: string;
  reason: string;
  message: string;
}

export function recordingRecorder(events: RecordedEvent[]): EventRecorder {
  return {
    event(obj: { name?: string; kind?: string }, type: string, reason: string, message: string) {
      events.push({ name: obj.name ?? "", kind: obj.kind ?? "", type, reason, message });
    },
  } as unknown as EventRecorder;
}

export interface TestHandle {
  handle: Handle;
  client: FakeClient;
  events: RecordedEvent[];
  clock: FakeClock;
}

/** A Handle over `nodes` with resourceFit as its only Filter. */
export function preemptionHandle(nodes: readonly NodeInfo[], nominated: Record<string, PodInfo[]> = {}): TestHandle {
  const client = new FakeClient();
  const events: RecordedEvent[] = [];
  const clock = new FakeClock(Date.parse("2025-01-01T12:00:00Z"));
  const handle: Handle = {
    ...fakeHandle(nodes),
    nominatedPodsForNode: (name) => nominated[name] ?? [],
    runFilterPlugins: (_state, pod, node) => resourceFit(pod, node),
    client: client as unknown as Client,
    recorder: recordingRecorder(events),
    clock,
  };
  return { handle, client, events, clock };
}
