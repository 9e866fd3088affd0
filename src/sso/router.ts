/**
 * Storefront sign-in: `GET /sso/login?redirect_to=/path` sends the shopper to the IdP;
 * `GET /sso/callback` validates the answer, finds the customer and sends the shopper to the
 * storefront's `/login/token/{jwt}`. Every refusal is an HTML page with its status and one audit
 * line; no refusal mints a token.
 */
import { type NextFunction, type Request, type Response, Router } from "express";
import type { Logger } from "pino";
import type { AuditTrail } from "../audit/audit-trail.js";
import type { Customer } from "../bigcommerce/api.js";
import { type CustomerMatcher, identityOf, type Identity } from "./customer-match.js";
import { toScimError } from "../scim/errors.js";
import { customerLoginUrl } from "./login-token.js";
import { refusalPage } from "./page.js";
import { SealedLogins } from "./sealed-logins.js";
import { redirectTargetOf } from "./redirect-target.js";
import { SsoRefusal } from "./refusals.js";
import type { RelyingParty } from "./relying-party.js";

/**
 * The pending sign-in cookie. Over https it is a `__Host-` cookie (Secure, Path=/, no Domain), so
 * no sibling subdomain can plant or overwrite it. Browsers refuse that prefix without Secure, so
 * on plain http (allowed on loopback only: tests and local demos) it is a plain cookie on /sso.
 * At Path=/ every sign-in route of the host shares the cookie's name space: routes under another
 * path (a tenant's /t/<id>/sso) name their cookie after that path (`pendingCookieName`), so a
 * sign-in started at one tenant does not overwrite a sign-in in progress at another.
 */
export const PENDING_COOKIE = { secure: "__Host-scim_bridge_sso", plain: "scim_bridge_sso" } as const;

/** The pending cookie's name for sign-in routes at `cookiePath` ("/sso", "/t/<id>/sso"). */
export function pendingCookieName(secure: boolean, cookiePath: string): string {
  if (!secure) return PENDING_COOKIE.plain; // scoped by its Path already
  const scope = cookiePath.replace(/\/sso$/, "");
  return scope === "" ? PENDING_COOKIE.secure : `${PENDING_COOKIE.secure}.${scope.slice(1).replace(/[^A-Za-z0-9-]/g, "_")}`;
}
const PENDING_TTL_MS = 10 * 60_000;

export interface SsoRouterDeps {
  relyingParty: RelyingParty;
  matcher: CustomerMatcher;
  /**
   * Creates and admits the customer for an unmatched verified identity (audited under the
   * request's id), or refuses with nothing left behind; absent = just-in-time creation off.
   */
  createCustomer: ((identity: Identity & { email: string }, requestId: string) => Promise<Customer>) | null;
  storefrontUrl: string;
  app: { clientId: string; clientSecret: string };
  storeHash: string;
  channelId: number;
  subjectClaim: string;
  secureCookie: boolean;
  /** The sign-in routes' path as the browser sees it ("/sso", or "/t/<tenant>/sso" for a tenant). */
  cookiePath: string;
  /** Seals pending sign-ins into the browser's cookie (SSO_COOKIE_SECRET: every replica has it, the IdP does not). */
  sealSecret: string;
  /** req.ip is the browser's address (TRUST_PROXY): the login JWT carries it as `request_ip`. */
  clientAddressKnown: boolean;
  logger: Logger;
  /** Every sign-in, minted or refused, is one audit event. */
  audit: AuditTrail;
}

function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const rawQueryOf = (req: Request): string => {
  const at = req.originalUrl.indexOf("?");
  return at === -1 ? "" : req.originalUrl.slice(at + 1);
};

