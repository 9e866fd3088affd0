/**
 * A write guard says whether a write may still go to BigCommerce. With replicas, each user's
 * writes run under a shared lock whose lease can run out (src/shared-state registers the lease as
 * the guard); a write that leaves after that could overwrite another replica's. The client
 * checks the guard when a write is submitted and again when it actually leaves, which for a
 * batched write can be seconds later (its batch waits for a quota slot):
 *
 * - a batch lane (batch-lane.ts) captures the guard of each item it is given, takes out and
 *   rejects items whose guard refuses when it cuts a batch, and runs each batch under the
 *   combined guard of its items (`BatchGuard`);
 * - the transport checks the guard of every write call before any waiting and again after its
 *   request slot is granted, right before the request is sent.
 *
 * The guard travels with the work through AsyncLocalStorage, so that the layers in between (SCIM
 * services, endpoints) need not pass it along. Outside `runWithWriteGuard` there is none and
 * nothing is checked.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface WriteGuard {
  /** Throws (the error the write's caller should get) when the write may no longer be sent. */
  check(): void;
  /**
   * Aborted (with the error check() now throws) once the guard refuses: a write already in
   * flight is then abandoned by the client (transport.ts), its caller stops waiting for it and
   * sends nothing more. It may still land at BigCommerce: a lease is not a fence, BigCommerce
   * checks nothing of ours (see src/scim/users/user-writer.ts for what is re-checked after it).
   */
  readonly signal?: AbortSignal;
}

const current = new AsyncLocalStorage<WriteGuard>();

export function runWithWriteGuard<T>(guard: WriteGuard, work: () => T): T {
  return current.run(guard, work);
}

/** The guard of the work now running, if any. */
export function currentWriteGuard(): WriteGuard | undefined {
  return current.getStore();
}

/** What the guard refuses with now, or undefined while the write may go. */
export function refusalOf(guard: WriteGuard): { error: unknown } | undefined {
  try {
    guard.check();
    return undefined;
  } catch (error) {
    return { error };
  }
}

/** The guard of work done under none: every write may go. */
const NO_GUARD: WriteGuard = { check: () => {} };

/**
 * The guards of the items one call carries: the call may leave only while every one allows it.
 * It remembers what it refused with, so the batch queue can tell "refused before sending"
 * (nothing of the attempt left; the lane rejects the refused items and the others go again)
 * from a failure of the call itself.
 */
export class BatchGuard implements WriteGuard {
  private refusal: { error: unknown } | undefined;

  /** Aborted when any item's guard is: the call carries that item's write. */
  readonly signal: AbortSignal | undefined;

  /** `guards[i]`: the guard of the batch's i-th item (undefined: it was added under none). */
  constructor(private readonly guards: readonly (WriteGuard | undefined)[]) {
    const signals = guards.flatMap((g) => (g?.signal ? [g.signal] : []));
    this.signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  }

  check(): void {
    for (const guard of this.guards) {
      const refused = guard && refusalOf(guard);
      if (refused) {
        this.refusal = refused;
        throw refused.error;
      }
    }
  }

  /**
   * The i-th item's own guard, for a call that carries that item alone (e.g. items sent again one
   * by one): it must not be refused for a neighbour's lost lease, nor go without its own check.
   */
  ofItem(index: number): WriteGuard {
    return this.guards[index] ?? NO_GUARD;
  }

  /** Is `error` this guard's refusal (so the call it guarded was not sent)? */
  refused(error: unknown): boolean {
    return this.refusal !== undefined && this.refusal.error === error;
  }
}
