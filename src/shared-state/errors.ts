/**
 * Failures of the state replicas share through Redis, each with a stable `code` that
 * src/scim/errors.ts maps to a SCIM 503 with Retry-After (the request changed nothing, or, for a
 * lost lease, stopped before its next write; the IdP's retry is safe).
 */

export type SharedStateErrorCode = "SHARED_STATE_UNAVAILABLE" | "SHARED_LOCK_BUSY" | "SHARED_LEASE_LOST";

export abstract class SharedStateError extends Error {
  abstract readonly code: SharedStateErrorCode;
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Redis did not answer within the command timeout, refused the command, or is disconnected. */
export class SharedStateUnavailableError extends SharedStateError {
  readonly code = "SHARED_STATE_UNAVAILABLE" as const;
}

/** Another writer (in this or another replica) held the user's lock past our wait bound. */
export class LockBusyError extends SharedStateError {
  readonly code = "SHARED_LOCK_BUSY" as const;
}

/**
 * Our lease on the user's lock expired or was taken over (Redis restarted, or we could not renew
 * it in time): a write with that stale lease is refused, because another replica may hold the lock.
 */
export class LeaseLostError extends SharedStateError {
  readonly code = "SHARED_LEASE_LOST" as const;
}
