// Test harness: starts a real etcd cluster (Debian's /usr/bin/etcd) on loopback with free ports
// and a temporary data dir, lets tests stop, kill and restart members, and cleans everything up.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateTestCertificates } from "./tls-certs.ts";
import { freePort } from "./wait.ts";

export const ETCD_BINARY = process.env.K8TS_ETCD_BINARY ?? "/usr/bin/etcd";

/** PEM material a client needs to talk to a TLS cluster (client-cert auth is enforced). */
export interface EtcdClientTls {
  ca: string;
  cert: string;
  key: string;
}

export interface EtcdClusterOptions {
  /** Number of members (default 3). */
  members?: number;
  /** Serve clients (and peers) over TLS with client-certificate auth. */
  tls?: boolean;
  /** How long to wait for the cluster (or a restarted member) to become healthy; default 20 s. */
  startTimeoutMs?: number;
}

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly running: boolean;
  /** SIGTERM (graceful: a leader hands over leadership) and wait for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL; the returned promise resolves when the process has exited. */
  kill(): Promise<void>;
  /** Restarts the member on its data dir and ports; resolves when its /health is good. */
  start(): Promise<void>;
  /** The last few KiB the process wrote to stdout/stderr. */
  outputTail(): string;
  /** This member's view (Maintenance.Status over the JSON gateway); `revision` is its local store revision. */
  status(): Promise<EtcdMemberStatus>;
  /** A gauge or counter from the member's /metrics (0 when absent). */
  metric(name: string): Promise<number>;
}

export interface EtcdMemberStatus {
  memberId: string;
  leaderId: string;
  revision: number;
  raftIndex: number;
}

export interface EtcdCluster {
  readonly endpoints: string[];
  readonly members: EtcdMember[];
  readonly tls?: EtcdClientTls;
  readonly dataDir: string;
  /** The running member that is the leader (as a majority reports it); fails after the start timeout. */
  leader(): Promise<EtcdMember>;
  /** Asks the leader to hand leadership to `target` and waits until it has. */
  moveLeader(target: EtcdMember): Promise<void>;
  /** Kills every member and removes the data dir. */
  stop(): Promise<void>;
}

const OUTPUT_TAIL_BYTES = 8192;
const live = new Set<ChildProcess>();
const scratchDirs = new Set<string>();
let exitHookInstalled = false;

