import type { RequestHandler } from "express";
import { invalidPath } from "../scim/errors.js";
import { isForbiddenKey } from "./json-body.js";

/**
 * A PATCH path naming `__proto__`, `constructor` or `prototype` (`__proto__.active`,
 * `name.constructor`) could reach an object's prototype in the code that walks the path. No SCIM
 * attribute has these names, so such a path is refused before the PATCH code sees it. Quoted
 * filter values (`emails[value eq "constructor"]`) are data, not names, and are not looked at.
 */
export function pathNamesForbiddenKey(path: string): boolean {
  const names = path.replace(/"(?:[^"\\]|\\.)*"/g, '""').match(/[\w$]+/g) ?? [];
  return names.some(isForbiddenKey);
}

export const patchPathGuard: RequestHandler = (req, _res, next) => {
  const operations: unknown = req.method === "PATCH" ? (req.body as { Operations?: unknown } | undefined)?.Operations : undefined;
  if (Array.isArray(operations)) {
    for (const op of operations) {
      const path: unknown = op && typeof op === "object" ? (op as { path?: unknown }).path : undefined;
      if (typeof path === "string" && pathNamesForbiddenKey(path)) {
        next(invalidPath(`The PATCH path '${path.slice(0, 64)}' names a forbidden attribute`));
        return;
      }
    }
  }
  next();
};
