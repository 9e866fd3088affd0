import type { CustomerListQuery } from "../../bigcommerce/index.js";
import { toCustomerId } from "../../bigcommerce/index.js";
import { BIGCOMMERCE_CUSTOMER } from "../../mapping/urns.js";
import { invalidFilter } from "../errors.js";
import { pathText, type CompareOperator, type FilterAst, type Literal } from "./ast.js";
import { foldEmail } from "../../email-fold.js";

/**
 * Turns a parsed SCIM filter on Users into BigCommerce lookups. Only conditions BigCommerce can
 * answer as a superset are pushed down; the full filter is always re-evaluated in-process on
 * what comes back, so a pushed-down parameter never has to be exact. A branch with nothing to
 * push down needs a scan, which the caller bounds.
 */
export type CustomerFilterParams = Pick<
  CustomerListQuery,
  "id:in" | "email:in" | "customer_group_id:in" | "date_created:min" | "date_created:max" | "date_modified:min" | "date_modified:max"
>;

export interface Lookup {
  params: CustomerFilterParams;
  /** Resolve this externalId through the bridge's index first; its customer ids join `id:in`. */
  externalId?: string;
  /** The customers whose remembered memberships or return group (parked) name this group (group-memberships.ts) join `id:in`. */
  memberOfGroup?: number;
}

export type UserQueryPlan =
  | { kind: "nothing" } // the filter cannot match any customer: answer without asking
  | { kind: "lookups"; lookups: Lookup[] } // union of these, each one BigCommerce call (+1 for externalId)
  | { kind: "scan" }; // no usable parameter: read the store, bounded

const GROUP_ID_KEY = `${BIGCOMMERCE_CUSTOMER}:customerGroupId`.toLowerCase();

