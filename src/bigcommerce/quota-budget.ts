/**
 * QuotaBudget: everything one process knows about a store's request budget, and the rules for
 * spending it. Pure and clock-free: every method that depends on time takes `now` (clock ms),
 * so the rules are tested as plain arithmetic; RateGovernor (governor.ts) puts a waiter queue
 * and one timer over it.
 *
 * BigCommerce gives each store a request quota per window, shared by every app on the store,
 * and announces the state on every response (X-Rate-Limit-Requests-Left / -Quota /
 * -Time-Reset-Ms / -Time-Window-Ms). A request may start when what is left in the window, minus
 * our requests in flight (they will be counted, and may not be reflected yet), minus a `reserve`
 * kept for other apps, is positive, and pacing (pacing.ts) does not hold it back. Before the
 * first response nothing is known, so one request at a time goes to learn (or a configured
 * quota is assumed, and its first request probes the real one).
 *
 * A 429 stops every request until max(X-Retry-After, Reset-Ms), or backs off exponentially when
 * it carries no headers (platform load shedding). A 429 that reports requests left and no
 * X-Retry-After is a per-endpoint concurrency cap, left to the transport.
 *
 * KEEP IN STEP: src/shared-state/redis-quota-ledger.ts mirrors these rules in Lua for replicas
 * sharing one store (it cannot call this code). A change of rule here needs the same change
 * there, and the other way round.
 */
import { fillWindowMs, nextPacedSlot, type PacingInput } from "./pacing.js";
import { DEFAULT_BARE_429 } from "./retry-policy.js";
import {
  isConcurrencyLimited429,
  parseRateHeaders,
  waitAfter429,
  type BackoffBounds,
  type ResponseHeaders,
} from "./rate-headers.js";

export interface QuotaBudgetOptions {
  /** Requests per window left untouched for other apps sharing the store's quota. */
  reserve?: number;
  /** Quota to assume before the first response (otherwise a single probe request goes first). */
  assumedQuota?: number;
  /** Window to assume until the headers tell (BigCommerce: 30 s). */
  assumedWindowMs?: number;
  /** Backoff for 429s without rate headers. */
  bare429?: BackoffBounds;
  /**
   * Share of the quota that may go in one burst; the rest is paced at the quota's own rate
   * (pacing.ts). Absent: no pacing (every permit the budget allows is granted at once).
   */
  paceBurstShare?: number;
}

/** What the request that held a permit learned; omit when no response arrived. */
export interface ResponseInfo {
  status: number;
  headers: ResponseHeaders;
}

/**
 * A request may go now (`windowProbe`: it is the one whose answer reads a rolled window's real
 * budget), or not before `wakeAt`; `wakeAt` undefined: not before a request in flight answers.
 */
/** fillForMs: how long the slot may be held to fill its call (pacing.ts fillWindowMs; 0 = send now). */
export type Take = { granted: true; windowProbe: boolean; fillForMs: number } | { granted: false; wakeAt: number | undefined };

export interface BudgetState {
  learned: boolean;
  unlimited: boolean;
  quota: number | undefined;
  left: number | undefined;
  windowMs: number;
  resetAt: number | undefined;
  inFlight: number;
  blockedUntil: number;
}

/** Consecutive header-less successes before the budget stops pacing (the store announces none). */
export const UNLIMITED_AFTER = 3;

export class QuotaBudget {
  private readonly reserve: number;
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

  /** `now` starts the assumed window, when a quota is assumed. */
  constructor(options: QuotaBudgetOptions, now: number) {
    this.reserve = Math.max(0, Math.floor(options.reserve ?? 0));
    this.bare429 = options.bare429 ?? DEFAULT_BARE_429;
    this.windowMs = options.assumedWindowMs ?? 30_000;
    this.paceBurstShare = options.paceBurstShare;
    if (options.assumedQuota !== undefined && options.assumedQuota > 0) {
      this.learned = true;
      this.quota = Math.floor(options.assumedQuota);
      this.left = this.quota;
      this.resetAt = now + this.windowMs;
      // The assumed quota is a guess (other apps may have spent the window already): the first
      // request goes alone, and its answer's headers replace the guess before a burst follows.
      this.windowProbePending = true;
    }
  }

  state(): BudgetState {
    return {
      learned: this.learned,
      unlimited: this.unlimited,
      quota: this.quota,
      left: this.left,
      windowMs: this.windowMs,
      resetAt: this.resetAt,
      inFlight: this.inFlight,
      blockedUntil: this.blockedUntil,
    };
  }

