/**
 * What every route needs from the running emulator: the live options (tests change them at
 * run time) and the per-store data. Routes read the store through `storeOf(res)`, which the
 * app resolves once per request from the `:storeHash` path segment.
 */
import type { Request, Response } from "express";
import type { ResolvedOptions } from "./options.js";
import type { EmulatorStore } from "./store.js";
import { normalizeQuery, type Query } from "./query.js";

export interface EmulatorContext {
  readonly options: ResolvedOptions;
  store(storeHash: string): EmulatorStore;
  now(): Date;
}

export function storeOf(res: Response): EmulatorStore {
  return res.locals.store as EmulatorStore;
}

export function queryOf(req: Request): Query {
  return normalizeQuery(req.query);
}

/** The query string exactly as sent (without `?`), for pagination links. */
export function rawQueryOf(req: Request): string {
  const url = req.originalUrl;
  const at = url.indexOf("?");
  return at === -1 ? "" : url.slice(at + 1);
}

/** A V3 write response: `{data, meta: {}}`. */
export function sendData(res: Response, data: unknown, status = 200): void {
  res.status(status).json({ data, meta: {} });
}
