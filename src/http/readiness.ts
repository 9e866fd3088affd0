import type { RequestHandler } from "express";
import { AuthenticationError, RateLimitedError, RequestBudgetSpentError, UpstreamUnavailableError } from "../bigcommerce/index.js";
import type { Redis } from "ioredis";
import type { BigCommerceClient } from "../bigcommerce/api.js";

/**
 * GET /readyz: may this replica take traffic? Ready when BigCommerce answers an authenticated
 * call with our credentials and, with REDIS_URL, Redis answers PING. The BigCommerce call
 * (`GET /v3/customers?limit=1`) counts against the store's quota, so its result is cached and
 * concurrent probes share one call. Liveness stays on /healthz.
 *
 * While the store's quota is busy (our own traffic waiting for slots), a replica whose
 * credentials worked a moment ago stays ready: taking it out of the load balancer would not
 * help, and the probe must not wait for quota.
 */
export interface ReadinessOptions {
  client: BigCommerceClient;
  redis?: Redis;
  /** How long a successful BigCommerce check is reused. */
  cacheMs?: number;
  /** Bound on the BigCommerce check (probes have short timeouts). */
  timeoutMs?: number;
  /** A quota-busy check still counts as ready this long after the last success. */
  busyGraceMs?: number;
  now?: () => number;
}

type Check = { ok: true } | { ok: false; reason: string };

export class Readiness {
  private lastSuccessAt = Number.NEGATIVE_INFINITY;
  private lastFailure: { at: number; check: Check } | undefined;
  private inFlight: Promise<Check> | undefined;
  private readonly cacheMs: number;
  private readonly failureCacheMs: number;
  private readonly timeoutMs: number;
  private readonly busyGraceMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ReadinessOptions) {
    this.cacheMs = options.cacheMs ?? 10_000;
    this.failureCacheMs = Math.min(2_000, this.cacheMs);
    this.timeoutMs = options.timeoutMs ?? 3_000;
    this.busyGraceMs = options.busyGraceMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  readonly handler: RequestHandler = (_req, res, next) => {
    this.check().then((result) => {
      res.status(result.ready ? 200 : 503).json(result);
    }, next);
  };

  async check(): Promise<{ ready: boolean; checks: Record<string, string>; reason?: string }> {
    const [bigcommerce, redis] = await Promise.all([this.bigcommerce(), this.redis()]);
    const checks: Record<string, string> = { bigcommerce: bigcommerce.ok ? "ok" : "failing" };
    if (redis) checks.redis = redis.ok ? "ok" : "failing";
    const failed = [bigcommerce, redis].find((c): c is { ok: false; reason: string } => c !== undefined && !c.ok);
    return failed ? { ready: false, checks, reason: failed.reason } : { ready: true, checks };
  }

  private async redis(): Promise<Check | undefined> {
    const redis = this.options.redis;
    if (!redis) return undefined;
    try {
      await redis.ping(); // bounded by the connection's command timeout
      return { ok: true };
    } catch {
      return { ok: false, reason: "Redis is not answering" };
    }
  }

  private bigcommerce(): Promise<Check> {
    const now = this.now();
    if (now - this.lastSuccessAt < this.cacheMs) return Promise.resolve({ ok: true });
    if (this.lastFailure && now - this.lastFailure.at < this.failureCacheMs) return Promise.resolve(this.lastFailure.check);
    this.inFlight ??= this.callBigCommerce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async callBigCommerce(): Promise<Check> {
    let check: Check;
    try {
      await this.options.client.customers.list({ limit: 1 }, AbortSignal.timeout(this.timeoutMs));
      this.lastSuccessAt = this.now();
      this.lastFailure = undefined;
      return { ok: true };
    } catch (error) {
      check = { ok: false, reason: reasonOf(error) };
      const busy = error instanceof RateLimitedError || error instanceof RequestBudgetSpentError || (error as { name?: unknown }).name === "TimeoutError";
      if (busy && this.now() - this.lastSuccessAt < this.busyGraceMs) return { ok: true };
    }
    this.lastFailure = { at: this.now(), check };
    return check;
  }
}

/** A reason for operators, from the error's stable code only (never an upstream message). */
export function reasonOf(error: unknown): string {
  if (error instanceof AuthenticationError) return "BigCommerce rejected the API credentials";
  if (error instanceof RateLimitedError) return "the store's API quota is used up";
  if (error instanceof RequestBudgetSpentError) return "BigCommerce is slow: its calls in flight took every slot";
  if (error instanceof UpstreamUnavailableError) return "BigCommerce is not answering";
  if ((error as { name?: unknown }).name === "TimeoutError") return "BigCommerce did not answer in time";
  return "BigCommerce answered unexpectedly";
}
