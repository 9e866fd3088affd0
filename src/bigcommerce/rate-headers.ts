/**
 * Reading BigCommerce's rate-limit headers (api-rate-limits.mdx): names are case-insensitive,
 * undici hands them to us lower-cased. Shared by the governor (pacing) and the retry policy
 * (how long a 429 asks us to wait), so both read them the same way.
 */

export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface RateHeaders {
  /** X-Rate-Limit-Requests-Left */
  left?: number;
  /** X-Rate-Limit-Requests-Quota */
  quota?: number;
  /** X-Rate-Limit-Time-Reset-Ms: ms until the current window ends. */
  resetMs?: number;
  /** X-Rate-Limit-Time-Window-Ms */
  windowMs?: number;
  /** X-Retry-After, in seconds on the wire; converted to ms. */
  retryAfterMs?: number;
}

export function headerValue(headers: ResponseHeaders | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const raw = headers[name] ?? headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === "string" ? value.trim() : undefined;
}

function nonNegativeNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export function parseRateHeaders(headers: ResponseHeaders | undefined): RateHeaders {
  const out: RateHeaders = {};
  const left = nonNegativeNumber(headerValue(headers, "x-rate-limit-requests-left"));
  const quota = nonNegativeNumber(headerValue(headers, "x-rate-limit-requests-quota"));
  const resetMs = nonNegativeNumber(headerValue(headers, "x-rate-limit-time-reset-ms"));
  const windowMs = nonNegativeNumber(headerValue(headers, "x-rate-limit-time-window-ms"));
  const retryAfter = nonNegativeNumber(headerValue(headers, "x-retry-after"));
  if (left !== undefined) out.left = Math.floor(left);
  if (quota !== undefined) out.quota = Math.floor(quota);
  if (resetMs !== undefined) out.resetMs = resetMs;
  if (windowMs !== undefined && windowMs > 0) out.windowMs = windowMs;
  if (retryAfter !== undefined) out.retryAfterMs = retryAfter * 1000;
  return out;
}

export interface BackoffBounds {
  baseMs: number;
  maxMs: number;
}

/**
 * How long a 429 tells us to stay away. With headers: the longer of X-Retry-After and
 * X-Rate-Limit-Time-Reset-Ms (BigCommerce's migration guide: "honor the longer of the two").
 * Without any (platform load shedding, or validate-credentials' abuse limiter): capped
 * exponential backoff on the number of header-less 429s seen in a row, because retrying at
 * once is what BigCommerce calls abusive.
 */
export function waitAfter429(
  headers: ResponseHeaders | undefined,
  consecutiveBare429s: number,
  bounds: BackoffBounds,
): { waitMs: number; fromHeaders: boolean } {
  const rate = parseRateHeaders(headers);
  if (rate.retryAfterMs !== undefined || rate.resetMs !== undefined) {
    return { waitMs: Math.max(rate.retryAfterMs ?? 0, rate.resetMs ?? 0), fromHeaders: true };
  }
  const n = Math.max(1, consecutiveBare429s);
  return { waitMs: Math.min(bounds.maxMs, bounds.baseMs * 2 ** (n - 1)), fromHeaders: false };
}

/**
 * A 429 past a per-endpoint concurrency cap (PUT customers: 3 at once, shared with every app
 * on the store), not past the quota: the store still has requests left in the window and
 * BigCommerce sends no X-Retry-After. The right answer is a short backoff for that endpoint,
 * not stopping every request to the store until the window resets.
 */
export function isConcurrencyLimited429(headers: ResponseHeaders | undefined): boolean {
  const rate = parseRateHeaders(headers);
  return rate.retryAfterMs === undefined && rate.left !== undefined && rate.left > 0;
}
