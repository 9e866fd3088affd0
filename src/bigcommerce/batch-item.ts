/**
 * What the create and update batchers share: the caller-facing pending item, the customers
 * calls they build on, and the rules for turning a failed batch into each item's own error.
 */
import type { Customer, CustomerCreate, CustomerListQuery, CustomerUpdate, Page } from "./api.js";
import type { Clock } from "./clock.js";
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

/** What the batcher needs from the customers endpoint (an interface, so tests can script it). */
export interface CustomerWrites {
  postBatch(items: readonly CustomerCreate[], options: { deadline?: number }): Promise<Customer[]>;
  putBatch(items: readonly CustomerUpdate[], options: { deadline?: number }): Promise<Customer[]>;
  list(query: CustomerListQuery): Promise<Page<Customer>>;
}

export interface BatchSettings {
  writes: CustomerWrites;
  clock: Clock;
  /** Collection window after the first call arrives (0 = same tick). */
  windowMs: number;
  /** Bound on waiting for rate budget, per call. */
  maxWaitMs: number;
  /** Items per batch (BigCommerce: 10). */
  maxBatch: number;
  /** Attempts per item before OutcomeUnknownError. */
  maxAttempts: number;
  /** Batches in flight (BigCommerce caps PUT customers at 3). */
  maxInFlight: number;
  /** Backoff before re-sending after a transient failure: base × 2^(attempt−1), capped. */
  resendBaseDelayMs: number;
  resendMaxDelayMs: number;
}

/** One caller's item, waiting in a lane or riding in a batch. */
export interface Pending<T> {
  item: T;
  attempts: number;
  /** Send alone next time: the last failure could not be attributed to an item. */
  solo: boolean;
  /** The caller's bound on waiting for rate budget. */
  deadline: number;
  firstAttemptAt: number | undefined;
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
    deadline: settings.clock.now() + settings.maxWaitMs,
    firstAttemptAt: undefined,
    resolve,
    reject,
  };
}

/** The strictest bound among a batch's callers. */
export function deadlineOf(batch: readonly Pending<unknown>[]): number {
  return Math.min(...batch.map((p) => p.deadline));
}

/** Failures that prove nothing was written: no re-read needed, every item gets the error. */
export function provesNothingWritten(error: unknown): boolean {
  return error instanceof RateLimitedError || error instanceof AuthenticationError || error instanceof InvalidQueryError;
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

export function giveUp(p: Pending<unknown>, cause: unknown): void {
  p.reject(
    new OutcomeUnknownError(`customer write still failing after ${p.attempts} attempts; its outcome is unknown`, {
      cause,
    }),
  );
}

export function rereadFailed(batch: readonly Pending<unknown>[], what: string, write: unknown, read: unknown): void {
  for (const p of batch) {
    p.reject(
      new OutcomeUnknownError(`customer ${what} failed and the re-read to check its outcome failed too`, {
        cause: { write, read },
      }),
    );
  }
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
    p.reject(
      error instanceof UpstreamUnavailableError
        ? error
        : new UpstreamUnavailableError("BigCommerce did not accept the write; nothing was written", { cause: error }),
    );
  }
  if (keep.length > 0 && delay > 0) await settings.clock.sleep(delay);
  return keep;
}
