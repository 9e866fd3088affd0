/**
 * V2 /customer_groups. V2 answers bare JSON arrays (no envelope), 204 with an empty body when
 * a list is empty, and errors as `[{"status": 400, "message": "…"}]`.
 */
import { Router, type Request } from "express";
import { type EmulatorContext, queryOf, storeOf } from "../context.js";
import { ApiError, v2Error } from "../errors.js";
import { assertKnownFilters, dateFilter, dateFilterNames, pageRequest, type Query } from "../query.js";
import type { CategoryAccess, CustomerGroupRecord, DiscountRule } from "../records.js";
import type { EmulatorStore } from "../store.js";
import { v2DateTime } from "../time.js";
import { isPlainObject } from "../validation.js";
import { groupView } from "../views.js";
import { methodNotAllowed } from "./fallback.js";

const FILTERS = [
  "page",
  "limit",
  "name",
  "name:like",
  "is_default",
  "is_group_for_guests",
  ...dateFilterNames("date_created"),
  ...dateFilterNames("date_modified"),
];

/** Runs V3-style query helpers and re-shapes their errors the V2 way. */
function v2<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ApiError && isPlainObject(error.body) && typeof error.body.title === "string") {
      throw v2Error(error.status === 422 ? 400 : error.status, error.body.title);
    }
    throw error;
  }
}

function booleanFilter(query: Query, name: string): boolean | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (raw !== "true" && raw !== "false") throw v2Error(400, `The filter '${name}' must be true or false.`);
  return raw === "true";
}

function checkCategoryAccess(value: unknown): CategoryAccess {
  if (!isPlainObject(value) || !["all", "specific", "none"].includes(value.type as string)) {
    throw v2Error(400, "The field 'category_access' is invalid.");
  }
  const categories = value.categories;
  if (categories !== undefined && (!Array.isArray(categories) || !categories.every(Number.isSafeInteger))) {
    throw v2Error(400, "The field 'category_access.categories' is invalid.");
  }
  return value.type === "specific" ? { type: "specific", categories: (categories as number[] | undefined) ?? [] } : { type: value.type as CategoryAccess["type"] };
}

/** Spec rules: a price_list rule must be the only rule; at most one `all` rule. */
function checkDiscountRules(value: unknown): DiscountRule[] {
  if (!Array.isArray(value)) throw v2Error(400, "The field 'discount_rules' is invalid.");
  const rules = value.map((rule, i) => {
    if (!isPlainObject(rule) || !["price_list", "all", "category", "product"].includes(rule.type as string)) {
      throw v2Error(400, `The field 'discount_rules.${i}.type' is invalid.`);
    }
    if (rule.type !== "price_list" && !["percent", "fixed", "price"].includes(rule.method as string)) {
      throw v2Error(400, `The field 'discount_rules.${i}.method' is invalid.`);
    }
    const out: DiscountRule = { type: rule.type as DiscountRule["type"] };
    if (rule.type === "price_list") out.price_list_id = Number(rule.price_list_id);
    else {
      out.method = rule.method as DiscountRule["method"];
      out.amount = Number(rule.amount).toFixed(4);
      if (rule.type === "category") out.category_id = Number(rule.category_id);
      if (rule.type === "product") out.product_id = Number(rule.product_id);
    }
    return out;
  });
  if (rules.some((r) => r.type === "price_list") && rules.length > 1) throw v2Error(400, "A price_list discount rule must be the only rule.");
  if (rules.filter((r) => r.type === "all").length > 1) throw v2Error(400, "Only one 'all' discount rule is allowed.");
  return rules;
}

/** Validates a POST/PUT body into the fields to write. */
function groupInput(store: EmulatorStore, body: unknown, existing?: CustomerGroupRecord): Partial<CustomerGroupRecord> {
  if (!isPlainObject(body)) throw v2Error(400, "The request body must be a JSON object.");
  const out: Partial<CustomerGroupRecord> = {};
  if (body.name === undefined) {
    if (existing === undefined) throw v2Error(400, "The required field 'name' was not supplied.");
  } else {
    if (typeof body.name !== "string" || body.name.trim() === "" || body.name.length > 255) throw v2Error(400, "The field 'name' is invalid.");
    const clash = store.groups.where((g) => g.id !== existing?.id && g.name.toLowerCase() === (body.name as string).toLowerCase());
    if (clash.length > 0) throw v2Error(409, `The customer group name '${body.name}' is already in use.`);
    out.name = body.name;
  }
  for (const flag of ["is_default", "is_group_for_guests"] as const) {
    if (body[flag] === undefined) continue;
    if (typeof body[flag] !== "boolean") throw v2Error(400, `The field '${flag}' is invalid.`);
    out[flag] = body[flag];
  }
  if (body.category_access !== undefined) out.category_access = checkCategoryAccess(body.category_access);
  if (body.discount_rules !== undefined) out.discount_rules = checkDiscountRules(body.discount_rules);
  return out;
}

