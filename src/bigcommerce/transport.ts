/**
 * The one road every BigCommerce call takes:
 *   concurrency cap → rate permit → HTTP exchange → retry decision → typed error or parsed body.
 *
 * The order matters: a request waits for its endpoint's concurrency slot before it asks the
 * governor for a permit, so permits are never held by requests that are not about to be sent.
 * Every wait (slot, permit, backoff) is bounded by one deadline per call, so a caller never
 * waits longer than `maxWaitMs` plus the time of the exchange itself.
 */
import type { Logger } from "pino";
import type { z } from "zod";
import type { Clock } from "./clock.js";
import type { ConcurrencyLimiter } from "./concurrency.js";
import { errorFromResponse } from "./error-mapping.js";
import {
  BigCommerceError,
  RateLimitedError,
  UnexpectedResponseError,
  UpstreamUnavailableError,
} from "./errors.js";
import type { RateGovernor } from "./governor.js";
import { assertSafeRequest, type HttpClient, type HttpResponse } from "./http.js";
import type { QueryInput } from "./query.js";
import type { ResponseHeaders } from "./rate-headers.js";
import { decideRetry, type HttpMethod, type RetryPolicy } from "./retry-policy.js";

export interface CallSpec<T> {
  method: HttpMethod;
  api: "v2" | "v3";
  path: string;
  query?: QueryInput;
  body?: unknown;
  /** Turns a 2xx (or accepted) answer into the result; throw to reject the body. */
  parse: (response: HttpResponse) => T;
  /** Non-2xx statuses that are answers rather than errors (e.g. 404 for "get by id"). */
  accept?: readonly number[];
  /** Absolute clock time by which any waiting must be over (default: now + maxWaitMs). */
  deadline?: number;
  signal?: AbortSignal;
}

/** One upstream exchange, as reported to `onCall` and counted in stats. */
export interface CallRecord {
  method: HttpMethod;
  /** Endpoint with ids folded, e.g. `/v2/customer_groups/{id}`. */
  endpoint: string;
  status: number | undefined;
  errorCode: string | undefined;
  ms: number;
  attempt: number;
}

export interface TransportStats {
  /** Upstream requests sent (every attempt counts). */
  calls: number;
  /** Per `"METHOD /vN/path"`. */
  byEndpoint: Record<string, number>;
  /** Per HTTP status; `"network"` for exchanges that got no response. */
  byStatus: Record<string, number>;
  /** Attempts that were retries. */
  retries: number;
}

export interface TransportOptions {
  http: HttpClient;
  governor: RateGovernor;
  limiter: ConcurrencyLimiter;
  policy: RetryPolicy;
  clock: Clock;
  maxWaitMs: number;
  logger?: Logger;
  random?: () => number;
  onCall?: (record: CallRecord) => void;
}

function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export function foldIds(path: string): string {
  return path.replace(/\/\d+(?=\/|$)/g, "/{id}");
}

/** A parse helper: validate a JSON body with a zod schema (UnexpectedResponseError otherwise). */
export function jsonBody<S extends z.ZodType>(schema: S, what: string): (response: HttpResponse) => z.output<S> {
  return (response) => {
    if (response.invalidJson) throw new UnexpectedResponseError(`${what}: response is not JSON`, { status: response.status });
    const result = schema.safeParse(response.body);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid";
      throw new UnexpectedResponseError(`${what}: response failed validation (${where})`, {
        status: response.status,
        cause: result.error,
      });
    }
    return result.data;
  };
}

export class Transport {
  private readonly counters: TransportStats = { calls: 0, byEndpoint: {}, byStatus: {}, retries: 0 };

  constructor(private readonly options: TransportOptions) {}

  stats(): TransportStats {
    return {
      calls: this.counters.calls,
      byEndpoint: { ...this.counters.byEndpoint },
      byStatus: { ...this.counters.byStatus },
      retries: this.counters.retries,
    };
  }

