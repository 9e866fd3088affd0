import type { Logger } from "pino";
import { systemClock, type Clock } from "../bigcommerce/clock.js";
import { UPSTREAM_DEFAULTS } from "../bigcommerce/defaults.js";
import { RateLimitedError } from "../bigcommerce/errors.js";
import type { AcquireOptions, Permit, ResponseInfo } from "../bigcommerce/governor.js";
import { parseRateHeaders } from "../bigcommerce/rate-headers.js";
import { SlotQueue, type SlotWaiter } from "../bigcommerce/slot-queue.js";
import type { RedisQuotaLedger } from "./redis-quota-ledger.js";

/**
 * The RedisQuotaLedger behind the governor's own interface (acquire → Permit → release), so
 * the client's admission gate can take its slots from the ledger shared by replicas instead of
 * from its in-process arithmetic. A caller that cannot get a slot before its deadline is refused
 * with RateLimitedError at once (a SCIM 429 with Retry-After), as with the governor; Redis
 * trouble rejects with SharedStateUnavailableError (a SCIM 503) and nothing is sent.
 *
 * Slots are polled (there is no cross-replica wake-up): one loop per replica asks for its
 * waiters, sleeping until the ledger's next foreseeable change, or a short poll interval while a
 * request in flight may teach the budget; a new caller wakes it, so it is served or refused at
 * once. Within the replica, a slot goes to the waiter whose call carries the most work, as with
 * the governor (SlotQueue).
 */
export interface SharedQuotaGateOptions {
  clock?: Clock;
  /** Wait bound for acquire() calls that pass no deadline. */
  maxWaitMs?: number;
  /** Poll interval while the ledger waits for an answer in flight. */
  pollMs?: number;
}

interface Waiter extends SlotWaiter {
  deadline: number;
  signal: AbortSignal | undefined;
  resolve: (permit: Permit) => void;
  reject: (error: unknown) => void;
}

/** Settles a waiter once, dropping its abort listener (a batch queue's signal lives long). */
function settle(waiter: Waiter, onAbort: () => void): Waiter {
  const { signal } = waiter;
  const done = (): void => signal?.removeEventListener("abort", onAbort);
  return {
    ...waiter,
    resolve: (permit) => {
      done();
      waiter.resolve(permit);
    },
    reject: (error) => {
      done();
      waiter.reject(error);
    },
  };
}

export class SharedQuotaGate {
  private readonly clock: Clock;
  private readonly maxWaitMs: number;
  private readonly pollMs: number;
  /** This replica's callers; one poll loop asks the ledger for all of them. */
  private readonly waiters = new SlotQueue<Waiter>();
  private polling = false;
  /** Until when a 429 this replica saw holds the store's requests back (as the ledger records it). */
  private blockedUntil = 0;
  /** Aborts the loop's sleep: a new caller is answered at once, not at the loop's next wake-up. */
  private sleeping: AbortController | undefined;

  constructor(
    private readonly ledger: RedisQuotaLedger,
    private readonly logger: Logger,
    options: SharedQuotaGateOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxWaitMs = options.maxWaitMs ?? UPSTREAM_DEFAULTS.maxWaitMs;
    // Short: with followers forwarding, one replica does nearly all the waiting, and every
    // millisecond a granted slot waits is latency the IdP's cycle pays (measured: 25 ms of
    // jitter cost Entra's first sync a tenth of its throughput through three replicas).
    this.pollMs = options.pollMs ?? 5;
  }

  acquire(options: AcquireOptions = {}): Promise<Permit> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const deadline = options.deadline ?? this.clock.now() + this.maxWaitMs;
    return new Promise<Permit>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.waiters.remove(waiter)) waiter.reject(signal?.reason);
      };
      const waiter = settle({ deadline, signal, resolve, reject, ...(options.fill ? { fill: options.fill } : {}) }, onAbort);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
      // A sleeping loop may wake only after this caller's deadline (the window's reset): ask the
      // ledger now, so the caller is served, or refused at once with a retry estimate.
      if (!this.polling) void this.poll();
      else this.sleeping?.abort();
    });
  }

  /** The Retry-After of a 429 this replica's caller cannot wait out: from this gate, not the in-process governor. */
  blockedForMs(): number {
    return Math.max(0, this.blockedUntil - this.clock.now());
  }

  /**
   * Asks the ledger until no one waits: each granted slot goes to the waiter SlotQueue picks (the
   * fullest call); without a slot, whoever cannot have one before its deadline is refused and the
   * loop sleeps until the ledger's next foreseeable change.
   */
  private async poll(): Promise<void> {
    this.polling = true;
    try {
      while (this.waiters.length > 0) {
        const now = this.clock.now();
        let take: Awaited<ReturnType<RedisQuotaLedger["tryTake"]>>;
        try {
          take = await this.ledger.tryTake(now);
        } catch (error) {
          // Redis trouble: nothing was taken, nothing is sent; every waiter gets the typed error.
          for (const w of this.waiters.drain()) w.reject(error);
          return;
        }
        if (take.granted) {
          this.refuseLate();
          const waiter = this.waiters.takeNext();
          if (waiter) waiter.resolve(this.permit(take.permitId, take.fillForMs));
          else this.permit(take.permitId, 0).giveBack(); // everyone gave up while the slot was asked for
          continue;
        }
        const wakeAt = take.waitUntil ?? now + this.pollMs;
        for (const waiter of this.waiters.removeWhere((w) => wakeAt > w.deadline)) {
          waiter.reject(new RateLimitedError(Math.max(1_000, wakeAt - now)));
        }
        if (this.waiters.length === 0) return;
        // A little jitter so that replicas woken by the same reset do not all ask at once.
        const sleeping = new AbortController();
        this.sleeping = sleeping;
        await this.clock.sleep(Math.max(1, wakeAt - now) + Math.random() * this.pollMs, sleeping.signal).catch(() => {
          /* woken early by a new caller */
        });
        this.sleeping = undefined;
      }
    } finally {
      this.polling = false;
    }
  }

  /**
   * Refuses the waiters whose deadline has passed (the loop woke, or the ledger answered, after
   * it): they have given up, so no slot may be spent on them, as with the governor.
   */
  private refuseLate(): void {
    const now = this.clock.now();
    for (const waiter of this.waiters.removeWhere((w) => now > w.deadline)) {
      waiter.reject(new RateLimitedError(1_000, "the caller's wait bound passed before a request slot came"));
    }
  }

  private permit(permitId: string, fillForMs: number): Permit {
    let released = false;
    return {
      fillForMs,
      release: (response?: ResponseInfo) => {
        if (released) return;
        released = true;
        if (response?.status === 429) {
          // The ledger's rule (redis-quota-ledger.ts): the longer of X-Retry-After and the window reset.
          const rate = parseRateHeaders(response.headers);
          const waitMs = Math.max(rate.retryAfterMs ?? 0, rate.resetMs ?? 0);
          this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + waitMs);
        }
        this.ledger.release(permitId, this.clock.now(), response).catch((error: unknown) => {
          // Redis lost this answer: the permit stops counting when its TTL runs out, and the
          // next answer's headers bring the budget up to date. Nothing to undo here.
          this.logger.warn({ err: { message: (error as Error).message } }, "could not report a BigCommerce answer to the shared quota ledger");
        });
      },
      giveBack: () => {
        if (released) return;
        released = true;
        this.ledger.giveBack(permitId).catch((error: unknown) => {
          // The permit stops counting when its TTL runs out.
          this.logger.warn({ err: { message: (error as Error).message } }, "could not give a quota slot back to the shared quota ledger");
        });
      },
    };
  }
}
