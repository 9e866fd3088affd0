/**
 * The emulator's express app. Per request, in order: log, store lookup, auth (401), fault rules,
 * quota and concurrency caps (429, before any handler can mutate anything), fixed latency, JSON
 * body parsing, the resource routes, and one error handler that always answers JSON.
 */
import express, { type NextFunction, type Request, type Response, Router } from "express";
import type { EmulatorContext } from "./context.js";
import { normalizeQuery } from "./query.js";
import { ApiError, ERROR_TYPE, v2Error, v3Error } from "./errors.js";
import type { FaultInjector, FaultRule } from "./faults.js";
import { concurrencyCap, type RateLimiter, rateHeaders, retryAfterSeconds } from "./rate-limiter.js";
import type { RequestLogEntry } from "./request-log.js";
import { addressesRouter } from "./routes/addresses.js";
import { attributeValuesRouter } from "./routes/attribute-values.js";
import { attributesRouter } from "./routes/attributes.js";
import { channelsRouter } from "./routes/channels.js";
import { customerGroupsRouter } from "./routes/customer-groups.js";
import { customersRouter } from "./routes/customers.js";
import { notFound } from "./routes/fallback.js";
import { metafieldsRouter } from "./routes/metafields.js";
import { settingsRouter } from "./routes/settings.js";
import { storefrontRouter } from "./routes/storefront-login.js";
import { scopeAllows } from "./scopes.js";
import { validateCredentialsRouter } from "./routes/validate-credentials.js";

export interface EmulatorRuntime extends EmulatorContext {
  readonly limiter: RateLimiter;
  readonly faults: FaultInjector;
  readonly requests: RequestLogEntry[];
}

/** The `:storeHash` path segment (express types params as string | string[]). */
const hashOf = (req: Request): string => String(req.params.storeHash ?? "");

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isV2Path(path: string): boolean {
  return path.startsWith("/v2/");
}

/** Status text for injected faults, in the V3 error shape. */
function faultBody(status: number, v2: boolean): unknown {
  const titles: Record<number, string> = {
    429: "Too many requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  const title = titles[status] ?? `Injected fault ${status}`;
  return v2 ? [{ status, message: title }] : { status, title, type: ERROR_TYPE, errors: {} };
}

function logRequests(runtime: EmulatorRuntime) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const at = Date.now();
    const url = req.originalUrl;
    const q = url.indexOf("?");
    const entry: RequestLogEntry = {
      method: req.method,
      path: q === -1 ? url : url.slice(0, q),
      storeHash: hashOf(req),
      query: normalizeQuery(req.query),
      rawQuery: q === -1 ? "" : url.slice(q + 1),
      status: 0,
      dropped: false,
      at,
      durationMs: 0,
    };
    res.locals.logEntry = entry;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      entry.status = res.statusCode;
      entry.durationMs = Date.now() - at;
      if (Array.isArray(req.body)) entry.items = (req.body as unknown[]).length;
      runtime.requests.push(entry);
    };
    res.on("finish", finish);
    res.on("close", finish);
    next();
  };
}

function authenticate(runtime: EmulatorRuntime) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = req.get("x-auth-token");
    const expected = runtime.options.accessToken;
    if (token === undefined || token === "" || (expected !== undefined && token !== expected)) {
      res.set(rateHeaders(runtime.limiter.peek(hashOf(req))));
      const message = token === undefined || token === "" ? "Missing X-Auth-Token" : "Invalid X-Auth-Token";
      throw isV2Path(req.path) ? v2Error(401, message) : v3Error(401, message);
    }
    // A valid token without the endpoint's scope: 403 "Missing scope" (customers.v3.yml).
    const scopes = runtime.options.tokenScopes;
    const granted = scopes !== undefined && Object.hasOwn(scopes, token) ? scopes[token] : undefined;
    if (granted !== undefined && !scopeAllows(granted, req.method, req.path)) {
      res.set(rateHeaders(runtime.limiter.peek(hashOf(req))));
      throw isV2Path(req.path) ? v2Error(403, "Missing scope") : new ApiError(403, { code: 403, message: "Missing scope" });
    }
    next();
  };
}

