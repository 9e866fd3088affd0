/**
 * What the keyed write queue (keyed-write-queue.ts) and its create and update policies share:
 * the caller-facing pending item, the customers calls they build on, and the rules for turning
 * a failed batch into each item's own error.
 */
import { boundedBy, RequestBudgetSpentError } from "./deadline.js";
import type { Customer, CustomerCreate, CustomerListQuery, CustomerUpdate, Page } from "./api.js";
import type { Arrivals } from "./arrivals.js";
import type { LaneExpiry } from "./batch-lane.js";
import type { Clock } from "./clock.js";
import type { EndpointSlots } from "./concurrency.js";
import type { Grant, PermitSource } from "./governor.js";
import {
  AuthenticationError,
  ConflictError,
  InvalidQueryError,
  OutcomeUnknownError,
  RateLimitedError,
  UpstreamUnavailableError,
  ValidationFailedError,
  type FieldError,
} from "./errors.js";
import { isDuplicateEmailMessage, withoutIndex } from "./reconcile.js";
import { DEFAULT_RETRY_POLICY } from "./retry-policy.js";

/** What the batcher needs from the customers endpoint (an interface, so tests can script it). */
export interface CustomerWrites {
  /** `options.grant`: the request slot the batch was formed for (late binding). */
  postBatch(items: readonly CustomerCreate[], options: { deadline?: number; grant?: Grant }): Promise<Customer[]>;
  putBatch(items: readonly CustomerUpdate[], options: { deadline?: number; grant?: Grant }): Promise<Customer[]>;
  /** `options.deadline`: the re-read waits for budget no longer than this (clock ms). */
  list(query: CustomerListQuery, signal?: AbortSignal, options?: { deadline?: number }): Promise<Page<Customer>>;
}

export interface BatchSettings {
  writes: CustomerWrites;
  clock: Clock;
  /** The store's rate governor: batches are formed when it grants a slot (absent: at once). */
  permits?: PermitSource;
  /** Collection window after the first call arrives (0 = same tick). */
  windowMs: number;
  /** Bound on waiting for rate budget, per call. */
  maxWaitMs: number;
  /** Items per batch (BigCommerce: 10). */
  maxBatch: number;
  /** Attempts per item before OutcomeUnknownError. */
  maxAttempts: number;
  /** The concurrency slots of the customers endpoint for this method (concurrency.ts): the lane's cap. */
  slots: (method: "POST" | "PUT") => EndpointSlots;
  /** The client's Arrivals: a call that is not full waits for callers due back (batch-lane.ts). */
  arrivals?: Arrivals;
  /** Backoff before re-sending after a transient failure: base × 2^(attempt−1), capped. */
  resendBaseDelayMs: number;
  resendMaxDelayMs: number;
  /**
   * The re-read after a failed batch waits for budget until the batch's own deadline, but gets
   * at least this much (so one re-read can still go out when the write used up the bound).
   */
  rereadMinMs: number;
  /** Re-read calls (each with the transport's own GET retries) before the outcome is unknown. */
  rereadAttempts: number;
  /** One exchange's bound (the HTTP client's request timeout): caps the re-read's duration. */
  requestTimeoutMs: number;
  /**
   * After an update attempt whose write may still land (timeout, lost answer), later updates
   * of the same id wait this long, so the late write cannot overwrite them.
   */
  lateWriteGraceMs: number;
}

/** One caller's item, waiting in a lane or riding in a batch. */
export interface Pending<T> {
  item: T;
  attempts: number;
  /** Send alone next time: the last failure could not be attributed to an item. */
  solo: boolean;
  /** The caller's bound on waiting (queue, rate budget, slots): never sent at or after it. */
  deadline: number;
  firstAttemptAt: number | undefined;
  /**
   * An attempt ended without a definite answer (lost response, timeout, 5xx): that write may
   * still land later, even though a re-read did not show it.
   */
  uncertain: boolean;
  resolve: (customer: Customer) => void;
  reject: (error: unknown) => void;
}

export function newPending<T>(
  item: T,
  settings: BatchSettings,
  resolve: (customer: Customer) => void,
  reject: (error: unknown) => void,
): Pending<T> {
  return {
    item,
    attempts: 0,
    solo: false,
    deadline: boundedBy(settings.clock.now() + settings.maxWaitMs),
    firstAttemptAt: undefined,
    uncertain: false,
    resolve,
    reject,
  };
}

/** The strictest bound among a batch's callers. */
export function deadlineOf(batch: readonly Pending<unknown>[]): number {
  return Math.min(...batch.map((p) => p.deadline));
}

/**
 * Failures that prove this attempt wrote nothing: no re-read needed, every item gets the error
 * (refusedError: unless an earlier attempt of it got no answer). RequestBudgetSpentError is
 * thrown only before a request leaves or on a 429 that BigCommerce did not process.
 */
export function provesNothingWritten(error: unknown): boolean {
  return (
    error instanceof RateLimitedError ||
    error instanceof RequestBudgetSpentError ||
    error instanceof AuthenticationError ||
    error instanceof InvalidQueryError
  );
}

/** Did this failure leave the write's fate open (it may have landed, or land later)? */
export function leavesOutcomeOpen(error: unknown): boolean {
  return !provesNothingWritten(error) && !(error instanceof ValidationFailedError);
}

/**
 * Could the write of this failed attempt still be in progress at BigCommerce, and land later?
 * Yes when no answer came (our timeout, a reset or closed socket: the request may have
 * arrived) or a gateway timed out (504); no when the request provably never left (connection
 * refused, connect timeout, DNS) or BigCommerce answered.
 */
