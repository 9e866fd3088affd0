/**
 * The coalescing write batcher behind `customers.create(item)` and `customers.update(item)`.
 *
 * Concurrent SCIM requests each create or update one customer; BigCommerce takes up to 10 per
 * POST/PUT and counts every call against the store's quota. So calls are collected (same tick,
 * or `windowMs`, plus everything that queues while batches are in flight) into batches of up
 * to 10, and each item's result or error goes back to its own caller.
 *
 * Whether BigCommerce applies a customers batch all-or-nothing is undocumented, a duplicate
 * email fails the whole batch naming one email without an index, and a response can be lost
 * after the write happened. So after ANY failed or lost batch the batcher re-reads before it
 * decides (creates by `email:in`, updates by `id:in`):
 * - an item the re-read shows as done succeeded (a create whose response was lost must not
 *   turn into a 409 when it is sent again; an update whose fields all read back is settled);
 * - a create whose email belongs to a customer that pre-existed (or that this process already
 *   handed to another caller) fails with ConflictError;
 * - an item named by its own `<index>.<field>` error fails with that error (ConflictError for a
 *   duplicate email, ValidationFailedError otherwise);
 * - an update of an id the re-read does not find fails with NotFoundError;
 * - the others are innocent and go out again, at most 3 attempts each, then
 *   OutcomeUnknownError; when a 422 could not be attributed they go one per batch, so that the
 *   next error can only be their own; after a transient failure (5xx, lost answer) they wait a
 *   backoff first, and a caller whose bound that wait would pass gets UpstreamUnavailableError.
 * RateLimitedError, RequestBudgetSpentError and AuthenticationError prove this attempt wrote
 * nothing: every item of the batch gets that error, without a re-read (OutcomeUnknownError for
 * an item an earlier attempt of which got no answer: that one may still land).
 *
 * Bounds: an item is never sent at or after its deadline (now + maxWaitMs at the call): still
 * queued then, it gets RateLimitedError (never sent) or UpstreamUnavailableError/
 * OutcomeUnknownError (sent before); the governor and the concurrency gate refuse a caller
 * whose deadline has passed; the re-read waits only within the batch's remaining budget (at
 * least `rereadMinMs`) and is cut off one request timeout after that. So one call lasts at most
 * about maxWaitMs + requestTimeoutMs + one re-read.
 *
 * Writes whose answer never came may land later: creates that end that way are remembered
 * (create-batcher.ts) so the IdP's retry resolves instead of a 409; after a timed-out update,
 * later updates of that customer wait `lateWriteGraceMs` (update-batcher.ts).
 */
import { defaultLateWriteGraceMs, UPSTREAM_DEFAULTS } from "./defaults.js";
import type { Customer, CustomerCreate, CustomerUpdate } from "./api.js";
import type { BatchSettings, CustomerWrites } from "./batch-item.js";
import type { Arrivals } from "./arrivals.js";
import type { Clock } from "./clock.js";
import { ConcurrencyLimiter, type EndpointSlots } from "./concurrency.js";
import type { PermitSource } from "./governor.js";
import { CreateBatcher } from "./create-batcher.js";
import { UpdateBatcher } from "./update-batcher.js";
import type { UnsettledCreates } from "./unsettled-creates.js";

export type { CustomerWrites } from "./batch-item.js";

