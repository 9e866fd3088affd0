import type { NextFunction, Request, RequestHandler } from "express";
import { retryAfterSeconds, type AddressLimiter } from "../http/address-throttle.js";
import { ScimError } from "../scim/errors.js";
import type { StaticTokens } from "./bearer-token.js";
import type { JwtVerifier } from "./jwt-verifier.js";

declare module "express-serve-static-core" {
  interface Request {
    /** Who is calling, for audit lines: "token#1" or "jwt:<sub>". Never the token itself. */
    scimClient?: string;
    scimError?: unknown;
  }
}

const looksLikeJwt = (t: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(t);

function unauthorized(detail: string, tokenSent: boolean): ScimError {
  const challenge = tokenSent ? 'Bearer realm="scim", error="invalid_token"' : 'Bearer realm="scim"';
  return new ScimError(401, null, detail, { "WWW-Authenticate": challenge });
}

/** Failed authentications counted per client address; past the limit a failure is a 429. */
export interface FailureThrottle {
  /** With replicas, counted in Redis (shared-state/redis-address-throttle.ts). */
  throttle: AddressLimiter;
  addressOf(req: Request): string;
}

/**
 * Authorization: Bearer, checked before anything else of the SCIM API runs. A valid token is
 * always accepted; a failure from an address that has failed too often answers 429 with
 * Retry-After instead of 401, so tokens cannot be guessed at line rate.
 */
export function authenticate(tokens: StaticTokens, jwt: JwtVerifier | null, failures?: FailureThrottle): RequestHandler {
  const throttled = async (req: Request, error: ScimError): Promise<ScimError> => {
    const waitMs = failures ? await failures.throttle.hit(failures.addressOf(req)) : 0;
    if (waitMs === 0) return error;
    return new ScimError(429, null, "Too many failed authentications from this address; try again later", { "Retry-After": retryAfterSeconds(waitMs) });
  };
  // A refusal is always an error passed on: the count decides only between 401 and 429.
  const refuse = (req: Request, next: NextFunction, error: ScimError): void => {
    throttled(req, error).then(next, next);
  };
  return (req, _res, next) => {
    const header = req.get("authorization");
    // "Bearer Bearer <token>": Entra adds the scheme itself, and admins often paste it too.
    const match = header ? /^Bearer\s+(?:Bearer\s+)?(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      refuse(req, next, unauthorized("Missing bearer token (Authorization: Bearer <token>)", false));
      return;
    }
    const token = match[1]!;
    const index = tokens.match(token);
    if (index >= 0) {
      req.scimClient = `token#${index + 1}`;
      next();
      return;
    }
    if (jwt && looksLikeJwt(token)) {
      jwt.verify(token).then(
        (payload) => {
          req.scimClient = `jwt:${String(payload.sub ?? payload.azp ?? "unknown").slice(0, 64)}`;
          next();
        },
        () => refuse(req, next, unauthorized("Invalid bearer token", true)),
      );
      return;
    }
    refuse(req, next, unauthorized("Invalid bearer token", true));
  };
}
