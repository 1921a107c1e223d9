// Stopping containers (kuberuntime_container.go killContainer/killPodWithSyncResult): the Killing
// event, the grace period (deletion, spec, or the probe's own), preStop hooks within it, then
// SIGTERM → SIGKILL through the runtime; and stopping a whole pod with its sandboxes.
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import type { Clock } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import { containerRef } from "../container/index.ts";
import type { EventSink, PodRuntimeStatus } from "../container/index.ts";
import type { ContainerStatus, Runtime } from "../runtime/types.ts";
import type { KillReason } from "./actions.ts";
import { runLifecycleHandler } from "./lifecycle.ts";

/** Kubernetes never gives a container less than this to stop (minimumGracePeriodInSeconds). */
export const MIN_GRACE_SECONDS = 2;

export interface KillContext {
  runtime: Runtime;
  clock: Clock;
  log: Logger;
  recorder?: EventSink;
}

/** The pod's grace period for stopping: deletionGracePeriodSeconds, else the spec's, else 30. */
export function podGracePeriod(pod: Pod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}

/** setTerminationGracePeriod: a probe-triggered kill may use the probe's terminationGracePeriodSeconds. */
function containerGracePeriod(pod: Pod, c: Container, reason: KillReason): number {
  if (pod.metadata?.deletionGracePeriodSeconds !== undefined) return pod.metadata.deletionGracePeriodSeconds;
  const probe = reason === "livenessProbe" ? c.livenessProbe : reason === "startupProbe" ? c.startupProbe : undefined;
  if (probe?.terminationGracePeriodSeconds !== undefined) return probe.terminationGracePeriodSeconds;
  return pod.spec?.terminationGracePeriodSeconds ?? MIN_GRACE_SECONDS;
}

/** Runs the preStop hook bounded by the grace period; resolves to the whole seconds it took. */
async function preStop(ctx: KillContext, pod: Pod, c: Container, status: ContainerStatus, podIP: string | undefined, grace: number): Promise<number> {
  const started = ctx.clock.now();
  const hook = runLifecycleHandler(c.lifecycle!.preStop!, { runtime: ctx.runtime, clock: ctx.clock, pod, container: c, containerId: status.id, podIP, timeoutSeconds: grace })
    .then((failure) => {
      if (failure === undefined) return;
      ctx.log.info({ pod: pod.metadata?.name, container: c.name, failure }, "preStop hook failed");
      ctx.recorder?.event(containerRef(pod, c.name), "Warning", "FailedPreStopHook", "PreStopHook failed");
    })
    .catch((err: unknown) => ctx.log.warn({ err, container: c.name }, "preStop hook threw"));
  let cancel: () => void = () => undefined;
  await Promise.race([hook, new Promise<void>((resolve) => (cancel = ctx.clock.setTimer(grace * 1000, resolve)))]);
  cancel();
  return Math.floor((ctx.clock.now() - started) / 1000);
}

/**
 * Stops one container: Killing event (`message`, default "Stopping container <name>"), the
 * preStop hook if there is time, then stopContainer with what is left of the grace period (at
 * least 2 s). `graceOverride` replaces the computed grace period.
 */
export async function killContainer(ctx: KillContext, pod: Pod, c: Container | undefined, status: ContainerStatus, o: { message?: string; reason?: KillReason; graceOverride?: number; podIP?: string } = {}): Promise<void> {
  const spec: Container = c ?? { name: status.name };
  let grace = containerGracePeriod(pod, spec, o.reason ?? "unknown");
  ctx.recorder?.event(containerRef(pod, spec.name), "Normal", "Killing", o.message || `Stopping container ${spec.name}`);
  if (o.graceOverride !== undefined) grace = o.graceOverride;
  if (spec.lifecycle?.preStop && grace > 0) grace -= await preStop(ctx, pod, spec, status, o.podIP, grace);
  if (grace < MIN_GRACE_SECONDS) grace = MIN_GRACE_SECONDS;
  await ctx.runtime.stopContainer(status.id, grace);
}

/** Stops every running container of the pod (in parallel), then every sandbox. Throws the first failure. */
export async function killPod(ctx: KillContext, pod: Pod, rs: PodRuntimeStatus, graceOverride?: number): Promise<void> {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const running = rs.containers.filter((s) => s.state === "running");
  const results = await Promise.allSettled(running.map((s) => killContainer(ctx, pod, all.find((c) => c.name === s.name), s, { graceOverride, podIP: rs.ips[0] })));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  for (const sb of rs.sandboxes) await ctx.runtime.stopPodSandbox(sb.id);
  if (failed) throw failed.reason;
}
