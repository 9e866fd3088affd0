/**
 * Single-item writes that concurrent SCIM requests make to the same batch endpoint (attribute
 * values, externalId index metafields) share calls: each caller submits one item, the queue
 * sends up to `maxBatch` per call, late-bound like every batch (batch-lane.ts: formed when the
 * governor grants a slot), and each caller gets its own result.
 *
 * When a shared call fails because of what one item holds (a validation error or a conflict),
 * its items go again one by one, so that one request's bad item cannot fail its neighbours;
 * these endpoints are safe for that (an upsert repeats harmlessly; a metafield that was written
 * answers 409 on the repeat, which its caller reads as "already there"). Other failures (429,
 * outages) fail every item of the call: splitting them would only multiply calls when the quota
 * is already used up.
 */
import { boundedBy } from "./deadline.js";
import { BatchLane } from "./batch-lane.js";
import type { Arrivals } from "./arrivals.js";
import type { Clock } from "./clock.js";
import type { EndpointSlots } from "./concurrency.js";
import { ConflictError, RateLimitedError, ValidationFailedError } from "./errors.js";
import type { Grant, PermitSource } from "./governor.js";
import { runWithWriteGuard, type BatchGuard } from "./write-guard.js";

export interface SharedWritesOptions<I, O> {
  clock: Clock;
  permits?: PermitSource;
  /** The endpoint's concurrency slots (concurrency.ts): the lane's cap on calls in flight. */
  slots: EndpointSlots;
  /** The client's Arrivals (batch-lane.ts, rule 2). */
  arrivals?: Arrivals;
  maxWaitMs: number;
  /** Items per call (the endpoint's limit). */
  maxBatch: number;
  /** One call for these items; one result per item, in order. */
  send: (items: I[], grant: Grant | undefined) => Promise<O[]>;
}

interface Entry<I, O> {
  item: I;
  deadline: number;
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
}

const isItemError = (error: unknown) => error instanceof ValidationFailedError || error instanceof ConflictError;

export class SharedWrites<I, O> {
  private readonly lane: BatchLane<Entry<I, O>>;

  constructor(private readonly options: SharedWritesOptions<I, O>) {
    this.lane = new BatchLane<Entry<I, O>>({
      clock: options.clock,
      windowMs: 0,
      slots: options.slots,
      fullBatch: options.maxBatch,
      ...(options.permits ? { permits: options.permits } : {}),
      ...(options.arrivals ? { arrivals: options.arrivals } : {}),
      pick: (queue) => queue.splice(0, options.maxBatch),
      run: (batch, grant, guard) => this.run(batch, grant, guard),
      deadlineOf: (e) => e.deadline,
      expire: (e, why) => e.reject(why),
      onClosed: (e) => e.reject(new RateLimitedError(1000, "BigCommerce client is closed; nothing was sent")),
      refuse: (e, error) => e.reject(error),
      fail: (e, error) => e.reject(error),
    });
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.lane.add({ item, deadline: boundedBy(this.options.clock.now() + this.options.maxWaitMs), resolve, reject });
    });
  }

  close(error: Error): void {
    for (const e of this.lane.close()) e.reject(error);
  }

  private async run(batch: Entry<I, O>[], grant: Grant | undefined, guard: BatchGuard): Promise<void> {
    try {
      const results = await this.options.send(
        batch.map((e) => e.item),
        grant,
      );
      batch.forEach((e, i) => e.resolve(results[i] as O));
    } catch (error) {
      if (guard.refused(error)) {
        // An item's write guard refused right before the call left (nothing was sent): the lane
        // rejects that item before the next cut, and the others go then.
        this.lane.requeueFront(batch);
        return;
      }
      if (batch.length === 1 || !isItemError(error)) {
        for (const e of batch) e.reject(error);
        return;
      }
      for (const [i, e] of batch.entries()) {
        // Each under its own item's guard, not the batch's (which a neighbour's may refuse), and
        // as its own request's work (call tally, deadline).
        await this.lane.asItem(e, () => runWithWriteGuard(guard.ofItem(i), () => this.options.send([e.item], undefined))).then(
          ([result]) => e.resolve(result as O),
          (reason: unknown) => e.reject(reason),
        );
      }
    }
  }
}
