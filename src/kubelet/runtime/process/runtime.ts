// ProcessRuntime: the embedded default runtime. Each container is a supervised host process
// (its own process group), state is kept on disk so a restarted kubelet re-adopts running
// containers; as root, pods get a network namespace, containers private mount/UTS namespaces
// and cgroup limits. See README.md beside this file for what is and is not isolated.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { join, resolve as resolvePath } from "node:path";
import type {
  ContainerConfig, ContainerStats, ContainerStatus, ExecResult, ExecStreams, PodSandboxConfig, PodSandboxStatus, Runtime,
} from "../types.ts";
import { PodNetwork } from "../../network/index.ts";
import { silentLogger } from "../../../util/log.ts";
import type { Logger } from "../../../util/log.ts";
import { detectCgroups } from "./cgroups.ts";
import type { CgroupDriver } from "./cgroups.ts";
import { SANDBOX_ENV, containerEnv, exitStatus, killMarkedProcesses, prepareMountPoints, resolvConf, toContainerStatus } from "./container.ts";
import { execCollect, execStreams } from "./exec.ts";
import type { ExecPlan } from "./exec.ts";
import { CannotRunError, ImageResolver } from "./images.ts";
import { findHostTools, launchArgv } from "./launch.ts";
import type { HostTools } from "./launch.ts";
import { StatsReader } from "./stats.ts";
import { StateStore } from "./state.ts";
import type { ContainerRecord, SandboxRecord } from "./state.ts";
import { ContainerProcess } from "./supervisor.ts";
import type { ProcessExit } from "./supervisor.ts";
import { ExitWaiters } from "./waiters.ts";

export interface ProcessRuntimeOptions {
  /** Where sandbox/container state, log FIFOs, IPAM and the busybox applet dir live. */
  stateDir: string;
  /** The node's pod CIDR; with root, pods get their own network namespace and an IP from it. */
  podCIDR?: string;
  /** IP of host-network pods (default: the first non-loopback IPv4 address). */
  hostIP?: string;
  /** Bridge for pod namespaces (default k8ts0) and namespace name prefix (default "k8ts-"). */
  bridge?: string;
  netnsPrefix?: string;
  /** A ready-made pod network (tests); overrides podCIDR/hostIP/bridge/netnsPrefix. */
  network?: PodNetwork;
  /** "auto" (default): cgroup v2, else v1, when root; "none": no limits; or a driver (tests). */
  cgroups?: "auto" | "none" | CgroupDriver;
  /** Parent of pod cgroups (default k8ts.slice): `<parent>/pod<uid>/<containerId>`. */
  cgroupParent?: string;
  /** Container log rotation (default 10 MiB, 2 files: the log and one rotated). */
  logMaxBytes?: number;
  logMaxFiles?: number;
  /** /proc polling interval for adopted processes (default 250 ms). */
  pollMs?: number;
  busyboxPath?: string;
  log?: Logger;
}

export class ProcessRuntime implements Runtime {
  readonly name = "process";
  readonly version = "0.1.0";
  readonly network: PodNetwork;
  private readonly opts: ProcessRuntimeOptions;
  private readonly store: StateStore;
  private readonly tools: HostTools;
  private readonly cgroups: CgroupDriver | undefined;
  private readonly images: ImageResolver;
  private readonly log: Logger;
  private readonly isRoot = process.getuid?.() === 0;
  private readonly key: string;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly procs = new Map<string, ContainerProcess>();
  private readonly waiters = new ExitWaiters();
  private readonly stats = new StatsReader();
  private closed = false;

  /** Loads the state in `stateDir` and re-adopts the containers still running. */
  constructor(opts: ProcessRuntimeOptions) {
    this.opts = opts;
    this.log = opts.log ?? silentLogger;
    this.store = new StateStore(opts.stateDir);
    this.key = createHash("sha256").update(resolvePath(opts.stateDir)).digest("hex").slice(0, 8);
    this.tools = findHostTools();
    this.cgroups = opts.cgroups === "none" ? undefined : opts.cgroups === undefined || opts.cgroups === "auto" ? detectCgroups(this.cgroupParent()) : opts.cgroups;
    this.network =
      opts.network ??
      new PodNetwork({ stateDir: join(opts.stateDir, "network"), podCIDR: opts.podCIDR, hostIP: opts.hostIP, bridge: opts.bridge, nsPrefix: opts.netnsPrefix });
    this.images = new ImageResolver({ dir: join(opts.stateDir, "images"), busyboxPath: opts.busyboxPath });
    for (const s of this.store.loadSandboxes()) {
      // After a reboot the namespace is gone: the kubelet has to recreate the sandbox.
      if (s.state === "ready" && s.network?.netns && !existsSync(this.network.nsPath(s.network.netns))) s.state = "notready";
      this.sandboxes.set(s.id, s);
    }
    for (const c of this.store.loadContainers()) {
      this.containers.set(c.id, c);
      if (c.state === "running") this.adopt(c);
    }
  }

