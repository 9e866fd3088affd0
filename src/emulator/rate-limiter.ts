/**
 * BigCommerce's two throttles, per store: a request quota refreshed every window (150 per
 * 30 s on Standard/Plus), announced in four X-Rate-Limit-* headers on every response, and
 * per-endpoint caps on requests in flight (PUT customers: 3, POST addresses: 10, V2 customer
 * groups: 40, ...). Both answer 429; neither lets the request reach a handler.
 */

export interface RateSnapshot {
  windowMs: number;
  resetMs: number;
  quota: number;
  left: number;
}

interface Window {
  start: number;
  used: number;
}

export function rateHeaders(snapshot: RateSnapshot): Record<string, string> {
  return {
    "X-Rate-Limit-Time-Window-Ms": String(snapshot.windowMs),
    "X-Rate-Limit-Time-Reset-Ms": String(snapshot.resetMs),
    "X-Rate-Limit-Requests-Quota": String(snapshot.quota),
    "X-Rate-Limit-Requests-Left": String(snapshot.left),
  };
}

/** Seconds a client should wait after a quota 429 (BigCommerce's X-Retry-After is in seconds). */
export function retryAfterSeconds(snapshot: RateSnapshot): number {
  return Math.max(1, Math.ceil(snapshot.resetMs / 1000));
}

/** The documented concurrency caps, keyed by method and store-relative path. */
export function concurrencyCap(method: string, path: string): { key: string; limit: number } | undefined {
  const p = path.replace(/\/+$/, "");
  if (/^\/v2\/customer_groups(\/|$)/.test(p)) return { key: "v2 customer_groups", limit: 40 };
  const key = `${method} ${p}`;
  const caps: Record<string, number> = {
    "PUT /v3/customers": 3,
    "POST /v3/customers/attributes": 3,
    "PUT /v3/customers/attributes": 3,
    "PUT /v3/customers/attribute-values": 3,
    "PUT /v3/customers/addresses": 3,
    "POST /v3/customers/addresses": 10,
  };
  const limit = caps[key];
  return limit === undefined ? undefined : { key, limit };
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly settings: () => { rateQuota: number; rateWindowMs: number },
    private readonly clock: () => number = Date.now,
  ) {}

  private window(store: string): Window {
    const now = this.clock();
    const { rateWindowMs } = this.settings();
    let current = this.windows.get(store);
    if (current === undefined || now >= current.start + rateWindowMs) {
      current = { start: now, used: 0 };
      this.windows.set(store, current);
    }
    return current;
  }

  private snapshot(current: Window): RateSnapshot {
    const { rateQuota, rateWindowMs } = this.settings();
    return {
      windowMs: rateWindowMs,
      resetMs: Math.max(0, current.start + rateWindowMs - this.clock()),
      quota: rateQuota,
      left: Math.max(0, rateQuota - current.used),
    };
  }

  /** Counts one request against the store's quota, unless the quota is spent. */
  consume(store: string): { allowed: boolean; snapshot: RateSnapshot } {
    const current = this.window(store);
    if (current.used >= this.settings().rateQuota) return { allowed: false, snapshot: this.snapshot(current) };
    current.used += 1;
    return { allowed: true, snapshot: this.snapshot(current) };
  }

  /** The store's state without spending anything (for 401s and injected faults). */
  peek(store: string): RateSnapshot {
    return this.snapshot(this.window(store));
  }

  /** Takes a concurrency slot; false when the endpoint already has `limit` requests in flight. */
  acquire(store: string, key: string, limit: number): boolean {
    const slot = `${store} ${key}`;
    const busy = this.inFlight.get(slot) ?? 0;
    if (busy >= limit) return false;
    this.inFlight.set(slot, busy + 1);
    return true;
  }

  release(store: string, key: string): void {
    const slot = `${store} ${key}`;
    const busy = (this.inFlight.get(slot) ?? 1) - 1;
    if (busy <= 0) this.inFlight.delete(slot);
    else this.inFlight.set(slot, busy);
  }

  /** Forgets every window (in-flight counts stay: those requests are still running). */
  reset(): void {
    this.windows.clear();
  }
}
