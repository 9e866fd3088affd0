/**
 * GET /v3/customers: filters, include, sort, offset pagination and (optionally) the cursor
 * pagination added in 2025. Every filter the spec lists is honoured; anything else is the
 * observed 422 "The filter(s): … are not valid filter parameter(s)."
 */
import type { EmulatorContext } from "../context.js";
import { v3Error } from "../errors.js";
import {
  assertKnownFilters,
  csv,
  dateFilter,
  dateFilterNames,
  intList,
  linkWith,
  pageRequest,
  paginate,
  type Query,
} from "../query.js";
import type { CustomerRecord } from "../records.js";
import type { EmulatorStore } from "../store.js";
import { toEpochMs } from "../time.js";
import { type CustomerInclude, customerView } from "../views.js";

const FILTERS = [
  "page",
  "limit",
  "id:in",
  "company:in",
  "customer_group_id:in",
  ...dateFilterNames("date_created"),
  ...dateFilterNames("date_modified"),
  "email:in",
  "name:in",
  "name:like",
  "phone:in",
  "registration_ip_address:in",
  "include",
  "sort",
  "after",
  "before",
];

const INCLUDES = ["addresses", "storecredit", "attributes", "formfields", "shopper_profile_id", "segment_ids"];

const SORTS: Record<string, (a: CustomerRecord, b: CustomerRecord) => number> = {
  "date_created:asc": (a, b) => toEpochMs(a.date_created) - toEpochMs(b.date_created),
  "date_created:desc": (a, b) => toEpochMs(b.date_created) - toEpochMs(a.date_created),
  "date_modified:asc": (a, b) => toEpochMs(a.date_modified) - toEpochMs(b.date_modified),
  "date_modified:desc": (a, b) => toEpochMs(b.date_modified) - toEpochMs(a.date_modified),
  "last_name:asc": (a, b) => compareText(a.last_name, b.last_name),
  "last_name:desc": (a, b) => compareText(b.last_name, a.last_name),
};

function compareText(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Case-insensitive membership, like the MySQL collation behind BigCommerce. */
function inList(values: string[] | undefined, read: (c: CustomerRecord) => string, caseSensitive = false): (c: CustomerRecord) => boolean {
  if (values === undefined) return () => true;
  const wanted = new Set(values.map((v) => (caseSensitive ? v : v.toLowerCase())));
  return (c) => wanted.has(caseSensitive ? read(c) : read(c).toLowerCase());
}

function parseIncludes(query: Query): Set<CustomerInclude> {
  const requested = csv(query, "include") ?? [];
  const unknown = requested.filter((i) => !INCLUDES.includes(i));
  if (unknown.length > 0) throw v3Error(422, `The include(s): ${unknown.join(", ")} are not valid include parameter(s).`);
  return new Set(requested.filter((i): i is CustomerInclude => i !== "shopper_profile_id" && i !== "segment_ids"));
}

export function encodeCursor(id: number): string {
  return Buffer.from(JSON.stringify({ id })).toString("base64").replace(/=+$/, "");
}

function decodeCursor(name: string, cursor: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, "base64").toString("utf8")) as { id?: unknown };
    if (Number.isSafeInteger(decoded.id)) return decoded.id as number;
  } catch {
    // fall through to the 422 below
  }
  throw v3Error(422, `Query parameter "${name}" is not a valid cursor.`);
}

function filterCustomers(ctx: EmulatorContext, store: EmulatorStore, query: Query): CustomerRecord[] {
  const ids = intList(query, "id:in");
  const groups = intList(query, "customer_group_id:in");
  const idSet = ids === undefined ? undefined : new Set(ids);
  const groupSet = groups === undefined ? undefined : new Set(groups);
  const nameLike = csv(query, "name:like")?.map((v) => v.toLowerCase());
  const predicates = [
    inList(csv(query, "email:in"), (c) => c.email, ctx.options.emailFilterCaseSensitive),
    inList(csv(query, "name:in"), (c) => `${c.first_name} ${c.last_name}`),
    inList(csv(query, "company:in"), (c) => c.company),
    inList(csv(query, "phone:in"), (c) => c.phone),
    inList(csv(query, "registration_ip_address:in"), (c) => c.registration_ip_address),
    dateFilter<CustomerRecord>(query, "date_created", (c) => c.date_created),
    dateFilter<CustomerRecord>(query, "date_modified", (c) => c.date_modified),
  ];
  return store.customers.where(
    (c) =>
      (idSet === undefined || idSet.has(c.id)) &&
      (groupSet === undefined || groupSet.has(c.customer_group_id)) &&
      (nameLike === undefined || nameLike.some((part) => `${c.first_name} ${c.last_name}`.toLowerCase().includes(part))) &&
      predicates.every((p) => p(c as CustomerRecord)),
  );
}

