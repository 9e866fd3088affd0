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
import { CUSTOMER_INCLUDE, type Customer, type CustomerCreate, type CustomerListQuery } from "./api.js";
import { type BatchSettings, newPending, type Pending } from "./batch-item.js";
import { ConflictError, ValidationFailedError } from "./errors.js";
import type { Grant } from "./governor.js";
import { INNOCENT, KeyedWriteQueue, type WriteOutcome } from "./keyed-write-queue.js";
import { createdByOurAttempt } from "./reconcile.js";
import { InMemoryUnsettledCreates, type UnsettledCreate, type UnsettledCreates } from "./unsettled-creates.js";
import { foldEmail } from "../email-fold.js";

type PendingCreate = Pending<CustomerCreate> & { emailKey: string };

/**
 * Customers a create resolved with on the re-read's evidence, not on its own POST's answer: the
 * customer was met in the store under the item's email (our lost write, as far as the rules can
 * tell, but possibly another writer's, e.g. another replica's create of the same user). Whoever
 * would undo a create must not undo one of these (metInStore).
 */
const metInStoreCustomers = new WeakSet<Customer>();

/** Did this create's customer come from the re-read (met in the store) rather than from its own POST's answer? */
export function metInStore(customer: Customer): boolean {
  return metInStoreCustomers.has(customer);
}

/** How long we remember which customer went to which caller. */
const ATTRIBUTION_MEMORY_MS = 10 * 60_000;

/** What decides whether a customer the re-read found under a create's email is the create's own. */
export interface CreateContext {
  /** Customers already handed to a caller: a match on one of them is someone else's. */
  attributed: Pick<ReadonlySet<number>, "has">;
  /** The item's first attempt (clock ms), and the clock difference tolerated. */
  firstAttemptAt: number;
  toleranceMs: number;
  /** The memory of unsettled creates for this email (asked only when `needsMemory`), or its failure. */
  remembered: UnsettledCreate | undefined | { failed: unknown };
  /** The batch's failure, the cause of a 409. */
  cause: unknown;
}

/** The rules that need no memory; undefined when only the memory of unsettled creates can tell. */
function outcomeWithoutMemory(item: CustomerCreate, found: Customer, context: Omit<CreateContext, "remembered">): WriteOutcome | undefined {
  if (context.attributed.has(found.id)) return conflict(item, context.cause);
  if (createdByOurAttempt(found, item, context.firstAttemptAt, context.toleranceMs)) return { kind: "resolve", customer: found };
  return undefined;
}

/** Must the memory of unsettled creates be asked (a store call) before `createOutcome`? */
export function needsMemory(item: CustomerCreate, found: Customer | undefined, context: Omit<CreateContext, "remembered">): boolean {
  return found !== undefined && outcomeWithoutMemory(item, found, context) === undefined;
}

/** A create's fate from the customer found under its email, if any. */
export function createOutcome(item: CustomerCreate, found: Customer | undefined, context: CreateContext): WriteOutcome {
  if (!found) return INNOCENT;
  const settled = outcomeWithoutMemory(item, found, context);
  if (settled) return settled;
  const record = context.remembered;
  // A shared store that is down: the item gets the store's error, never a guessed 409.
  if (record && "failed" in record) return { kind: "reject", error: record.failed };
  // The same create again (the IdP's retry): same names sent, and the customer carries them.
  const retryOfOurs =
    record !== undefined &&
    record.first_name === item.first_name &&
    record.last_name === item.last_name &&
    createdByOurAttempt(found, record, record.firstAttemptAt, context.toleranceMs);
  return retryOfOurs ? { kind: "resolve", customer: found } : conflict(item, context.cause);
}

function conflict(item: CustomerCreate, cause: unknown): WriteOutcome {
  return { kind: "reject", error: new ConflictError(`a customer with email ${item.email} already exists`, { email: item.email, cause }) };
}

export class CreateBatcher extends KeyedWriteQueue<CustomerCreate, string, PendingCreate> {
  protected readonly what = "create";
  protected readonly method = "POST";
  /** Customer id → when it was handed to a caller (insertion order = time order). */
  private readonly attributed = new Map<number, number>();

  constructor(
    settings: BatchSettings,
    /** Clock difference tolerated when deciding that a customer was created by our attempt. */
    private readonly toleranceMs: number | (() => number),
    /** Creates that ended without a definite answer, by lower-cased email. */
    private readonly unsettled: UnsettledCreates = new InMemoryUnsettledCreates(),
  ) {
    super(settings);
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
        emailKey: foldEmail(item.email),
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
        this.attribute(customer);
        this.unsettled.forget(pending.emailKey).then(
          () => resolve(customer),
          () => resolve(customer),
        );
      };
      this.lane.add(pending);
    });
  }

  protected keyOf(p: PendingCreate): string {
    return p.emailKey;
  }

  protected keyOfCustomer(customer: Customer): string {
    return foldEmail(customer.email);
  }

  protected send(items: CustomerCreate[], options: { deadline: number; grant?: Grant }): Promise<Customer[]> {
    return this.settings.writes.postBatch(items, options);
  }

  protected rereadQuery(batch: readonly PendingCreate[]): CustomerListQuery {
    return { "email:in": batch.map((p) => p.item.email), include: CUSTOMER_INCLUDE, limit: 250 };
  }

  protected async outcomes(batch: readonly PendingCreate[], found: ReadonlyMap<string, Customer>, cause: unknown): Promise<WriteOutcome[]> {
    const toleranceMs = typeof this.toleranceMs === "function" ? this.toleranceMs() : this.toleranceMs;
    const now = this.settings.clock.now();
    const contextOf = (p: PendingCreate) => ({ attributed: this.attributed, firstAttemptAt: p.firstAttemptAt ?? 0, toleranceMs, cause });
    const remembered = await Promise.all(
      batch.map((p) =>
        needsMemory(p.item, found.get(p.emailKey), contextOf(p))
          ? this.unsettled.recall(p.emailKey, now).catch((failed: unknown) => ({ failed }))
          : undefined,
      ),
    );
    // Judged after the memory answered: a customer handed out meanwhile is someone else's.
    const outcomes = batch.map((p, i) => createOutcome(p.item, found.get(p.emailKey), { ...contextOf(p), remembered: remembered[i] }));
    for (const outcome of outcomes) if (outcome.kind === "resolve") metInStoreCustomers.add(outcome.customer);
    return outcomes;
  }

  private attribute(customer: Customer): void {
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
}
