import type { Logger } from "pino";
import { systemClock, type Clock } from "../bigcommerce/clock.js";
import { UPSTREAM_DEFAULTS } from "../bigcommerce/defaults.js";
import { RateLimitedError } from "../bigcommerce/errors.js";
import type { AcquireOptions, Permit, ResponseInfo } from "../bigcommerce/governor.js";
import type { RedisQuotaLedger } from "./redis-quota-ledger.js";

/**
 * The RedisQuotaLedger behind the governor's own interface (acquire → Permit → release), so
 * the client's admission gate can take its slots from the ledger shared by replicas instead of
 * from its in-process arithmetic. A caller that cannot get a slot before its deadline is refused
 * with RateLimitedError at once (a SCIM 429 with Retry-After), as with the governor; Redis
 * trouble rejects with SharedStateUnavailableError (a SCIM 503) and nothing is sent.
 *
 * Slots are polled (there is no cross-replica wake-up): a waiter sleeps until the ledger's next
 * foreseeable change, or a short poll interval while a request in flight may teach the budget.
 */
export interface SharedQuotaGateOptions {
  clock?: Clock;
  /** Wait bound for acquire() calls that pass no deadline. */
  maxWaitMs?: number;
  /** Poll interval while the ledger waits for an answer in flight. */
  pollMs?: number;
}

export class SharedQuotaGate {
  private readonly clock: Clock;
  private readonly maxWaitMs: number;
  private readonly pollMs: number;

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

  async acquire(options: AcquireOptions = {}): Promise<Permit> {
    const deadline = options.deadline ?? this.clock.now() + this.maxWaitMs;
    for (;;) {
      options.signal?.throwIfAborted();
      const now = this.clock.now();
      const take = await this.ledger.tryTake(now);
      if (take.granted) return this.permit(take.permitId);
      const wakeAt = take.waitUntil ?? now + this.pollMs;
      if (wakeAt > deadline) throw new RateLimitedError(Math.max(1_000, wakeAt - now));
      // A little jitter so that replicas woken by the same reset do not all ask at once.
      await this.clock.sleep(Math.max(1, wakeAt - now) + Math.random() * this.pollMs, options.signal);
    }
  }

  private permit(permitId: string): Permit {
    let released = false;
    return {
      release: (response?: ResponseInfo) => {
        if (released) return;
        released = true;
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
