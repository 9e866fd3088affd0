/**
 * The storefront side of BigCommerce's Customer Login API, served at the emulator's root when
 * `storefront` is configured: `GET /login/token/{jwt}` signs the customer in and redirects to
 * `redirect_to`; `/account.php` shows who is signed in; `/login.php` is where refusals land.
 * Every check BigCommerce documents is enforced; the choices where it is silent are listed in
 * docs/emulator-differences.md.
 */
import { type Request, type Response, Router } from "express";
import { errors as joseErrors, jwtVerify } from "jose";
import { z } from "zod";
import type { EmulatorContext } from "../context.js";
import type { StorefrontOptions } from "../options.js";
import { accountPage, loginPage } from "../storefront/pages.js";
import { StorefrontState } from "../storefront/sessions.js";

/** BigCommerce: "the JWT's iat (issued at) claim is only valid for 30 seconds". */
export const LOGIN_TOKEN_MAX_AGE_SECONDS = 30;
const SESSION_COOKIE = "SHOP_SESSION_TOKEN";
/** Header naming why a login token was refused (the real storefront only shows a generic message). */
export const REFUSAL_HEADER = "X-Emulator-Login-Refused";

const loginClaims = z.object({
  operation: z.literal("customer_login"),
  store_hash: z.string().min(1),
  customer_id: z.number().int().positive(),
  jti: z.string().min(1).max(255),
  iat: z.number().int(),
  channel_id: z.number().int().positive().optional(),
  redirect_to: z.string().optional(),
  request_ip: z.string().optional(),
  enable_persistent_cart: z.boolean().optional(),
});

/** A path on this storefront: one leading slash, no scheme, no `//` or `/\` authority tricks. */
export function isRelativeStorefrontPath(path: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  return /^\/(?![/\\])/.test(path) && !/[\u0000-\u001f\u007f\\]/.test(path);
}

function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const normalizeIp = (ip: string | undefined): string => (ip ?? "").replace(/^::ffff:/, "");

export function storefrontRouter(runtime: EmulatorContext): Router {
  const state = new StorefrontState(LOGIN_TOKEN_MAX_AGE_SECONDS * 2 * 1000);
  const router = Router();
  const storefront = (): StorefrontOptions | undefined => runtime.options.storefront;

  const refuse = (res: Response, reason: string): void => {
    res.set(REFUSAL_HEADER, reason).set("Cache-Control", "no-store").redirect(302, "/login.php?login_failed=1");
  };

  router.get("/login/token/:jwt", async (req, res, next) => {
    const shop = storefront();
    if (shop === undefined) return next();
    const now = runtime.now();
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(String(req.params.jwt), new TextEncoder().encode(shop.clientSecret), {
        algorithms: ["HS256"],
        issuer: shop.clientId,
        requiredClaims: ["iat", "jti"],
        maxTokenAge: LOGIN_TOKEN_MAX_AGE_SECONDS,
        currentDate: now,
      }));
    } catch (error) {
      const expired = error instanceof joseErrors.JWTExpired || (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "iat");
      return refuse(res, expired ? "iat-outside-window" : error instanceof joseErrors.JWTClaimValidationFailed ? `claim-${error.claim}` : "signature");
    }
    const parsed = loginClaims.safeParse(payload);
    if (!parsed.success) return refuse(res, "payload");
    const claims = parsed.data;
    if (!state.spendJti(claims.jti, now.getTime())) return refuse(res, "jti-reused");
    if (claims.store_hash !== shop.storeHash) return refuse(res, "store-hash");
    const store = runtime.store(shop.storeHash);
    const customer = store.customers.get(claims.customer_id);
    if (customer === undefined) return refuse(res, "customer");
    const channelId = claims.channel_id ?? 1;
    const mayUseChannel = customer.channel_ids === null ? store.settings.allowsGlobalLogins(channelId) : customer.channel_ids.includes(channelId);
    if (!mayUseChannel) return refuse(res, "channel");
    if (claims.request_ip !== undefined && normalizeIp(claims.request_ip) !== normalizeIp(req.socket.remoteAddress)) return refuse(res, "request-ip");
    const redirectTo = claims.redirect_to ?? "/account.php";
    if (!isRelativeStorefrontPath(redirectTo)) return refuse(res, "redirect-to");

    state.close(cookieOf(req, SESSION_COOKIE));
    const token = state.open({ storeHash: shop.storeHash, customerId: customer.id });
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: "lax", path: "/" });
    res.set("Cache-Control", "no-store").redirect(302, redirectTo);
  });

  router.get("/account.php", (req, res, next) => {
    const shop = storefront();
    if (shop === undefined) return next();
    const session = state.find(cookieOf(req, SESSION_COOKIE));
    const customer = session === undefined ? undefined : runtime.store(session.storeHash).customers.get(session.customerId);
    if (customer === undefined) return res.redirect(302, "/login.php");
    res.set("Cache-Control", "no-store").type("html").send(accountPage(customer));
  });

  router.get("/login.php", (req, res, next) => {
    const shop = storefront();
    if (shop === undefined) return next();
    if (req.query.action === "logout") {
      state.close(cookieOf(req, SESSION_COOKIE));
      res.clearCookie(SESSION_COOKIE, { path: "/" });
    }
    res.set("Cache-Control", "no-store").type("html").send(loginPage({ failed: req.query.login_failed === "1", ssoLoginUrl: shop.ssoLoginUrl }));
  });

  return router;
}