/** Only one group is the default and only one is for guests: setting a flag clears it elsewhere. */
function clearExclusiveFlags(store: EmulatorStore, keep: CustomerGroupRecord): void {
  for (const flag of ["is_default", "is_group_for_guests"] as const) {
    if (!keep[flag]) continue;
    for (const other of store.groups.where((g) => g.id !== keep.id && g[flag])) store.groups.save({ ...other, [flag]: false });
  }
}

function groupIdOf(store: EmulatorStore, req: Request): CustomerGroupRecord {
  const raw = String(req.params.groupId ?? "");
  const group = /^\d+$/.test(raw) ? store.groups.get(Number(raw)) : undefined;
  if (group === undefined) throw v2Error(404, "The requested resource was not found.");
  return group;
}

export function customerGroupsRouter(ctx: EmulatorContext): Router {
  const router = Router({ mergeParams: true });
  router
    .route("/v2/customer_groups")
    .get((req, res) => {
      const query = queryOf(req);
      const { page, limit } = v2(() => {
        assertKnownFilters(query, FILTERS);
        return pageRequest(query, ctx.options);
      });
      const isDefault = booleanFilter(query, "is_default");
      const forGuests = booleanFilter(query, "is_group_for_guests");
      const created = v2(() => dateFilter<CustomerGroupRecord>(query, "date_created", (g) => g.date_created));
      const modified = v2(() => dateFilter<CustomerGroupRecord>(query, "date_modified", (g) => g.date_modified));
      const like = query["name:like"]?.toLowerCase();
      const rows = storeOf(res).groups.where(
        (g) =>
          (query.name === undefined || g.name === query.name) &&
          (like === undefined || g.name.toLowerCase().includes(like)) &&
          (isDefault === undefined || g.is_default === isDefault) &&
          (forGuests === undefined || g.is_group_for_guests === forGuests) &&
          created(g) &&
          modified(g),
      );
      const slice = rows.slice((page - 1) * limit, page * limit);
      // V2 answers an empty list with 204 and no body at all (not `[]`).
      if (slice.length === 0) res.status(204).end();
      else res.json(slice.map(groupView));
    })
    .post((req, res) => {
      const store = storeOf(res);
      const input = groupInput(store, req.body);
      const group = store.groups.insert({ ...input, name: input.name as string });
      clearExclusiveFlags(store, group);
      res.json(groupView(group));
    })
    .all(methodNotAllowed);
  router.get("/v2/customer_groups/count", (_req, res) => {
    res.json({ count: storeOf(res).groups.count() });
  });
  router
    .route("/v2/customer_groups/:groupId")
    .get((req, res) => res.json(groupView(groupIdOf(storeOf(res), req))))
    .put((req, res) => {
      const store = storeOf(res);
      const existing = groupIdOf(store, req);
      const input = groupInput(store, req.body ?? {}, existing);
      const group = store.groups.save({ ...existing, ...input, date_modified: v2DateTime(ctx.now()) });
      clearExclusiveFlags(store, group);
      res.json(groupView(group));
    })
    .delete((req, res) => {
      const store = storeOf(res);
      store.deleteGroup(groupIdOf(store, req).id);
      res.status(204).end();
    })
    .all(methodNotAllowed);
  // The bridge must never call V2 customer endpoints, least of all DELETE /v2/customers, which
  // deletes every customer of the store. The emulator refuses them outright.
  router.all(/^\/v2\/customers(\/.*)?$/, (req) => {
    if (req.method === "DELETE") throw v2Error(405, "DELETE /v2/customers is not emulated: it would delete every customer.");
    throw v2Error(404, "V2 customer endpoints are not emulated; use /v3/customers.");
  });
  return router;
}
