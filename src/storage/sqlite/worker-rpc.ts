// Request/reply over a worker thread: each request carries an id, the worker answers with it.
import { Worker } from "node:worker_threads";
import { UnavailableError } from "../errors.ts";

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

export class WorkerRpc<Req extends { id: number }, Reply extends { id: number }> {
  readonly worker: Worker;
  private readonly name: string;
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  private closing = false;
  /** Called once if the worker dies or fails. */
  onFailure: (err: Error) => void = () => undefined;

  /** Starts `script` with `data` and resolves once it posts its first message (its "ready"). */
  static async start<Req extends { id: number }, Reply extends { id: number }, Ready>(
    name: string,
    script: URL,
    data: unknown,
  ): Promise<{ rpc: WorkerRpc<Req, Reply>; ready: Ready }> {
    const worker = new Worker(script, { workerData: data });
    const ready = await new Promise<Ready>((resolve, reject) => {
      const onExit = (code: number) => reject(new UnavailableError(`${name} exited (code ${code}) while starting`));
      worker.once("message", (msg: Ready) => {
        worker.off("error", reject).off("exit", onExit);
        resolve(msg);
      });
      worker.once("error", reject).once("exit", onExit);
    });
    return { rpc: new WorkerRpc<Req, Reply>(name, worker), ready };
  }

  constructor(name: string, worker: Worker) {
    this.name = name;
    this.worker = worker;
    worker.on("message", (msg: Reply) => {
      const waiter = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      waiter?.resolve(msg);
    });
    worker.on("error", (err) => this.fail(new UnavailableError(`${name} failed: ${err.message}`)));
    worker.on("exit", (code) => {
      if (!this.closing) this.fail(new UnavailableError(`${name} exited (code ${code})`));
    });
  }

  request(msg: WithoutId<Req>): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    });
  }

  /** Sends `message` (the worker's own close request) and ends the thread. */
  async close(message: unknown): Promise<void> {
    this.closing = true;
    if (!this.failure) this.worker.postMessage(message);
    await new Promise<void>((resolve) => {
      if (this.worker.threadId === -1) resolve();
      else this.worker.once("exit", () => resolve());
    });
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.onFailure(err);
  }
}
