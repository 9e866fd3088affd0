import type { Request, RequestHandler, Response } from "express";
import type { ScimServices } from "../scim/context.js";
import { matchesVersion, preconditionFailed, versionIn, withExpectedVersion } from "../scim/version-precondition.js";

/**
 * ETags (RFC 7644 §3.14) from the `meta.version` every User and Group already carries:
 * - every answer that carries a resource with a version carries it as `ETag`;
 * - GET with `If-None-Match` naming that version (or `*`) answers 304 without a body;
 * - PUT, PATCH and DELETE with `If-Match` answer 412 Precondition Failed, writing nothing, unless
 *   it names the current version (or is `*`). For Users the writer checks, inside its per-user
 *   lock, against the customer it has just read for the write (requireCurrentVersion), so a write
 *   through this bridge cannot slip in between. For Groups (whose version covers the members) the
 *   group is read here first; a write racing within that window is not told apart. Writes made
 *   in BigCommerce itself meanwhile are not seen either way: it has no conditional write.
 * Express's own freshness check is kept out of it: it would answer `If-None-Match: *` with 304
 * on any GET, lists included.
 */
const RESOURCE_PATH = /^\/(Users|Groups)\/([^/]+)\/?$/i;

function sendWithETag(req: Request, res: Response, ifNoneMatch: string | undefined): void {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    const version = versionIn(body);
    if (version && res.statusCode >= 200 && res.statusCode < 300) {
      res.setHeader("ETag", version);
      if ((req.method === "GET" || req.method === "HEAD") && ifNoneMatch && matchesVersion(ifNoneMatch, version)) {
        res.status(304).removeHeader("Content-Type");
        res.end();
        return res;
      }
    }
    return send(body);
  };
}

export function preconditions(services: ScimServices, baseUrlOf: (req: Request) => string): RequestHandler {
  return (req, res, next) => {
    const ifNoneMatch = req.headers["if-none-match"];
    const ifMatch = req.headers["if-match"];
    delete req.headers["if-none-match"];
    delete req.headers["if-modified-since"];
    sendWithETag(req, res, ifNoneMatch);
    const target = RESOURCE_PATH.exec(req.path);
    if (!ifMatch || !target || target[2] === ".search" || !["PUT", "PATCH", "DELETE"].includes(req.method)) return next();
    if (target[1]!.toLowerCase() === "users") {
      withExpectedVersion(ifMatch, next);
      return;
    }
    services.groups.get(decodeURIComponent(target[2]!), { members: true, baseUrl: baseUrlOf(req) }).then((group) => {
      const version = versionIn(group);
      if (version && matchesVersion(ifMatch, version)) return next();
      next(preconditionFailed("Group"));
    }, next);
  };
}
