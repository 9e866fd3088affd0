/** Answers for paths and methods the emulator (like BigCommerce) does not serve. */
import type { Request, Response } from "express";
import { ApiError, v2Error, v3Error } from "../errors.js";

function isV2(req: Request): boolean {
  return /^\/stores\/[^/]+\/v2\//.test(req.originalUrl);
}

export function methodNotAllowed(req: Request, _res: Response): never {
  throw isV2(req) ? v2Error(405, "The requested method is not supported by this resource.") : v3Error(405, "Method Not Allowed");
}

export function notFound(req: Request, _res: Response): never {
  if (isV2(req)) throw v2Error(404, "The requested resource was not found.");
  throw new ApiError(404, {
    status: 404,
    title: "The resource at that URL is not found.",
    type: "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
    errors: {},
  });
}
