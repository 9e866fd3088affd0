/**
 * RateGovernor: one per store, so that the bridge's own traffic never collects a 429.
 *
 * The store's budget and the rules for spending it (headers, windows, the reserve, 429s,
 * pacing) are QuotaBudget's (quota-budget.ts). The governor adds what needs time: a FIFO queue
 * of callers, each with a deadline and an optional abort signal, and one timer that wakes the
 * queue at the next change the budget can foresee.
 *
 * Callers pass a deadline; a caller whose turn would come later than its deadline is rejected
 * at once with RateLimitedError and an estimate of when to retry, so a SCIM request never waits
 * for budget longer than its bound (IdPs time out at 60 s).
 *
 * When callers wait, the next permit goes to the one whose call carries the most work, ties to
 * the oldest, no one passed over more than twice (SlotQueue, slot-queue.ts). Time comes from an
 * injected Clock so the decisions are unit-tested with a fake clock. Where this wait sits among
 * everything a SCIM request waits for: batch-lane.ts, "the waiting rules".
 */
import { systemClock, type Clock } from "./clock.js";
import { UPSTREAM_DEFAULTS } from "./defaults.js";
import { RateLimitedError, UpstreamUnavailableError } from "./errors.js";
import { QuotaBudget, type BudgetState, type QuotaBudgetOptions, type ResponseInfo } from "./quota-budget.js";
import { SlotQueue } from "./slot-queue.js";

// The budget's facts, re-exported where the client and the shared state have always found them.
export { UNLIMITED_AFTER, type ResponseInfo } from "./quota-budget.js";

export interface RateGovernorOptions extends QuotaBudgetOptions {
  clock?: Clock;
  /** Wait bound for acquire() calls that pass no deadline. */
  maxWaitMs?: number;
}

export interface AcquireOptions {
  /** Absolute time (clock ms) by which the permit must be granted. */
  deadline?: number;
  signal?: AbortSignal;
  /**
   * How full the caller's call would be if the permit came now (0 to 1; a batch queue's fill).
   * Asked when a permit is handed out; without it the caller counts as a full call.
   */
  fill?: () => number;
}

export interface Permit {
  /**
   * Granted while pacing holds the bridge back: the holder may keep the slot this long to fill
   * its call before sending, at no cost to the quota (pacing.ts fillWindowMs). 0 or absent: send now.
   */
  readonly fillForMs?: number;
  /** The request was sent (or tried): learn from its answer, if any, and free the slot. */
  release(response?: ResponseInfo): void;
  /**
   * The permit was never used for a request (a batch queue was granted a slot and found
   * nothing left to send): free the slot without counting it as spent. No-op after release.
   */
  giveBack(): void;
}

/**
 * What a batch lane holds when it cuts a batch: the endpoint's concurrency slot (taken first,
 * concurrency.ts) and, with a permit source, the rate permit (taken second). The transport uses
 * both for the call's first attempt; whatever it did not use goes back when the batch ends.
 */
export interface Grant {
  /** Frees the endpoint's concurrency slot (idempotent). */
  slot: () => void;
  permit?: Permit;
}

/** Where a batch queue gets its request slots: the governor, or anything with its acquire(). */
export interface PermitSource {
  acquire(options?: AcquireOptions): Promise<Permit>;
  /**
   * How long requests to the store are held back after a 429, as this source knows it (the
   * Retry-After of a 429 the caller cannot wait out). Absent: the governor's own view.
   */
  blockedForMs?(): number;
}

export interface GovernorState extends BudgetState {
  waiting: number;
}

interface Waiter {
  deadline: number;
  resolve: (permit: Permit) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  fill?: () => number;
}

export class RateGovernor {
  private readonly clock: Clock;
  private readonly maxWaitMs: number;
  private readonly budget: QuotaBudget;
  private readonly waiters = new SlotQueue<Waiter>();
  private timer: { at: number; abort: AbortController } | undefined;
  private closed = false;

  constructor(options: RateGovernorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxWaitMs = options.maxWaitMs ?? UPSTREAM_DEFAULTS.maxWaitMs;
    this.budget = new QuotaBudget(options, this.clock.now());
  }

