/**
 * The queue mechanics under the write batcher, independent of what is batched: items are
 * collected for a short window (same tick by default), then cut into batches by a `pick`
 * function, with at most `maxInFlight` batches running. Whatever arrives while every slot is
 * busy is sent as soon as a batch finishes. Items a batch gives back (to be re-sent) go to the
 * front, so they keep their place before later items.
 */
import type { Clock } from "./clock.js";

export interface BatchLaneOptions<P> {
  clock: Clock;
  /** How long to collect after the first item arrives in an idle lane (0 = same tick). */
  windowMs: number;
  maxInFlight: number;
  /** Removes the next batch from `queue` (in place) and returns it; empty when nothing fits now. */
  pick: (queue: P[]) => P[];
  /** Sends one batch and settles each item; must not reject. */
  run: (batch: P[]) => Promise<void>;
}

export class BatchLane<P> {
  private queue: P[] = [];
  private inFlight = 0;
  private timer: AbortController | undefined;
  private closed = false;

  constructor(private readonly options: BatchLaneOptions<P>) {}

  get pending(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.inFlight;
  }

  add(item: P): void {
    this.queue.push(item);
    this.arm();
  }

  /** Puts items back at the front, in the given order (the lane flushes when the batch ends). */
  requeueFront(items: readonly P[]): void {
    this.queue.unshift(...items);
  }

  /** Stops the lane and hands back everything not yet sent. */
  close(): P[] {
    this.closed = true;
    this.timer?.abort();
    this.timer = undefined;
    const left = this.queue;
    this.queue = [];
    return left;
  }

  private arm(): void {
    if (this.timer || this.closed) return;
    const timer = new AbortController();
    this.timer = timer;
    this.options.clock.sleep(this.options.windowMs, timer.signal).then(
      () => {
        if (this.timer === timer) this.timer = undefined;
        this.flush();
      },
      () => {},
    );
  }

  private flush(): void {
    while (!this.closed && this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.options.pick(this.queue);
      if (batch.length === 0) break;
      this.inFlight += 1;
      void this.options
        .run(batch)
        .catch(() => {
          /* run settles its own items; nothing may escape here */
        })
        .finally(() => {
          this.inFlight -= 1;
          this.flush();
        });
    }
  }
}