export function mayLandLate(error: unknown): boolean {
  if (error instanceof UpstreamUnavailableError) {
    if (error.status !== undefined) return error.status === 504;
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return !(typeof code === "string" && DEFAULT_RETRY_POLICY.notSentErrorCodes.includes(code));
  }
  return error instanceof OutcomeUnknownError;
}

/**
 * For an item still queued at its deadline: nothing of this attempt was sent. A never-sent item
 * gets the lane's `why` (batch-lane.ts: RateLimitedError, a 429, when it waited for the quota;
 * RequestBudgetSpentError, a 503, when for BigCommerce's calls in flight); one that was sent
 * before (and that the re-read showed as not written) gets UpstreamUnavailableError (503).
 */
export function expiredError(p: Pending<unknown>, why: LaneExpiry): Error {
  if (p.attempts === 0) return why;
  if (p.uncertain) {
    return new OutcomeUnknownError("an earlier attempt of this customer write got no answer, and there was no time to try again");
  }
  return new UpstreamUnavailableError("BigCommerce did not accept the write in time; it was not written", {
    retryAfterMs: 1000,
  });
}

/**
 * For an item refused before this attempt could write (its write guard, write-guard.ts, or an
 * error that proves nothing was written): that error, unless an earlier attempt got no answer
 * and may have been written; its caller must not hear "nothing was written".
 */
export function refusedError(p: Pending<unknown>, refusal: unknown): unknown {
  if (!p.uncertain) return refusal;
  return new OutcomeUnknownError("an earlier attempt of this customer write got no answer, and sending it again was refused", {
    cause: refusal,
  });
}

/**
 * The re-read after a failed batch: within the batch's remaining budget (at least
 * `rereadMinMs`), with up to `rereadAttempts` calls while that budget lasts.
 */
export async function reread(
  settings: BatchSettings,
  batch: readonly Pending<unknown>[],
  query: CustomerListQuery,
): Promise<Page<Customer>> {
  const { clock } = settings;
  const deadline = Math.max(deadlineOf(batch), clock.now() + settings.rereadMinMs);
  // Hard stop: waiting ends at the deadline, and the exchange then under way gets one request
  // timeout; so a write call never lasts longer than its bound + one exchange + one re-read.
  const stop = new AbortController();
  const stopTimer = new AbortController();
  clock.sleep(Math.max(0, deadline + settings.requestTimeoutMs - clock.now()), stopTimer.signal).then(
    () => stop.abort(new UpstreamUnavailableError("the re-read did not finish within its bound")),
    () => {},
  );
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await settings.writes.list(query, stop.signal, { deadline });
      } catch (error) {
        const transient = error instanceof UpstreamUnavailableError || error instanceof RateLimitedError;
        const delay = Math.min(settings.resendMaxDelayMs, settings.resendBaseDelayMs * 2 ** (attempt - 1));
        if (!transient || stop.signal.aborted || attempt >= settings.rereadAttempts || clock.now() + delay >= deadline) {
          throw error;
        }
        await clock.sleep(delay, stop.signal);
      }
    }
  } finally {
    stopTimer.abort();
  }
}

/** An item's own 422: a duplicate email becomes ConflictError, anything else stays a 422. */
export function itemError(error: ValidationFailedError, fields: readonly FieldError[], email?: string): Error {
  const list = fields.length > 0 ? fields : error.fields;
  const duplicate = list.find(
    (f) => (f.field === "email" || f.field === "customer_create" || f.field === "") && isDuplicateEmailMessage(f.message),
  );
  if (duplicate) {
    return new ConflictError(`a customer with email ${email ?? "(this email)"} already exists`, {
      ...(email !== undefined ? { email } : {}),
      status: error.status,
      cause: error,
    });
  }
  return new ValidationFailedError(error.status, error.title, withoutIndex(list), { cause: error });
}

/**
 * Waits before innocent items go out again after a transient failure (5xx, lost answer):
 * BigCommerce asks that writes back off longer than reads. The re-read already showed these
 * items were not written, so a caller whose bound the wait would pass gets
 * UpstreamUnavailableError now (nothing was written; retrying later is safe). Returns the items
 * still to re-send.
 */
export async function backOffBeforeResend<P extends Pending<unknown>>(
  settings: BatchSettings,
  retry: P[],
  error: unknown,
  /** Aborted when the batcher closes: the wait ends at once (the lane then rejects the items). */
  signal?: AbortSignal,
): Promise<P[]> {
  if (retry.length === 0 || error instanceof ValidationFailedError) return retry;
  const attempt = Math.max(...retry.map((p) => p.attempts));
  const delay = Math.min(settings.resendMaxDelayMs, settings.resendBaseDelayMs * 2 ** Math.max(0, attempt - 1));
  const now = settings.clock.now();
  const keep: P[] = [];
  for (const p of retry) {
    if (now + delay <= p.deadline) {
      keep.push(p);
      continue;
    }
    if (mayLandLate(error)) {
      // The re-read did not show it, but a timed-out write may still land: do not say "nothing
      // was written" (the create batcher remembers it, the update lane holds the id meanwhile).
      p.reject(new OutcomeUnknownError("BigCommerce did not answer the write in time; it may still be applied", { cause: error }));
      continue;
    }
    p.reject(
      error instanceof UpstreamUnavailableError
        ? error
        : new UpstreamUnavailableError("BigCommerce did not accept the write; nothing was written", { cause: error }),
    );
  }
  if (keep.length > 0 && delay > 0) {
    await settings.clock.sleep(delay, signal).catch(() => {
      /* closed: the lane rejects what is given back */
    });
  }
  return keep;
}