/** Applies the matching fault rule: delay, canned status, or socket drops. */
function injectFaults(runtime: EmulatorRuntime) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const storeHash = hashOf(req);
    const rule: FaultRule | undefined = runtime.faults.match({
      method: req.method,
      storeHash,
      path: req.path,
      fullPath: (res.locals.logEntry as RequestLogEntry).path,
    });
    if (rule === undefined) return next();
    if (rule.delayMs !== undefined && rule.delayMs > 0) await sleep(rule.delayMs);
    const entry = res.locals.logEntry as RequestLogEntry;
    if (rule.dropRequest) {
      entry.dropped = true;
      req.socket.destroy();
      return;
    }
    if (rule.status !== undefined) {
      if (rule.rateHeaders !== false) {
        const snapshot = runtime.limiter.peek(storeHash);
        res.set(rateHeaders(snapshot));
        if (rule.status === 429) res.set("X-Retry-After", String(retryAfterSeconds(snapshot)));
      }
      res.set(rule.headers ?? {});
      res.status(rule.status);
      const body = rule.body === undefined ? faultBody(rule.status, isV2Path(req.path)) : rule.body;
      if (body === null || rule.status === 204) res.end();
      else res.json(body);
      return;
    }
    if (rule.delayAfterHandlingMs !== undefined && rule.delayAfterHandlingMs > 0 && !rule.dropResponse) {
      // Let the handler perform the write, then hold the answer back; if the client has gone
      // by then, the answer is simply lost (the write stays).
      const delay = rule.delayAfterHandlingMs;
      const end = res.end.bind(res) as (...args: unknown[]) => Response;
      res.end = (((...args: unknown[]) => {
        setTimeout(() => {
          if (!req.socket.destroyed) end(...args);
        }, delay);
        return res;
      }) as unknown) as Response["end"];
    }
    if (rule.dropResponse) {
      // Let the handler perform the write, then cut the connection before a byte is sent.
      res.end = ((() => {
        entry.dropped = true;
        req.socket.destroy();
        return res;
      }) as unknown) as Response["end"];
    }
    next();
  };
}

function limitRate(runtime: EmulatorRuntime) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const storeHash = hashOf(req);
    const { allowed, snapshot } = runtime.limiter.consume(storeHash);
    res.set(rateHeaders(snapshot));
    if (!allowed) {
      res.set("X-Retry-After", String(retryAfterSeconds(snapshot)));
      throw isV2Path(req.path) ? v2Error(429, "Too many requests") : v3Error(429, "Too many requests");
    }
    const cap = runtime.options.concurrencyCaps ? concurrencyCap(req.method, req.path) : undefined;
    if (cap !== undefined) {
      if (!runtime.limiter.acquire(storeHash, cap.key, cap.limit)) {
        const title = `Too many concurrent requests: at most ${cap.limit} for ${cap.key}`;
        throw isV2Path(req.path) ? v2Error(429, title) : v3Error(429, title);
      }
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        runtime.limiter.release(storeHash, cap.key);
      };
      res.on("finish", release);
      res.on("close", release);
    }
    if (runtime.options.latencyMs > 0) await sleep(runtime.options.latencyMs);
    next();
  };
}

/** BigCommerce is JSON-only: a body in any other media type is 415. */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = Number(req.get("content-length") ?? 0) > 0 || req.get("transfer-encoding") !== undefined;
  if (hasBody && !req.is("application/json")) {
    throw isV2Path(req.path)
      ? v2Error(415, "The request content type must be application/json.")
      : v3Error(415, "The request content type must be application/json.");
  }
  next();
}

function handleErrors(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  if (res.headersSent) return;
  const v2 = isV2Path(req.path);
  let apiError: ApiError;
  if (error instanceof ApiError) apiError = error;
  else {
    const type = (error as { type?: string }).type;
    if (type === "entity.parse.failed") {
      apiError = v2
        ? v2Error(400, "The request body is not valid JSON.")
        : new ApiError(400, { status: 400, title: "Input is invalid", type: ERROR_TYPE, detail: "Syntax error" });
    } else if (type === "entity.too.large") {
      apiError = v2 ? v2Error(413, "The request body is too large.") : v3Error(413, "The request payload is too large.");
    } else {
      console.error("emulator: unexpected error", error);
      apiError = v2 ? v2Error(500, "Internal Server Error") : v3Error(500, "Internal Server Error");
    }
  }
  res.set(apiError.headers).status(apiError.status).json(apiError.body);
}

export function createEmulatorApp(runtime: EmulatorRuntime, admin?: Router): express.Express {
  const app = express();
  app.set("etag", false);
  app.set("x-powered-by", false);
  app.set("query parser", "simple");
  if (admin !== undefined) app.use("/__emulator", express.json({ limit: "1mb" }), admin);

  const api = Router({ mergeParams: true });
  api.use(logRequests(runtime));
  api.use((req, res, next) => {
    res.locals.store = runtime.store(hashOf(req));
    next();
  });
  api.use(authenticate(runtime));
  api.use(injectFaults(runtime));
  api.use(limitRate(runtime));
  api.use(requireJsonBody);
  api.use(express.json({ limit: "1mb" }));
  for (const routes of [
    customersRouter,
    addressesRouter,
    attributesRouter,
    attributeValuesRouter,
    metafieldsRouter,
    settingsRouter,
    validateCredentialsRouter,
    channelsRouter,
    customerGroupsRouter,
  ]) {
    api.use(routes(runtime));
  }
  api.use(notFound);
  app.use("/stores/:storeHash", api);
  app.use(storefrontRouter(runtime));
  app.use((_req: Request, _res: Response) => {
    throw new ApiError(404, { status: 404, title: "Not Found", type: ERROR_TYPE, errors: {} });
  });
  app.use(handleErrors);
  return app;
}
