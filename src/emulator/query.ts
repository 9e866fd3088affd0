/**
 * Query-string handling shared by the V3 list endpoints: the allow-list of filters (BigCommerce
 * answers 422 to any filter it does not know instead of ignoring it), integer lists that fail
 * like Java's Integer.parseInt, date filters, and the offset pagination envelope.
 */
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, type ResolvedOptions } from "./options.js";
import { notAnInteger, unknownFilters, v3Error } from "./errors.js";
import { parseFilterDate, toEpochMs } from "./time.js";

export type Query = Record<string, string>;

/** Express's simple parser yields string | string[]; a repeated parameter is read as one CSV. */
export function normalizeQuery(raw: unknown): Query {
  const out: Query = {};
  if (raw === null || typeof raw !== "object") return out;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    out[key] = Array.isArray(value) ? value.map(String).join(",") : String(value);
  }
  return out;
}

export function assertKnownFilters(query: Query, allowed: readonly string[]): void {
  const unknown = Object.keys(query).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw unknownFilters(unknown);
}

/** The date filters every V3 list endpoint accepts for one field. */
export function dateFilterNames(field: string): string[] {
  return [field, `${field}:min`, `${field}:max`];
}

/** Splits a CSV filter value; undefined when the parameter is absent. */
export function csv(query: Query, name: string): string[] | undefined {
  const value = query[name];
  return value === undefined ? undefined : value.split(",");
}

const INT32 = /^[+-]?\d{1,10}$/;

export function parseInteger(param: string, input: string): number {
  const n = Number(input);
  if (!INT32.test(input) || n > 2_147_483_647 || n < -2_147_483_648) throw notAnInteger(param, input);
  return n;
}

/** An integer CSV list such as `id:in=4,5,6`; any non-integer element is the observed 422. */
export function intList(query: Query, name: string): number[] | undefined {
  return csv(query, name)?.map((item) => parseInteger(name, item));
}

export interface PageRequest {
  page: number;
  limit: number;
}

export function pageRequest(query: Query, options: ResolvedOptions): PageRequest {
  const page = query.page === undefined ? 1 : parseInteger("page", query.page);
  let limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : parseInteger("limit", query.limit);
  if (page < 1) throw v3Error(422, `Query parameter "page" must be greater than or equal to 1.`);
  if (limit < 1) throw v3Error(422, `Query parameter "limit" must be greater than or equal to 1.`);
  if (limit > MAX_PAGE_SIZE) {
    const title = `Query parameter "limit" must be less than or equal to ${MAX_PAGE_SIZE}.`;
    if (options.limitOverMax === "422") throw v3Error(422, title);
    if (options.limitOverMax === "413") throw v3Error(413, title);
    limit = MAX_PAGE_SIZE;
  }
  return { page, limit };
}

export interface Pagination {
  total: number;
  count: number;
  per_page: number;
  current_page: number;
  total_pages: number;
  links: { previous?: string; current: string; next?: string };
}

/**
 * Link values are relative query strings that echo the request's own parameters (as sent)
 * with `limit` and `page` last, e.g. `?limit=50&page=29`.
 */
export function pageLink(rawQuery: string, limit: number, page: number): string {
  return linkWith(rawQuery, ["page", "limit"], [`limit=${limit}`, `page=${page}`]);
}

/** The request's own query string without the `drop` parameters, followed by `tail`. */
export function linkWith(rawQuery: string, drop: readonly string[], tail: readonly string[]): string {
  const kept = rawQuery
    .split("&")
    .filter((part) => part !== "")
    .filter((part) => !drop.includes(safeDecode(part.split("=")[0] ?? "")));
  return `?${[...kept, ...tail].join("&")}`;
}

export function paginate<T>(rows: readonly T[], request: PageRequest, rawQuery: string): { data: T[]; pagination: Pagination } {
  const { page, limit } = request;
  const total = rows.length;
  // An empty result still reports one page (observed on customers).
  const totalPages = Math.max(1, Math.ceil(total / limit));
  const data = rows.slice((page - 1) * limit, page * limit);
  const links: Pagination["links"] = { current: pageLink(rawQuery, limit, page) };
  if (page > 1) links.previous = pageLink(rawQuery, limit, page - 1);
  if (page < totalPages) links.next = pageLink(rawQuery, limit, page + 1);
  const ordered = { previous: links.previous, current: links.current, next: links.next };
  return {
    data,
    pagination: {
      total,
      count: data.length,
      per_page: limit,
      current_page: page,
      total_pages: totalPages,
      links: JSON.parse(JSON.stringify(ordered)) as Pagination["links"],
    },
  };
}

/**
 * Builds a predicate for `field`, `field:min`, `field:max`. A date-only value names the whole
 * UTC day for equality, and midnight for :min/:max (both inclusive).
 */
export function dateFilter<T>(query: Query, field: string, read: (row: T) => string): (row: T) => boolean {
  const checks: ((ms: number) => boolean)[] = [];
  for (const name of dateFilterNames(field)) {
    const raw = query[name];
    if (raw === undefined) continue;
    const parsed = parseFilterDate(raw);
    if (parsed === null) throw v3Error(422, `Query parameter "${name}" value "${raw}" is not a valid date.`);
    if (name === field) {
      const end = parsed.dateOnly ? parsed.ms + 86_400_000 : parsed.ms + 1000;
      checks.push((ms) => ms >= parsed.ms && ms < end);
    } else if (name.endsWith(":min")) {
      checks.push((ms) => ms >= parsed.ms);
    } else {
      checks.push((ms) => ms <= parsed.ms);
    }
  }
  return (row) => {
    if (checks.length === 0) return true;
    const ms = toEpochMs(read(row));
    return checks.every((check) => check(ms));
  };
}

function safeDecode(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, " "));
  } catch {
    return component;
  }
}
