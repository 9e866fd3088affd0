/**
 * Creates: POST /v3/customers batches of up to 10, at most one item per email (any case) per
 * batch or in flight. After a failed or lost batch, one `GET ?email:in=<the batch's
 * emails>&include=attributes` decides each item's fate (see batcher.ts for the rules).
 *
 * Creates that end without a definite answer (the response was lost or timed out and the
 * re-read failed or showed nothing yet; the caller's bound ran out; attempts ran out) are
 * remembered for a while: email → the names sent and the time of the first attempt. Such a
 * write may still land (a timed-out request that the server completes later), and the IdP will
 * retry the create. When that retry (or any later create of the email) meets the customer, the
 * customer counts as ours if it carries the names we sent and was created at or after that
 * first attempt (minus the clock tolerance), and was not handed to another caller: the retry
 * resolves with it instead of a 409. That memory is an UnsettledCreates store (unsettled-creates.ts):
 * in this process by default, in Redis with replicas, so a retry that lands on another replica is
 * recognised too.
 */
import type { Customer, CustomerCreate } from "./api.js";
import {
  backOffBeforeResend,
  type BatchSettings,
  deadlineOf,
  giveUp,
  itemError,
  leavesOutcomeOpen,
  newPending,
  newWriteLane,
  type Pending,
  provesNothingWritten,
  reread,
  rereadFailed,
} from "./batch-item.js";
import type { BatchLane } from "./batch-lane.js";
import type { Permit } from "./governor.js";
import { ConflictError, OutcomeUnknownError, ValidationFailedError } from "./errors.js";
import { createdByOurAttempt, groupByIndex } from "./reconcile.js";
import { InMemoryUnsettledCreates, type UnsettledCreate, type UnsettledCreates } from "./unsettled-creates.js";

type PendingCreate = Pending<CustomerCreate> & { emailKey: string };

/** How long we remember which customer went to which caller. */
const ATTRIBUTION_MEMORY_MS = 10 * 60_000;

export class CreateBatcher {
  private readonly lane: BatchLane<PendingCreate>;
  private readonly emailsInFlight = new Set<string>();
  /** Customers already handed to a caller: a re-read match on one of them is someone else's. */
  private readonly attributed = new Map<number, number>();
  private closedWith: Error | undefined;

  constructor(
    private readonly settings: BatchSettings,
    /** Clock difference tolerated when deciding that a customer was created by our attempt. */
    private readonly toleranceMs: number | (() => number),
    /** Creates that ended without a definite answer, by lower-cased email. */
    private readonly unsettled: UnsettledCreates = new InMemoryUnsettledCreates(),
  ) {
    this.lane = newWriteLane<PendingCreate>(
      settings,
      { pick: (queue) => this.pick(queue), run: (batch, permit) => this.run(batch, permit) },
      () => this.closedWith,
    );
  }

  create(item: CustomerCreate): Promise<Customer> {
    if (typeof item.email !== "string" || item.email.includes(",")) {
      // A comma would split the re-read's `email:in` into two values; BigCommerce would
      // refuse such an address anyway.
      return Promise.reject(
        new ValidationFailedError(422, "Invalid customer email", [{ field: "email", message: "must not contain a comma" }]),
      );
    }
    return new Promise((resolve, reject) => {
      const pending: PendingCreate = {
        ...newPending(item, this.settings, resolve, reject),
        emailKey: item.email.toLowerCase(),
      };
      // Whatever ends a create whose write may still land, remember it (see the file comment).
      // Remembered before the caller hears of it: the IdP's retry may follow at once, perhaps on
      // another replica. If the store fails, the caller still gets the original error.
      pending.reject = (error: unknown) => {
        if (!pending.uncertain) return reject(error);
        this.noteUnsettled(pending).then(
          () => reject(error),
          () => reject(error),
        );
      };
      // The customer exists and is this caller's: a failed forget only leaves a record that
      // expires, and would at worst let a later identical create resolve with this customer.
      pending.resolve = (customer: Customer) => {
        this.unsettled.forget(pending.emailKey).then(
          () => resolve(customer),
          () => resolve(customer),
        );
      };
      this.lane.add(pending);
    });
  }

  close(error: Error): void {
    this.closedWith = error;
    for (const p of this.lane.close()) p.reject(error);
  }

  private tolerance(): number {
    return typeof this.toleranceMs === "function" ? this.toleranceMs() : this.toleranceMs;
  }

  /**
   * FIFO, at most one item per email in a batch or in flight; a solo item goes alone. An item
   * skipped for any reason reserves its email for this pick, so a later create of the same
   * email cannot overtake it.
   */
  private pick(queue: PendingCreate[]): PendingCreate[] {
    const batch: PendingCreate[] = [];
    const emails = new Set<string>();
    const skipped = new Set<string>();
    for (let i = 0; i < queue.length && batch.length < this.settings.maxBatch; ) {
      const p = queue[i] as PendingCreate;
      if (
        emails.has(p.emailKey) ||
        skipped.has(p.emailKey) ||
        this.emailsInFlight.has(p.emailKey) ||
        (p.solo && batch.length > 0)
      ) {
        skipped.add(p.emailKey);
        i += 1;
        continue;
      }
      queue.splice(i, 1);
      batch.push(p);
      emails.add(p.emailKey);
      if (p.solo) break;
    }
    for (const p of batch) this.emailsInFlight.add(p.emailKey);
    return batch;
  }

