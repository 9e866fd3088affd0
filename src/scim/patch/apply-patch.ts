import { invalidSyntax, invalidValue, noTarget } from "../errors.js";
import { isPlainObject, type Json } from "../json.js";
import { matchesFilter } from "../filter/evaluate.js";
import { requiredEqualities, type FilterAst } from "../filter/ast.js";
import { toBoolean } from "../normalise/user-body.js";
import { parsePatchPath, type PatchPath } from "./path.js";

/**
 * Applies RFC 7644 PATCH operations to a plain SCIM resource, accepting what Okta, Entra ID and
 * OneLogin really send: any case of `op`, "True"/"False" strings, no-path operations whose
 * keys are dotted or URN-prefixed paths, `""`/`null` meaning remove, and filtered paths on
 * add/replace that create the element when none matches (Entra's `emails[type eq "work"].value`).
 * All operations apply to a copy, so either all apply or the request fails with none applied.
 * Removal writes `null` rather than deleting the key: downstream, `null` means "clear" and an
 * absent key means "unchanged".
 */
export interface PatchOperation {
  op: string;
  path?: unknown;
  value?: unknown;
}

export interface PatchTarget {
  /** Extension URNs of the resource type, for URN-prefixed paths. */
  urns: readonly string[];
  /** Canonical names of multi-valued attributes. */
  multiValued: ReadonlySet<string>;
  /** Attributes clients may send back but never change (id, meta, …): silently ignored. */
  readOnly: ReadonlySet<string>;
  /** Boolean attributes whose string forms are coerced ("active", "primary"). */
  booleans: ReadonlySet<string>;
  /**
   * Extension attributes clients also address without their URN (lower-case name -> URN), such
   * as Entra's legacy `manager` path for the enterprise extension's manager.
   */
  aliases?: Readonly<Record<string, string>>;
}

const isEmpty = (v: unknown) => v === null || v === "" || (isPlainObject(v) && Object.values(v).every((x) => x === null || x === ""));

function findKey(node: Json, name: string): string {
  if (name in node) return name;
  const lower = name.toLowerCase();
  return Object.keys(node).find((k) => k.toLowerCase() === lower) ?? name;
}

function coerce(target: PatchTarget, name: string, value: unknown): unknown {
  if (target.booleans.has(name.toLowerCase())) return toBoolean(value);
  if (Array.isArray(value)) return value.map((v) => (isPlainObject(v) ? coerceObject(target, v) : v));
  if (isPlainObject(value)) return coerceObject(target, value);
  return value;
}

function coerceObject(target: PatchTarget, obj: Json): Json {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, coerce(target, k, v)]));
}

/** The object that holds the attribute: the resource, or its extension object. */
function container(resource: Json, path: PatchPath, create: boolean): Json | undefined {
  if (!path.urn) return resource;
  const key = findKey(resource, path.urn);
  if (!isPlainObject(resource[key])) {
    if (!create) return undefined;
    resource[key] = {};
  }
  return resource[key] as Json;
}

/** An element to insert when a filtered add/replace matches nothing: the filter's equalities. */
function elementFromFilter(filter: FilterAst, filterText: string): Json {
  const element: Json = Object.fromEntries(requiredEqualities(filter));
  if (Object.keys(element).length === 0) {
    throw noTarget(`No value matches '${filterText}' and an element cannot be built from it`);
  }
  return element;
}

