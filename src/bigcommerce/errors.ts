/**
 * One error class per way a BigCommerce call can fail, each with a stable `code` (the undici
 * pattern), so the SCIM layer maps failures to SCIM errors in one place by `instanceof` or
 * `code` and never by parsing messages.
 *
 * Messages are built only from upstream titles, status codes and our own words: never from
 * request headers or bodies, so neither the access token nor a password can end up in a
 * message (and from there in a log line or a SCIM error body).
 */

export type BigCommerceErrorCode =
  | "BC_RATE_LIMITED"
  | "BC_UNAVAILABLE"
  | "BC_VALIDATION"
  | "BC_CONFLICT"
  | "BC_NOT_FOUND"
  | "BC_AUTH"
  | "BC_BAD_RESPONSE"
  | "BC_INVALID_QUERY"
  | "BC_OUTCOME_UNKNOWN"
  | "BC_BUDGET_SPENT";

export abstract class BigCommerceError extends Error {
  abstract readonly code: BigCommerceErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The store's rate budget (or BigCommerce's 429s) would make the caller wait longer than its
 * bound. `retryAfterMs` is our best estimate of when a retry can succeed: the SCIM layer turns
 * it into an integer `Retry-After` on its own 429.
 */
export class RateLimitedError extends BigCommerceError {
  readonly code = "BC_RATE_LIMITED" as const;
  constructor(
    readonly retryAfterMs: number,
    message = `BigCommerce rate budget exhausted; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 5xx, network failure or timeout that persisted through the retries the policy allows. */
export class UpstreamUnavailableError extends BigCommerceError {
  readonly code = "BC_UNAVAILABLE" as const;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: details.cause });
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** One field problem; `index` is the 0-based position in the batch the server named, if any. */
export interface FieldError {
  index?: number;
  field: string;
  message: string;
}

/** BigCommerce refused the data (400/413/422), or the client refused an item before sending. */
export class ValidationFailedError extends BigCommerceError {
  readonly code = "BC_VALIDATION" as const;
  constructor(
    readonly status: number,
    readonly title: string,
    readonly fields: readonly FieldError[],
    options?: { cause?: unknown },
  ) {
    super(ValidationFailedError.describe(title, fields), options);
  }

  private static describe(title: string, fields: readonly FieldError[]): string {
    if (fields.length === 0) return title;
    const parts = fields.map((f) => `${f.field}: ${f.message}`);
    return `${title} (${parts.join("; ")})`;
  }
}

/** Uniqueness violation: a duplicate customer email, an existing metafield key, a group name. */
export class ConflictError extends BigCommerceError {
  readonly code = "BC_CONFLICT" as const;
  readonly email: string | undefined;
  readonly status: number | undefined;
  constructor(message: string, details: { email?: string; status?: number; cause?: unknown } = {}) {
    super(message, { cause: details.cause });
    this.email = details.email;
    this.status = details.status;
  }
}

export class NotFoundError extends BigCommerceError {
  readonly code = "BC_NOT_FOUND" as const;
}

/**
 * 401/403: the operator's access token is wrong or lacks a scope. This is a configuration fault
 * of the bridge, not something the SCIM client did; the SCIM layer should answer 5xx, not 401.
 */
export class AuthenticationError extends BigCommerceError {
  readonly code = "BC_AUTH" as const;
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A response we cannot trust: it failed schema validation, or had a status we do not expect. */
export class UnexpectedResponseError extends BigCommerceError {
  readonly code = "BC_BAD_RESPONSE" as const;
  readonly status: number | undefined;
  constructor(message: string, details: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: details.cause });
    this.status = details.status;
  }
}

/** Refused before anything was sent: the request as asked could not be expressed safely. */
export class InvalidQueryError extends BigCommerceError {
  readonly code = "BC_INVALID_QUERY" as const;
}

/** A write that may or may not have happened, and re-reading could not settle which. */
export class OutcomeUnknownError extends BigCommerceError {
  readonly code = "BC_OUTCOME_UNKNOWN" as const;
}

export function isBigCommerceError(error: unknown): error is BigCommerceError {
  return error instanceof BigCommerceError;
}
