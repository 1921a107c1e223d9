// The process runtime's on-disk state: one JSON file per sandbox and per container, each written
// atomically (temp file + rename), so a restarted kubelet finds and re-adopts what runs.
//   <stateDir>/sandboxes/<id>/sandbox.json   (+ resolv.conf, hostname)
//   <stateDir>/containers/<id>/container.json (+ stdout, stderr FIFOs)
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerConfig, ContainerState, PodSandboxConfig, SandboxState } from "../types.ts";
import type { SandboxNetwork } from "../../network/index.ts";
import type { ImageKind } from "./images.ts";

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAt: number;
  state: SandboxState;
  ips: string[];
  network?: SandboxNetwork;
  /** The pod's cgroup (relative to the hierarchy root), when limits are enforced. */
  cgroupPath?: string;
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  imageKind: ImageKind;
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  /** The container's process (its process group leader), and its start time in /proc ticks. */
  pid?: number;
  pidStartTime?: number;
  /** What runs: the resolved argv, environment and working directory. */
  argv?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  cgroupPath?: string;
  /** False when the mounts could not be applied (no root / no unshare): the process sees the host's files. */
  mountsApplied?: boolean;
  /** The strongest signal the runtime sent; a SIGKILL explains an exit whose status was lost. */
  signalSent?: "SIGTERM" | "SIGKILL";
}

export class StateStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(join(dir, "sandboxes"), { recursive: true });
    mkdirSync(join(dir, "containers"), { recursive: true });
  }

  sandboxDir(id: string): string {
    return join(this.dir, "sandboxes", id);
  }

  containerDir(id: string): string {
    return join(this.dir, "containers", id);
  }

  loadSandboxes(): SandboxRecord[] {
    return this.loadAll<SandboxRecord>("sandboxes", "sandbox.json");
  }

  loadContainers(): ContainerRecord[] {
    return this.loadAll<ContainerRecord>("containers", "container.json");
  }

  saveSandbox(rec: SandboxRecord): void {
    writeAtomic(join(this.sandboxDir(rec.id), "sandbox.json"), rec);
  }

  saveContainer(rec: ContainerRecord): void {
    writeAtomic(join(this.containerDir(rec.id), "container.json"), rec);
  }

  removeSandbox(id: string): void {
    rmSync(this.sandboxDir(id), { recursive: true, force: true });
  }

  removeContainer(id: string): void {
    rmSync(this.containerDir(id), { recursive: true, force: true });
  }

  private loadAll<T>(kind: string, file: string): T[] {
    const out: T[] = [];
    for (const id of readdirSync(join(this.dir, kind))) {
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, kind, id, file), "utf8")) as T);
      } catch {
        // a directory whose first write never completed: nothing was started from it
      }
    }
    return out;
  }
}

function writeAtomic(file: string, value: unknown): void {
  mkdirSync(join(file, ".."), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 1));
  renameSync(tmp, file);
}
