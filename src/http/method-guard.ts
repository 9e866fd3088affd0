import type { RequestHandler } from "express";
import { ScimError } from "../scim/errors.js";

/**
 * The SCIM endpoints this bridge serves and the methods each accepts. A known path asked with
 * another method is answered 405 with `Allow` (RFC 9110 §15.5.6), not scimmy's 404 "Endpoint
 * Not Found", so a client can tell a wrong method from a wrong URL. Unknown paths fall through to
 * the 404 further on.
 */
const ENDPOINTS: [RegExp, string[]][] = [
  [/^\/(Users|Groups)\/?$/i, ["GET", "POST"]],
  [/^\/((Users|Groups)\/)?\.search\/?$/i, ["POST"]],
  [/^\/(Users|Groups)\/[^/]+\/?$/i, ["GET", "PUT", "PATCH", "DELETE"]],
  [/^\/(Schemas|ResourceTypes)(\/[^/]+)?\/?$/i, ["GET"]],
  [/^\/(ServiceProviderConfig|Me)\/?$/i, ["GET"]],
  [/^\/Bulk\/?$/i, ["POST"]],
];

export function allowedMethods(path: string): string[] | undefined {
  const methods = ENDPOINTS.find(([pattern]) => pattern.test(path))?.[1];
  return methods?.includes("GET") ? [...methods, "HEAD"] : methods;
}

export const methodGuard: RequestHandler = (req, _res, next) => {
  const allowed = allowedMethods(req.path);
  if (!allowed || allowed.includes(req.method)) return next();
  next(new ScimError(405, null, `${req.method} is not supported on this endpoint; use ${allowed.join(", ")}`, { Allow: allowed.join(", ") }));
};