  async call<T>(spec: CallSpec<T>): Promise<T> {
    const { clock, http, governor, policy } = this.options;
    const deadline = spec.deadline ?? clock.now() + this.options.maxWaitMs;
    const endpoint = `/${spec.api}${foldIds(spec.path)}`;
    const where = `${spec.method} ${endpoint}`;
    // Refuse an unsafe request or query (InvalidQueryError) before any waiting or I/O.
    assertSafeRequest(spec);
    http.pathFor(spec);

    for (let attempt = 1; ; attempt += 1) {
      let response: HttpResponse | undefined;
      let failure: unknown;
      const releaseSlot = await this.acquireSlot(spec, deadline);
      try {
        const permit = await governor.acquire({ deadline, ...(spec.signal ? { signal: spec.signal } : {}) });
        const started = performance.now();
        try {
          response = await http.send(spec);
        } catch (error) {
          failure = error;
        } finally {
          permit.release(response ? { status: response.status, headers: response.headers } : undefined);
          this.record(spec.method, endpoint, response, failure, performance.now() - started, attempt);
        }
      } finally {
        releaseSlot();
      }

      if (failure !== undefined) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (failure instanceof BigCommerceError) throw failure;
      }
      if (response && ((response.status >= 200 && response.status < 300) || spec.accept?.includes(response.status))) {
        return spec.parse(response);
      }

      const errorCode = failure !== undefined ? (errorCodeOf(failure) ?? "UNKNOWN") : undefined;
      const decision = decideRetry(policy, {
        method: spec.method,
        attempt,
        ...(response ? { status: response.status, headers: response.headers } : {}),
        ...(errorCode ? { errorCode } : {}),
        random: (this.options.random ?? Math.random)(),
      });
      if (!decision.retry) throw this.toError(spec, where, response, failure, undefined);
      const retryAfterMs = response?.status === 429 ? this.blockedForMs() : decision.delayMs;
      if (clock.now() + retryAfterMs > deadline) throw this.toError(spec, where, response, failure, retryAfterMs);
      this.counters.retries += 1;
      // After a 429 the governor holds every request to the store back; no extra sleep here.
      if (decision.reason !== "rate-limited") await clock.sleep(decision.delayMs, spec.signal);
    }
  }

  private blockedForMs(): number {
    return Math.max(0, this.options.governor.state().blockedUntil - this.options.clock.now());
  }

  /** Waits for the endpoint's concurrency slot, but not past the deadline. */
  private async acquireSlot(spec: CallSpec<unknown>, deadline: number): Promise<() => void> {
    const { clock, limiter } = this.options;
    const expired = new AbortController();
    const stopTimer = new AbortController();
    clock.sleep(Math.max(0, deadline - clock.now()), stopTimer.signal).then(
      () => expired.abort(new RateLimitedError(1000, `too many concurrent requests to ${spec.method} ${spec.path}`)),
      () => {},
    );
    const signal = spec.signal ? AbortSignal.any([spec.signal, expired.signal]) : expired.signal;
    try {
      return await limiter.acquire(spec.method, spec.api, spec.path, signal);
    } finally {
      stopTimer.abort();
    }
  }

  private toError(
    spec: CallSpec<unknown>,
    where: string,
    response: HttpResponse | undefined,
    failure: unknown,
    retryAfterMs: number | undefined,
  ): Error {
    if (response) {
      let wait = retryAfterMs;
      if (response.status === 429) wait = Math.max(wait ?? 0, this.blockedForMs(), 1);
      return errorFromResponse(response.status, response.body, {
        method: spec.method,
        path: where.slice(spec.method.length + 1),
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      });
    }
    const code = errorCodeOf(failure) ?? "UNKNOWN";
    const details: { cause: unknown; retryAfterMs?: number } = { cause: failure };
    if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
    return new UpstreamUnavailableError(`no answer from BigCommerce on ${where} (${code})`, details);
  }

  private record(
    method: HttpMethod,
    endpoint: string,
    response: HttpResponse | undefined,
    failure: unknown,
    ms: number,
    attempt: number,
  ): void {
    const key = `${method} ${endpoint}`;
    this.counters.calls += 1;
    this.counters.byEndpoint[key] = (this.counters.byEndpoint[key] ?? 0) + 1;
    const statusKey = response ? String(response.status) : "network";
    this.counters.byStatus[statusKey] = (this.counters.byStatus[statusKey] ?? 0) + 1;
    const record: CallRecord = {
      method,
      endpoint,
      status: response?.status,
      errorCode: failure !== undefined ? errorCodeOf(failure) : undefined,
      ms: Math.round(ms),
      attempt,
    };
    // Folded path only: no query string (emails), no headers (token), no body (passwords).
    this.options.logger?.debug(
      { method, path: endpoint, status: record.status, ms: record.ms, attempt, errorCode: record.errorCode },
      "bigcommerce call",
    );
    this.options.onCall?.(record);
  }
}

export type { ResponseHeaders };
