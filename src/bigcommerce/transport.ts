/**
 * The one road every BigCommerce call takes:
 *   concurrency slot → rate permit → HTTP exchange → retry decision → typed error or parsed body.
 *
 * The order matters: a request waits for its endpoint's concurrency slot before it asks the
 * governor for a permit, so permits are never held by requests that are not about to be sent.
 * A batch lane (batch-lane.ts) takes both, in the same order, before it cuts its batch, and
 * hands them over (`CallSpec.grant`); the waiting rules from a SCIM request to its call are
 * described there.
 * Every wait (slot, permit, backoff) is bounded by one deadline per call, so a caller never
 * waits longer than `maxWaitMs` plus the time of the exchange itself.
 *
 * A write (any method but GET) under a write guard (write-guard.ts) is refused with the guard's
 * error before any waiting, and again after each attempt's permit is granted, right before it
 * is sent: the wait for a permit can outlast the guard (a replica's lock lease).
 */
import { currentCallTally } from "./call-tally.js";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Clock } from "./clock.js";
import type { ConcurrencyLimiter, EndpointSlots } from "./concurrency.js";
import { errorFromResponse } from "./error-mapping.js";
import {
  BigCommerceError,
  OutcomeUnknownError,
  UnexpectedResponseError,
  UpstreamUnavailableError,
} from "./errors.js";
import type { Grant, PermitSource, RateGovernor } from "./governor.js";
import { assertSafeRequest, type HttpClient, type HttpResponse } from "./http.js";
import type { QueryInput } from "./query.js";
import type { ResponseHeaders } from "./rate-headers.js";
import { decideRetry, type HttpMethod, type RetryPolicy } from "./retry-policy.js";
import { currentWriteGuard } from "./write-guard.js";
import { boundedBy, currentDeadline, RequestBudgetSpentError } from "./deadline.js";

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
  /**
   * Statuses that are answers on a resend after an attempt whose outcome is unknown (no answer,
   * or 5xx): e.g. 404 for a DELETE whose first attempt did delete but lost its answer.
   */
  acceptAfterUnknown?: readonly number[];
  /** Absolute clock time by which any waiting must be over (default: now + maxWaitMs). */
  deadline?: number;
  signal?: AbortSignal;
  /**
   * The endpoint slot and rate permit a batch lane took for this call before it cut the batch
   * (it filled the call while it waited for them). Used by the first attempt; retries take their
   * own. Handed back unused if the call fails before it is sent.
   */
  grant?: Grant;
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
  /** Where request slots come from (default: the governor; with replicas, the shared quota gate). */
  permits?: PermitSource;
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
  /** Recent estimates of (BigCommerce's clock − ours), from `Date` response headers. */
  private readonly skewSamples: number[] = [];
  /** Per endpoint bucket: no request before this time (after a concurrency-cap 429). */
  private readonly endpointBlockedUntil = new Map<string, number>();

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
    let prepaid = spec.grant;
    try {
      return await this.callWith(spec, () => {
        const grant = prepaid;
        prepaid = undefined;
        return grant;
      });
    } finally {
      prepaid?.permit?.giveBack();
      prepaid?.slot();
    }
  }

  /** The concurrency slots of the endpoint a request counts against (a batch lane's cap). */
  slotsFor(method: HttpMethod, api: "v2" | "v3", path: string): EndpointSlots {
    return this.options.limiter.slots(method, api, path, this.options.clock);
  }

  private async callWith<T>(spec: CallSpec<T>, takePrepaid: () => Grant | undefined): Promise<T> {
    const { clock, http, governor, policy } = this.options;
    const permits = this.options.permits ?? governor;
    // The SCIM request's deadline (deadline.ts) bounds every wait and every exchange of the call.
    const request = currentDeadline();
    const deadline = boundedBy(spec.deadline ?? clock.now() + this.options.maxWaitMs, request);
    const endpoint = `/${spec.api}${foldIds(spec.path)}`;
    const where = `${spec.method} ${endpoint}`;
    // Refuse an unsafe request or query (InvalidQueryError) before any waiting or I/O.
    assertSafeRequest(spec);
    http.pathFor(spec);
    const guard = spec.method === "GET" ? undefined : currentWriteGuard();
    guard?.check();

    let earlierOutcomeUnknown = false;
    for (let attempt = 1; ; attempt += 1) {
      let response: HttpResponse | undefined;
      let failure: unknown;
      await this.waitForEndpoint(spec, deadline);
      // Slot first, then permit: a permit is never held while waiting for a slot.
      const prepaid = takePrepaid();
      const releaseSlot = prepaid?.slot ?? (await this.slotsFor(spec.method, spec.api, spec.path).acquire(deadline, spec.signal));
      try {
        const permit = prepaid?.permit ?? (await permits.acquire({ deadline, ...(spec.signal ? { signal: spec.signal } : {}) }));
        try {
          guard?.check();
        } catch (refusal) {
          permit.giveBack(); // nothing was sent: the slot is not spent
          throw refusal;
        }
        const left = request === undefined ? undefined : request.at - clock.now();
        if (left !== undefined && left <= 0) {
          permit.giveBack();
          throw new RequestBudgetSpentError(1000);
        }
        const started = performance.now();
        // A write is abandoned the moment its guard (a replica's lease) is lost.
        const lost = guard?.signal;
        const signal = lost && spec.signal ? AbortSignal.any([spec.signal, lost]) : (lost ?? spec.signal);
        try {
          response = await http.send({ ...spec, ...(left === undefined ? {} : { timeoutMs: left }), ...(signal ? { signal } : {}) });
          this.sampleSkew(response);
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
        if (guard?.signal?.aborted) {
          // Abandoned on its way: BigCommerce may have it already, and may still apply it.
          throw new OutcomeUnknownError(`${where} was abandoned when its write guard (a replica's lock lease) was lost; it may still be applied`, {
            cause: guard.signal.reason,
          });
        }
        if (failure instanceof BigCommerceError) throw failure;
      }
      if (response && ((response.status >= 200 && response.status < 300) || spec.accept?.includes(response.status))) {
        return spec.parse(response);
      }
      if (response && earlierOutcomeUnknown && spec.acceptAfterUnknown?.includes(response.status)) {
        return spec.parse(response);
      }
      const errorCode = failure !== undefined ? (errorCodeOf(failure) ?? "UNKNOWN") : undefined;
      // A request that never left (connection refused, DNS) cannot have done anything.
      const neverSent = errorCode !== undefined && policy.notSentErrorCodes.includes(errorCode);
      if ((!response && !neverSent) || (response && response.status >= 500)) earlierOutcomeUnknown = true;

      const decision = decideRetry(policy, {
        method: spec.method,
        attempt,
        ...(response ? { status: response.status, headers: response.headers } : {}),
        ...(errorCode ? { errorCode } : {}),
        random: (this.options.random ?? Math.random)(),
      });
      // A read cut short by the request's deadline: its time is spent, BigCommerce is only slow.
      if (!response && spec.method === "GET" && request && clock.now() >= request.at) throw new RequestBudgetSpentError(1000);
      if (!decision.retry) throw this.toError(spec, where, response, failure, undefined);
      const retryAfterMs = decision.reason === "rate-limited" ? this.blockedForMs() : decision.delayMs;
      if (clock.now() + retryAfterMs > deadline) {
        // Another client holds the endpoint's concurrency cap, with quota to spare: BigCommerce is
        // busy (503, as in waitForEndpoint), not the quota (429, which would tell the IdP to slow down).
        if (decision.reason === "concurrency-limited") {
          throw new RequestBudgetSpentError(retryAfterMs, `BigCommerce's concurrency cap for ${where} answered 429 with quota to spare, and its backoff does not fit the request's time budget`);
        }
        throw this.toError(spec, where, response, failure, retryAfterMs);
      }
      this.counters.retries += 1;
      if (decision.reason === "concurrency-limited") {
        // Another client holds the endpoint's slots: every request to this endpoint waits a
        // little (waitForEndpoint), the rest of the store's traffic goes on.
        const key = this.options.limiter.keyOf(spec.method, spec.api, spec.path);
        const until = clock.now() + decision.delayMs;
        this.endpointBlockedUntil.set(key, Math.max(this.endpointBlockedUntil.get(key) ?? 0, until));
      } else if (decision.reason !== "rate-limited") {
        // After a quota 429 the governor holds every request to the store back; no sleep here.
        await clock.sleep(decision.delayMs, spec.signal);
      }
    }
  }

  /**
   * How far BigCommerce's clock is ahead of ours (negative: behind), from the `Date` headers of
   * recent answers (median of the last few; whole-second resolution, so ±1 s); undefined before
   * any answer carried one.
   */
  clockSkewMs(): number | undefined {
    if (this.skewSamples.length === 0) return undefined;
    const sorted = [...this.skewSamples].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  private sampleSkew(response: HttpResponse): void {
    const raw = response.headers["date"];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value !== "string") return;
    const serverMs = Date.parse(value);
    if (Number.isNaN(serverMs)) return;
    // The header is truncated to the second: +500 ms centres the estimate.
    this.skewSamples.push(serverMs + 500 - this.options.clock.now());
    if (this.skewSamples.length > 5) this.skewSamples.shift();
  }

  private blockedForMs(): number {
    // The source that grants the slots knows the block (with replicas the shared gate: this
    // process's governor is not consulted and learns nothing).
    return (this.options.permits ?? this.options.governor).blockedForMs?.() ?? this.options.governor.blockedForMs();
  }

  /** Honours a per-endpoint backoff after a concurrency-cap 429, but not past the deadline. */
  private async waitForEndpoint(spec: CallSpec<unknown>, deadline: number): Promise<void> {
    const { clock, limiter } = this.options;
    const key = limiter.keyOf(spec.method, spec.api, spec.path);
    const until = this.endpointBlockedUntil.get(key);
    if (until === undefined) return;
    const now = clock.now();
    if (until <= now) {
      this.endpointBlockedUntil.delete(key);
      return;
    }
    if (until > deadline) {
      // Other calls hold the endpoint's concurrency cap, with quota to spare: BigCommerce is busy (503), not the quota (429).
      throw new RequestBudgetSpentError(until - now, `BigCommerce's concurrency cap for ${spec.method} ${spec.path} stays taken past the wait bound; nothing was sent`);
    }
    await clock.sleep(until - now, spec.signal);
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
    // The SCIM request(s) whose work this call carried (audit trail).
    currentCallTally()?.count(record);
  }
}

export type { ResponseHeaders };
