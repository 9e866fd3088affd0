/**
 * Updates: PUT /v3/customers batches of up to 10, never the same customer id twice in one PUT
 * nor in two batches at once (so one customer's updates apply in call order), at most 3 PUTs in
 * flight. After a failed or lost batch, one `GET ?id:in=<the batch's ids>` decides each item's
 * fate (see batcher.ts for the rules).
 */
import type { Customer, CustomerUpdate } from "./api.js";
import {
  backOffBeforeResend,
  type BatchSettings,
  deadlineOf,
  giveUp,
  itemError,
  leavesOutcomeOpen,
  mayLandLate,
  newPending,
  newWriteLane,
  type Pending,
  provesNothingWritten,
  reread,
  rereadFailed,
} from "./batch-item.js";
import type { BatchLane } from "./batch-lane.js";
import type { Permit } from "./governor.js";
import { NotFoundError, OutcomeUnknownError, ValidationFailedError } from "./errors.js";
import { toCustomerId } from "./ids.js";
import { groupByIndex, updateApplied } from "./reconcile.js";

type PendingUpdate = Pending<CustomerUpdate> & { id: number };

export class UpdateBatcher {
  private readonly lane: BatchLane<PendingUpdate>;
  private readonly idsInFlight = new Set<number>();
  /**
   * Ids whose last attempt may still land (it timed out or lost its answer), until when, and the
   * item that attempt carried (only that item may go meanwhile: re-sending the same write is
   * harmless). Why a block and not "re-read later and re-apply": a write in flight that we can
   * no longer see can only be ordered by waiting it out; re-reading later would need to know
   * when it landed, and re-applying would race it again. Waiting one grace period (the client
   * sets it to twice the request timeout: an exchange the server is still working on that long
   * after we gave up is very unlikely) keeps a later update of the customer from being overwritten, at the price of
   * delaying it; a later update whose caller cannot wait that long gets RateLimitedError with
   * nothing sent.
   */
  private readonly blocked = new Map<number, { until: number; owner: PendingUpdate }>();
  private closedWith: Error | undefined;

  constructor(private readonly settings: BatchSettings) {
    this.lane = newWriteLane<PendingUpdate>(
      settings,
      { pick: (queue) => this.pick(queue), run: (batch, permit) => this.run(batch, permit) },
      () => this.closedWith,
    );
  }

  update(item: CustomerUpdate): Promise<Customer> {
    const id = toCustomerId(item.id);
    if (id === null) return Promise.reject(new NotFoundError("customer id is not a positive int32"));
    return new Promise((resolve, reject) => {
      this.lane.add({ ...newPending(item, this.settings, resolve, reject), id });
    });
  }

  close(error: Error): void {
    this.closedWith = error;
    for (const p of this.lane.close()) p.reject(error);
  }

  /** FIFO, at most one item per id in a batch or in flight; later items of a skipped id wait too. */
  private pick(queue: PendingUpdate[]): PendingUpdate[] {
    const batch: PendingUpdate[] = [];
    const ids = new Set<number>();
    const skipped = new Set<number>();
    const now = this.settings.clock.now();
    for (const [id, block] of this.blocked) if (block.until <= now) this.blocked.delete(id);
    for (let i = 0; i < queue.length && batch.length < this.settings.maxBatch; ) {
      const p = queue[i] as PendingUpdate;
      const block = this.blocked.get(p.id);
      if (
        ids.has(p.id) ||
        skipped.has(p.id) ||
        this.idsInFlight.has(p.id) ||
        (block !== undefined && block.owner !== p) ||
        (p.solo && batch.length > 0)
      ) {
        skipped.add(p.id); // a later update of this id must not overtake this one
        i += 1;
        continue;
      }
      queue.splice(i, 1);
      batch.push(p);
      ids.add(p.id);
      if (p.solo) break;
    }
    for (const p of batch) this.idsInFlight.add(p.id);
    return batch;
  }

  private async run(batch: PendingUpdate[], permit?: Permit): Promise<void> {
    for (const p of batch) p.attempts += 1;
    try {
      let failure: unknown;
      try {
        const updated = await this.settings.writes.putBatch(
          batch.map((p) => p.item),
          { deadline: deadlineOf(batch), ...(permit ? { permit } : {}) },
        );
        const byId = new Map(updated.map((c) => [c.id, c]));
        if (batch.every((p) => byId.has(p.id))) {
          for (const p of batch) p.resolve(byId.get(p.id) as Customer);
          return;
        }
        failure = new OutcomeUnknownError("PUT /v3/customers answered without every customer it was sent");
      } catch (error) {
        failure = error;
      }
      if (leavesOutcomeOpen(failure)) for (const p of batch) p.uncertain = true;
      if (mayLandLate(failure) && this.settings.lateWriteGraceMs > 0) {
        const until = this.settings.clock.now() + this.settings.lateWriteGraceMs;
        for (const p of batch) this.blocked.set(p.id, { until, owner: p });
        this.lane.wakeAt(until);
      }
      await this.reconcile(batch, failure);
    } finally {
      // Only now may later updates of these ids go: re-sent items are already back at the front.
      for (const p of batch) this.idsInFlight.delete(p.id);
    }
  }

  private async reconcile(batch: PendingUpdate[], error: unknown): Promise<void> {
    if (provesNothingWritten(error)) {
      for (const p of batch) p.reject(error);
      return;
    }
    let current: Map<number, Customer>;
    try {
      const page = await reread(this.settings, batch, { "id:in": batch.map((p) => p.item.id), limit: 250 });
      current = new Map(page.data.map((c) => [c.id, c]));
    } catch (readError) {
      rereadFailed(batch, "update", error, readError);
      return;
    }

    const validation = error instanceof ValidationFailedError ? error : undefined;
    const { byIndex, unindexed } = groupByIndex(validation?.fields ?? []);
    let explained = byIndex.size > 0;
    const innocents: { p: PendingUpdate; customer: Customer }[] = [];

    batch.forEach((p, index) => {
      const customer = current.get(p.id);
      if (!customer) {
        explained = true;
        p.reject(new NotFoundError(`customer ${p.id} does not exist`, { cause: error }));
        return;
      }
      const own = byIndex.get(index);
      if (own && validation) p.reject(itemError(validation, own, p.item.email));
      else innocents.push({ p, customer });
    });

    let retry: PendingUpdate[] = [];
    for (const { p, customer } of innocents) {
      if (batch.length === 1 && validation) {
        p.reject(itemError(validation, unindexed, p.item.email)); // alone in its batch: the error is its own
      } else if (updateApplied(customer, p.item)) {
        p.resolve(customer); // the write happened (answer lost, or the batch was partly applied)
      } else if (p.attempts >= this.settings.maxAttempts) {
        giveUp(p, error);
      } else {
        if (validation && !explained) p.solo = true;
        retry.push(p);
      }
    }
    retry = await backOffBeforeResend(this.settings, retry, error, this.lane.closeSignal);
    this.lane.requeueFront(retry);
  }
}
