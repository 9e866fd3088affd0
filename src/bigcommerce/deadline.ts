/**
 * One deadline per SCIM request. Identity providers give up on a request after about 60 s and
 * count a failure, so every wait a request goes through (the per-user lock, a quota slot, a batch
 * queue, an upstream exchange) takes the smaller of its own bound and the time the request has
 * left, instead of each adding its own bound to the others.
 *
 * The deadline is set where the request enters (src/http/request-deadline.ts) and travels with
 * the work through AsyncLocalStorage, as the write guard does (write-guard.ts), so the layers in
 * between need not pass it along. Outside `runWithDeadline` there is none and every wait keeps
 * its own bound (start-up work, write-behind, tests of the client alone).
 *
 * Two instants: `at`, by which the request's own work must be over, and `hardAt`, a little later
 * (still inside the IdP's 60 s), which only the undo of a failed write may use, so that a request
 * stopped by its deadline can still take back what it wrote (src/scim/undo-log.ts).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { BigCommerceError } from "./errors.js";

export interface RequestDeadline {
  /** Clock ms by which the request's work must be over. */
  readonly at: number;
  /** Clock ms by which its answer must have left, undo included (at <= hardAt). */
  readonly hardAt: number;
}

const current = new AsyncLocalStorage<RequestDeadline>();

export function runWithDeadline<T>(deadline: RequestDeadline, work: () => T): T {
  return current.run(deadline, work);
}

/** Work that serves no one request (a shared batch call): it keeps its own bounds. */
export function runWithoutDeadline<T>(work: () => T): T {
  return current.exit(work);
}

/** The deadline of the request whose work is now running, if any. */
export function currentDeadline(): RequestDeadline | undefined {
  return current.getStore();
}

/** `own` (a wait's own bound, clock ms), or the request's deadline when that comes first. */
export function boundedBy(own: number, deadline: RequestDeadline | undefined = currentDeadline()): number {
  return deadline === undefined ? own : Math.min(own, deadline.at);
}

/**
 * The request's time ran out before this step could be taken, for another cause than the quota:
 * nothing of the step was sent. Its bound was the request's deadline, or the wait's own when that
 * came first (a batch lane's item, a concurrency slot), and what it waited for was BigCommerce:
 * calls in flight that took the endpoint's slots or its turn, or a slow answer. The SCIM layer
 * answers 503 with Retry-After; a wait for the rate permit is a 429 instead (RateLimitedError).
 */
export class RequestBudgetSpentError extends BigCommerceError {
  readonly code = "BC_BUDGET_SPENT" as const;
  constructor(
    readonly retryAfterMs: number,
    message = "the SCIM request's time budget was spent before this step could be taken; nothing of it was sent",
  ) {
    super(message);
  }
}