  /** True when container memory/CPU limits are enforced (cgroups usable); else the kubelet should warn. */
  limitsEnforced(): boolean {
    return this.cgroups !== undefined;
  }

  async pullImage(image: string, _pullPolicy: string): Promise<{ imageRef: string }> {
    return { imageRef: this.images.resolve(image).imageRef };
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.assertOpen();
    const id = randomBytes(32).toString("hex");
    const rec: SandboxRecord = { id, config: structuredClone(config), createdAt: Date.now(), state: "notready", ips: [] };
    this.store.saveSandbox(rec); // first, so a crash during setup leaves something to clean up
    this.sandboxes.set(id, rec);
    try {
      rec.network = await this.network.setup(id, config.hostNetwork);
      rec.ips = rec.network.ips;
      if (this.cgroups) {
        rec.cgroupPath = (config.linux?.cgroupParent ?? `${this.cgroupParent()}/pod${config.uid}`).replace(/^\/+/, "");
        this.cgroups.create(rec.cgroupPath);
      }
      if (config.dns) writeFileSync(join(this.store.sandboxDir(id), "resolv.conf"), resolvConf(config.dns));
      writeFileSync(join(this.store.sandboxDir(id), "hostname"), `${config.hostname}\n`);
      rec.state = "ready";
      this.store.saveSandbox(rec);
      return id;
    } catch (err) {
      await this.removePodSandbox(id).catch(() => undefined);
      throw err;
    }
  }

  async stopPodSandbox(id: string): Promise<void> {
    const rec = this.sandboxes.get(id);
    if (!rec) return;
    await Promise.all(this.containersOf(id).map((c) => this.kill(c.id)));
    await this.network.teardown(id, rec.network);
    rec.network = undefined;
    rec.state = "notready";
    if (!this.closed) this.store.saveSandbox(rec);
  }

  async removePodSandbox(id: string): Promise<void> {
    const rec = this.sandboxes.get(id);
    if (!rec) return;
    await this.stopPodSandbox(id);
    for (const c of this.containersOf(id)) await this.removeContainer(c.id);
    if (rec.cgroupPath) this.cgroups?.remove(rec.cgroupPath);
    this.store.removeSandbox(id);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    const r = this.sandboxes.get(id);
    return r && { id: r.id, config: structuredClone(r.config), state: r.state, createdAt: r.createdAt, ips: [...r.ips] };
  }

