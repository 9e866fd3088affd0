/**
 * When to send a failed request again: the policy is plain data, the decision one pure
 * function (undici's retry-handler pattern), so the whole table is unit-testable.
 *
 * The rules, and why:
 * - 429 is retried for every method: BigCommerce did not process the request. The wait is the
 *   longer of X-Retry-After and X-Rate-Limit-Time-Reset-Ms (or a capped backoff without headers);
 *   the governor enforces it for every request to the store, not just this one. A 429 that says
 *   the store still has requests left (and carries no X-Retry-After) is a per-endpoint
 *   concurrency cap: a short capped backoff for that endpoint only ("concurrency-limited").
 * - 5xx (500/502/503/504) and network errors/timeouts are retried with capped exponential
 *   backoff only for idempotent methods (GET, DELETE): a resent read or delete cannot do harm.
 * - A POST or PUT that failed that way is never resent here: it may have been applied (the
 *   "response lost after the write" case), so the caller must re-read state first. The one
 *   exception is an error that proves the request never left (connection refused, connect
 *   timeout): nothing can have been applied, so any method may be sent again.
 */
import { isConcurrencyLimited429, waitAfter429, type BackoffBounds, type ResponseHeaders } from "./rate-headers.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface RetryPolicy {
  /** Total attempts (the first included) for 5xx and network failures. */
  maxAttempts: number;
  /** Total attempts while BigCommerce keeps answering 429. */
  max429Attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Fraction of each backoff delay that is randomised (0 = none, 1 = full jitter). */
  jitterRatio: number;
  retryStatuses: readonly number[];
  retryNetworkErrors: boolean;
  /** Methods whose failed requests may be sent again without re-reading first. */
  idempotentMethods: readonly HttpMethod[];
  /** Error codes of failures that happen before any byte of the request reached the server. */
  notSentErrorCodes: readonly string[];
  /** Error codes counted as network failures (the request may or may not have arrived). */
  networkErrorCodes: readonly string[];
  /** Backoff for 429s that carry no rate headers (platform load shedding). */
  bare429BaseDelayMs: number;
  bare429MaxDelayMs: number;
  /** Backoff for 429s from a per-endpoint concurrency cap (requests left > 0, no X-Retry-After). */
  concurrency429BaseDelayMs?: number;
  concurrency429MaxDelayMs?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  max429Attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4000,
  jitterRatio: 0.5,
  retryStatuses: Object.freeze([500, 502, 503, 504]),
  retryNetworkErrors: true,
  idempotentMethods: Object.freeze(["GET", "DELETE"] as const),
  notSentErrorCodes: Object.freeze(["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", "ENOTFOUND", "EAI_AGAIN"]),
  networkErrorCodes: Object.freeze([
    "ECONNRESET",
    "EPIPE",
    "ETIMEDOUT",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "UND_ERR_SOCKET",
    "UND_ERR_CLOSED",
    "UND_ERR_HEADERS_TIMEOUT",
    "UND_ERR_BODY_TIMEOUT",
    "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
    "BC_REQUEST_TIMEOUT",
  ]),
  bare429BaseDelayMs: 1000,
  bare429MaxDelayMs: 16000,
  concurrency429BaseDelayMs: 1000,
  concurrency429MaxDelayMs: 4000,
});

/** Backoff after 429s without rate headers, as the governor and the shared ledger apply it by default. */
export const DEFAULT_BARE_429: BackoffBounds = Object.freeze({
  baseMs: DEFAULT_RETRY_POLICY.bare429BaseDelayMs,
  maxMs: DEFAULT_RETRY_POLICY.bare429MaxDelayMs,
});

export interface RetryInput {
  method: HttpMethod;
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Error code, when no response arrived (network error, timeout). */
  errorCode?: string;
  headers?: ResponseHeaders;
  /** False lets a caller opt an otherwise idempotent request out of blind retries. */
  idempotent?: boolean;
  /** In [0, 1): the jitter draw. Tests pass a fixed value; the client passes Math.random(). */
  random?: number;
}

export type RetryReason =
  | "rate-limited"
  | "concurrency-limited"
  | "server-error"
  | "network-error"
  | "not-sent"
  | "not-retryable"
  | "unsafe-to-resend"
  | "attempts-exhausted";

export type RetryDecision =
  | { retry: false; reason: RetryReason }
  | { retry: true; delayMs: number; reason: RetryReason };

function backoff(policy: RetryPolicy, attempt: number, random: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const ratio = Math.min(1, Math.max(0, policy.jitterRatio));
  return Math.round(exp * (1 - ratio + ratio * random));
}

export function decideRetry(policy: RetryPolicy, input: RetryInput): RetryDecision {
  const random = input.random ?? 1;
  const { status, errorCode, attempt } = input;

  if (status === 429) {
    if (attempt >= policy.max429Attempts) return { retry: false, reason: "attempts-exhausted" };
    if (isConcurrencyLimited429(input.headers)) {
      const base = policy.concurrency429BaseDelayMs ?? 1000;
      const max = policy.concurrency429MaxDelayMs ?? 4000;
      return { retry: true, delayMs: Math.min(max, base * 2 ** Math.max(0, attempt - 1)), reason: "concurrency-limited" };
    }
    const { waitMs } = waitAfter429(input.headers, attempt, {
      baseMs: policy.bare429BaseDelayMs,
      maxMs: policy.bare429MaxDelayMs,
    });
    return { retry: true, delayMs: waitMs, reason: "rate-limited" };
  }

  let reason: RetryReason;
  if (status !== undefined) {
    if (!policy.retryStatuses.includes(status)) return { retry: false, reason: "not-retryable" };
    reason = "server-error";
  } else if (errorCode !== undefined && policy.notSentErrorCodes.includes(errorCode)) {
    reason = "not-sent";
  } else if (errorCode !== undefined && policy.retryNetworkErrors && policy.networkErrorCodes.includes(errorCode)) {
    reason = "network-error";
  } else {
    return { retry: false, reason: "not-retryable" };
  }

  const idempotent = policy.idempotentMethods.includes(input.method) && input.idempotent !== false;
  if (!idempotent && reason !== "not-sent") return { retry: false, reason: "unsafe-to-resend" };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: "attempts-exhausted" };
  return { retry: true, delayMs: backoff(policy, attempt, random), reason };
}
