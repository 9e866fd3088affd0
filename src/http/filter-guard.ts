import type { RequestHandler } from "express";
import { parseFilter } from "../scim/filter/parse.js";

/**
 * scimmy parses `filter` while it builds a resource, before any of our code runs, and some
 * malformed filters crash its parser with a TypeError that it answers as a 500 carrying the
 * exception text. Parsing them here first turns every malformed filter into 400 invalidFilter.
 */
export const filterGuard: RequestHandler = (req, _res, next) => {
  const fromQuery = req.method === "GET" ? (req.query as Record<string, unknown>).filter : undefined;
  const fromSearch = req.method === "POST" && req.path.endsWith("/.search") ? (req.body as { filter?: unknown } | undefined)?.filter : undefined;
  const filter = fromQuery ?? fromSearch;
  try {
    if (typeof filter === "string" && filter.trim() !== "") parseFilter(filter);
    next();
  } catch (err) {
    next(err);
  }
};
