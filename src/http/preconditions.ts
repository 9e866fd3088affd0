import type { Request, RequestHandler, Response } from "express";
import { userFromCustomer } from "../mapping/customer-to-user.js";
import type { ScimServices } from "../scim/context.js";
import { ScimError } from "../scim/errors.js";

/**
 * ETags (RFC 7644 §3.14) from the `meta.version` every User and Group already carries:
 * - every answer that carries a resource with a version carries it as `ETag`;
 * - GET with `If-None-Match` naming that version (or `*`) answers 304 without a body;
 * - PUT, PATCH and DELETE with `If-Match` read the resource's current version first and answer
 *   412 Precondition Failed unless it is named (or `*`).
 * Express's own freshness check is kept out of it: it would answer `If-None-Match: *` with 304
 * on any GET, lists included. The If-Match check reads, then the write runs: two requests racing
 * on the same resource within that window are not told apart (BigCommerce has no conditional
 * write to close it).
 */
type ResourceKind = "Users" | "Groups";
const RESOURCE_PATH = /^\/(Users|Groups)\/([^/]+)\/?$/i;

/** Entity tags in an If-Match / If-None-Match header; `W/` is ignored (SCIM clients echo what they got). */
function tagsOf(header: string): string[] {
  return header.split(",").map((t) => t.trim().replace(/^W\//, "")).filter((t) => t.length > 0);
}
const matches = (header: string, version: string) => tagsOf(header).some((t) => t === "*" || t === version);

function versionIn(body: unknown): string | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const version = (body as { meta?: { version?: unknown } }).meta?.version;
  return typeof version === "string" && version !== "" ? version : undefined;
}

/** The version a client would see now (Groups with their members, which are part of it). */
async function currentVersion(services: ScimServices, kind: ResourceKind, id: string, baseUrl: string): Promise<string | undefined> {
  if (kind === "Users") {
    return versionIn(userFromCustomer(await services.users.reader.getCustomer(id), services.userView(baseUrl)));
  }
  return versionIn(await services.groups.get(id, { members: true, baseUrl }));
}

function sendWithETag(req: Request, res: Response, ifNoneMatch: string | undefined): void {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    const version = versionIn(body);
    if (version && res.statusCode >= 200 && res.statusCode < 300) {
      res.setHeader("ETag", version);
      if ((req.method === "GET" || req.method === "HEAD") && ifNoneMatch && matches(ifNoneMatch, version)) {
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
    const kind: ResourceKind = target[1]!.toLowerCase() === "users" ? "Users" : "Groups";
    currentVersion(services, kind, decodeURIComponent(target[2]!), baseUrlOf(req)).then((version) => {
      if (version && matches(ifMatch, version)) return next();
      next(new ScimError(412, null, `Precondition failed: the ${kind === "Users" ? "User" : "Group"} has changed since the version named in If-Match`));
    }, next);
  };
}
