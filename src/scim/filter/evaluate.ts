import { isCondition, isConditionList, type Condition, type FilterAst, type FilterBranch, type FilterNode } from "./parse.js";
import { isPlainObject } from "../json.js";

/**
 * Evaluates a parsed SCIM filter against a SCIM resource (plain JSON) with RFC 7644 §3.4.2.2
 * semantics: attribute names case-insensitive; string comparison case-insensitive unless the
 * attribute is caseExact; dates compared as instants; a condition on a multi-valued attribute
 * holds when any value satisfies it; a missing attribute satisfies nothing but `not`.
 * Written here because scimmy's Filter.match is case-sensitive and throws on missing complex
 * attributes (shared notes, scimmy.md §3.3).
 */
const CASE_EXACT = new Set(["id", "externalid", "meta.version", "meta.location", "members.value", "groups.value", "manager.value"]);
const DATE_ATTRIBUTES = new Set(["meta.created", "meta.lastmodified"]);


function getAttribute(node: unknown, name: string): unknown {
  if (!isPlainObject(node)) return undefined;
  if (name in node) return node[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(node)) if (key.toLowerCase() === lower) return node[key];
  // "urn:…:enterprise:2.0:User:department": the extension object, then the attribute in it.
  if (lower.startsWith("urn:")) {
    for (const key of Object.keys(node)) {
      if (lower.startsWith(`${key.toLowerCase()}:`)) return getAttribute(node[key], name.slice(key.length + 1));
    }
  }
  return undefined;
}

function isPresent(v: unknown): boolean {
  if (v === undefined || v === null || v === "") return false;
  if (Array.isArray(v)) return v.some(isPresent);
  if (isPlainObject(v)) return Object.values(v).some(isPresent);
  return true;
}

function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  return undefined;
}

function compareScalar(actual: unknown, op: string, expected: unknown, path: string): boolean {
  if (actual === undefined || actual === null) return false;
  if (isPlainObject(actual)) return compareScalar(getAttribute(actual, "value"), op, expected, `${path}.value`);
  const lowerPath = path.toLowerCase();

  if (DATE_ATTRIBUTES.has(lowerPath) || (typeof expected === "string" && typeof actual === "string" && /^\d{4}-\d\d-\d\dT/.test(expected) && /^\d{4}-\d\d-\d\dT/.test(actual))) {
    const a = Date.parse(String(actual));
    const e = Date.parse(String(expected));
    if (!Number.isNaN(a) && !Number.isNaN(e)) return compareOrdered(a, op, e);
  }
  if (typeof actual === "boolean") {
    const e = asBoolean(expected);
    if (e === undefined) return false;
    return op === "eq" ? actual === e : op === "ne" ? actual !== e : false;
  }
  if (typeof actual === "number") {
    const e = typeof expected === "number" ? expected : Number(expected);
    if (Number.isNaN(e)) return false;
    return compareOrdered(actual, op, e);
  }
  if (expected === null) return op === "ne";
  const caseExact = CASE_EXACT.has(lowerPath) || [...CASE_EXACT].some((p) => lowerPath.endsWith(`:${p}`));
  const a = caseExact ? String(actual) : String(actual).toLowerCase();
  const e = caseExact ? String(expected) : String(expected).toLowerCase();
  switch (op) {
    case "eq": return a === e;
    case "ne": return a !== e;
    case "co": return a.includes(e);
    case "sw": return a.startsWith(e);
    case "ew": return a.endsWith(e);
    default: return compareOrdered(a, op, e);
  }
}

function compareOrdered<T extends number | string>(a: T, op: string, e: T): boolean {
  switch (op) {
    case "eq": return a === e;
    case "ne": return a !== e;
    case "gt": return a > e;
    case "ge": return a >= e;
    case "lt": return a < e;
    case "le": return a <= e;
    default: return false;
  }
}

function evaluateCondition(value: unknown, condition: Condition, path: string): boolean {
  if (condition[0] === "not") {
    const [, op, expected] = condition as readonly ["not", string, unknown?];
    return !evaluateCondition(value, [op, expected], path);
  }
  const [op, expected] = condition as readonly [string, unknown?];
  if (op === "pr") return isPresent(value);
  if (Array.isArray(value)) {
    // `ne` on a multi-valued attribute: no value equals it.
    if (op === "ne") return value.every((v) => compareScalar(v, "ne", expected, path));
    return value.some((v) => compareScalar(v, op, expected, path));
  }
  if (value === undefined || value === null) return op === "ne" && expected !== null;
  return compareScalar(value, op, expected, path);
}

function evaluateNode(value: unknown, node: FilterNode, path: string): boolean {
  if (isCondition(node)) return evaluateCondition(value, node, path);
  if (isConditionList(node)) return node.every((c) => evaluateCondition(value, c, path));
  const branch = node as FilterBranch;
  if (Array.isArray(value)) return value.some((element) => matchBranch(element, branch, path));
  return matchBranch(value, branch, path);
}

function matchBranch(resource: unknown, branch: FilterBranch, prefix = ""): boolean {
  for (const [attribute, node] of Object.entries(branch)) {
    const path = prefix ? `${prefix}.${attribute}` : attribute;
    if (!evaluateNode(getAttribute(resource, attribute), node, path)) return false;
  }
  return true;
}

export function matchesFilter(resource: unknown, ast: FilterAst): boolean {
  return ast.some((branch) => matchBranch(resource, branch));
}
