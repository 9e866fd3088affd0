/**
 * Counts events per client address in fixed windows and says when an address has had too many:
 * failed SCIM authentications (src/auth/authenticate.ts) and storefront sign-in starts and
 * callbacks (app.ts), so that strangers can neither guess tokens at line rate nor drive the IdP's
 * token endpoint and the store's quota through /sso.
 *
 * Memory is bounded: at most `maxAddresses` windows are kept. Windows that have ended are dropped
 * first (oldest first, which is the Map's order: a window is re-inserted when it starts again);
 * when every kept window is still running, the oldest is dropped. An attacker rotating addresses
 * therefore cannot grow the table, only push out old entries, which per-address counting cannot
 * stop anyway. IPv6 addresses count per /64, the block one subscriber usually holds.
 *
 * Time comes from `now`, so tests drive the window with a fake clock.
 *
 * This table counts one process's events. With replicas (REDIS_URL) the count of an address is
 * shared instead (src/shared-state/redis-address-throttle.ts), with this table as its fallback.
 */

/**
 * What the per-address limits ask: count one event for this address, and say 0 while it is
 * within the limit, else the milliseconds until its window ends (what Retry-After says).
 */
export interface AddressLimiter {
  hit(address: string): number | Promise<number>;
}

export interface AddressThrottleSettings {
  /** Events per address per window; the next one is over the limit. */
  limit: number;
  windowMs: number;
  maxAddresses: number;
}

interface Window {
  start: number;
  count: number;
}

export class AddressThrottle implements AddressLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly settings: AddressThrottleSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one event for this address. Returns 0 while it is within the limit, else the
   * milliseconds until its window ends (what Retry-After says).
   */
  hit(address: string): number {
    const key = addressKey(address);
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || now - window.start >= this.settings.windowMs) {
      this.windows.delete(key);
      this.makeRoom(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return window.count > this.settings.limit ? window.start + this.settings.windowMs - now : 0;
  }

  /** Addresses with a window kept (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }

  private makeRoom(now: number): void {
    for (const [key, window] of this.windows) {
      if (this.windows.size < this.settings.maxAddresses && now - window.start < this.settings.windowMs) return;
      this.windows.delete(key);
    }
  }
}

/** The counting key of an address: IPv4 as it is (also when IPv4-mapped), IPv6 by its /64. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.split("%")[0]!.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/** Seconds for Retry-After: at least 1. */
export const retryAfterSeconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));