  async listPodSandboxes(): Promise<PodSandboxStatus[]> {
    const ids = [...this.sandboxes.values()].sort((a, b) => a.createdAt - b.createdAt).map((r) => r.id);
    return (await Promise.all(ids.map((id) => this.podSandboxStatus(id)))).filter((s): s is PodSandboxStatus => !!s);
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    this.assertOpen();
    this.readySandbox(sandboxId);
    const img = this.images.resolve(config.image);
    const id = randomBytes(32).toString("hex");
    const rec: ContainerRecord = { id, sandboxId, config: structuredClone(config), imageKind: img.kind, imageRef: img.imageRef, state: "created", createdAt: Date.now() };
    this.store.saveContainer(rec);
    this.containers.set(id, rec);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.assertOpen();
    const rec = this.mustGet(id);
    if (rec.state !== "created") throw new Error(`container ${id} is ${rec.state}, not created`);
    const sandbox = this.readySandbox(rec.sandboxId);
    let argv: string[];
    try {
      argv = this.prepare(rec, sandbox);
    } catch (err) {
      this.cannotRun(rec, err);
      throw err;
    }
    let proc: ContainerProcess;
    try {
      proc = await ContainerProcess.spawn(argv, rec.env!, this.superviseOptions(rec));
    } catch (err) {
      this.cannotRun(rec, err);
      throw err;
    }
    this.procs.set(id, proc);
    Object.assign(rec, { state: "running", pid: proc.pid, pidStartTime: proc.startTime, startedAt: Date.now() });
    this.store.saveContainer(rec);
    this.log.info({ container: rec.config.name, id, pid: proc.pid, argv: rec.argv }, "container started");
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.mustGet(id);
    const proc = this.procs.get(id);
    if (rec.state !== "running" || !proc) return;
    const exited = this.waiters.wait(id);
    if (timeoutSeconds > 0) {
      this.noteSignal(rec, "SIGTERM");
      proc.signal("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutSeconds * 1000)))]);
      clearTimeout(timer);
      if (!timedOut) return;
    }
    await this.kill(id);
  }

  async removeContainer(id: string): Promise<void> {
    const rec = this.containers.get(id);
    if (!rec) return;
    await this.kill(id);
    this.procs.get(id)?.detach();
    this.procs.delete(id);
    if (rec.cgroupPath) this.cgroups?.remove(rec.cgroupPath);
    this.store.removeContainer(id);
    this.containers.delete(id);
    this.stats.forget(id);
    this.waiters.settle(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const r = this.containers.get(id);
    return r && toContainerStatus(r);
  }

  async listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]> {
    return [...this.containers.values()]
      .filter((c) => !filter?.sandboxId || c.sandboxId === filter.sandboxId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(toContainerStatus);
  }

  waitContainer(id: string, signal?: AbortSignal): Promise<void> {
    const rec = this.containers.get(id);
    if (!rec || rec.state === "exited") return Promise.resolve();
    return this.waiters.wait(id, signal);
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
    const plan = this.execPlan(id, cmd);
    if (plan instanceof CannotRunError) return { stdout: Buffer.alloc(0), stderr: Buffer.from(`${plan.message}\n`), exitCode: 127 };
    return execCollect(plan, cmd, timeoutSeconds);
  }

  async exec(id: string, cmd: string[], streams: ExecStreams): Promise<number> {
    const plan = this.execPlan(id, cmd);
    if (plan instanceof CannotRunError) {
      streams.stderr?.write(`${plan.message}\n`);
      return 127;
    }
    return execStreams(plan, streams, this.tools);
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new Error(`sandbox ${sandboxId} not found`);
    const host = sb.network?.netns ? sb.ips[0] : "127.0.0.1";
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port });
      sock.once("connect", () => {
        sock.off("error", reject);
        resolve(sock);
      });
      sock.once("error", reject);
    });
  }

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    const rec = this.containers.get(id);
    if (!rec) return undefined;
    if (rec.state !== "running" || rec.pid === undefined) return { id, timestamp: Date.now() };
    return this.stats.read(id, rec.pid, rec.cgroupPath, this.cgroups);
  }

  /**
   * Stops and removes every sandbox not in `knownSandboxIds` (with its containers and network),
   * kills processes that carry this runtime's sandbox marker but whose sandbox it no longer
   * knows (lost state), and frees their IPs and namespaces. Returns the sandbox ids removed.
   */
  async killOrphans(knownSandboxIds: Iterable<string>): Promise<string[]> {
    const known = new Set(knownSandboxIds);
    const removed: string[] = [];
    for (const id of [...this.sandboxes.keys()]) {
      if (known.has(id)) continue;
      await this.removePodSandbox(id);
      removed.push(id);
    }
    for (const c of [...this.containers.values()]) if (!this.sandboxes.has(c.sandboxId)) await this.removeContainer(c.id);
    for (const pid of killMarkedProcesses(this.key, new Set(this.sandboxes.keys()))) this.log.info({ pid }, "killed orphaned container process");
    await this.network.gc(new Set(this.sandboxes.keys()));
    return removed;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.procs.values()) p.detach();
    this.procs.clear();
    this.waiters.rejectAll((id) => new Error(`runtime closed while waiting for container ${id}`));
  }

  // --- internals ---

  private marker(sandboxId: string): string {
    return `${this.key}:${sandboxId}`;
  }

  private cgroupParent(): string {
    return this.opts.cgroupParent ?? "k8ts.slice";
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("process runtime is closed");
  }

  private mustGet(id: string): ContainerRecord {
    const rec = this.containers.get(id);
    if (!rec) throw new Error(`container ${id} not found`);
    return rec;
  }

  private readySandbox(id: string): SandboxRecord {
    const sb = this.sandboxes.get(id);
    if (!sb) throw new Error(`sandbox ${id} not found`);
    if (sb.state !== "ready") throw new Error(`sandbox ${id} is not ready`);
    return sb;
  }

  private containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }

  /** Resolves what the container runs, creates its cgroup and mount points; returns the launch argv. */
  private prepare(rec: ContainerRecord, sb: SandboxRecord): string[] {
    const img = this.images.resolve(rec.config.image);
    const env = containerEnv(img, sb.config, rec.config.env, this.marker(sb.id));
    const mounts = [...rec.config.mounts];
    const isolate = this.isRoot && !!this.tools.unshare && !!this.tools.mount;
    if (isolate) {
      const dir = this.store.sandboxDir(sb.id);
      if (sb.config.dns) mounts.push({ hostPath: join(dir, "resolv.conf"), containerPath: "/etc/resolv.conf", readOnly: false });
      if (!sb.config.hostNetwork) mounts.push({ hostPath: join(dir, "hostname"), containerPath: "/etc/hostname", readOnly: false });
      prepareMountPoints(mounts);
    } else if (mounts.length) {
      this.log.warn({ container: rec.config.name, mounts: mounts.map((m) => m.containerPath) }, "mounts not applied: the process runtime needs root and unshare to bind-mount");
    }
    const argv = this.images.argv(img, rec.config.command, rec.config.args, env.PATH ?? "", mounts);
    const workingDir = rec.config.workingDir || "/";
    let procsFiles: string[] = [];
    if (this.cgroups && sb.cgroupPath) {
      rec.cgroupPath = `${sb.cgroupPath}/${rec.id}`;
      this.cgroups.create(rec.cgroupPath, rec.config.resources);
      procsFiles = this.cgroups.procsFiles(rec.cgroupPath);
    }
    Object.assign(rec, { argv, env, workingDir, mountsApplied: isolate || mounts.length === 0 });
    return launchArgv(this.tools, {
      argv,
      workingDir,
      procsFiles,
      mounts,
      hostname: sb.config.hostNetwork ? undefined : sb.config.hostname,
      netnsPath: sb.network?.netns ? this.network.nsPath(sb.network.netns) : undefined,
      newMountNs: isolate,
    });
  }

  private execPlan(id: string, cmd: string[]): ExecPlan | CannotRunError {
    const rec = this.mustGet(id);
    if (rec.state !== "running" || rec.pid === undefined) throw new Error(`container ${id} is not running`);
    const img = this.images.resolve(rec.config.image);
    const env = rec.env ?? {};
    let argv: string[];
    try {
      argv = this.images.argv(img, cmd, [], env.PATH ?? "", rec.config.mounts);
    } catch (err) {
      if (err instanceof CannotRunError) return err;
      throw err;
    }
    const enter = this.isRoot && !!this.tools.nsenter;
    const procsFiles = this.cgroups && rec.cgroupPath ? this.cgroups.procsFiles(rec.cgroupPath) : [];
    return { env, argv: launchArgv(this.tools, { argv, workingDir: rec.workingDir ?? "/", procsFiles, mounts: [], enterPid: enter ? rec.pid : undefined }) };
  }

  private superviseOptions(rec: ContainerRecord) {
    return {
      fifoDir: this.store.containerDir(rec.id),
      logPath: rec.config.logPath,
      log: { maxBytes: this.opts.logMaxBytes, maxFiles: this.opts.logMaxFiles },
      pollMs: this.opts.pollMs,
      marker: `${SANDBOX_ENV}=${this.marker(rec.sandboxId)}`,
      onExit: (exit: ProcessExit) => this.finished(rec.id, exit),
    };
  }

  private adopt(rec: ContainerRecord): void {
    const proc = ContainerProcess.adopt(rec.pid!, rec.pidStartTime, this.superviseOptions(rec));
    if (rec.state !== "running") return; // it had exited meanwhile, and is recorded so already
    this.procs.set(rec.id, proc);
    this.log.info({ container: rec.config.name, id: rec.id, pid: rec.pid }, "re-adopted running container");
  }

  /** Records a container's exit (after its output reached the log) and wakes its waiters. */
  private finished(id: string, exit: ProcessExit): void {
    const rec = this.containers.get(id);
    this.procs.delete(id);
    if (!rec || this.closed) return;
    const oomKilled = !!(rec.cgroupPath && this.cgroups?.oomKilled(rec.cgroupPath));
    if (rec.cgroupPath) this.cgroups?.kill(rec.cgroupPath);
    Object.assign(rec, { state: "exited", finishedAt: exit.at }, exitStatus({ code: exit.code, oomKilled, signalSent: rec.signalSent }));
    this.store.saveContainer(rec);
    this.log.info({ container: rec.config.name, id, exitCode: rec.exitCode, reason: rec.reason }, "container exited");
    this.waiters.settle(id);
  }

  private cannotRun(rec: ContainerRecord, err: unknown): void {
    const now = Date.now();
    Object.assign(rec, { state: "exited", startedAt: now, finishedAt: now, exitCode: 128, reason: "ContainerCannotRun", message: (err as Error).message });
    this.store.saveContainer(rec);
    this.waiters.settle(rec.id);
  }

  private noteSignal(rec: ContainerRecord, sig: "SIGTERM" | "SIGKILL"): void {
    if (rec.signalSent === "SIGKILL" || rec.signalSent === sig) return;
    rec.signalSent = sig;
    if (!this.closed) this.store.saveContainer(rec);
  }

  /** SIGKILLs a running container's process group (and cgroup) and waits for the exit. */
  private async kill(id: string): Promise<void> {
    const rec = this.containers.get(id);
    const proc = this.procs.get(id);
    if (!rec || rec.state !== "running" || !proc) return;
    const exited = this.waiters.wait(id);
    this.noteSignal(rec, "SIGKILL");
    proc.signal("SIGKILL");
    if (rec.cgroupPath) this.cgroups?.kill(rec.cgroupPath);
    await exited;
  }
}
