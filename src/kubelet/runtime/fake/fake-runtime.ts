// An in-memory Runtime for tests: sandboxes and containers are records, "processes" exit only
// when a test (or a script set per container name) says so. Every call is recorded.
import { PassThrough } from "node:stream";
import type { Duplex } from "node:stream";
import type { Clock } from "../../../client/index.ts";
import { realClock } from "../../../client/index.ts";
import type {
  ContainerConfig, ContainerStats, ContainerStatus, ExecResult, ExecStreams, PodSandboxConfig, PodSandboxStatus, Runtime,
} from "../types.ts";
import { ImageError } from "../types.ts";

/** How containers with a given name behave (set with `script(name, …)`). */
export interface FakeContainerScript {
  /** Exit with this code on its own, `exitAfterMs` after starting (0 = at once). */
  exitCode?: number;
  exitAfterMs?: number;
  /** Runtime reason for that exit (default "Completed" for 0, "Error" otherwise). */
  exitReason?: string;
  /** startContainer rejects with this message (the container stays "created"). */
  startError?: string;
  /** createContainer rejects with this message. */
  createError?: string;
  /** Exit code when stopped with SIGTERM (default 143); with `ignoreSigterm` it takes the full timeout and exits 137. */
  stopExitCode?: number;
  ignoreSigterm?: boolean;
}

export type FakeExecHandler = (cmd: string[], container: FakeContainer) => ExecResult | Promise<ExecResult>;

export interface FakeContainer {
  status: ContainerStatus;
  config: ContainerConfig;
  waiters: (() => void)[];
  cancelTimer?: () => void;
}

export interface FakeSandbox {
  status: PodSandboxStatus;
}

export interface FakeRuntimeOptions {
  clock?: Clock;
  /** IP of sandboxes with hostNetwork; default 192.168.0.10. */
  hostIP?: string;
  /** Pod IPs are `${podIPPrefix}${n}` for n = 2, 3, …; default "10.88.0.". */
  podIPPrefix?: string;
}

export interface FakeCall {
  method: string;
  args: unknown[];
}

const result = (exitCode: number, stdout = "", stderr = ""): ExecResult => ({ exitCode, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr) });

export class FakeRuntime implements Runtime {
  readonly name = "fake";
  readonly version = "0.1.0";
  readonly calls: FakeCall[] = [];
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  private readonly clock: Clock;
  private readonly hostIP: string;
  private readonly podIPPrefix: string;
  private readonly pullErrors = new Map<string, Error>();
  private readonly scripts = new Map<string, FakeContainerScript>();
  private readonly execHandlers: { container?: string; command?: string; handler: FakeExecHandler }[] = [];
  private seq = 0;
  private nextIP = 2;

  constructor(opts: FakeRuntimeOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.hostIP = opts.hostIP ?? "192.168.0.10";
    this.podIPPrefix = opts.podIPPrefix ?? "10.88.0.";
  }

  // ---- scripting -------------------------------------------------------------------------

  /** Makes pulls of `image` fail (an ImageError, or any Error); `null` makes them succeed again. */
  failPull(image: string, err: Error | string | null): void {
    if (err === null) this.pullErrors.delete(image);
    else this.pullErrors.set(image, typeof err === "string" ? new ImageError("ErrImagePull", err) : err);
  }

  /** Sets how containers named `name` behave from now on (merged into earlier settings). */
  script(name: string, s: FakeContainerScript | null): void {
    if (s === null) this.scripts.delete(name);
    else this.scripts.set(name, { ...this.scripts.get(name), ...s });
  }

  /**
   * Answers execSync/exec for commands (matched exactly, joined by spaces) in containers named
   * `container` (any when omitted). A fixed result, or a function of the command. Later
   * registrations win. Unmatched commands succeed with no output.
   */
  onExec(match: { container?: string; command?: string[] }, handler: FakeExecHandler | { exitCode: number; stdout?: string; stderr?: string }): void {
    const h: FakeExecHandler = typeof handler === "function" ? handler : () => result(handler.exitCode, handler.stdout, handler.stderr);
    this.execHandlers.unshift({ container: match.container, command: match.command?.join(" "), handler: h });
  }

  /** Makes a running container exit now with `code`. */
  exit(id: string, code: number, reason?: string): void {
    const c = this.containers.get(id);
    if (!c || c.status.state !== "running") return;
    this.finish(c, code, reason ?? (code === 0 ? "Completed" : "Error"));
  }

  /** The newest container named `name` (in `sandboxId` if given). */
  containerNamed(name: string, sandboxId?: string): FakeContainer | undefined {
    let best: FakeContainer | undefined;
    for (const c of this.containers.values()) {
      if (c.status.name !== name || (sandboxId && c.status.sandboxId !== sandboxId)) continue;
      if (!best || c.status.createdAt > best.status.createdAt || (c.status.createdAt === best.status.createdAt && c.status.attempt > best.status.attempt)) best = c;
    }
    return best;
  }

  /** Containers in the running state. */
  running(): ContainerStatus[] {
    return [...this.containers.values()].filter((c) => c.status.state === "running").map((c) => ({ ...c.status }));
  }