export interface BatcherOptions {
  writes: CustomerWrites;
  clock: Clock;
  /** The store's rate governor: batches are formed when it grants a slot (absent: at once). */
  permits?: PermitSource;
  /** Collection window after the first call arrives (0 = same tick). */
  windowMs: number;
  /** Bound on waiting for rate budget, per call. */
  maxWaitMs: number;
  /** Items per batch (BigCommerce: 10). */
  maxBatchSize?: number;
  /** Attempts per item before OutcomeUnknownError. */
  maxAttempts?: number;
  /**
   * The customers endpoint's concurrency slots per method (the client passes the transport's,
   * shared with every other call; default: slots of this batcher's own, at the caps of
   * concurrency.ts).
   */
  slots?: (method: "POST" | "PUT") => EndpointSlots;
  /** The client's Arrivals (batch-lane.ts, rule 2). */
  arrivals?: Arrivals;
  /** Clock difference tolerated when deciding that a customer was created by our attempt. */
  createdToleranceMs?: number;
  /**
   * BigCommerce's clock minus ours, when known (from `Date` headers). When BigCommerce's clock
   * is behind, the tolerance widens by that much (up to MAX_SKEW_WIDENING_MS), so our own
   * lost-response create is not taken for someone else's.
   */
  clockSkewMs?: () => number | undefined;
  /** Backoff before re-sending innocents after a transient failure (default 500 ms, doubling, ≤ 4 s). */
  resendBaseDelayMs?: number;
  resendMaxDelayMs?: number;
  /** Least budget the re-read after a failed batch gets (default 2000 ms). */
  rereadMinMs?: number;
  /** Re-read calls before the outcome is unknown (default 2). */
  rereadAttempts?: number;
  /** The HTTP request timeout; bounds how long a re-read may run past its deadline (default 15000). */
  requestTimeoutMs?: number;
  /**
   * After an update attempt timed out (or lost its answer), later updates of that customer
   * wait this long, so the late write cannot overwrite them (default 15000 ms; the client
   * passes its requestTimeoutMs).
   */
  lateWriteGraceMs?: number;
  /** Memory of creates without a definite answer (default: in this process; Redis with replicas). */
  unsettledCreates?: UnsettledCreates;
}

/** Upper bound on how far a measured clock skew widens the created-by-us tolerance. */
export const MAX_SKEW_WIDENING_MS = 5 * 60_000;

/** Slots at the documented caps, for a batcher used without a transport (tests). */
function ownSlots(clock: Clock): (method: "POST" | "PUT") => EndpointSlots {
  const limiter = new ConcurrencyLimiter();
  return (method) => limiter.slots(method, "v3", "/customers", clock);
}

export class CustomerWriteBatcher {
  private readonly creates: CreateBatcher;
  private readonly updates: UpdateBatcher;
  private closedWith: Error | undefined;

  constructor(options: BatcherOptions) {
    const settings: BatchSettings = {
      writes: options.writes,
      clock: options.clock,
      ...(options.permits ? { permits: options.permits } : {}),
      windowMs: options.windowMs,
      maxWaitMs: options.maxWaitMs,
      maxBatch: options.maxBatchSize ?? 10,
      maxAttempts: options.maxAttempts ?? 3,
      slots: options.slots ?? ownSlots(options.clock),
      ...(options.arrivals ? { arrivals: options.arrivals } : {}),
      resendBaseDelayMs: options.resendBaseDelayMs ?? 500,
      resendMaxDelayMs: options.resendMaxDelayMs ?? 4000,
      rereadMinMs: options.rereadMinMs ?? 2000,
      rereadAttempts: options.rereadAttempts ?? 2,
      requestTimeoutMs: options.requestTimeoutMs ?? UPSTREAM_DEFAULTS.requestTimeoutMs,
      lateWriteGraceMs: options.lateWriteGraceMs ?? defaultLateWriteGraceMs(options.requestTimeoutMs ?? UPSTREAM_DEFAULTS.requestTimeoutMs),
    };
    const base = options.createdToleranceMs ?? 2000;
    const skew = options.clockSkewMs;
    this.creates = new CreateBatcher(
      settings,
      skew ? () => base + Math.min(MAX_SKEW_WIDENING_MS, Math.max(0, -(skew() ?? 0))) : base,
      ...(options.unsettledCreates ? [options.unsettledCreates] : []),
    );
    this.updates = new UpdateBatcher(settings);
  }

  create(item: CustomerCreate): Promise<Customer> {
    return this.closedWith ? Promise.reject(this.closedWith) : this.creates.create(item);
  }

  update(item: CustomerUpdate): Promise<Customer> {
    return this.closedWith ? Promise.reject(this.closedWith) : this.updates.update(item);
  }

  /** Rejects everything not yet sent, and every later call. Batches in flight finish on their own. */
  close(error: Error): void {
    this.closedWith = error;
    this.creates.close(error);
    this.updates.close(error);
  }
}
