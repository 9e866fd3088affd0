import type { RequestHandler } from "express";
import { invalidValue } from "../scim/errors.js";
import { isForbiddenKey } from "./json-body.js";

/**
 * `attributes`, `excludedAttributes`, `startIndex` and `count` checked before scimmy or our
 * projection sees them, on every resource and method (query string, or a /.search body).
 * scimmy splits attribute lists on "," and "." and crashes on an empty piece (`userName,`,
 * `name..givenName`), answering 500 with the exception text; an index beyond 2^31 is not a
 * page BigCommerce can serve and would come back blamed on the store.
 */
const NAME = "[A-Za-z$][\\w$-]*";
const URN = "urn:[A-Za-z0-9][\\w.:-]*";
// A value filter is allowed (`emails[type eq "work"]`, sent by Microsoft's test collection); the
// projection reads it, and the filter guard is not involved because it is not a `filter`.
const VALUE_FILTER = "(?:\\[[^\\[\\]]*\\])?";
const ATTRIBUTE_PATH = new RegExp(`^(?:${URN}:)?${NAME}${VALUE_FILTER}(?:\\.${NAME})?$|^${URN}$`);
const MAX_INDEX = 2_147_483_647;

function checkAttributeList(name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const items = Array.isArray(value) ? value : [value];
  if (!items.every((item) => typeof item === "string")) throw invalidValue(`'${name}' must be a comma-separated list of attribute names`);
  const joined = (items as string[]).join(",");
  if (joined.trim() === "") return; // empty means "not given"
  for (const raw of joined.split(",")) {
    const path = raw.trim();
    if (!ATTRIBUTE_PATH.test(path) || path.replace(/\[[^\]]*\]/g, "").split(/[.:]/).some(isForbiddenKey)) {
      throw invalidValue(`'${name}' must be a comma-separated list of attribute names; '${path.slice(0, 64)}' is not one`);
    }
  }
}

function checkIndex(name: string, value: unknown): void {
  if (value === undefined || value === null || value === "") return;
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || Math.abs(n) > MAX_INDEX) throw invalidValue(`'${name}' must be an integer no larger than ${MAX_INDEX}`);
}

/** Case-insensitive lookup, as the list code reads parameters. */
function paramsNamed(source: Record<string, unknown>, name: string): unknown[] {
  return Object.keys(source)
    .filter((k) => k.toLowerCase() === name.toLowerCase())
    .map((k) => source[k]);
}

function checkParams(source: Record<string, unknown>): void {
  for (const name of ["attributes", "excludedAttributes"]) for (const v of paramsNamed(source, name)) checkAttributeList(name, v);
  for (const name of ["startIndex", "count"]) for (const v of paramsNamed(source, name)) checkIndex(name, Array.isArray(v) ? NaN : v);
}

export const queryGuard: RequestHandler = (req, _res, next) => {
  try {
    checkParams(req.query as Record<string, unknown>);
    const body: unknown = req.body;
    if (req.method === "POST" && req.path.endsWith("/.search") && body && typeof body === "object" && !Array.isArray(body)) {
      checkParams(body as Record<string, unknown>);
    }
    next();
  } catch (err) {
    next(err);
  }
};
