// Test kit for the kubelet server: a Runtime whose exec runs real host commands (sh, cat, false),
// whose port-forward dials 127.0.0.1, a host with pods described in memory, CRI log writing and
// TLS material signed by a given CA. Used by the server's tests and the end-to-end kubectl test.
import { execFile, spawn } from "node:child_process";
import { appendFile, mkdir } from "node:fs/promises";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { dirname } from "node:path";
import { createClientCert, createServingCert } from "../../apiserver/auth/index.ts";
import type { CertKeyPair } from "../../apiserver/auth/index.ts";
import type { ContainerStatus, ExecResult, ExecStreams, Runtime } from "../runtime/types.ts";
import type { ContainerRef, KubeletServerHost, SandboxRef, StatsSummary } from "./types.ts";

/** Exec and attach as a test can see them; other Runtime calls are not needed by the server. */
export class StreamingTestRuntime implements Runtime {
  readonly name = "streaming-test";
  readonly version = "0.0.1";
  readonly states = new Map<string, ContainerStatus["state"]>();
  /** Pod port → port on 127.0.0.1 that port-forward dials (unmapped ports dial themselves). */
  readonly portMap = new Map<number, number>();
  readonly execs: { id: string; cmd: string[]; tty: boolean }[] = [];
  readonly resizes: { width: number; height: number }[] = [];

  setState(id: string, state: ContainerStatus["state"]): void {
    this.states.set(id, state);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const state = this.states.get(id);
    if (!state) return undefined;
    return { id, sandboxId: "", name: id, image: "test", imageRef: "test", state, attempt: 0, createdAt: 0, logPath: "" };
  }

  /**
   * Runs `cmd` on the host with the streams; with a TTY it plays a terminal instead: prints
   * "tty ready", each resize as "resize WxH", and echoes input upper-cased until EOF or "exit".
   */
  async exec(id: string, cmd: string[], streams: ExecStreams): Promise<number> {
    this.execs.push({ id, cmd, tty: streams.tty });
    if (streams.tty) return this.terminal(streams);
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    if (streams.stdin) streams.stdin.pipe(child.stdin);
    else child.stdin.end();
    child.stdin.on("error", () => undefined);
    const out = [streamTo(child.stdout, streams.stdout), streamTo(child.stderr, streams.stderr)];
    const code = await new Promise<number>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c, signal) => resolve(c ?? (signal ? 128 + 9 : 1)));
    });
    streams.stdin?.unpipe(child.stdin);
    await Promise.all(out);
    return code;
  }

  private async terminal(streams: ExecStreams): Promise<number> {
    streams.stdout?.write("tty ready\r\n");
    const resizes = (async () => {
      for await (const size of streams.resize ?? []) {
        this.resizes.push(size);
        streams.stdout?.write(`resize ${size.width}x${size.height}\r\n`);
      }
    })();
    if (streams.stdin) {
      for await (const chunk of streams.stdin) {
        const text = (chunk as Buffer).toString();
        streams.stdout?.write(text.toUpperCase());
        if (text.includes("exit")) break;
      }
    }
    void resizes;
    return 0;
  }

  /** Attach: says "attached", then echoes stdin to stdout until stdin ends. */
  async attach(_id: string, streams: ExecStreams): Promise<void> {
    streams.stdout?.write("attached\n");
    if (streams.stdin) for await (const chunk of streams.stdin) streams.stdout?.write(chunk as Buffer);
  }

  async execSync(_id: string, cmd: string[], _timeoutSeconds: number): Promise<ExecResult> {
    return new Promise((resolve) => {
      execFile(cmd[0]!, cmd.slice(1), { encoding: "buffer" }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 127) : 0;
        resolve({ stdout, stderr, exitCode: code });
      });
    });
  }

  portForward(_sandboxId: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.portMap.get(port) ?? port, "127.0.0.1");
      socket.once("connect", () => resolve(socket));
      socket.once("error", reject);
    });
  }

  async containerStats(): Promise<undefined> {
    return undefined;
  }

  async close(): Promise<void> {}

  // Lifecycle calls the server never makes.
  pullImage(): Promise<{ imageRef: string }> { return unused(); }
  runPodSandbox(): Promise<string> { return unused(); }
  stopPodSandbox(): Promise<void> { return unused(); }
  removePodSandbox(): Promise<void> { return unused(); }
  podSandboxStatus(): Promise<undefined> { return unused(); }
  listPodSandboxes(): Promise<never[]> { return unused(); }
  createContainer(): Promise<string> { return unused(); }
  startContainer(): Promise<void> { return unused(); }
  stopContainer(): Promise<void> { return unused(); }
  removeContainer(): Promise<void> { return unused(); }
  listContainers(): Promise<never[]> { return unused(); }
  waitContainer(): Promise<void> { return unused(); }
}

function unused(): Promise<never> {
  return Promise.reject(new Error("not used by the kubelet server"));
}

function streamTo(from: NodeJS.ReadableStream, to: NodeJS.WritableStream | undefined): Promise<void> {
  return new Promise((resolve) => {
    from.on("data", (chunk: Buffer) => to?.write(chunk));
    from.on("end", resolve);
    from.on("error", () => resolve());
  });
}

