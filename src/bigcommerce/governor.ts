/**
 * RateGovernor: one per store, so that the bridge's own traffic never collects a 429.
 *
 * BigCommerce gives each store a request quota per window, shared by every app on the store,
 * and announces the state on every response (X-Rate-Limit-Requests-Left / -Quota /
 * -Time-Reset-Ms / -Time-Window-Ms). The governor learns from those headers and hands out
 * permits: a request may start when what is left in the window, minus the requests we already
 * have in flight (they will be counted, and may not be reflected yet), minus a `reserve` kept
 * for other apps, is positive. When the window's budget is spent it waits for the window to
 * reset. Before the first response it knows nothing, so it lets a single request through to
 * learn (or assumes a configured quota).
 *
 * On a 429 it stops every request to the store until max(X-Retry-After, Reset-Ms), or backs off
 * exponentially when the 429 carries no headers (platform load shedding). A 429 that reports
 * requests left and no X-Retry-After is a per-endpoint concurrency cap: the governor leaves it
 * to the transport, which backs off that endpoint only.
 *
 * Callers pass a deadline; a caller whose turn would come later than its deadline is rejected
 * at once with RateLimitedError and an estimate of when to retry, so a SCIM request never waits
 * for budget longer than its bound (IdPs time out at 60 s).
 *
 * Permits are granted first come, first served. Time comes from an injected Clock so the
 * decisions are unit-tested with a fake clock.
 */
import { systemClock, type Clock } from "./clock.js";
import { UPSTREAM_DEFAULTS } from "./defaults.js";
import { nextPacedSlot } from "./pacing.js";
import { RateLimitedError, UpstreamUnavailableError } from "./errors.js";
import {
  isConcurrencyLimited429,
  parseRateHeaders,
  waitAfter429,
  type BackoffBounds,
  type ResponseHeaders,
} from "./rate-headers.js";

export interface RateGovernorOptions {
  clock?: Clock;
  /** Requests per window left untouched for other apps sharing the store's quota. */
  reserve?: number;
  /** Quota to assume before the first response (otherwise a single probe request goes first). */
  assumedQuota?: number;
  /** Window to assume until the headers tell (BigCommerce: 30 s). */
  assumedWindowMs?: number;
  /** Wait bound for acquire() calls that pass no deadline. */
  maxWaitMs?: number;
  /** Backoff for 429s without rate headers. */
  bare429?: BackoffBounds;
  /**
   * Share of the quota that may go in one burst; the rest is paced at the quota's own rate
   * (pacing.ts). Absent: no pacing (every permit the budget allows is granted at once).
   */
  paceBurstShare?: number;
}

export interface AcquireOptions {
  /** Absolute time (clock ms) by which the permit must be granted. */
  deadline?: number;
  signal?: AbortSignal;
}

/** What the request that held a permit learned; omit when no response arrived. */
export interface ResponseInfo {
  status: number;
  headers: ResponseHeaders;
}

export interface Permit {
  /** The request was sent (or tried): learn from its answer, if any, and free the slot. */
  release(response?: ResponseInfo): void;
  /**
   * The permit was never used for a request (a batch queue was granted a slot and found
   * nothing left to send): free the slot without counting it as spent. No-op after release.
   */
  giveBack(): void;
}

/** Where a batch queue gets its request slots: the governor, or anything with its acquire(). */
export interface PermitSource {
  acquire(options?: AcquireOptions): Promise<Permit>;
}

export interface GovernorState {
  learned: boolean;
  unlimited: boolean;
  quota: number | undefined;
  left: number | undefined;
  windowMs: number;
  resetAt: number | undefined;
  inFlight: number;
  blockedUntil: number;
  waiting: number;
}

interface Waiter {
  deadline: number;
  resolve: (permit: Permit) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

type Take = { granted: true; windowProbe: boolean } | { granted: false; wakeAt: number | undefined };

/** Consecutive header-less successes before the governor stops pacing. */
export const UNLIMITED_AFTER = 3;

export class RateGovernor {
  private readonly clock: Clock;
  private readonly reserve: number;
  private readonly maxWaitMs: number;
  private readonly bare429: BackoffBounds;
  private readonly paceBurstShare: number | undefined;

  private learned = false;
  /**
   * Several successful responses in a row carried no rate headers: this store announces no
   * budget. One such answer is not enough (a proxy or a single odd response may strip them).
   */
  private unlimited = false;
  private headerless2xx = 0;
  private quota: number | undefined;
  private left: number | undefined;
  private windowMs: number;
  private resetAt: number | undefined;
  /** resetAt came from a response header (true) or is our own estimate (false). */
  private resetConfirmed = false;
  /**
   * A window rolled by our own estimate: send one request first and read the new window's real
   * budget from its answer before spending more (another app may have started on it already).
   */
  private windowProbePending = false;
  private windowProbeInFlight = false;
  private inFlight = 0;
  private blockedUntil = 0;
  private bare429s = 0;
  private waiters: Waiter[] = [];
  private timer: { at: number; abort: AbortController } | undefined;
  private closed = false;

