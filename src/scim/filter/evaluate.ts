import { foldEmail } from "../../email-fold.js";
import { isPlainObject } from "../json.js";
import { pathText, type AttributePath, type CompareOperator, type FilterAst, type Literal } from "./ast.js";

/**
 * Evaluates a parsed SCIM filter against a SCIM resource (plain JSON) with RFC 7644 §3.4.2.2
 * semantics: attribute names case-insensitive; string comparison case-insensitive unless the
 * attribute is caseExact; dates compared as instants; a condition on a multi-valued attribute
 * holds when any value satisfies it (`ne`: when no value equals); a missing attribute satisfies
 * nothing but `ne` and `not`. A value path (`emails[type eq "work" and value co "a"]`) holds
 * when one element satisfies its whole filter.
 * Written here because scimmy's Filter.match is case-sensitive and throws on missing complex
 * attributes (shared notes, scimmy.md §3.3).
 */
const CASE_EXACT = new Set(["id", "externalid", "meta.version", "meta.location", "members.value", "groups.value", "manager.value"]);
const DATE_ATTRIBUTES = new Set(["meta.created", "meta.lastmodified"]);
const EMAIL_ATTRIBUTES = new Set(["username", "emails", "emails.value"]);
const isEmailKey = (key: string) => EMAIL_ATTRIBUTES.has(key) || [...EMAIL_ATTRIBUTES].some((p) => key.endsWith(`:${p}`));

function getAttribute(node: unknown, name: string): unknown {
  if (!isPlainObject(node)) return undefined;
  if (name in node) return node[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(node)) if (key.toLowerCase() === lower) return node[key];
  return undefined;
}

/** The value(s) a path names; a sub-attribute of a multi-valued attribute is every element's. */
function resolve(resource: unknown, path: AttributePath): unknown {
  const holder = path.urn === null ? resource : getAttribute(resource, path.urn);
  const top = getAttribute(holder, path.name);
  if (path.sub === null) return top;
  const sub = path.sub;
  if (Array.isArray(top)) return top.map((element) => getAttribute(element, sub)).filter((v) => v !== undefined);
  return getAttribute(top, sub);
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

const looksLikeDate = (v: unknown) => typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v);

function compareScalar(actual: unknown, op: CompareOperator, expected: Literal, key: string): boolean {
  if (actual === undefined || actual === null) return false;
  // A complex value compares by its `value` (`members eq "3"`, `emails co "x"`).
  if (isPlainObject(actual)) return compareScalar(getAttribute(actual, "value"), op, expected, `${key}.value`);

  if (DATE_ATTRIBUTES.has(key) || (looksLikeDate(expected) && looksLikeDate(actual))) {
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
    if (expected === null || Number.isNaN(e)) return false;
    return compareOrdered(actual, op, e);
  }
  if (expected === null) return op === "ne";
  const caseExact = CASE_EXACT.has(key) || [...CASE_EXACT].some((p) => key.endsWith(`:${p}`));
  // Emails fold by the bridge's one rule (ASCII only), as every lookup and uniqueness check does.
  const fold = caseExact ? String : isEmailKey(key) ? (v: unknown) => foldEmail(String(v)) : (v: unknown) => String(v).toLowerCase();
  const a = fold(actual);
  const e = fold(expected);
  switch (op) {
    case "co": return a.includes(e);
    case "sw": return a.startsWith(e);
    case "ew": return a.endsWith(e);
    default: return compareOrdered(a, op, e);
  }
}

function compareOrdered<T extends number | string>(a: T, op: CompareOperator, e: T): boolean {
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

function compare(value: unknown, op: CompareOperator, expected: Literal, key: string): boolean {
  if (Array.isArray(value)) {
    if (op === "ne") return value.every((v) => compareScalar(v, "ne", expected, key));
    return value.some((v) => compareScalar(v, op, expected, key));
  }
  if (value === undefined || value === null) return op === "ne" && expected !== null;
  return compareScalar(value, op, expected, key);
}

/** `prefix` is the attribute a value path is evaluated in (`emails.` for `emails[value co "a"]`). */
function evaluate(resource: unknown, ast: FilterAst, prefix: string): boolean {
  switch (ast.type) {
    case "and": return ast.filters.every((f) => evaluate(resource, f, prefix));
    case "or": return ast.filters.some((f) => evaluate(resource, f, prefix));
    case "not": return !evaluate(resource, ast.filter, prefix);
    case "present": return isPresent(resolve(resource, ast.path));
    case "compare": {
      const key = `${prefix}${pathText(ast.path)}`.toLowerCase();
      return compare(resolve(resource, ast.path), ast.op, ast.value, key);
    }
    case "valuePath": {
      const container = resolve(resource, ast.path);
      const elements = Array.isArray(container) ? container : container === undefined || container === null ? [] : [container];
      const inner = `${prefix}${pathText(ast.path)}.`;
      return elements.some((element) => evaluate(element, ast.filter, inner));
    }
  }
}

export function matchesFilter(resource: unknown, ast: FilterAst): boolean {
  return evaluate(resource, ast, "");
}
