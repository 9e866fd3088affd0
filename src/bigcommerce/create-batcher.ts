/**
 * Creates: POST /v3/customers batches of up to 10, at most one item per email (any case) per
 * batch or in flight. After a failed or lost batch, one `GET ?email:in=<the batch's
 * emails>&include=attributes` decides each item's fate (see batcher.ts for the rules).
 */
import type { Customer, CustomerCreate } from "./api.js";
import {
  backOffBeforeResend,
  deadlineOf,
  giveUp,
  itemError,
  newPending,
  provesNothingWritten,
  rereadFailed,
  type BatchSettings,
  type Pending,
} from "./batch-item.js";
import { BatchLane } from "./batch-lane.js";
import { ConflictError, OutcomeUnknownError, ValidationFailedError } from "./errors.js";
import { createdByOurAttempt, groupByIndex } from "./reconcile.js";

type PendingCreate = Pending<CustomerCreate> & { emailKey: string };

/** How long we remember which customer went to which caller. */
const ATTRIBUTION_MEMORY_MS = 10 * 60_000;

export class CreateBatcher {
  private readonly lane: BatchLane<PendingCreate>;
  private readonly emailsInFlight = new Set<string>();
  /** Customers already handed to a caller: a re-read match on one of them is someone else's. */
  private readonly attributed = new Map<number, number>();

  constructor(
    private readonly settings: BatchSettings,
    /** Clock difference tolerated when deciding that a customer was created by our attempt. */
    private readonly toleranceMs: number,
  ) {
    this.lane = new BatchLane<PendingCreate>({
      clock: settings.clock,
      windowMs: settings.windowMs,
      maxInFlight: settings.maxInFlight,
      pick: (queue) => this.pick(queue),
      run: (batch) => this.run(batch),
    });
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
      this.lane.add({ ...newPending(item, this.settings, resolve, reject), emailKey: item.email.toLowerCase() });
    });
  }

  close(error: Error): void {
    for (const p of this.lane.close()) p.reject(error);
  }

  /** FIFO, at most one item per email in a batch or in flight; a solo item goes alone. */
  private pick(queue: PendingCreate[]): PendingCreate[] {
    const batch: PendingCreate[] = [];
    const emails = new Set<string>();
    for (let i = 0; i < queue.length && batch.length < this.settings.maxBatch; ) {
      const p = queue[i] as PendingCreate;
      if (emails.has(p.emailKey) || this.emailsInFlight.has(p.emailKey) || (p.solo && batch.length > 0)) {
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

  private async run(batch: PendingCreate[]): Promise<void> {
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
          { deadline: deadlineOf(batch) },
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
      const page = await this.settings.writes.list({
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

    batch.forEach((p, index) => {
      const found = existing.get(p.emailKey);
      if (found) {
        const ours = !this.attributed.has(found.id) && createdByOurAttempt(found, p.item, p.firstAttemptAt ?? 0, this.toleranceMs);
        if (ours) {
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
    retry = await backOffBeforeResend(this.settings, retry, error);
    this.lane.requeueFront(retry);
  }
}
