// A bounded event queue behind every store Watch: producers push, one consumer iterates; when
// the consumer falls more than `maxBuffered` events behind the watch ends with SlowConsumerError.
import type { Watch, WatchEvent } from "./interface.ts";
import { SlowConsumerError } from "./errors.ts";

export const DEFAULT_MAX_BUFFERED = 10_000;

export class WatchQueue implements Watch {
  private readonly buffer: WatchEvent[] = [];
  private head = 0;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private roomWaiter: { room: number; resolve: () => void } | null = null;
  private readonly prefix: string;
  readonly maxBuffered: number;
  private readonly onCancel: () => void;

  constructor(prefix: string, maxBuffered: number | undefined, onCancel: () => void) {
    this.prefix = prefix;
    this.maxBuffered = maxBuffered ?? DEFAULT_MAX_BUFFERED;
    this.onCancel = onCancel;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Events queued and not yet taken by the consumer. */
  get pending(): number {
    return this.buffer.length - this.head;
  }

  /** Resolves once `room` more events fit without cutting the consumer off (or the watch ended). */
  waitForRoom(room: number): Promise<void> {
    if (this.ended || this.pending + room <= this.maxBuffered) return Promise.resolve();
    return new Promise((resolve) => (this.roomWaiter = { room, resolve }));
  }

  private checkRoom(): void {
    const waiter = this.roomWaiter;
    if (waiter && (this.ended || this.pending + waiter.room <= this.maxBuffered)) {
      this.roomWaiter = null;
      waiter.resolve();
    }
  }

  /** Queues events; cuts the watch off when the consumer is too far behind. */
  push(events: WatchEvent[]): void {
    if (this.ended) return;
    for (const e of events) this.buffer.push(e);
    if (this.buffer.length - this.head > this.maxBuffered) {
      this.fail(new SlowConsumerError(this.prefix, this.buffer.length - this.head));
      return;
    }
    this.notify();
  }

  /** Ends the watch with an error the consumer sees after the events already queued. */
  fail(err: Error): void {
    if (this.ended) return;
    this.failure = err;
    this.finish();
  }

  cancel(): void {
    if (this.ended) return;
    this.buffer.length = 0;
    this.head = 0;
    this.finish();
  }

  private finish(): void {
    this.ended = true;
    this.onCancel();
    this.notify();
    this.checkRoom();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    for (;;) {
      while (this.head < this.buffer.length) {
        const event = this.buffer[this.head]!;
        this.head++;
        if (this.head > 1024 && this.head * 2 > this.buffer.length) {
          this.buffer.splice(0, this.head);
          this.head = 0;
        }
        if (this.roomWaiter) this.checkRoom();
        yield event;
      }
      if (this.ended) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
