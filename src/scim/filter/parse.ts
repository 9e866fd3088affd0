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

const VALUELESS = new Set(["pr"]);

/** scimmy accepts some incomplete filters (`userName eq`, `a eq "x" and`); they are refused here. */
function assertComplete(node: unknown, expression: string): void {
  const fail = () => {
    throw invalidFilter(`Invalid filter '${expression.slice(0, 200)}': every comparison needs an attribute, an operator and a value`);
  };
  if (isCondition(node)) {
    const [first, second] = node;
    const op = first === "not" ? second : first;
    const hasValue = first === "not" ? node.length >= 3 : node.length >= 2;
    if (typeof op !== "string" || !OPERATORS.has(op) || (!VALUELESS.has(op) && !hasValue)) fail();
    return;
  }
  if (Array.isArray(node)) {
    if (node.length === 0) fail();
    for (const child of node) assertComplete(child, expression);
    return;
  }
  if (typeof node !== "object" || node === null || Object.keys(node).length === 0) fail();
  for (const [attribute, child] of Object.entries(node as object)) {
    if (!/^[A-Za-z$]/.test(attribute) || attribute === "undefined") fail();
    assertComplete(child, expression);
  }
}

const CORE_PREFIX = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;

/** `urn:…:core:2.0:User:userName` is `userName` (RFC 7644 §3.10). */
function withoutCoreUrns(branch: FilterBranch): FilterBranch {
  const out: Record<string, FilterNode> = {};
  for (const [key, node] of Object.entries(branch)) {
    const name = key.replace(CORE_PREFIX, "");
    out[name.charAt(0).toLowerCase() + name.slice(1)] = node;
  }
  return out;
}

export function parseFilter(expression: string): FilterAst {
  if (hasNegatedDisjunction(expression)) {
    throw invalidFilter("'not (… or …)' is not supported; rewrite the filter with 'and' of negations");
  }
  if (/(^|\s)(and|or|not)\s*$/i.test(expression.trim()) || /^\s*(and|or)\s/i.test(expression)) {
    throw invalidFilter(`Invalid filter '${expression.slice(0, 200)}': it ends or starts with a logical operator`);
  }
  let ast: FilterAst;
  try {
    ast = [...new SCIMMY.Types.Filter(expression)] as unknown as FilterAst;
  } catch (err) {
    if (err instanceof ScimError) throw err;
    // scimmy's own SCIMError carries a useful message; anything else is a parser crash.
    const scimmyMessage = (err as { name?: string; message?: string }).name === "SCIMError" ? (err as Error).message : "unexpected syntax";
    throw invalidFilter(`Invalid filter: ${scimmyMessage}`);
  }
  if (ast.length === 0) throw invalidFilter("Invalid filter: it is empty");
  for (const branch of ast) assertComplete(branch, expression);
  return ast.map(withoutCoreUrns);
}