function applyOne(resource: Json, target: PatchTarget, op: "add" | "replace" | "remove", rawPath: string, rawValue: unknown): void {
  const parsed = parsePatchPath(rawPath, target.urns);
  const alias = parsed.urn ? undefined : target.aliases?.[parsed.attribute.toLowerCase()];
  const path = alias ? { ...parsed, urn: alias } : parsed;
  if (!path.urn && target.readOnly.has(path.attribute.toLowerCase())) return;
  const holder = container(resource, path, op !== "remove");
  if (!holder) return;
  const key = findKey(holder, path.attribute);
  const multiValued = target.multiValued.has(key) || target.multiValued.has(path.attribute);
  const value = coerce(target, path.subAttribute ?? path.attribute, rawValue);
  const removing = op === "remove" || (value !== undefined && isEmpty(value) && !multiValued) || (multiValued && value === null);

  if (path.filter) {
    const list = Array.isArray(holder[key]) ? (holder[key] as unknown[]) : [];
    const matches = list.filter((el) => matchesFilter(el, path.filter!));
    if (removing) {
      // (Braced: an unbraced `else` here bound to the inner `if`, so `remove attr[filter]` removed nothing.)
      if (path.subAttribute) {
        for (const el of matches) if (isPlainObject(el)) el[findKey(el, path.subAttribute)] = null;
      } else {
        holder[key] = list.filter((el) => !matches.includes(el));
      }
      return;
    }
    if (matches.length === 0) {
      const element = elementFromFilter(path.filter, path.filterText!);
      if (path.subAttribute) element[path.subAttribute] = value;
      else if (isPlainObject(value)) Object.assign(element, value);
      holder[key] = [...list, element];
      return;
    }
    for (const el of matches) {
      if (!isPlainObject(el)) continue;
      if (path.subAttribute) el[findKey(el, path.subAttribute)] = value;
      else if (isPlainObject(value)) Object.assign(el, value);
    }
    return;
  }

  if (path.subAttribute) {
    // attr.sub on a complex (or multi-valued: every element) attribute.
    const current = holder[key];
    if (removing) {
      if (isPlainObject(current)) current[findKey(current, path.subAttribute)] = null;
      else if (Array.isArray(current)) for (const el of current) if (isPlainObject(el)) el[findKey(el, path.subAttribute)] = null;
      return;
    }
    if (Array.isArray(current)) {
      for (const el of current) if (isPlainObject(el)) el[findKey(el, path.subAttribute)] = value;
      return;
    }
    const obj = isPlainObject(current) ? current : (holder[key] = {} as Json);
    (obj as Json)[findKey(obj as Json, path.subAttribute)] = value;
    return;
  }

  if (multiValued) {
    const list = Array.isArray(holder[key]) ? (holder[key] as unknown[]) : [];
    if (op === "remove") {
      // Entra: remove with a value list removes those values; without, clears the attribute.
      if (Array.isArray(rawValue) && rawValue.length > 0) {
        const gone = new Set(rawValue.map((v) => String(isPlainObject(v) ? v.value : v)));
        holder[key] = list.filter((el) => !gone.has(String(isPlainObject(el) ? el.value : el)));
      } else {
        holder[key] = null;
      }
      return;
    }
    if (value === null) {
      holder[key] = null;
      return;
    }
    const values = (Array.isArray(value) ? value : [value]).filter((v) => v !== null && v !== undefined);
    if (op === "replace") {
      holder[key] = values;
      return;
    }
    // At most one value is primary (RFC 7643 §2.4): a new primary demotes the others.
    if (values.some((v) => isPlainObject(v) && v.primary === true)) {
      for (const el of list) if (isPlainObject(el) && el.primary === true) el.primary = false;
    }
    // add: new values join; a value already present is replaced by the new one (no duplicates).
    const keyOf = (v: unknown) => (isPlainObject(v) && v.value !== undefined ? `v:${String(v.value).toLowerCase()}` : `j:${JSON.stringify(v)}`);
    const incoming = new Set(values.map(keyOf));
    holder[key] = [...list.filter((el) => !incoming.has(keyOf(el))), ...values];
    return;
  }

  if (removing) {
    holder[key] = null;
    return;
  }
  // Complex attributes: the given sub-attributes replace or add; the others stay (RFC 7644 §3.5.2.3).
  if (isPlainObject(value) && isPlainObject(holder[key])) {
    Object.assign(holder[key] as Json, value);
    return;
  }
  holder[key] = value;
}

export function applyPatch(resource: Json, operations: unknown, target: PatchTarget): Json {
  if (!Array.isArray(operations) || operations.length === 0) {
    throw invalidValue("PatchOp request body must contain 'Operations' with at least one operation");
  }
  const copy = structuredClone(resource);
  operations.forEach((raw, index) => {
    if (!isPlainObject(raw)) throw invalidSyntax(`Operation ${index + 1} must be an object`);
    const op = typeof raw.op === "string" ? raw.op.toLowerCase() : "";
    if (op !== "add" && op !== "replace" && op !== "remove") {
      throw invalidSyntax(`Operation ${index + 1} has an unknown op '${String(raw.op)}' (add, replace or remove)`);
    }
    const path = raw.path;
    if (path !== undefined && path !== null && typeof path !== "string") {
      throw invalidSyntax(`Operation ${index + 1} has a path that is not a string`);
    }
    if (path === undefined || path === null || path === "") {
      if (op === "remove") throw noTarget(`Operation ${index + 1}: 'remove' needs a path`);
      if (!isPlainObject(raw.value)) {
        throw invalidValue(`Operation ${index + 1}: without a path, 'value' must be an object of attribute paths`);
      }
      for (const [k, v] of Object.entries(raw.value)) applyOne(copy, target, op, k, v);
      return;
    }
    if (op === "add" && raw.value === undefined) throw invalidValue(`Operation ${index + 1}: 'add' needs a value`);
    applyOne(copy, target, op, path, raw.value);
  });
  return copy;
}