/** Makes sure no etcd outlives the test process, whichever way it ends. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanup = () => {
    for (const child of live) child.kill("SIGKILL");
    for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", cleanup);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cleanup();
      process.kill(process.pid, signal);
    });
  }
}

export { freePort };

interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

class Member implements EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  private readonly args: string[];
  private readonly tls: EtcdClientTls | undefined;
  private readonly startTimeoutMs: number;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private exitStatus = "";
  private output = "";

  constructor(name: string, clientUrl: string, peerUrl: string, args: string[], tls: EtcdClientTls | undefined, startTimeoutMs: number) {
    this.name = name;
    this.clientUrl = clientUrl;
    this.peerUrl = peerUrl;
    this.args = args;
    this.tls = tls;
    this.startTimeoutMs = startTimeoutMs;
  }

  get running(): boolean {
    return this.child !== null;
  }

  outputTail(): string {
    return this.output;
  }

  /** Spawns the process without waiting for health. */
  spawn(): void {
    if (this.child) throw new Error(`etcd member ${this.name} is already running`);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("ETCD")) env[k] = v;
    const child = spawn(ETCD_BINARY, this.args, { stdio: ["ignore", "pipe", "pipe"], env });
    this.child = child;
    this.exitStatus = "";
    live.add(child);
    const append = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_BYTES);
    };
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    this.exited = new Promise<void>((resolve) => {
      const done = (status: string) => {
        live.delete(child);
        if (this.child === child) this.child = null;
        this.exitStatus = status;
        resolve();
      };
      child.once("exit", (code, signal) => done(signal ? `killed by ${signal}` : `exited with code ${code}`));
      child.once("error", (err) => done(`failed to start: ${err.message}`));
    });
  }

  async start(): Promise<void> {
    this.spawn();
    await this.waitHealthy(Date.now() + this.startTimeoutMs);
  }

  async stop(): Promise<void> {
    await this.signal("SIGTERM");
  }

  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(sig);
    await this.exited;
  }

  /** Polls /health until it reports healthy; fails with the member's output if the deadline passes. */
  async waitHealthy(deadline: number): Promise<void> {
    let last = "no answer yet";
    while (Date.now() < deadline) {
      if (!this.child) throw this.failure(`process ${this.exitStatus}`);
      try {
        const { status, body } = await httpRequest(`${this.clientUrl}/health`, this.tls, 1000);
        if (status === 200 && /"health":\s*"true"/.test(body)) return;
        last = `HTTP ${status}: ${body.trim()}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw this.failure(`not healthy before the deadline (last /health: ${last})`);
  }

  async status(): Promise<EtcdMemberStatus> {
    const res = await httpRequest(`${this.clientUrl}/v3/maintenance/status`, this.tls, 2000, {});
    if (res.status !== 200) throw new Error(`status of ${this.name}: HTTP ${res.status}: ${res.body}`);
    const s = JSON.parse(res.body) as { header: { member_id: string; revision: string }; leader: string; raftIndex: string };
    return { memberId: s.header.member_id, leaderId: s.leader, revision: Number(s.header.revision), raftIndex: Number(s.raftIndex) };
  }

  async metric(name: string): Promise<number> {
    const res = await httpRequest(`${this.clientUrl}/metrics`, this.tls, 2000);
    const line = res.body.split("\n").find((l) => l.startsWith(`${name} `));
    return line ? Number(line.slice(name.length + 1)) : 0;
  }

  /** POSTs a JSON request to the member's gRPC gateway. */
  async gateway(path: string, body: unknown): Promise<void> {
    const res = await httpRequest(`${this.clientUrl}${path}`, this.tls, 5000, body);
    if (res.status !== 200) throw new Error(`${path} on ${this.name}: HTTP ${res.status}: ${res.body}`);
  }

  private failure(reason: string): Error {
    return new Error(`etcd member ${this.name} (${this.clientUrl}): ${reason}\n--- output tail ---\n${this.output}`);
  }
}

function httpRequest(url: string, tls: EtcdClientTls | undefined, timeoutMs: number, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    };
    const options: https.RequestOptions = { method: body === undefined ? "GET" : "POST", timeout: timeoutMs, ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}) };
    const req = tls ? https.request(url, options, onResponse) : http.request(url, options, onResponse);
    req.on("timeout", () => req.destroy(new Error(`${options.method} ${url} timed out`)));
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function memberArgs(name: string, dataDir: string, clientUrl: string, peerUrl: string, initialCluster: string, token: string, tlsFiles: TlsFiles | null): string[] {
  const args = [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${initialCluster}`,
    "--initial-cluster-state=new",
    `--initial-cluster-token=${token}`,
    "--max-request-bytes=2097152",
    "--quota-backend-bytes=1073741824",
    "--heartbeat-interval=100",
    "--election-timeout=1000",
    "--snapshot-count=1000",
    "--pre-vote=true",
    "--logger=zap",
    "--log-outputs=stderr",
    "--log-level=error",
  ];
  if (tlsFiles) {
    args.push(
      "--client-cert-auth=true",
      `--trusted-ca-file=${tlsFiles.ca}`,
      `--cert-file=${tlsFiles.cert}`,
      `--key-file=${tlsFiles.key}`,
      "--peer-client-cert-auth=true",
      `--peer-trusted-ca-file=${tlsFiles.ca}`,
      `--peer-cert-file=${tlsFiles.cert}`,
      `--peer-key-file=${tlsFiles.key}`,
    );
  }
  return args;
}

/**
 * Starts an etcd cluster listening only on 127.0.0.1 and resolves once every member reports
 * healthy. With `tls`, both client and peer traffic use TLS with client-certificate auth.
 */
export async function startEtcdCluster(opts: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  installExitHook();
  const count = opts.members ?? 3;
  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;
  const dataDir = await mkdtemp(path.join(tmpdir(), "k8ts-etcd-"));
  scratchDirs.add(dataDir);
  const members: Member[] = [];
  const stop = async () => {
    await Promise.all(members.map((m) => m.kill()));
    await rm(dataDir, { recursive: true, force: true });
    scratchDirs.delete(dataDir);
  };
  try {
    let tlsFiles: TlsFiles | null = null;
    let clientTls: EtcdClientTls | undefined;
    if (opts.tls) {
      const certs = await generateTestCertificates();
      const tlsDir = path.join(dataDir, "tls");
      await mkdir(tlsDir, { mode: 0o700 });
      tlsFiles = { ca: path.join(tlsDir, "ca.crt"), cert: path.join(tlsDir, "server.crt"), key: path.join(tlsDir, "server.key") };
      await writeFile(tlsFiles.ca, certs.ca);
      await writeFile(tlsFiles.cert, certs.serverCert);
      await writeFile(tlsFiles.key, certs.serverKey, { mode: 0o600 });
      clientTls = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
    }
    const scheme = opts.tls ? "https" : "http";
    const urls: { name: string; client: string; peer: string }[] = [];
    for (let i = 0; i < count; i++) {
      urls.push({ name: `m${i}`, client: `${scheme}://127.0.0.1:${await freePort()}`, peer: `${scheme}://127.0.0.1:${await freePort()}` });
    }
    const initialCluster = urls.map((u) => `${u.name}=${u.peer}`).join(",");
    const token = `k8ts-test-${randomBytes(6).toString("hex")}`;
    for (const u of urls) {
      const args = memberArgs(u.name, path.join(dataDir, u.name), u.client, u.peer, initialCluster, token, tlsFiles);
      members.push(new Member(u.name, u.client, u.peer, args, clientTls, startTimeoutMs));
    }
    for (const m of members) m.spawn();
    const deadline = Date.now() + startTimeoutMs;
    await Promise.all(members.map((m) => m.waitHealthy(deadline)));
    const leader = () => findLeader(members, startTimeoutMs);
    const moveLeader = async (target: EtcdMember) => {
      const current = await leader();
      if (current === target) return;
      const targetId = (await target.status()).memberId;
      await (current as Member).gateway("/v3/maintenance/transfer-leadership", { targetID: targetId });
      await waitUntil(async () => (await leader()) === target, startTimeoutMs, `leadership to move to ${target.name}`);
    };
    return { endpoints: members.map((m) => m.clientUrl), members, tls: clientTls, dataDir, leader, moveLeader, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not yet: members may be electing or restarting
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function findLeader(members: Member[], timeoutMs: number): Promise<EtcdMember> {
  let found: EtcdMember | undefined;
  await waitUntil(
    async () => {
      const running = members.filter((m) => m.running);
      const statuses = await Promise.all(running.map((m) => m.status().catch(() => null)));
      const votes = new Map<string, number>();
      for (const s of statuses) if (s && s.leaderId !== "0") votes.set(s.leaderId, (votes.get(s.leaderId) ?? 0) + 1);
      for (const [id, n] of votes) {
        const index = statuses.findIndex((s) => s?.memberId === id);
        if (n * 2 > members.length && index >= 0) found = running[index];
      }
      return found !== undefined;
    },
    timeoutMs,
    "a leader",
  );
  return found!;
}

/** A single-member etcd, for tests that need a store but not high availability. */
export function startEtcd(opts: Omit<EtcdClusterOptions, "members"> = {}): Promise<EtcdCluster> {
  return startEtcdCluster({ ...opts, members: 1 });
}
