// The API server the benchmarks load, as a child process (bench/apiserver-server.ts over the
// embedded store or etcd) so that it has a core of its own; it prints `READY {url, token, ca}` when up.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ApiServerConn {
  url: string;
  token: string;
  ca: string;
}

export interface ApiServerChild extends ApiServerConn {
  pid: number;
  /** Sends a signal (the profile hook toggles on SIGUSR2). */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after 20 s. */
  stop(): Promise<void>;
}

export async function startApiServerChild(opts: { backend?: "sqlite" | "etcd"; nodeArgs?: string[]; env?: Record<string, string | undefined> } = {}): Promise<ApiServerChild> {
  const script = fileURLToPath(new URL("../apiserver-server.ts", import.meta.url));
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script, opts.backend ?? "sqlite"], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, ...opts.env } });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const conn = await new Promise<ApiServerConn>((resolve, reject) => {
    let pending = "";
    const what = `the API server (${opts.backend ?? "sqlite"})`;
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 60 s`)), 60_000);
    void exited.then(() => reject(new Error(`${what} exited before it was ready`)));
    child.stdout!.on("data", (d: Buffer) => {
      pending += d.toString();
      const line = pending.split("\n").find((l) => l.startsWith("READY "));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice("READY ".length)) as ApiServerConn);
      }
    });
  });
  return {
    ...conn, pid: child.pid!,
    signal: (sig) => child.kill(sig),
    stop: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(kill, 20_000);
      await exited;
      clearTimeout(timer);
      process.removeListener("exit", kill);
    },
  };
}
