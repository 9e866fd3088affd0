/**
 * The keyed batch queue under both customer write batchers: how a batch is picked, sent, and
 * reconciled after any failed or lost batch (the rules are listed in batcher.ts). A kind of write
 * is a small policy on it (create-batcher.ts, update-batcher.ts): the key no two items may share
 * in a batch or in flight (email for creates, id for updates), how a batch is sent and re-read,
 * and each item's outcome from what the re-read found, a pure function tested on its own.
 *
 * An item still queued at its deadline is rejected with `expiredError`; one queued when the
 * queue closes, with the close reason; one whose write guard refuses (write-guard.ts: with
 * replicas, its user's lock lease was lost) with the guard's error, whenever that is found: on
 * submission, when a batch is cut, or right before the call leaves (then the batch goes back to
 * the queue untouched, and the lane takes the refused items out before the next cut).
 */
import type { Customer, CustomerListQuery } from "./api.js";
import {
  backOffBeforeResend,
  type BatchSettings,
  deadlineOf,
  expiredError,
  itemError,
  leavesOutcomeOpen,
  type Pending,
  provesNothingWritten,
  refusedError,
  reread,
} from "./batch-item.js";
import { BatchLane } from "./batch-lane.js";
import { OutcomeUnknownError, ValidationFailedError } from "./errors.js";
import type { Grant } from "./governor.js";
import { groupByIndex } from "./reconcile.js";
import type { BatchGuard } from "./write-guard.js";

/** An item's fate as the re-read shows it; `innocent`: not settled by it, so it may go again. */
export type WriteOutcome = { kind: "resolve"; customer: Customer } | { kind: "reject"; error: unknown } | { kind: "innocent" };

export const INNOCENT: WriteOutcome = { kind: "innocent" };

export abstract class KeyedWriteQueue<T extends { email?: string }, K, P extends Pending<T>> {
  protected readonly lane: BatchLane<P>;
  private readonly keysInFlight = new Set<K>();
  private closedWith: Error | undefined;

  /** The policy: what is written, and the call that writes it (for messages). */
  protected abstract readonly what: "create" | "update";
  protected abstract readonly method: "POST" | "PUT";
  /** The key of a queued item, so one key's writes apply in call order. */
  protected abstract keyOf(p: P): K;
  /** The same key read off a customer BigCommerce answered or the re-read found. */
  protected abstract keyOfCustomer(customer: Customer): K;
  protected abstract send(items: T[], options: { deadline: number; grant?: Grant }): Promise<Customer[]>;
  protected abstract rereadQuery(batch: readonly P[]): CustomerListQuery;
  /** Each item's outcome, in batch order, from the customers the re-read found by key. */
  protected abstract outcomes(batch: readonly P[], found: ReadonlyMap<K, Customer>, cause: unknown): WriteOutcome[] | Promise<WriteOutcome[]>;

  /** May this item not go now, though its key is free? (Updates hold an id after a late write.) */
  protected held(_p: P, _now: number): boolean {
    return false;
  }

  /** Told of a failed attempt before it is reconciled. */
  protected attemptFailed(_batch: readonly P[], _failure: unknown): void {}

  constructor(protected readonly settings: BatchSettings) {
    const method = () => this.method;
    this.lane = new BatchLane<P>({
      clock: settings.clock,
      windowMs: settings.windowMs,
      // Asked when the lane first needs a slot: `method` is the subclass's, set after this constructor.
      slots: {
        get limit() {
          return settings.slots(method()).limit;
        },
        acquire: (deadline, signal) => settings.slots(method()).acquire(deadline, signal),
      },
      pick: (queue) => this.pick(queue),
      run: (batch, grant, guard) => this.run(batch, grant, guard),
      fullBatch: settings.maxBatch,
      ...(settings.permits ? { permits: settings.permits } : {}),
      ...(settings.arrivals ? { arrivals: settings.arrivals } : {}),
      deadlineOf: (p) => p.deadline,
      expire: (p, why) => p.reject(expiredError(p, why)),
      onClosed: (p) => p.reject(this.closedWith ?? new OutcomeUnknownError("customer write batcher is closed")),
      refuse: (p, error) => p.reject(refusedError(p, error)),
      // The slot source failed (not the quota): nothing of this attempt was sent.
      fail: (p, error) => p.reject(refusedError(p, error)),
    });
  }

  close(error: Error): void {
    this.closedWith = error;
    for (const p of this.lane.close()) p.reject(error);
  }