export interface TestPod {
  uid: string;
  sandboxId: string;
  /** Per container: the current instance, the previous one, or why it is waiting (an error). */
  containers: Record<string, { current?: ContainerRef; previous?: ContainerRef; waiting?: string }>;
}

export class TestKubeletHost implements KubeletServerHost {
  readonly nodeName: string;
  readonly runtime: StreamingTestRuntime;
  readonly podTable = new Map<string, TestPod>();
  isHealthy = true;

  constructor(nodeName = "node-1", runtime = new StreamingTestRuntime()) {
    this.nodeName = nodeName;
    this.runtime = runtime;
  }

  /** Adds (or replaces) a pod; a container's `current` is marked running or exited in the runtime. */
  addPod(namespace: string, name: string, pod: TestPod): void {
    this.podTable.set(`${namespace}/${name}`, pod);
    for (const c of Object.values(pod.containers)) {
      if (c.current) this.runtime.setState(c.current.containerId, c.current.running ? "running" : "exited");
      if (c.previous) this.runtime.setState(c.previous.containerId, "exited");
    }
  }

  async findContainer(namespace: string, pod: string, container: string, previous?: boolean): Promise<ContainerRef | undefined> {
    const p = this.podTable.get(`${namespace}/${pod}`);
    const c = p?.containers[container];
    if (!c) return undefined;
    if (previous) {
      if (!c.previous) throw new Error(`previous terminated container "${container}" in pod "${pod}" not found`);
      return c.previous;
    }
    if (c.waiting) throw new Error(`container "${container}" in pod "${pod}" is waiting to start: ${c.waiting}`);
    return c.current;
  }

  async findSandbox(namespace: string, pod: string): Promise<SandboxRef | undefined> {
    const p = this.podTable.get(`${namespace}/${pod}`);
    return p ? { podUID: p.uid, sandboxId: p.sandboxId } : undefined;
  }

  async summary(): Promise<StatsSummary> {
    const time = "2026-01-01T00:00:10Z";
    return {
      node: { nodeName: this.nodeName, startTime: "2026-01-01T00:00:00Z", cpu: { time, usageNanoCores: 5e8, usageCoreNanoSeconds: 4e10 }, memory: { time, workingSetBytes: 1 << 30, availableBytes: 1 << 31 } },
      pods: [...this.podTable].map(([key, p]) => {
        const [namespace, name] = key.split("/") as [string, string];
        return {
          podRef: { namespace, name, uid: p.uid }, startTime: "2026-01-01T00:00:01Z",
          cpu: { time, usageCoreNanoSeconds: 2e9 }, memory: { time, workingSetBytes: 2e6 },
          containers: Object.keys(p.containers).map((c) => ({ name: c, startTime: "2026-01-01T00:00:02Z", cpu: { time, usageCoreNanoSeconds: 1e9 }, memory: { time, workingSetBytes: 1e6 }, rootfs: { time, usedBytes: 5 } })),
        };
      }),
    };
  }

  healthy(): boolean {
    return this.isHealthy;
  }
}

/** A container instance whose log file is `<dir>/<ns>_<pod>_<uid>/<name>/<restart>.log`. */
export function containerRef(dir: string, o: { namespace: string; pod: string; uid: string; name: string; restart?: number; running?: boolean; sandboxId?: string }): ContainerRef {
  const restart = o.restart ?? 0;
  return {
    podUID: o.uid, containerId: `${o.pod}-${o.name}-${restart}`, sandboxId: o.sandboxId ?? `sandbox-${o.pod}`, containerName: o.name,
    logPath: `${dir}/${o.namespace}_${o.pod}_${o.uid}/${o.name}/${restart}.log`, running: o.running ?? true,
  };
}

/** Appends CRI records to a log file: [stream, "F"|"P", content, timestamp?]. */
export async function writeCri(path: string, records: [("stdout" | "stderr"), ("F" | "P"), string, string?][]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  let n = 0;
  const lines = records.map(([stream, tag, content, ts]) => `${ts ?? `2026-01-01T00:00:${String(10 + (n++ % 50)).padStart(2, "0")}.000000001Z`} ${stream} ${tag} ${content}\n`);
  await appendFile(path, lines.join(""));
}

/** A kubelet serving certificate (127.0.0.1, localhost) and an API-server client certificate from `ca`. */
export async function kubeletTestCerts(ca: CertKeyPair): Promise<{ serving: CertKeyPair; apiserverClient: CertKeyPair; otherClient: CertKeyPair }> {
  const [serving, apiserverClient, otherClient] = await Promise.all([
    createServingCert(ca, { hostname: "node-1", sans: ["127.0.0.1"], commonName: "node-1" }),
    createClientCert(ca, { user: "kube-apiserver-kubelet-client", groups: ["system:masters"] }),
    createClientCert(ca, { user: "jane", groups: ["devs"] }),
  ]);
  return { serving, apiserverClient, otherClient };
}
