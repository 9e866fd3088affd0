import type { CustomerListQuery } from "../../bigcommerce/api.js";
import { toCustomerId } from "../../bigcommerce/ids.js";
import { BIGCOMMERCE_CUSTOMER } from "../../mapping/urns.js";
import { invalidFilter } from "../errors.js";
import { isCondition, isConditionList, type Condition, type FilterAst, type FilterBranch, type FilterNode } from "./parse.js";

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
}

export type UserQueryPlan =
  | { kind: "nothing" } // the filter cannot match any customer: answer without asking
  | { kind: "lookups"; lookups: Lookup[] } // union of these, each one BigCommerce call (+1 for externalId)
  | { kind: "scan" }; // no usable parameter: read the store, bounded

const GROUP_ID_KEY = `${BIGCOMMERCE_CUSTOMER}:customerGroupId`.toLowerCase();

/** Positive conditions of a node, i.e. the ones that restrict the result set. */
function positiveConditions(node: FilterNode | undefined): Condition[] {
  if (node === undefined) return [];
  if (isCondition(node)) return node[0] === "not" ? [] : [node];
  if (isConditionList(node)) return node.filter((c) => c[0] !== "not");
  return [];
}

function eqValues(node: FilterNode | undefined): unknown[] {
  return positiveConditions(node).filter((c) => c[0] === "eq").map((c) => c[1]);
}

function subNode(node: FilterNode | undefined, name: string): FilterNode | undefined {
  if (node === undefined || isCondition(node) || isConditionList(node)) return undefined;
  const branch = node as FilterBranch;
  const key = Object.keys(branch).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : branch[key];
}

/** BigCommerce date filters take seconds; widen by one second so rounding cannot lose a match. */
function widenedDate(value: unknown, direction: -1 | 1): string {
  const t = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) throw invalidFilter(`'${String(value)}' is not a dateTime (RFC 3339, e.g. 2024-01-31T12:00:00Z)`);
  return new Date(Math.floor(t / 1000) * 1000 + direction * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function dateParams(node: FilterNode | undefined, min: "date_created:min" | "date_modified:min", max: "date_created:max" | "date_modified:max"): CustomerFilterParams {
  const out: CustomerFilterParams = {};
  for (const [op, value] of positiveConditions(node)) {
    if (op === "gt" || op === "ge") out[min] = widenedDate(value, -1);
    else if (op === "lt" || op === "le") out[max] = widenedDate(value, 1);
    else if (op === "eq") {
      out[min] = widenedDate(value, -1);
      out[max] = widenedDate(value, 1);
    }
  }
  return out;
}

type BranchResult = { nothing: true } | { nothing: false; lookup: Lookup | null };

function planBranch(branch: FilterBranch): BranchResult {
  const params: CustomerFilterParams = {};
  let externalId: string | undefined;
  let pushed = false;
  for (const [attribute, node] of Object.entries(branch)) {
    const attr = attribute.toLowerCase();
    if (attr === "username" || attr === "emails") {
      const values = attr === "username" ? eqValues(node) : [...eqValues(node), ...eqValues(subNode(node, "value"))];
      const first = values[0];
      if (first === undefined) continue;
      const email = String(first);
      // A comma would split the CSV parameter into two lookups; no customer can have one.
      if (email.includes(",") || email.trim() === "") return { nothing: true };
      params["email:in"] = [...new Set([email, email.toLowerCase()])];
      pushed = true;
    } else if (attr === "id") {
      const first = eqValues(node)[0];
      if (first === undefined) continue;
      const id = toCustomerId(typeof first === "number" ? String(first) : first);
      if (!id) return { nothing: true };
      params["id:in"] = [id];
      pushed = true;
    } else if (attr === "externalid") {
      const first = eqValues(node)[0];
      if (first === undefined || first === null) continue;
      externalId = String(first);
      pushed = true;
    } else if (attr === "groups" || attr === GROUP_ID_KEY) {
      const values = attr === "groups" ? [...eqValues(node), ...eqValues(subNode(node, "value"))] : eqValues(node);
      const first = values[0];
      if (first === undefined) continue;
      const n = Number(first);
      if (!Number.isInteger(n) || n < 0) return { nothing: true };
      params["customer_group_id:in"] = [n];
      pushed = true;
    } else if (attr === "meta") {
      const created = dateParams(subNode(node, "created"), "date_created:min", "date_created:max");
      // meta.lastModified also moves when only a bridge-kept attribute changes, so only an
      // upper bound is a safe superset for BigCommerce's date_modified.
      const modified = dateParams(subNode(node, "lastModified"), "date_modified:min", "date_modified:max");
      delete modified["date_modified:min"];
      if (Object.keys(created).length + Object.keys(modified).length > 0) {
        Object.assign(params, created, modified);
        pushed = true;
      }
    }
  }
  return { nothing: false, lookup: pushed ? { params, ...(externalId !== undefined ? { externalId } : {}) } : null };
}

const onlyKey = (lookup: Lookup, key: keyof CustomerFilterParams) =>
  lookup.externalId === undefined && Object.keys(lookup.params).length === 1 && lookup.params[key] !== undefined;

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
  const lookups: Lookup[] = [];
  for (const branch of ast) {
    const result = planBranch(branch);
    if (result.nothing) continue;
    if (!result.lookup) return { kind: "scan" };
    lookups.push(result.lookup);
  }
  if (lookups.length === 0) return { kind: "nothing" };
  return { kind: "lookups", lookups: mergeLookups(lookups) };
}