  /** Takes one request slot if the budget allows it at `now` (the slot counts as in flight). */
  take(now: number): Take {
    if (now < this.blockedUntil) return { granted: false, wakeAt: this.blockedUntil };
    if (!this.learned) {
      // Nothing known yet: one probe request at a time until a response teaches us the budget.
      if (this.inFlight === 0) return this.grant(false);
      return { granted: false, wakeAt: undefined };
    }
    if (this.unlimited) return this.grant(false);
    this.rollWindowIfDue(now);
    const available = (this.left ?? 0) - this.inFlight - this.effectiveReserve();
    if (available <= 0) return { granted: false, wakeAt: this.resetAt };
    const paced = this.pacedSlot(now, 0);
    if (paced !== undefined) return { granted: false, wakeAt: paced };
    if (this.windowProbePending) {
      if (this.windowProbeInFlight) return { granted: false, wakeAt: undefined };
      this.windowProbeInFlight = true;
      return this.grant(true);
    }
    return this.grant(false, this.fillWindow(now));
  }

  /**
   * The request of a taken slot was sent (or tried): free the slot and learn from its answer,
   * if any. Freeing does not give budget back: only the server's count says what is left.
   */
  release(now: number, response: ResponseInfo | undefined, wasProbe: boolean): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (wasProbe) {
      // Whatever the probe learned (or not), the window is known as well as it will be.
      this.windowProbeInFlight = false;
      this.windowProbePending = false;
    }
    this.learn(now, response);
  }

  /** A taken slot was never used for a request: free it without counting it as spent. */
  giveBack(wasProbe: boolean): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    // An unused probe taught nothing: the next request probes the window instead.
    if (wasProbe) this.windowProbeInFlight = false;
  }

  /**
   * When would the request at queue position `k` (0 = next) get its slot, if nothing else
   * changes? Used to refuse callers whose bound cannot be met. Does not roll the window.
   */
  estimateGrantTime(now: number, k: number): number {
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
      const paced = start < (this.resetAt ?? 0) ? this.pacedSlot(start, k) : undefined;
      return paced !== undefined ? Math.max(start, paced) : start;
    }
    const perWindow = Math.max(1, this.quota - reserve);
    const j = k - available;
    const windowStart = windowEnd + Math.floor(j / perWindow) * this.windowMs;
    if (this.paceBurstShare === undefined) return windowStart;
    // With pacing, a later window spends its burst at once and the rest one slot at a time:
    // the same rule, for a fresh window with this many requests ahead in it.
    const fresh = { now: windowStart, quota: this.quota, left: this.quota, inFlight: 0, reserve, resetAt: windowStart + this.windowMs, windowMs: this.windowMs, burstShare: this.paceBurstShare };
    return nextPacedSlot(fresh, j % perWindow) ?? windowStart;
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

  /** With pacing: when the next slot (or the one `ahead` places later) may go, if not now (undefined: now). */
  /** What pacing.ts needs to know, or undefined when the budget does not pace (yet). */
  private pacing(now: number): PacingInput | undefined {
    if (this.paceBurstShare === undefined || this.quota === undefined || this.resetAt === undefined) return undefined;
    return {
      now,
      quota: this.quota,
      left: this.left ?? 0,
      inFlight: this.inFlight,
      reserve: this.effectiveReserve(),
      resetAt: this.resetAt,
      windowMs: this.windowMs,
      burstShare: this.paceBurstShare,
    };
  }

  private pacedSlot(now: number, ahead: number): number | undefined {
    const input = this.pacing(now);
    return input === undefined ? undefined : nextPacedSlot(input, ahead);
  }

  /** Before the grant: how long its holder may wait to fill the call (only while pacing). */
  private fillWindow(now: number): number {
    const input = this.pacing(now);
    return input === undefined ? 0 : fillWindowMs(input);
  }

  private grant(windowProbe: boolean, fillForMs = 0): Take {
    this.inFlight += 1;
    return { granted: true, windowProbe, fillForMs };
  }

  private learn(now: number, response: ResponseInfo | undefined): void {
    const rate = response ? parseRateHeaders(response.headers) : {};

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

    if (rate.left !== undefined && rate.resetMs !== undefined) {
      this.headerless2xx = 0;
      this.adoptHeaders(now, rate.left, rate.resetMs, rate.quota, rate.windowMs);
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
}