  /** The recorded calls of one method. */
  callsTo(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  // ---- Runtime ---------------------------------------------------------------------------

  async pullImage(image: string, pullPolicy: string): Promise<{ imageRef: string }> {
    this.record("pullImage", image, pullPolicy);
    const err = this.pullErrors.get(image);
    if (err) throw err;
    return { imageRef: `fake://${image}` };
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.record("runPodSandbox", config);
    const id = this.id("sb");
    const ips = config.hostNetwork ? [this.hostIP] : [`${this.podIPPrefix}${this.nextIP++}`];
    this.sandboxes.set(id, { status: { id, config: structuredClone(config), state: "ready", createdAt: this.stamp(), ips } });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.record("stopPodSandbox", id);
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    for (const c of this.containers.values()) if (c.status.sandboxId === id && c.status.state === "running") this.finish(c, 137, "Error");
    sb.status.state = "notready";
  }

  async removePodSandbox(id: string): Promise<void> {
    this.record("removePodSandbox", id);
    await this.stopPodSandbox(id);
    for (const [cid, c] of this.containers) if (c.status.sandboxId === id) this.containers.delete(cid);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    const sb = this.sandboxes.get(id);
    return sb ? structuredClone(sb.status) : undefined;
  }

  async listPodSandboxes(): Promise<PodSandboxStatus[]> {
    return [...this.sandboxes.values()].map((s) => structuredClone(s.status));
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    this.record("createContainer", sandboxId, config);
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new Error(`sandbox ${sandboxId} not found`);
    if (sb.status.state !== "ready") throw new Error(`sandbox ${sandboxId} is not ready`);
    const script = this.scripts.get(config.name);
    if (script?.createError) throw new Error(script.createError);
    const id = this.id("c");
    this.containers.set(id, {
      config: structuredClone(config), waiters: [],
      status: {
        id, sandboxId, name: config.name, image: config.image, imageRef: `fake://${config.image}`, state: "created",
        attempt: config.attempt, createdAt: this.stamp(), logPath: config.logPath,
      },
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.record("startContainer", id);
    const c = this.mustGet(id);
    const script = this.scripts.get(c.status.name);
    if (script?.startError) throw new Error(script.startError);
    if (c.status.state !== "created") throw new Error(`container ${id} is ${c.status.state}`);
    c.status.state = "running";
    c.status.startedAt = this.clock.now();
    c.status.pid = 1000 + this.seq;
    if (script?.exitCode !== undefined) {
      const code = script.exitCode;
      const reason = script.exitReason;
      const exitNow = () => this.exit(id, code, reason);
      if (!script.exitAfterMs) queueMicrotask(exitNow);
      else c.cancelTimer = this.clock.setTimer(script.exitAfterMs, exitNow);
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    this.record("stopContainer", id, timeoutSeconds);
    const c = this.containers.get(id);
    if (!c || c.status.state !== "running") {
      if (c && c.status.state === "created") this.finish(c, 0, "Completed");
      return;
    }
    const script = this.scripts.get(c.status.name);
    if (script?.ignoreSigterm) {
      await new Promise<void>((resolve) => {
        c.waiters.push(resolve);
        this.clock.setTimer(timeoutSeconds * 1000, () => this.exit(id, 137, "Error"));
      });
      return;
    }
    this.finish(c, script?.stopExitCode ?? 143, "Error");
  }

  async removeContainer(id: string): Promise<void> {
    this.record("removeContainer", id);
    const c = this.containers.get(id);
    if (c?.status.state === "running") this.finish(c, 137, "Error");
    this.containers.delete(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const c = this.containers.get(id);
    return c ? { ...c.status } : undefined;
  }

  async listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]> {
    return [...this.containers.values()].filter((c) => !filter?.sandboxId || c.status.sandboxId === filter.sandboxId).map((c) => ({ ...c.status }));
  }

  waitContainer(id: string, signal?: AbortSignal): Promise<void> {
    const c = this.containers.get(id);
    if (!c || c.status.state === "exited" || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      c.waiters.push(resolve);
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
    this.record("execSync", id, cmd, timeoutSeconds);
    const c = this.mustGet(id);
    if (c.status.state !== "running") throw new Error(`container ${id} is not running`);
    const joined = cmd.join(" ");
    const h = this.execHandlers.find((x) => (!x.container || x.container === c.status.name) && (x.command === undefined || x.command === joined));
    return h ? h.handler(cmd, c) : result(0);
  }

  async exec(id: string, cmd: string[], streams: ExecStreams): Promise<number> {
    const r = await this.execSync(id, cmd, 0);
    streams.stdout?.write(r.stdout);
    streams.stderr?.write(r.stderr);
    return r.exitCode;
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    this.record("portForward", sandboxId, port);
    return new PassThrough();
  }

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    return this.containers.has(id) ? { id, cpuUsageNanoCores: 0, memoryWorkingSetBytes: 0, timestamp: this.clock.now() } : undefined;
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) c.cancelTimer?.();
  }

  // ---- internals -------------------------------------------------------------------------

  private finish(c: FakeContainer, code: number, reason: string): void {
    c.cancelTimer?.();
    c.status.state = "exited";
    c.status.exitCode = code;
    c.status.reason = reason;
    c.status.finishedAt = this.clock.now();
    for (const w of c.waiters.splice(0)) w();
  }

  private mustGet(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`container ${id} not found`);
    return c;
  }

  /** createdAt: the clock, made strictly increasing so "newest" is well defined. */
  private lastStamp = 0;
  private stamp(): number {
    this.lastStamp = Math.max(this.clock.now(), this.lastStamp + 1e-3);
    return this.lastStamp;
  }

  private id(prefix: string): string {
    return `${prefix}${(++this.seq).toString(16).padStart(6, "0")}`;
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }
}
