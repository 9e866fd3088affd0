import SCIMMY from "scimmy";
import { invalidFilter, ScimError } from "../errors.js";

/**
 * scimmy parses SCIM filters into disjunctive normal form: an array of branches (ORed), each an
 * object of attribute -> condition(s) (ANDed). A condition is [op, value?] or ["not", op, value?];
 * several conditions on one attribute are an array of those; a sub-object is a sub-attribute
 * or value filter. Attribute names have only their first letter lower-cased.
 */
export type Condition = readonly [string, unknown?] | readonly ["not", string, unknown?];
export type FilterNode = Condition | readonly Condition[] | FilterBranch;
export interface FilterBranch {
  readonly [attribute: string]: FilterNode;
}
export type FilterAst = readonly FilterBranch[];

const OPERATORS = new Set(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"]);

export function isCondition(node: unknown): node is Condition {
  return Array.isArray(node) && typeof node[0] === "string" && (OPERATORS.has(node[0]) || node[0] === "not");
}

export function isConditionList(node: unknown): node is readonly Condition[] {
  return Array.isArray(node) && node.length > 0 && node.every(isCondition);
}

/**
 * scimmy turns `not (a or b)` into `(not a) or (not b)` (no De Morgan), which would silently
 * match the wrong resources; such filters are refused instead. Scans outside quoted strings.
 */
function hasNegatedDisjunction(expression: string): boolean {
  const lower = expression.toLowerCase();
  let inQuote = false;
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i];
    if (ch === '"') inQuote = !inQuote;
    if (inQuote || !lower.startsWith("not", i) || /[a-z0-9_.:]/.test(lower[i - 1] ?? " ")) continue;
    let j = i + 3;
    while (lower[j] === " ") j++;
    if (lower[j] !== "(") continue;
    let depth = 0;
    let q = false;
    for (let k = j; k < lower.length; k++) {
      const c = lower[k];
      if (c === '"') q = !q;
      if (q) continue;
      if (c === "(") depth++;
      if (c === ")" && --depth === 0) break;
      if (depth >= 1 && lower.startsWith(" or ", k)) return true;
    }
  }
  return false;
}

export function parseFilter(expression: string): FilterAst {
  if (hasNegatedDisjunction(expression)) {
    throw invalidFilter("'not (… or …)' is not supported; rewrite the filter with 'and' of negations");
  }
  try {
    return [...new SCIMMY.Types.Filter(expression)] as unknown as FilterAst;
  } catch (err) {
    if (err instanceof ScimError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw invalidFilter(`Invalid filter: ${message}`);
  }
}