  constructor(options: RateGovernorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.reserve = Math.max(0, Math.floor(options.reserve ?? 0));
    this.maxWaitMs = options.maxWaitMs ?? UPSTREAM_DEFAULTS.maxWaitMs;
    this.bare429 = options.bare429 ?? { baseMs: 1000, maxMs: 16_000 };
    this.windowMs = options.assumedWindowMs ?? 30_000;
    this.paceBurstShare = options.paceBurstShare;
    if (options.assumedQuota !== undefined && options.assumedQuota > 0) {
      this.learned = true;
      this.quota = Math.floor(options.assumedQuota);
      this.left = this.quota;
      this.resetAt = this.clock.now() + this.windowMs;
      // The assumed quota is a guess (other apps may have spent the window already): the first
      // request goes alone, and its answer's headers replace the guess before a burst follows.
      this.windowProbePending = true;
    }
  }

  acquire(options: AcquireOptions = {}): Promise<Permit> {
    if (this.closed) return Promise.reject(new UpstreamUnavailableError("BigCommerce client is closed"));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.clock.now();
    const deadline = options.deadline ?? now + this.maxWaitMs;
    if (now > deadline) {
      // The caller's bound has already passed: it has given up, so nothing may be sent for it.
      return Promise.reject(
        new RateLimitedError(Math.max(1000, this.estimateGrantTime(this.waiters.length) - now), "the caller's wait bound passed before a permit was asked for"),
      );
    }
    if (this.waiters.length === 0) {
      const take = this.tryTake();
      if (take.granted) return Promise.resolve(this.newPermit(take.windowProbe));
    }

    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { deadline, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          this.removeWaiter(waiter);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  state(): GovernorState {
    return {
      learned: this.learned,
      unlimited: this.unlimited,
      quota: this.quota,
      left: this.left,
      windowMs: this.windowMs,
      resetAt: this.resetAt,
      inFlight: this.inFlight,
      blockedUntil: this.blockedUntil,
      waiting: this.waiters.length,
    };
  }

  /** Rejects every waiter and stops the timer. */
  close(): void {
    this.closed = true;
    this.windowProbePending = false;
    this.timer?.abort.abort();
    this.timer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      this.detach(w);
      w.reject(new UpstreamUnavailableError("BigCommerce client is closed"));
    }
  }

  private effectiveReserve(): number {
    // A reserve as large as the quota would stop us for good; always keep one request for us.
    return Math.min(this.reserve, Math.max(0, (this.quota ?? 1) - 1));
  }

  private rollWindowIfDue(now: number): void {
    if (this.resetAt !== undefined && now >= this.resetAt && this.quota !== undefined) {
      this.left = this.quota;
      // Our estimate of the next reset; the next response's headers replace it.
      this.resetAt = now + this.windowMs;
      this.resetConfirmed = false;
      this.windowProbePending = true;
    }
  }

  private tryTake(): Take {
    const now = this.clock.now();
    if (now < this.blockedUntil) return { granted: false, wakeAt: this.blockedUntil };
    if (!this.learned) {
      // Nothing known yet: one probe request at a time until a response teaches us the budget.
      if (this.inFlight === 0) return this.grant();
      return { granted: false, wakeAt: undefined };
    }
    if (this.unlimited) return this.grant();
    this.rollWindowIfDue(now);
    const available = (this.left ?? 0) - this.inFlight - this.effectiveReserve();
    if (available <= 0) return { granted: false, wakeAt: this.resetAt };
    const paced = this.nextPacedSlot(now);
    if (paced !== undefined) return { granted: false, wakeAt: paced };
    if (this.windowProbePending) {
      if (this.windowProbeInFlight) return { granted: false, wakeAt: undefined };
      this.windowProbeInFlight = true;
      return this.grant(true);
    }
    return this.grant();
  }

  /** With pacing: when the next permit (or the one `ahead` places later) may go, if not now (undefined: now). */
  private nextPacedSlot(now: number, ahead = 0): number | undefined {
    if (this.paceBurstShare === undefined || this.quota === undefined || this.resetAt === undefined) return undefined;
    return nextPacedSlot({
      now,
      quota: this.quota,
      left: this.left ?? 0,
      inFlight: this.inFlight,
      reserve: this.effectiveReserve(),
      resetAt: this.resetAt,
      windowMs: this.windowMs,
      burstShare: this.paceBurstShare,
    }, ahead);
  }

  private grant(windowProbe = false): Take {
    this.inFlight += 1;
    return { granted: true, windowProbe };
  }

  /**
   * When would the waiter at queue position `k` (0 = next) get its permit, if nothing else
   * changes? Used to reject callers whose bound cannot be met.
   */
  private estimateGrantTime(k: number): number {
    const now = this.clock.now();
    const start = Math.max(now, this.blockedUntil);
    if (!this.learned || this.unlimited || this.quota === undefined) return start;
    const reserve = this.effectiveReserve();
    let windowEnd = this.resetAt ?? start + this.windowMs;
    let available = (this.left ?? 0) - this.inFlight - reserve;
    if (start >= windowEnd) {
      available = this.quota - this.inFlight - reserve;
      windowEnd = start + this.windowMs;
    }
    available = Math.max(0, available);
    if (k < available) {
      // Within this window's budget; pacing may still hold the k-th back (an estimate within
      // the window only: the next one starts with a fresh burst).
      const paced = start < (this.resetAt ?? 0) ? this.nextPacedSlot(start, k) : undefined;
      return paced !== undefined ? Math.max(start, paced) : start;
    }
    const perWindow = Math.max(1, this.quota - reserve);
    return windowEnd + Math.floor((k - available) / perWindow) * this.windowMs;
  }

  private newPermit(windowProbe = false): Permit {
    let released = false;
    return {
      release: (response?: ResponseInfo) => {
        if (released) return;
        released = true;
        this.inFlight = Math.max(0, this.inFlight - 1);
        if (windowProbe) {
          // Whatever the probe learned (or not), the window is known as well as it will be.
          this.windowProbeInFlight = false;
          this.windowProbePending = false;
        }
        this.learn(response);
        this.pump();
      },
      giveBack: () => {
        if (released) return;
        released = true;
        this.inFlight = Math.max(0, this.inFlight - 1);
        // An unused probe taught nothing: the next request probes the window instead.
        if (windowProbe) this.windowProbeInFlight = false;
        this.pump();
      },
    };
  }

  private learn(response: ResponseInfo | undefined): void {
    const now = this.clock.now();
    const rate = response ? parseRateHeaders(response.headers) : {};
    const hasBudget = rate.left !== undefined && rate.resetMs !== undefined;

    if (response?.status === 429 && isConcurrencyLimited429(response.headers)) {
      // A per-endpoint concurrency cap, not the quota: the transport backs off that endpoint
      // only; the rest of the store's traffic goes on.
    } else if (response?.status === 429) {
      const { waitMs, fromHeaders } = waitAfter429(response.headers, this.bare429s + 1, this.bare429);
      this.bare429s = fromHeaders ? 0 : this.bare429s + 1;
      this.blockedUntil = Math.max(this.blockedUntil, now + waitMs);
    } else if (response) {
      this.bare429s = 0;
    }

    if (hasBudget) {
      this.headerless2xx = 0;
      this.adoptHeaders(now, rate.left as number, rate.resetMs as number, rate.quota, rate.windowMs);
      return;
    }
    if (response && response.status >= 200 && response.status < 300 && !this.learned) {
      // A success without any rate headers. Only after UNLIMITED_AFTER of them in a row (sent
      // one at a time) do we conclude that this store (or plan) announces no budget.
      this.headerless2xx += 1;
      if (this.headerless2xx >= UNLIMITED_AFTER) {
        this.learned = true;
        this.unlimited = true;
      }
      return;
    }
    // No usable information about this request: count it as spent, to stay on the safe side.
    if (this.learned && !this.unlimited && this.left !== undefined) this.left = Math.max(0, this.left - 1);
  }

  private adoptHeaders(now: number, left: number, resetMs: number, quota?: number, windowMs?: number): void {
    this.learned = true;
    this.unlimited = false;
    if (windowMs !== undefined) this.windowMs = windowMs;
    this.quota = quota ?? Math.max(this.quota ?? 0, left + 1);
    const newResetAt = now + resetMs;
    const half = this.windowMs / 2;
    if (!this.resetConfirmed || this.resetAt === undefined || this.left === undefined || newResetAt > this.resetAt + half) {
      // A new window (or the first real news after our own estimate).
      this.left = left;
      this.resetAt = newResetAt;
      this.resetConfirmed = true;
    } else if (newResetAt >= this.resetAt - half) {
      // Same window: responses arrive out of order, and what is left only shrinks in a window.
      this.left = Math.min(this.left, left);
      this.resetAt = Math.max(this.resetAt, newResetAt);
    } else {
      // A late answer from an earlier window: it says nothing about this one; count it as spent.
      this.left = Math.max(0, this.left - 1);
    }
  }

  private removeWaiter(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  private detach(waiter: Waiter): void {
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
  }

  /** Grants what can be granted, rejects who cannot be served in time, sets the next wake-up. */
  private pump(): void {
    if (this.closed) return;
    let wakeAt: number | undefined;
    while (this.waiters.length > 0) {
      const take = this.tryTake();
      if (!take.granted) {
        wakeAt = take.wakeAt;
        break;
      }
      const head = this.waiters.shift() as Waiter;
      this.detach(head);
      head.resolve(this.newPermit(take.windowProbe));
    }

    const now = this.clock.now();
    let position = 0;
    for (const waiter of [...this.waiters]) {
      const eta = this.estimateGrantTime(position);
      if (eta > waiter.deadline || now >= waiter.deadline) {
        this.removeWaiter(waiter);
        this.detach(waiter);
        waiter.reject(new RateLimitedError(Math.max(1, Math.ceil(eta - now))));
      } else {
        position += 1;
      }
    }

    if (this.waiters.length === 0) {
      this.cancelTimer();
      return;
    }
    // Wake at the next state change we can foresee, or at the first deadline to reject on time.
    let next = Math.min(...this.waiters.map((w) => w.deadline));
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
