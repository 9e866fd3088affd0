import type { RequestHandler } from "express";
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

/** Authorization: Bearer, checked before anything else of the SCIM API runs. */
export function authenticate(tokens: StaticTokens, jwt: JwtVerifier | null): RequestHandler {
  return (req, _res, next) => {
    const header = req.get("authorization");
    // "Bearer Bearer <token>": Entra adds the scheme itself, and admins often paste it too.
    const match = header ? /^Bearer\s+(?:Bearer\s+)?(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      next(unauthorized("Missing bearer token (Authorization: Bearer <token>)", false));
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
        () => next(unauthorized("Invalid bearer token", true)),
      );
      return;
    }
    next(unauthorized("Invalid bearer token", true));
  };
}
