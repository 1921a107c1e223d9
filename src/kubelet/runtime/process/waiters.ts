// Promises for "this container exited", keyed by container id, settled by the runtime.
interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class ExitWaiters {
  private readonly byId = new Map<string, Set<Waiter>>();

  /** Resolves at `settle(id)`; rejects on abort or `rejectAll`. */
  wait(id: string, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let set = this.byId.get(id);
      if (!set) this.byId.set(id, (set = new Set()));
      const onAbort = () => {
        set.delete(w);
        reject(signal!.reason);
      };
      const w: Waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      set.add(w);
    });
  }

  settle(id: string): void {
    const set = this.byId.get(id);
    this.byId.delete(id);
    for (const w of set ?? []) w.resolve();
  }

  rejectAll(reason: (id: string) => Error): void {
    for (const [id, set] of this.byId) for (const w of set) w.reject(reason(id));
    this.byId.clear();
  }
}