export function listCustomers(ctx: EmulatorContext, store: EmulatorStore, query: Query, rawQuery: string): unknown {
  assertKnownFilters(query, FILTERS);
  const sort = query.sort;
  if (sort !== undefined && SORTS[sort] === undefined) throw v3Error(422, `Query parameter "sort" value "${sort}" is not valid.`);
  const includes = parseIncludes(query);
  const request = pageRequest(query, ctx.options);
  const rows = filterCustomers(ctx, store, query);
  // Default order is id ascending (V2 documents it; V3 is silent); ties in a sort fall back to id.
  const compare = sort === undefined ? undefined : SORTS[sort];
  if (compare !== undefined) rows.sort((a, b) => compare(a, b) || a.id - b.id);
  const view = (c: CustomerRecord): Record<string, unknown> => customerView(c, store, includes, false);

  const useCursors = ctx.options.cursorPagination;
  if (useCursors && (query.after !== undefined || query.before !== undefined)) {
    if (query.after !== undefined && query.before !== undefined) {
      throw v3Error(422, "Query parameters \"after\" and \"before\" cannot be used together.");
    }
    return cursorPage(rows, query, rawQuery, request.limit, view);
  }
  const { data, pagination } = paginate(rows, request, rawQuery);
  const meta: Record<string, unknown> = { pagination };
  // First page (no cursor): both envelopes; later pages: offset pagination only (spec).
  if (useCursors && request.page === 1) meta.cursor_pagination = cursorMeta(data, rows, rawQuery, request.limit);
  return { data: data.map(view), meta };
}

function cursorLink(rawQuery: string, limit: number, param: "after" | "before", cursor: string): string {
  return linkWith(rawQuery, ["page", "limit", "after", "before"], [`limit=${limit}`, `${param}=${encodeURIComponent(cursor)}`]);
}

function cursorMeta(page: CustomerRecord[], all: CustomerRecord[], rawQuery: string, limit: number): Record<string, unknown> {
  const first = page[0];
  const last = page[page.length - 1];
  const meta: Record<string, unknown> = { count: page.length, per_page: limit };
  const links: Record<string, string> = {};
  if (first !== undefined && last !== undefined) {
    meta.start_cursor = encodeCursor(first.id);
    meta.end_cursor = encodeCursor(last.id);
    const startIndex = all.findIndex((c) => c.id === first.id);
    const endIndex = all.findIndex((c) => c.id === last.id);
    if (startIndex > 0) links.previous = cursorLink(rawQuery, limit, "before", meta.start_cursor as string);
    if (endIndex < all.length - 1) links.next = cursorLink(rawQuery, limit, "after", meta.end_cursor as string);
  }
  meta.links = links;
  return meta;
}

function cursorPage(
  rows: CustomerRecord[],
  query: Query,
  rawQuery: string,
  limit: number,
  view: (c: CustomerRecord) => Record<string, unknown>,
): unknown {
  const after = query.after !== undefined;
  const id = decodeCursor(after ? "after" : "before", (after ? query.after : query.before) as string);
  let index = rows.findIndex((c) => c.id === id);
  // A cursor row deleted meanwhile: in id order the keyset still says where to resume.
  if (index === -1) {
    if (query.sort !== undefined) throw v3Error(422, `Query parameter "${after ? "after" : "before"}" is not a valid cursor.`);
    const next = rows.findIndex((c) => c.id > id);
    index = after ? (next === -1 ? rows.length : next) - 1 : next === -1 ? rows.length : next;
  }
  const page = after ? rows.slice(index + 1, index + 1 + limit) : rows.slice(Math.max(0, index - limit), index);
  return { data: page.map(view), meta: { cursor_pagination: cursorMeta(page, rows, rawQuery, limit) } };
}
