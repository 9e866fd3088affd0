import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "pino";
import { notFound, ScimError, toScimError } from "../scim/errors.js";

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

export function sendScimError(res: Parameters<RequestHandler>[1], error: ScimError): void {
  res.status(error.status);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader("Content-Type", SCIM_CONTENT_TYPE);
  res.end(JSON.stringify(error));
}

/** Any path nobody serves: a SCIM 404, never Express's HTML page. */
export const notFoundHandler: RequestHandler = (_req, res) => {
  sendScimError(res, notFound("Endpoint"));
};

/**
 * The last handler of the app. Errors scimmy-routers could not serialise (429, 502, 503) arrive
 * here as the TypeError its serialiser threw; the real error was kept on the request. Whatever
 * it is, the client gets SCIM JSON, never HTML and never a stack trace.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) return; // scimmy-routers already answered and only forwards 5xx for logging
    const error = req.scimError instanceof ScimError ? req.scimError : toScimError(err);
    if (error.status >= 500 && !(req.scimError instanceof ScimError)) logger.error({ err, reqId: req.id }, "unhandled error");
    sendScimError(res, error);
  };
}
