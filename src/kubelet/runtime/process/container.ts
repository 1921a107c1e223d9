// Pure pieces of the process runtime's container handling: the environment a container gets,
// its mount points, how an exit becomes a status, and the record → CRI status mapping.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ContainerStatus, Mount, PodSandboxConfig } from "../types.ts";
import { CannotRunError } from "./images.ts";
import type { ResolvedImage } from "./images.ts";
import type { ContainerRecord } from "./state.ts";
import { readEnviron } from "./proc.ts";

/** Marks every process of a sandbox (`<runtime key>:<sandbox id>`), so orphans can be found. */
export const SANDBOX_ENV = "K8TS_SANDBOX";

/** Exit code reported when a process's exit status could not be read (Kubernetes uses 137 too). */
export const UNKNOWN_EXIT_CODE = 137;

/** The image's env, then what a container runtime adds, then the container's own env (last wins). */
export function containerEnv(img: ResolvedImage, sandbox: PodSandboxConfig, env: { name: string; value: string }[], marker: string): Record<string, string> {
  const out: Record<string, string> = {
    ...img.env,
    HOSTNAME: sandbox.hostname,
    HOME: process.getuid?.() === 0 ? "/root" : (process.env.HOME ?? "/"),
    [SANDBOX_ENV]: marker,
  };
  for (const { name, value } of env) out[name] = value;
  return out;
}

/**
 * Creates mount points that do not exist yet (a bind mount needs one). The process runtime has no
 * root filesystem of its own, so they are created on the host: an empty directory or file at the
 * container path, visible outside the container (the mount itself is not).
 */
export function prepareMountPoints(mounts: Mount[]): void {
  for (const m of mounts) {
    if (m.containerPath === m.hostPath) continue;
    if (!m.containerPath.startsWith("/") || m.containerPath.replace(/\/+$/, "") === "") {
      throw new CannotRunError(`invalid mount path ${JSON.stringify(m.containerPath)}`);
    }
    let isDir: boolean;
    try {
      isDir = statSync(m.hostPath).isDirectory();
    } catch {
      throw new CannotRunError(`mount source ${m.hostPath} does not exist`);
    }
    try {
      if (isDir) mkdirSync(m.containerPath, { recursive: true });
      else if (!existsSync(m.containerPath)) {
        mkdirSync(dirname(m.containerPath), { recursive: true });
        writeFileSync(m.containerPath, "", { flag: "a" });
      }
    } catch (err) {
      throw new CannotRunError(`cannot create mount point ${m.containerPath}: ${(err as Error).message}`);
    }
  }
}

export interface ExitFacts {
  /** undefined: the status was lost (the process was adopted from an earlier kubelet). */
  code: number | undefined;
  oomKilled: boolean;
  signalSent?: "SIGTERM" | "SIGKILL";
}

/** Exit code, reason and message for a finished container. */
export function exitStatus(f: ExitFacts): { exitCode: number; reason: string; message?: string } {
  if (f.oomKilled) return { exitCode: 137, reason: "OOMKilled" };
  if (f.code === undefined) {
    // A SIGKILL we sent explains the exit; anything else is unknowable for a non-child process.
    if (f.signalSent === "SIGKILL") return { exitCode: 137, reason: "Error" };
    return {
      exitCode: UNKNOWN_EXIT_CODE,
      reason: "ContainerStatusUnknown",
      message: "The container exited while the kubelet was restarting; its exit status could not be read",
    };
  }
  return { exitCode: f.code, reason: f.code === 0 ? "Completed" : "Error" };
}

export function toContainerStatus(r: ContainerRecord): ContainerStatus {
  return {
    id: r.id,
    sandboxId: r.sandboxId,
    name: r.config.name,
    image: r.config.image,
    imageRef: r.imageRef,
    state: r.state,
    attempt: r.config.attempt,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    exitCode: r.exitCode,
    reason: r.reason,
    message: r.message,
    logPath: r.config.logPath,
    pid: r.state === "running" ? r.pid : undefined,
  };
}

/** resolv.conf for a pod's DNS settings. */
export function resolvConf(dns: { servers: string[]; searches: string[]; options: string[] }): string {
  const lines: string[] = [];
  if (dns.searches.length) lines.push(`search ${dns.searches.join(" ")}`);
  for (const s of dns.servers) lines.push(`nameserver ${s}`);
  if (dns.options.length) lines.push(`options ${dns.options.join(" ")}`);
  return `${lines.join("\n")}\n`;
}

/**
 * SIGKILLs processes carrying runtime `key`'s sandbox marker for a sandbox not in `keep` (their
 * state was lost); returns their pids.
 */
export function killMarkedProcesses(key: string, keep: Set<string>): number[] {
  const prefix = `${SANDBOX_ENV}=${key}:`;
  const killed: number[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!/^\d+$/.test(name) || pid === process.pid) continue;
    const marker = readEnviron(pid).find((e) => e.startsWith(prefix));
    if (!marker || keep.has(marker.slice(prefix.length))) continue;
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {
      // gone
    }
  }
  return killed;
}
