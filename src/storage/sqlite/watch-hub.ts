// Watches of the embedded store: new changes are fanned out from memory right after commit; a
// watch from an older revision first replays history from the database, in chunks, then joins.
import { prefixEnd } from "../interface.ts";
import type { Watch, WatchEvent, WatchOptions } from "../interface.ts";
import { CompactedError } from "../errors.ts";
import { WatchQueue } from "../watch-queue.ts";
import type { Reader } from "./reader.ts";

const REPLAY_CHUNK = 1000;

interface Watcher {
  readonly prefix: string;
  readonly queue: WatchQueue;
  /** The first revision this watcher has not been given yet. */
  nextRev: number;
  /** False while history is being replayed; live changes are then read from the database. */
  live: boolean;
}

export interface HubState {
  /** Newest revision whose events have been dispatched. */
  dispatchedRevision(): number;
  compactedRevision(): number;
}

export class WatchHub {
  private readonly byPrefix = new Map<string, Set<Watcher>>();
  private readonly reader: Reader;
  private readonly state: HubState;

  constructor(reader: Reader, state: HubState) {
    this.reader = reader;
    this.state = state;
  }

  get size(): number {
    let n = 0;
    for (const set of this.byPrefix.values()) n += set.size;
    return n;
  }

  watch(prefix: string, opts: WatchOptions = {}): Watch {
    const from = opts.fromRevision || this.state.dispatchedRevision() + 1;
    const watcher: Watcher = {
      prefix,
      queue: new WatchQueue(prefix, opts.maxBuffered, () => this.remove(watcher)),
      nextRev: from,
      live: false,
    };
    let set = this.byPrefix.get(prefix);
    if (!set) this.byPrefix.set(prefix, (set = new Set()));
    set.add(watcher);
    this.replay(watcher).catch((err: unknown) => watcher.queue.fail(err instanceof Error ? err : new Error(String(err))));
    return watcher.queue;
  }

  /** Delivers committed changes, in revision order, to the watchers that are live. */
  dispatch(events: WatchEvent[]): void {
    for (const [prefix, watchers] of this.byPrefix) {
      const matching = prefix === "" ? events : events.filter((e) => e.kv.key.startsWith(prefix));
      if (matching.length === 0) continue;
      for (const w of watchers) {
        if (!w.live) continue;
        const fresh = matching[0]!.kv.modRevision >= w.nextRev ? matching : matching.filter((e) => e.kv.modRevision >= w.nextRev);
        if (fresh.length === 0) continue;
        w.nextRev = fresh[fresh.length - 1]!.kv.modRevision + 1;
        w.queue.push(fresh);
      }
    }
  }

  /** Ends every watch cleanly (the store is closing). */
  closeAll(): void {
    for (const set of [...this.byPrefix.values()]) for (const w of [...set]) w.queue.cancel();
  }

  private remove(w: Watcher): void {
    const set = this.byPrefix.get(w.prefix);
    set?.delete(w);
    if (set?.size === 0) this.byPrefix.delete(w.prefix);
  }

  /**
   * Reads history from `nextRev` up to the dispatched revision, a chunk at a time and no faster
   * than the consumer takes it, then marks the watcher live. The last check and the switch
   * happen in one synchronous step, so no change falls between replay and live delivery.
   */
  private async replay(w: Watcher): Promise<void> {
    const end = prefixEnd(w.prefix);
    const chunk = Math.max(1, Math.min(REPLAY_CHUNK, Math.floor(w.queue.maxBuffered / 2)));
    while (!w.queue.closed) {
      const compacted = this.state.compactedRevision();
      if (w.nextRev < compacted) {
        w.queue.fail(new CompactedError(w.nextRev, compacted));
        return;
      }
      const to = this.state.dispatchedRevision();
      if (w.nextRev > to) {
        w.live = true;
        return;
      }
      const events = this.reader.events(w.nextRev, to, w.prefix, end, chunk);
      w.nextRev = events.length === chunk ? events[events.length - 1]!.kv.modRevision + 1 : to + 1;
      if (events.length > 0) {
        w.queue.push(events);
        await w.queue.waitForRoom(chunk);
      }
    }
  }
}
