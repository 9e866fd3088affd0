/**
 * Fault injection that tests and benchmarks switch on at run time. A rule matches by method and
 * path (optionally store, a number of matches to skip, a count and a probability) and then
 * answers a status (with or without rate headers), adds a delay, lets the request write and
 * drops the response (the client sees a lost response for a write that happened), or drops the
 * connection before anything is handled.
 */
import { randomUUID } from "node:crypto";

export interface FaultRule {
  /** Assigned by `add`. */
  id?: string;
  /** HTTP method; any when omitted. */
  method?: string;
  /**
   * Store-relative path such as "/v3/customers" (or a full "/stores/abc/v3/customers"), exact
   * match; or a RegExp tested against the store-relative path.
   */
  path: string | RegExp;
  storeHash?: string;
  /** Let this many matching requests through untouched first. */
  skip?: number;
  /** Apply to this many matching requests, then remove the rule. Unlimited when omitted. */
  count?: number;
  /** Chance (0..1) that a matching request is affected. */
  probability?: number;
  /** Answer this status without handling the request. */
  status?: number;
  /** Body for `status` (default: a V3 error body, or none for 204/5xx-without-body needs). */
  body?: unknown;
  /** Extra headers for `status` answers. */
  headers?: Record<string, string>;
  /** Include the X-Rate-Limit-* headers on a `status` answer (default true). */
  rateHeaders?: boolean;
  /** Wait this long before going on (combines with the other actions). */
  delayMs?: number;
  /**
   * Handle the request (the body is read and the write happens), then wait this long before
   * answering. A client that times out meanwhile sees no answer for a write that did land: the
   * "response arrived after the client gave up" case. Combines with `delayMs`.
   */
  delayAfterHandlingMs?: number;
  /** Handle the request (the write happens), then destroy the socket instead of answering. */
  dropResponse?: boolean;
  /** Destroy the socket without handling the request. */
  dropRequest?: boolean;
}

interface LiveRule extends FaultRule {
  id: string;
  seen: number;
  applied: number;
}

export interface FaultRequest {
  method: string;
  storeHash: string;
  path: string;
  fullPath: string;
}

function pathMatches(rule: FaultRule, request: FaultRequest): boolean {
  if (rule.path instanceof RegExp) return rule.path.test(request.path);
  const wanted = rule.path.replace(/\/+$/, "") || "/";
  return wanted === (request.path.replace(/\/+$/, "") || "/") || wanted === request.fullPath.replace(/\/+$/, "");
}

export class FaultInjector {
  private rules: LiveRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): string {
    const id = rule.id ?? randomUUID();
    this.rules.push({ ...rule, id, seen: 0, applied: 0 });
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map(({ seen: _seen, applied: _applied, ...rule }) => ({ ...rule }));
  }

  /** The rule to apply to this request, if any (first match wins); counts are updated. */
  match(request: FaultRequest): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.method !== undefined && rule.method.toUpperCase() !== request.method) continue;
      if (rule.storeHash !== undefined && rule.storeHash !== request.storeHash) continue;
      if (!pathMatches(rule, request)) continue;
      rule.seen += 1;
      if (rule.seen <= (rule.skip ?? 0)) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.applied += 1;
      if (rule.count !== undefined && rule.applied >= rule.count) this.remove(rule.id);
      const { seen: _seen, applied: _applied, ...plain } = rule;
      return plain;
    }
    return undefined;
  }
}
