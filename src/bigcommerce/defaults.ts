/**
 * The client's tunable defaults, in one place: config.ts (environment), client.ts, the governor,
 * the batcher and the shared quota gate all read them from here, so they cannot drift apart.
 */
export const UPSTREAM_DEFAULTS = Object.freeze({
  /** Bound on one HTTP exchange (headers and body). */
  requestTimeoutMs: 15_000,
  /**
   * Longest a call waits for rate budget, concurrency slots and backoff. Long enough to ride out
   * one exhausted 30 s quota window (so the IdP sees no 429 in a steady bulk load), short enough
   * that wait + one request timeout stays under the IdPs' 60 s.
   */
  maxWaitMs: 32_000,
  /** Requests per window left for other apps sharing the store's quota. */
  reserve: 0,
  /**
   * Share of the window's quota that may go in one burst; the rest is paced at the quota's own
   * rate (pacing.ts). 0.1 of BigCommerce's 150 per 30 s: 15 calls at once, then one per 200 ms.
   * An idle bridge sends at once; a busy one fills its calls (measured by npm run bench: docs/benchmarks.md).
   */
  paceBurstShare: 0.1,
  /** How long the write batcher collects concurrent creates/updates in an idle lane. */
  batchWindowMs: 2,
  /** Upstream connections in the pool. */
  connections: 16,
});

/**
 * After an update timed out (it may still land), later updates of that customer wait this long:
 * twice the request timeout, as the server may start on the write as late as our timeout.
 */
export function defaultLateWriteGraceMs(requestTimeoutMs: number): number {
  return 2 * requestTimeoutMs;
}
