import { AsyncLocalStorage } from "node:async_hooks";
import { runWithWriteGuard } from "../bigcommerce/write-guard.js";
import { LeaseLostError } from "./errors.js";

/**
 * The lease a piece of work holds on a shared lock, visible to everything that work calls (via
 * AsyncLocalStorage), so that each write can check it: a writer whose lease has expired or been
 * taken over must not write, because another replica may now hold the lock. The lease is the
 * BigCommerce client's write guard for that work (bigcommerce/write-guard.ts): the client checks
 * it when a write is submitted and again when it leaves, also from a batch sent seconds later.
 */
export interface Lease {
  /** The resource the lock is on (e.g. a customer id). */
  readonly resource: string;
  /**
   * Monotonic per resource: a later holder always has a larger number. Only this bridge reads it
   * (logs): BigCommerce does not, so the lease is not a fence (redis-lock.ts).
   */
  readonly generation: number;
  /** Aborted when the lease is known to be lost. */
  readonly signal: AbortSignal;
  /** Throws LeaseLostError unless the lease is still ours with a safety margin. */
  assertHeld(): void;
}

const current = new AsyncLocalStorage<Lease>();

export function runWithLease<T>(lease: Lease, work: () => Promise<T>): Promise<T> {
  return current.run(lease, () => runWithWriteGuard({ check: () => lease.assertHeld(), signal: lease.signal }, work));
}

/** The lease of the work now running (its number, its signal), if any. */
export function currentLease(): Lease | undefined {
  return current.getStore();
}

export { LeaseLostError };
