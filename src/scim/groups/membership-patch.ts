import type { CustomerId } from "../../bigcommerce/index.js";
import { isPlainObject } from "../json.js";
import { invalidSyntax, invalidValue, noTarget } from "../errors.js";
import { equalityCandidates } from "../filter/ast.js";
import { matchesFilter } from "../filter/evaluate.js";
import { parsePatchPath } from "../patch/path.js";

/**
 * Reads a Group PatchOp as the changes it asks for, without loading the member list: a group
 * can hold thousands of customers, and Okta and Entra send only deltas. Covers Okta (remove
 * `members[value eq "…"]` + add `members`, replace `members`, no-path rename with `id`) and
 * Entra (`Add`/`Remove` with value arrays, `$ref: null`, remove without value = clear all).
 * Operations are applied in order: add then remove of the same member leaves it out.
 */
export interface MembershipPlan {
  displayName?: string;
  add: Set<CustomerId>;
  remove: Set<CustomerId>;
  /** Everyone not in `add` leaves the group (replace, or remove without a value). */
  resetToEmpty: boolean;
  touchesMembers: boolean;
}


export function membershipPlan(operations: unknown, toIds: (values: unknown[], direction: "join" | "leave") => CustomerId[]): MembershipPlan {
  if (!Array.isArray(operations) || operations.length === 0) {
    throw invalidValue("PatchOp request body must contain 'Operations' with at least one operation");
  }
  const plan: MembershipPlan = { add: new Set(), remove: new Set(), resetToEmpty: false, touchesMembers: false };
  const addAll = (ids: CustomerId[]) => ids.forEach((id) => (plan.add.add(id), plan.remove.delete(id)));
  const removeAll = (ids: CustomerId[]) => ids.forEach((id) => (plan.remove.add(id), plan.add.delete(id)));
  const asList = (v: unknown) => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

  const members = (op: string, value: unknown) => {
    plan.touchesMembers = true;
    if (op === "add") addAll(toIds(asList(value), "join"));
    else if (op === "replace") {
      plan.resetToEmpty = true;
      plan.add = new Set(toIds(asList(value), "join"));
      plan.remove.clear();
    } else if (asList(value).length > 0) removeAll(toIds(asList(value), "leave"));
    else {
      plan.resetToEmpty = true;
      plan.add.clear();
      plan.remove.clear();
    }
  };

  operations.forEach((raw, index) => {
    if (!isPlainObject(raw)) throw invalidSyntax(`Operation ${index + 1} must be an object`);
    const op = typeof raw.op === "string" ? raw.op.toLowerCase() : "";
    if (op !== "add" && op !== "replace" && op !== "remove") {
      throw invalidSyntax(`Operation ${index + 1} has an unknown op '${String(raw.op)}' (add, replace or remove)`);
    }
    const path = typeof raw.path === "string" && raw.path.trim() !== "" ? raw.path.trim() : null;
    if (!path) {
      if (op === "remove") throw noTarget(`Operation ${index + 1}: 'remove' needs a path`);
      if (!isPlainObject(raw.value)) throw invalidValue(`Operation ${index + 1}: without a path, 'value' must be an object`);
      for (const [key, value] of Object.entries(raw.value)) {
        const k = key.toLowerCase();
        if (k === "displayname" && typeof value === "string") plan.displayName = value.trim();
        else if (k === "members") members(op, value);
      }
      return;
    }
    const parsed = parsePatchPath(path, []);
    const attribute = parsed.attribute.toLowerCase();
    if (attribute === "displayname") {
      if (op === "remove") throw invalidValue("'displayName' is required and cannot be removed");
      if (typeof raw.value !== "string") throw invalidValue("'displayName' must be a string");
      plan.displayName = raw.value.trim();
    } else if (attribute === "members") {
      if (parsed.filter) {
        // members[value eq "id"]: the members the filter names.
        plan.touchesMembers = true;
        const filter = parsed.filter;
        const named = equalityCandidates(filter, "value").map((value) => ({ value }));
        const ids = toIds(named.filter((m) => matchesFilter(m, filter)), op === "remove" ? "leave" : "join");
        if (op === "remove") removeAll(ids);
        else addAll(ids);
      } else members(op, raw.value);
    }
    // Other attributes (externalId, meta, id) have no BigCommerce field: ignored.
  });
  return plan;
}
