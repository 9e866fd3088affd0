/**
 * Per-endpoint concurrency caps. BigCommerce limits concurrent requests per endpoint separately
 * from the rate quota (PUT customers: 3, ...) and answers 429 past them, so the client keeps
 * its own requests under each cap with a small FIFO semaphore per endpoint.
 */
import type { Clock } from "./clock.js";
import { RequestBudgetSpentError } from "./deadline.js";
import type { HttpMethod } from "./retry-policy.js";

export interface ConcurrencyRule {
  method: HttpMethod | "*";
  api: "v2" | "v3";
  /** Path below /v2 or /v3; a trailing `*` matches any sub-path. */
  path: string;
  limit: number;
}

/** Documented caps (customers.v3.yml, customers.v2.yml, api-specs PR #1113). */
export const DEFAULT_CONCURRENCY_RULES: readonly ConcurrencyRule[] = Object.freeze([
  { method: "PUT", api: "v3", path: "/customers", limit: 3 },
  { method: "PUT", api: "v3", path: "/customers/attributes", limit: 3 },
  { method: "POST", api: "v3", path: "/customers/attributes", limit: 3 },
  { method: "PUT", api: "v3", path: "/customers/attribute-values", limit: 3 },
  { method: "PUT", api: "v3", path: "/customers/addresses", limit: 3 },
  { method: "POST", api: "v3", path: "/customers/addresses", limit: 10 },
  { method: "*", api: "v2", path: "/customer_groups*", limit: 40 },
]);

export const DEFAULT_CONCURRENCY_LIMIT = 10;

function matches(rule: ConcurrencyRule, method: HttpMethod, api: "v2" | "v3", path: string): boolean {
  if (rule.api !== api) return false;
  if (rule.method !== "*" && rule.method !== method) return false;
  if (rule.path.endsWith("*")) return path.startsWith(rule.path.slice(0, -1));
  return rule.path === path;
}

/** Names the bucket a request counts against, and that bucket's cap. */
export function endpointCap(
  method: HttpMethod,
  api: "v2" | "v3",
  path: string,
  rules: readonly ConcurrencyRule[] = DEFAULT_CONCURRENCY_RULES,
  defaultLimit = DEFAULT_CONCURRENCY_LIMIT,
): { key: string; limit: number } {
  const rule = rules.find((r) => matches(r, method, api, path));
  if (rule) return { key: `${rule.method} /${rule.api}${rule.path}`, limit: rule.limit };
  // Unlisted endpoints: one bucket per method and path (ids in paths are folded together).
  return { key: `${method} /${api}${path.replace(/\/\d+(?=\/|$)/g, "/{id}")}`, limit: defaultLimit };
}

export class Semaphore {
  private active = 0;
  /** Callers waiting for a slot, oldest first; `grant` also drops their abort listeners. */
  private readonly queue: Array<{ grant: () => void }> = [];

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.active;
  }

  /**
   * Resolves with a release function once a slot is free (FIFO); rejects with the reason of the
   * first of `signals` to abort. Several signals rather than one made with AbortSignal.any: a
   * batch lane passes its close signal, which lives as long as the client, and every signal
   * combined with it would stay on its list of dependants (on Node 20 for good, one per call).
   * Listeners added here are removed however the wait ends.
   */
  acquire(...signals: AbortSignal[]): Promise<() => void> {
    const aborted = signals.find((s) => s.aborted);
    if (aborted) return Promise.reject(aborted.reason);
    if (this.active < this.limit && this.queue.length === 0) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const detach = (): void => {
        for (const signal of signals) signal.removeEventListener("abort", onAbort);
      };
      const entry = {
        grant: () => {
          detach();
          resolve(this.releaser());
        },
      };
      const onAbort = (event: Event): void => {
        detach();
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
        reject((event.target as AbortSignal).reason);
      };
      for (const signal of signals) signal.addEventListener("abort", onAbort, { once: true });
      this.queue.push(entry);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.queue.shift();
      if (next) next.grant(); // the slot passes straight to the next caller
      else this.active -= 1;
    };
  }
}

/**
 * One endpoint's concurrency slots, as the transport and the batch lanes take them: the first
 * thing a call waits for (before its rate permit), and a batch lane's only cap on its calls in
 * flight (`limit`).
 */
export interface EndpointSlots {
  readonly limit: number;
  /**
   * Resolves with the slot's release (idempotent) once one is free; rejects with
   * RequestBudgetSpentError when none is free by `deadline` (clock ms; Infinity: no bound), or
   * with the signal's reason.
   */
  acquire(deadline: number, signal?: AbortSignal): Promise<() => void>;
}

/** A semaphore's slots taken with a deadline on `clock`; `what` names the endpoint in refusals. */
export function boundedSlots(semaphore: Semaphore, clock: Clock, what: string): EndpointSlots {
  return {
    limit: semaphore.limit,
    async acquire(deadline, signal) {
      // The slots are taken by calls in flight: a wait that outlasts its bound (the SCIM request's
      // deadline, deadline.ts, or the call's own) is BigCommerce's slowness (503), not the quota (429).
      const late = () => new RequestBudgetSpentError(1000, `no concurrency slot of ${what} came free within the wait bound; nothing was sent`);
      if (clock.now() > deadline) throw late(); // the caller has given up: send nothing for it
      const expired = new AbortController();
      const stopTimer = new AbortController();
      if (Number.isFinite(deadline)) {
        clock.sleep(Math.max(0, deadline - clock.now()), stopTimer.signal).then(
          () => expired.abort(late()),
          () => {},
        );
      }
      try {
        return await semaphore.acquire(...(signal ? [signal, expired.signal] : [expired.signal]));
      } finally {
        stopTimer.abort();
      }
    },
  };
}

/** One semaphore per endpoint bucket, created on first use. */
export class ConcurrencyLimiter {
  private readonly semaphores = new Map<string, Semaphore>();

  constructor(
    private readonly rules: readonly ConcurrencyRule[] = DEFAULT_CONCURRENCY_RULES,
    private readonly defaultLimit = DEFAULT_CONCURRENCY_LIMIT,
  ) {}

  /** The bucket a request counts against (for per-endpoint backoff). */
  keyOf(method: HttpMethod, api: "v2" | "v3", path: string): string {
    return endpointCap(method, api, path, this.rules, this.defaultLimit).key;
  }

  /** The slots of the endpoint a request counts against (shared by everyone calling it). */
  slots(method: HttpMethod, api: "v2" | "v3", path: string, clock: Clock): EndpointSlots {
    const { key, limit } = endpointCap(method, api, path, this.rules, this.defaultLimit);
    let semaphore = this.semaphores.get(key);
    if (!semaphore) {
      semaphore = new Semaphore(limit);
      this.semaphores.set(key, semaphore);
    }
    return boundedSlots(semaphore, clock, `${method} ${path}`);
  }
}
