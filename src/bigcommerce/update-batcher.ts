/**
 * Updates: PUT /v3/customers batches of up to 10, never the same customer id twice in one PUT
 * nor in two batches at once (so one customer's updates apply in call order), at most 3 PUTs in
 * flight. After a failed or lost batch, one `GET ?id:in=<the batch's ids>` decides each item's
 * fate (see batcher.ts for the rules).
 */
import type { Customer, CustomerListQuery, CustomerUpdate } from "./api.js";
import { mayLandLate, newPending, type Pending } from "./batch-item.js";
import { NotFoundError } from "./errors.js";
import type { Grant } from "./governor.js";
import { toCustomerId } from "./ids.js";
import { INNOCENT, KeyedWriteQueue, type WriteOutcome } from "./keyed-write-queue.js";
import { updateApplied } from "./reconcile.js";

type PendingUpdate = Pending<CustomerUpdate> & { id: number };

/** An update's fate from the customer the re-read found under its id, if any. */
export function updateOutcome(item: CustomerUpdate, found: Customer | undefined, context: { cause: unknown }): WriteOutcome {
  if (!found) return { kind: "reject", error: new NotFoundError(`customer ${item.id} does not exist`, { cause: context.cause }) };
  // Every change reads back: the write happened (answer lost, or the batch was partly applied).
  return updateApplied(found, item) ? { kind: "resolve", customer: found } : INNOCENT;
}

export class UpdateBatcher extends KeyedWriteQueue<CustomerUpdate, number, PendingUpdate> {
  protected readonly what = "update";
  protected readonly method = "PUT";
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

  update(item: CustomerUpdate): Promise<Customer> {
    const id = toCustomerId(item.id);
    if (id === null) return Promise.reject(new NotFoundError("customer id is not a positive int32"));
    return new Promise((resolve, reject) => {
      this.lane.add({ ...newPending(item, this.settings, resolve, reject), id });
    });
  }

  protected keyOf(p: PendingUpdate): number {
    return p.id;
  }

  protected keyOfCustomer(customer: Customer): number {
    return customer.id;
  }

  protected send(items: CustomerUpdate[], options: { deadline: number; grant?: Grant }): Promise<Customer[]> {
    return this.settings.writes.putBatch(items, options);
  }

  protected rereadQuery(batch: readonly PendingUpdate[]): CustomerListQuery {
    return { "id:in": batch.map((p) => p.item.id), limit: 250 };
  }

  protected outcomes(batch: readonly PendingUpdate[], found: ReadonlyMap<number, Customer>, cause: unknown): WriteOutcome[] {
    return batch.map((p) => updateOutcome(p.item, found.get(p.id), { cause }));
  }

  protected override held(p: PendingUpdate, now: number): boolean {
    const block = this.blocked.get(p.id);
    return block !== undefined && block.until > now && block.owner !== p;
  }

  protected override attemptFailed(batch: readonly PendingUpdate[], failure: unknown): void {
    if (!mayLandLate(failure) || this.settings.lateWriteGraceMs <= 0) return;
    const now = this.settings.clock.now();
    for (const [id, block] of this.blocked) if (block.until <= now) this.blocked.delete(id);
    const until = now + this.settings.lateWriteGraceMs;
    for (const p of batch) this.blocked.set(p.id, { until, owner: p });
    this.lane.wakeAt(until);
  }
}