/** BigCommerce date filters take seconds; widen by one second so rounding cannot lose a match. */
function widenedDate(value: Literal, direction: -1 | 1): string {
  const t = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) throw invalidFilter(`'${String(value)}' is not a dateTime (RFC 3339, e.g. 2024-01-31T12:00:00Z)`);
  return new Date(Math.floor(t / 1000) * 1000 + direction * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const NOTHING: UserQueryPlan = { kind: "nothing" };
const SCAN: UserQueryPlan = { kind: "scan" };
const lookup = (params: CustomerFilterParams, externalId?: string): UserQueryPlan => ({
  kind: "lookups",
  lookups: [{ params, ...(externalId !== undefined ? { externalId } : {}) }],
});

/** One comparison, named by its full lower-case path (`emails.value` inside `emails[…]`). */
function planComparison(key: string, op: CompareOperator, value: Literal): UserQueryPlan {
  if (key === "meta.created" && op !== "ne") {
    if (op === "co" || op === "sw" || op === "ew") return SCAN;
    const params: CustomerFilterParams = {};
    if (op !== "lt" && op !== "le") params["date_created:min"] = widenedDate(value, -1);
    if (op !== "gt" && op !== "ge") params["date_created:max"] = widenedDate(value, 1);
    return lookup(params);
  }
  // meta.lastModified also moves when only a bridge-kept attribute changes, so only an upper
  // bound is a safe superset for BigCommerce's date_modified.
  if (key === "meta.lastmodified" && (op === "lt" || op === "le" || op === "eq")) {
    return lookup({ "date_modified:max": widenedDate(value, 1) });
  }
  if (op !== "eq" || value === null) return SCAN;
  if (key === "username" || key === "emails" || key === "emails.value") {
    const email = String(value);
    // A comma would split the CSV parameter into two lookups; no customer can have one.
    if (email.includes(",") || email.trim() === "") return NOTHING;
    return lookup({ "email:in": [...new Set([email, foldEmail(email)])] });
  }
  if (key === "id") {
    const id = toCustomerId(typeof value === "number" ? String(value) : value);
    return id ? lookup({ "id:in": [id] }) : NOTHING;
  }
  if (key === "externalid") return lookup({}, String(value));
  if (key === "groups" || key === "groups.value" || key === GROUP_ID_KEY) {
    const n = Number(value);
    if (typeof value === "boolean" || !Number.isInteger(n) || n < 0) return NOTHING;
    if (key === GROUP_ID_KEY) return lookup({ "customer_group_id:in": [n] });
    // Members of the group: in it as their customer group, or remembered as members of it (in
    // other groups too, or parked and returning to it).
    return { kind: "lookups", lookups: [{ params: { "customer_group_id:in": [n] } }, { params: {}, memberOfGroup: n }] };
  }
  return SCAN;
}

/** Every lookup of an `and` restricts the same result, so one lookup can carry them all. */
function intersect(plans: UserQueryPlan[]): UserQueryPlan {
  if (plans.some((p) => p.kind === "nothing")) return NOTHING;
  const narrowing = plans.filter((p): p is Extract<UserQueryPlan, { kind: "lookups" }> => p.kind === "lookups");
  if (narrowing.length === 0) return SCAN;
  const single = narrowing.filter((p) => p.lookups.length === 1);
  if (single.length === 0) return narrowing.reduce((a, b) => (b.lookups.length < a.lookups.length ? b : a));
  // Any one parameter already gives a superset of the conjunction, so a later value of the
  // same parameter may replace an earlier one.
  const params: CustomerFilterParams = {};
  let externalId: string | undefined;
  for (const p of single) {
    Object.assign(params, p.lookups[0]!.params);
    externalId ??= p.lookups[0]!.externalId;
  }
  return lookup(params, externalId);
}

function union(plans: UserQueryPlan[]): UserQueryPlan {
  if (plans.some((p) => p.kind === "scan")) return SCAN;
  const lookups = plans.flatMap((p) => (p.kind === "lookups" ? p.lookups : []));
  return lookups.length === 0 ? NOTHING : { kind: "lookups", lookups };
}

/** `prefix` is the attribute a value path restricts (`emails.` inside `emails[…]`). */
function planNode(ast: FilterAst, prefix: string): UserQueryPlan {
  switch (ast.type) {
    case "compare":
      return planComparison(`${prefix}${pathText(ast.path)}`.toLowerCase(), ast.op, ast.value);
    case "present":
    case "not": // a negation restricts nothing BigCommerce can look up
      return SCAN;
    case "and":
      return intersect(ast.filters.map((f) => planNode(f, prefix)));
    case "or":
      return union(ast.filters.map((f) => planNode(f, prefix)));
    case "valuePath":
      return prefix === "" ? planNode(ast.filter, `${pathText(ast.path)}.`) : SCAN;
  }
}

const onlyKey = (lookup: Lookup, key: keyof CustomerFilterParams) =>
  lookup.externalId === undefined && lookup.memberOfGroup === undefined && Object.keys(lookup.params).length === 1 && lookup.params[key] !== undefined;

/** Merges branches that differ only in the value of the same `:in` parameter (OR of eq). */
function mergeLookups(lookups: Lookup[]): Lookup[] {
  const out: Lookup[] = [];
  const emails: string[] = [];
  const ids: NonNullable<CustomerFilterParams["id:in"]>[number][] = [];
  for (const l of lookups) {
    if (onlyKey(l, "email:in")) emails.push(...l.params["email:in"]!);
    else if (onlyKey(l, "id:in")) ids.push(...l.params["id:in"]!);
    else out.push(l);
  }
  if (emails.length > 0) out.push({ params: { "email:in": [...new Set(emails)] } });
  if (ids.length > 0) out.push({ params: { "id:in": [...new Set(ids)] } });
  return out;
}

export function planUserQuery(ast: FilterAst): UserQueryPlan {
  const plan = planNode(ast, "");
  return plan.kind === "lookups" ? { kind: "lookups", lookups: mergeLookups(plan.lookups) } : plan;
}