  /**
   * FIFO, at most one item per key in a batch or in flight; a solo item goes alone. An item
   * skipped for any reason reserves its key for this pick, so a later item of that key cannot
   * overtake it.
   */
  protected pick(queue: P[]): P[] {
    const batch: P[] = [];
    const skipped = new Set<K>();
    const now = this.settings.clock.now();
    for (let i = 0; i < queue.length && batch.length < this.settings.maxBatch; ) {
      const p = queue[i] as P;
      const key = this.keyOf(p);
      if (skipped.has(key) || this.keysInFlight.has(key) || this.held(p, now) || (p.solo && batch.length > 0)) {
        skipped.add(key);
        i += 1;
        continue;
      }
      queue.splice(i, 1);
      batch.push(p);
      this.keysInFlight.add(key);
      if (p.solo) break;
    }
    return batch;
  }

  private async run(batch: P[], grant: Grant | undefined, guard: BatchGuard): Promise<void> {
    const startedAt = this.settings.clock.now();
    const firstAttempt = batch.map((p) => p.firstAttemptAt === undefined);
    for (const p of batch) {
      p.attempts += 1;
      p.firstAttemptAt ??= startedAt;
    }
    try {
      let failure: unknown;
      try {
        const answered = await this.send(
          batch.map((p) => p.item),
          { deadline: deadlineOf(batch), ...(grant ? { grant } : {}) },
        );
        const byKey = new Map(answered.map((c) => [this.keyOfCustomer(c), c]));
        if (batch.every((p) => byKey.has(this.keyOf(p)))) {
          for (const p of batch) p.resolve(byKey.get(this.keyOf(p)) as Customer);
          return;
        }
        failure = new OutcomeUnknownError(`${this.method} /v3/customers answered without every customer it was sent`);
      } catch (error) {
        if (guard.refused(error)) {
          // An item's guard refused right before the call left: nothing of this attempt was
          // sent (only 429s and never-sent requests are re-sent by the transport), so it does
          // not count. Back to the queue; the lane refuses those items before the next cut.
          batch.forEach((p, i) => {
            p.attempts -= 1;
            if (firstAttempt[i]) p.firstAttemptAt = undefined;
          });
          this.lane.requeueFront(batch);
          return;
        }
        failure = error;
      }
      if (leavesOutcomeOpen(failure)) for (const p of batch) p.uncertain = true;
      this.attemptFailed(batch, failure);
      await this.reconcile(batch, failure);
    } finally {
      // Only now may later items of these keys go: re-sent items are already back at the front.
      for (const p of batch) this.keysInFlight.delete(this.keyOf(p));
    }
  }

  private async reconcile(batch: P[], error: unknown): Promise<void> {
    if (provesNothingWritten(error)) {
      for (const p of batch) p.reject(refusedError(p, error));
      return;
    }
    let found: Map<K, Customer>;
    try {
      const page = await reread(this.settings, batch, this.rereadQuery(batch));
      found = new Map(page.data.map((c) => [this.keyOfCustomer(c), c]));
    } catch (readError) {
      const failed = `customer ${this.what} failed and the re-read to check its outcome failed too`;
      for (const p of batch) p.reject(new OutcomeUnknownError(failed, { cause: { write: error, read: readError } }));
      return;
    }
    const outcomes = await this.outcomes(batch, found, error);

    const validation = error instanceof ValidationFailedError ? error : undefined;
    const { byIndex, unindexed } = groupByIndex(validation?.fields ?? []);
    // Did the re-read or the indexes account for the failure? If not, innocents go alone next.
    let explained = byIndex.size > 0;
    const innocents: P[] = [];
    // The re-read's evidence first: an item it shows settled is settled, whatever a 422 said.
    batch.forEach((p, index) => {
      const outcome = outcomes[index] as WriteOutcome;
      if (outcome.kind === "resolve") {
        p.resolve(outcome.customer);
      } else if (outcome.kind === "reject") {
        explained = true;
        p.reject(outcome.error);
      } else {
        const own = byIndex.get(index);
        if (own && validation) p.reject(itemError(validation, own, p.item.email));
        else innocents.push(p);
      }
    });

    let retry: P[] = [];
    for (const p of innocents) {
      if (batch.length === 1 && validation) {
        p.reject(itemError(validation, unindexed, p.item.email)); // alone in its batch: the error is its own
      } else if (p.attempts >= this.settings.maxAttempts) {
        p.reject(new OutcomeUnknownError(`customer write still failing after ${p.attempts} attempts; its outcome is unknown`, { cause: error }));
      } else {
        if (validation && !explained) p.solo = true;
        retry.push(p);
      }
    }
    retry = await backOffBeforeResend(this.settings, retry, error, this.lane.closeSignal);
    this.lane.requeueFront(retry);
  }
}