  acquire(options: AcquireOptions = {}): Promise<Permit> {
    if (this.closed) return Promise.reject(new UpstreamUnavailableError("BigCommerce client is closed"));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.clock.now();
    const deadline = options.deadline ?? now + this.maxWaitMs;
    if (now > deadline) {
      // The caller's bound has already passed: it has given up, so nothing may be sent for it.
      const eta = this.budget.estimateGrantTime(now, this.waiters.length);
      return Promise.reject(
        new RateLimitedError(Math.max(1000, eta - now), "the caller's wait bound passed before a permit was asked for"),
      );
    }
    if (this.waiters.length === 0) {
      const take = this.budget.take(now);
      if (take.granted) return Promise.resolve(this.newPermit(take.windowProbe, take.fillForMs));
    }

    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { deadline, resolve, reject, signal, onAbort: undefined, ...(options.fill ? { fill: options.fill } : {}) };
      if (signal) {
        waiter.onAbort = () => {
          this.waiters.remove(waiter);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiters.add(waiter);
      this.pump();
    });
  }

  state(): GovernorState {
    return { ...this.budget.state(), waiting: this.waiters.length };
  }

  /** How long requests are held back after a 429 (PermitSource.blockedForMs; 0: not blocked). */
  blockedForMs(): number {
    return Math.max(0, this.budget.state().blockedUntil - this.clock.now());
  }

  /** Rejects every waiter and stops the timer. */
  close(): void {
    this.closed = true;
    this.cancelTimer();
    for (const w of this.waiters.drain()) {
      this.detach(w);
      w.reject(new UpstreamUnavailableError("BigCommerce client is closed"));
    }
  }

  private newPermit(windowProbe: boolean, fillForMs: number): Permit {
    let released = false;
    return {
      fillForMs,
      release: (response?: ResponseInfo) => {
        if (released) return;
        released = true;
        this.budget.release(this.clock.now(), response, windowProbe);
        this.pump();
      },
      giveBack: () => {
        if (released) return;
        released = true;
        this.budget.giveBack(windowProbe);
        this.pump();
      },
    };
  }

  private detach(waiter: Waiter): void {
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
  }

  /** Grants what can be granted, rejects who cannot be served in time, sets the next wake-up. */
  private pump(): void {
    if (this.closed) return;
    const now = this.clock.now();
    let wakeAt: number | undefined;
    while (this.waiters.length > 0) {
      const take = this.budget.take(now);
      if (!take.granted) {
        wakeAt = take.wakeAt;
        break;
      }
      const next = this.waiters.takeNext() as Waiter;
      this.detach(next);
      next.resolve(this.newPermit(take.windowProbe, take.fillForMs));
    }

    // Refuse whoever cannot be served in time even in the worst case of the queue's order
    // (everyone refused moves those behind it one place up).
    let refused = 0;
    for (const { waiter, slotsAhead } of this.waiters.withSlotsAhead()) {
      const eta = this.budget.estimateGrantTime(now, slotsAhead - refused);
      if (eta > waiter.deadline || now >= waiter.deadline) {
        this.waiters.remove(waiter);
        this.detach(waiter);
        waiter.reject(new RateLimitedError(Math.max(1, Math.ceil(eta - now))));
        refused += 1;
      }
    }

    if (this.waiters.length === 0) {
      this.cancelTimer();
      return;
    }
    // Wake at the next state change we can foresee, or at the first deadline to reject on time.
    let next = Math.min(...this.waiters.all().map((waiter) => waiter.deadline));
    if (wakeAt !== undefined) next = Math.min(next, wakeAt);
    this.schedule(next);
  }

  private cancelTimer(): void {
    this.timer?.abort.abort();
    this.timer = undefined;
  }

  private schedule(at: number): void {
    if (this.timer && this.timer.at === at) return;
    this.cancelTimer();
    const abort = new AbortController();
    this.timer = { at, abort };
    const delay = Math.max(0, at - this.clock.now());
    this.clock.sleep(delay, abort.signal).then(
      () => {
        if (this.timer?.abort === abort) this.timer = undefined;
        this.pump();
      },
      () => {
        /* cancelled: a newer schedule replaced this one */
      },
    );
  }
}
