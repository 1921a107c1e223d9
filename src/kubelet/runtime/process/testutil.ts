// Shared fixtures for the process runtime's tests: configs with defaults and a scratch directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerConfig, PodSandboxConfig } from "../types.ts";

export function scratchDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `k8ts-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sandboxConfig(dir: string, name: string, over: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    namespace: "default",
    name,
    uid: `uid-${name}`,
    attempt: 0,
    hostname: name,
    hostNetwork: false,
    labels: {},
    annotations: {},
    logDirectory: join(dir, "pods", name),
    portMappings: [],
    ...over,
  };
}

export function containerConfig(dir: string, pod: string, name: string, image: string, command: string[], over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    name,
    image,
    command,
    args: [],
    env: [],
    mounts: [],
    attempt: 0,
    stdin: false,
    stdinOnce: false,
    tty: false,
    resources: {},
    labels: {},
    annotations: {},
    logPath: join(dir, "pods", pod, name, "0.log"),
    ...over,
  };
}
