// Automatic compaction for any Store, as kube-apiserver does it: every interval, compact to the
// revision seen one interval earlier (so at least one interval of history stays watchable), and
// never keep more than `maxRevisions` revisions of history.
import type { Store } from "./interface.ts";

export interface CompactorOptions {
  /** Time between compactions; history younger than this is kept. Default 5 minutes. */
  intervalMs?: number;
  /** Most revisions of history kept, whatever their age. Default 100,000. */
  maxRevisions?: number;
  /** Called after each compaction (for logs and metrics). */
  onCompacted?: (revision: number) => void;
  onError?: (err: unknown) => void;
}

export class Compactor {
  private readonly store: Store;
  private readonly maxRevisions: number;
  private readonly opts: CompactorOptions;
  private previousTickRevision = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(store: Store, opts: CompactorOptions = {}) {
    this.store = store;
    this.opts = opts;
    this.maxRevisions = opts.maxRevisions ?? 100_000;
  }

  start(): this {
    this.timer = setInterval(() => this.tick().catch((err) => this.opts.onError?.(err)), this.opts.intervalMs ?? 5 * 60_000);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One compaction step; returns the revision compacted to, or null when nothing was due. */
  async tick(): Promise<number | null> {
    const current = await this.store.currentRevision();
    const target = Math.max(this.previousTickRevision, current - this.maxRevisions);
    this.previousTickRevision = current;
    if (target <= 0 || target <= (await this.store.compactedRevision())) return null;
    await this.store.compact(target);
    this.opts.onCompacted?.(target);
    return target;
  }
}
