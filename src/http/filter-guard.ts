import type { RequestHandler } from "express";
import { filterOfRequest } from "../scim/filter/request-filter.js";

/**
 * Parses a list or search request's `filter` once, before scimmy-routers runs: a malformed filter
 * is a 400 invalidFilter on every endpoint, and the resources take the parsed tree from the
 * request (filterOfRequest) rather than parsing the text again. The bridge's resources never
 * hand the filter to scimmy (resources.ts), whose parser rejects legal filters.
 */
export const filterGuard: RequestHandler = (req, _res, next) => {
  const fromQuery = req.method === "GET" ? (req.query as Record<string, unknown>).filter : undefined;
  const fromSearch = req.method === "POST" && req.path.endsWith("/.search") ? (req.body as { filter?: unknown } | undefined)?.filter : undefined;
  const filter = fromQuery ?? fromSearch;
  try {
    if (typeof filter === "string" && filter.trim() !== "") filterOfRequest(req, filter);
    next();
  } catch (err) {
    next(err);
  }
};