export function ssoRouter(deps: SsoRouterDeps): Router {
  const pending = new SealedLogins(deps.sealSecret, PENDING_TTL_MS);
  const { audit } = deps;
  const COOKIE = pendingCookieName(deps.secureCookie, deps.cookiePath);
  // A __Host- cookie must have path "/"; over plain http (loopback) it stays on the sign-in routes.
  const cookieOptions = { httpOnly: true, sameSite: "lax" as const, secure: deps.secureCookie, path: deps.secureCookie ? "/" : deps.cookiePath };
  const router = Router();

  router.use((_req, res, next) => {
    res.set("Cache-Control", "no-store").set("Referrer-Policy", "no-referrer");
    next();
  });

  router.get("/login", async (req, res) => {
    const redirectTo = redirectTargetOf(req.query.redirect_to);
    const { url, checks } = await deps.relyingParty.start();
    const sealed = await pending.seal({ ...checks, redirectTo });
    res.cookie(COOKIE, sealed, { ...cookieOptions, maxAge: PENDING_TTL_MS });
    res.redirect(302, url.href);
  });

  router.get("/callback", async (req, res) => {
    // A callback with another `state` (a link someone else made) neither spends nor clears the
    // shopper's own pending sign-in; one that opens it spends it, whatever happens next.
    const login = await pending.open(cookieOf(req, COOKIE), typeof req.query.state === "string" ? req.query.state : undefined);
    if (login === undefined) throw new SsoRefusal("state_invalid");
    res.clearCookie(COOKIE, cookieOptions);
    // Sealed by /sso/login, but checked again: a seal made before a rule was tightened, or by a
    // replica that runs an older version, must not carry a target the rule now refuses.
    const redirectTo = redirectTargetOf(login.redirectTo);
    const claims = await deps.relyingParty.finish(rawQueryOf(req), login);
    const identity = identityOf(claims, deps.subjectClaim);
    let customer: Customer | undefined;
    try {
      customer = await deps.matcher.find(identity);
      if (customer === undefined && deps.createCustomer !== null && identity.email !== null) {
        // Created, audited and admitted by the rule of a customer found, or refused with nothing left behind (jit-create.ts).
        customer = await deps.createCustomer({ ...identity, email: identity.email }, String(req.id));
      }
    } catch (error) {
      if (error instanceof SsoRefusal) throw error;
      // Upstream errors are classified by the one SCIM mapping. A client-side refusal (e.g.
      // just-in-time creation of an email another externalId holds) means there is no account
      // to sign in to; quota, outage and anything unknown mean the store could not answer.
      const mapped = toScimError(error);
      if (mapped.status < 500 && mapped.status !== 429) {
        throw new SsoRefusal("unknown_user", `${mapped.status} ${mapped.scimType ?? ""}`);
      }
      throw new SsoRefusal("store_unavailable", error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
    if (customer === undefined) throw new SsoRefusal("unknown_user");
    const location = await customerLoginUrl(deps.storefrontUrl, deps.app, {
      storeHash: deps.storeHash,
      customerId: customer.id,
      channelId: deps.channelId,
      redirectTo,
      ...(deps.clientAddressKnown && req.ip !== undefined ? { requestIp: req.ip.replace(/^::ffff:(?=\d+\.)/, "") } : {}),
    });
    audit.record({ kind: "sign-in", operation: "signed_in", resourceType: "User", resourceId: String(customer.id), requestId: String(req.id), outcome: "success" });
    res.redirect(302, location);
  });

  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const refusal = error instanceof SsoRefusal ? error : null;
    if (refusal === null) req.log?.error({ err: error }, "sso: unexpected error");
    const status = refusal?.status ?? 500;
    const reason = refusal?.reason ?? "internal_error";
    audit.record({ kind: "sign-in", operation: "refused", reason, requestId: String(req.id), outcome: "failure", status });
    if (refusal?.detail !== undefined) deps.logger.debug({ component: "sso", reason, detail: refusal.detail }, "sso refusal detail");
    res.status(status).type("html").send(refusalPage(refusal?.message ?? "Sign-in failed. Try again later.", deps.storefrontUrl));
  });

  return router;
}
