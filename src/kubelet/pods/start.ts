// Starting one container (kuberuntime_container.go startContainer): image, restart count, the
// container's configuration (env, command, mounts, log path), create, start, postStart hook —
// with the events and the waiting reasons Kubernetes reports for each failure.
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import {
  CreateContainerConfigError, containerRef, expandContainerCommandAndArgs, latestContainer, makeEnvironmentVariables, runtimeResources,
} from "../container/index.ts";
import type { EnvContext, PodRuntimeStatus } from "../container/index.ts";
import type { ContainerConfig, PodSandboxConfig } from "../runtime/types.ts";
import type { WaitingReason } from "../status/index.ts";
import type { ImageManager } from "./images.ts";
import { killContainer } from "./kill.ts";
import type { KillContext } from "./kill.ts";
import { runLifecycleHandler } from "./lifecycle.ts";

/** `<podLogsDir>/<namespace>_<name>_<uid>`, the pod's log directory (like /var/log/pods). */
export function podLogDirectory(podLogsDir: string, pod: { namespace: string; name: string; uid: string }): string {
  return join(podLogsDir, `${pod.namespace}_${pod.name}_${pod.uid}`);
}

/** `<pod log dir>/<container>/<restartCount>.log`. */
export function containerLogPath(podLogDir: string, container: string, restartCount: number): string {
  return join(podLogDir, container, `${restartCount}.log`);
}

/** One more than the highest `<n>.log` in the directory (0 when there is none). */
async function restartCountFromLogDir(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let max = -1;
  for (const n of names) {
    const m = /^(\d+)\.log$/.exec(n);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

export interface StartContext extends KillContext {
  images: ImageManager;
  env: Omit<EnvContext, "podIPs">;
  podLogsDir: string;
  /** Called for every container that is started (to watch for its exit). */
  onStarted?: (containerId: string) => void;
}

/** Resolves undefined when the container runs, else why it waits (for the reason cache). */
export async function startContainer(ctx: StartContext, pod: Pod, container: Container, rs: PodRuntimeStatus, sandboxId: string, sandbox: PodSandboxConfig, podIPs: string[]): Promise<WaitingReason | undefined> {
  const ref = containerRef(pod, container.name);
  const fail = (reason: string, message: string): WaitingReason => {
    ctx.recorder?.event(ref, "Warning", "Failed", `Error: ${message}`);
    return { reason, message };
  };
  const image = await ctx.images.ensureImageExists(pod, container);
  if (!image.ok) {
    ctx.recorder?.event(ref, "Warning", "Failed", `Error: ${image.reason}`);
    return { reason: image.reason, message: image.message };
  }
  const logDir = join(sandbox.logDirectory, container.name);
  const previous = latestContainer(rs, container.name);
  const restartCount = previous ? previous.attempt + 1 : await restartCountFromLogDir(logDir);
  let config: ContainerConfig;
  try {
    const env = await makeEnvironmentVariables(pod, container, { ...ctx.env, podIPs });
    const { command, args } = expandContainerCommandAndArgs(container, env);
    await mkdir(logDir, { recursive: true });
    config = {
      name: container.name, image: container.image ?? "", command, args, env, mounts: [], attempt: restartCount,
      stdin: !!container.stdin, stdinOnce: !!container.stdinOnce, tty: !!container.tty,
      resources: runtimeResources(container),
      labels: {
        "io.kubernetes.pod.name": pod.metadata?.name ?? "", "io.kubernetes.pod.namespace": pod.metadata?.namespace ?? "",
        "io.kubernetes.pod.uid": pod.metadata?.uid ?? "", "io.kubernetes.container.name": container.name,
      },
      annotations: {
        "io.kubernetes.container.restartCount": String(restartCount),
        "io.kubernetes.pod.terminationGracePeriod": String(pod.spec?.terminationGracePeriodSeconds ?? 30),
      },
      logPath: containerLogPath(sandbox.logDirectory, container.name, restartCount),
    };
    if (container.workingDir) config.workingDir = container.workingDir;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return fail(err instanceof CreateContainerConfigError ? err.reason : "CreateContainerConfigError", message);
  }
  // Keep one dead instance (the previous one, for lastState and --previous logs); remove older ones.
  const dead = rs.containers.filter((c) => c.name === container.name && c.state === "exited");
  for (const old of dead.slice(1)) await ctx.runtime.removeContainer(old.id).catch(() => undefined);
  let id: string;
  try {
    id = await ctx.runtime.createContainer(sandboxId, config);
  } catch (err) {
    return fail("CreateContainerError", err instanceof Error ? err.message : String(err));
  }
  ctx.recorder?.event(ref, "Normal", "Created", `Created container: ${container.name}`);
  try {
    await ctx.runtime.startContainer(id);
  } catch (err) {
    return fail("RunContainerError", err instanceof Error ? err.message : String(err));
  }
  ctx.recorder?.event(ref, "Normal", "Started", `Started container ${container.name}`);
  ctx.onStarted?.(id);
  const postStart = container.lifecycle?.postStart;
  if (postStart) {
    const failure = await runLifecycleHandler(postStart, {
      runtime: ctx.runtime, clock: ctx.clock, pod, container, containerId: id, podIP: podIPs[0], timeoutSeconds: pod.spec?.terminationGracePeriodSeconds ?? 30,
    });
    if (failure !== undefined) {
      ctx.recorder?.event(ref, "Warning", "FailedPostStartHook", "PostStartHook failed");
      const status = await ctx.runtime.containerStatus(id);
      if (status) await killContainer(ctx, pod, container, status, { message: "FailedPostStartHook", podIP: podIPs[0] }).catch(() => undefined);
      return { reason: "PostStartHookError", message: failure };
    }
  }
  return undefined;
}