  private remember(customer: Customer): void {
    const now = this.settings.clock.now();
    this.attributed.set(customer.id, now);
    for (const [id, at] of this.attributed) {
      if (now - at <= ATTRIBUTION_MEMORY_MS) break; // insertion order = time order
      this.attributed.delete(id);
    }
  }

  private async noteUnsettled(p: PendingCreate): Promise<void> {
    if (p.firstAttemptAt === undefined) return;
    const attempt: UnsettledCreate = { first_name: p.item.first_name, last_name: p.item.last_name, firstAttemptAt: p.firstAttemptAt };
    await this.unsettled.remember(p.emailKey, attempt, this.settings.clock.now());
  }

  /** Does `found` match an earlier create of this email that ended without an answer? */
  private async matchesUnsettled(found: Customer, p: PendingCreate): Promise<boolean> {
    const record = await this.unsettled.recall(p.emailKey, this.settings.clock.now());
    // The same create again (the IdP's retry): same names sent, and the customer carries them.
    if (!record || record.first_name !== p.item.first_name || record.last_name !== p.item.last_name) return false;
    return createdByOurAttempt(found, record, record.firstAttemptAt, this.tolerance());
  }

  private async run(batch: PendingCreate[], permit?: Permit): Promise<void> {
    const startedAt = this.settings.clock.now();
    for (const p of batch) {
      p.attempts += 1;
      p.firstAttemptAt ??= startedAt;
    }
    try {
      let failure: unknown;
      try {
        const created = await this.settings.writes.postBatch(
          batch.map((p) => p.item),
          { deadline: deadlineOf(batch), ...(permit ? { permit } : {}) },
        );
        const byEmail = new Map(created.map((c) => [c.email.toLowerCase(), c]));
        if (batch.every((p) => byEmail.has(p.emailKey))) {
          for (const p of batch) {
            const customer = byEmail.get(p.emailKey) as Customer;
            this.remember(customer);
            p.resolve(customer);
          }
          return;
        }
        failure = new OutcomeUnknownError("POST /v3/customers answered without every customer it was sent");
      } catch (error) {
        failure = error;
      }
      if (leavesOutcomeOpen(failure)) for (const p of batch) p.uncertain = true;
      await this.reconcile(batch, failure);
    } finally {
      for (const p of batch) this.emailsInFlight.delete(p.emailKey);
    }
  }

  private async reconcile(batch: PendingCreate[], error: unknown): Promise<void> {
    if (provesNothingWritten(error)) {
      for (const p of batch) p.reject(error);
      return;
    }
    let existing: Map<string, Customer>;
    try {
      const page = await reread(this.settings, batch, {
        "email:in": batch.map((p) => p.item.email),
        include: ["attributes"],
        limit: 250,
      });
      existing = new Map(page.data.map((c) => [c.email.toLowerCase(), c]));
    } catch (readError) {
      rereadFailed(batch, "create", error, readError);
      return;
    }

    const validation = error instanceof ValidationFailedError ? error : undefined;
    const { byIndex, unindexed } = groupByIndex(validation?.fields ?? []);
    // Did the re-read or the indexes account for the failure? If not, innocents go alone next.
    let explained = byIndex.size > 0;
    const innocents: PendingCreate[] = [];

    // Whether each found customer is ours; asking the memory of unsettled creates may fail (a
    // shared store that is down): then that item gets the store's error, never a guessed 409.
    const verdicts = await Promise.all(
      batch.map(async (p): Promise<boolean | { failed: unknown }> => {
        const found = existing.get(p.emailKey);
        if (!found || this.attributed.has(found.id)) return false;
        if (createdByOurAttempt(found, p.item, p.firstAttemptAt ?? 0, this.tolerance())) return true;
        return this.matchesUnsettled(found, p).catch((failed: unknown) => ({ failed }));
      }),
    );

    batch.forEach((p, index) => {
      const found = existing.get(p.emailKey);
      if (found) {
        const ours = verdicts[index];
        if (typeof ours === "object") {
          explained = true;
          p.reject(ours.failed);
        } else if (ours && !this.attributed.has(found.id)) {
          this.remember(found);
          p.resolve(found);
        } else {
          explained = true;
          p.reject(new ConflictError(`a customer with email ${p.item.email} already exists`, { email: p.item.email, cause: error }));
        }
        return;
      }
      const own = byIndex.get(index);
      if (own && validation) p.reject(itemError(validation, own, p.item.email));
      else innocents.push(p);
    });

    let retry: PendingCreate[] = [];
    for (const p of innocents) {
      if (batch.length === 1 && validation) {
        p.reject(itemError(validation, unindexed, p.item.email)); // alone in its batch: the error is its own
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
