import { Router } from "express";
import type { Logger } from "pino";
import type { AuditTrail } from "../audit/audit-trail.js";
import type { BigCommerceClient } from "../bigcommerce/api.js";
import { ConfigError, type SsoConfig } from "../config.js";
import type { AttributeCatalog } from "../mapping/bridge-attributes.js";
import type { ExternalIdIndex } from "../scim/users/external-id-index.js";
import type { UserReader } from "../scim/users/user-reader.js";
import type { UserWriter } from "../scim/users/user-writer.js";
import type { UserViewContext } from "../mapping/customer-to-user.js";
import { CustomerMatcher } from "./customer-match.js";
import { JitCreation } from "./jit-create.js";
import { refusalPage } from "./page.js";
import { REFUSALS } from "./refusals.js";
import { RelyingParty } from "./relying-party.js";
import { ssoRouter } from "./router.js";

export const SSO_BASE_PATH = "/sso";

/** A request URL fit for the request log: the callback's code and state are credentials (also a tenant's, /t/<id>/sso). */
export function loggableUrl(url: string): string {
  const callback = new RegExp(`^((?:/t/[^/?#]+)?${SSO_BASE_PATH}/callback)\\?`).exec(url);
  return callback ? callback[1]! : url;
}
const SCOPE = "openid email profile";

export interface SsoDeps {
  sso: SsoConfig;
  publicBaseUrl: string | null;
  /** Where a deactivation puts a customer (SCIM_LOCKOUT_CHANNEL_ID, SCIM_DEACTIVATED_GROUP_ID): a trace of it refuses sign-in. */
  lockoutChannelId: number | null;
  deactivatedGroupId: number | null;
  /** SCIM_DEFAULT_CHANNEL_IDS: the channels creation gives a customer (null = global access). */
  defaultChannelIds: number[] | null;
  /** TRUST_PROXY is configured: req.ip is the browser's address, so the login JWT carries it as `request_ip`. */
  clientAddressKnown: boolean;
  storeHash: string;
  client: BigCommerceClient;
  index: ExternalIdIndex;
  catalog: AttributeCatalog;
  reader: UserReader;
  writer: UserWriter;
  view: UserViewContext;
  logger: Logger;
  audit: AuditTrail;
}

/** The /sso router, or a ConfigError naming what storefront sign-in still lacks. */
export function createSso(deps: SsoDeps): Router {
  const { sso } = deps;
  const missing = [
    deps.publicBaseUrl === null ? "PUBLIC_BASE_URL" : null,
    sso.storefrontUrl === null ? "SSO_STOREFRONT_URL" : null,
    sso.app === null ? "BIGCOMMERCE_CLIENT_ID / BIGCOMMERCE_CLIENT_SECRET" : null,
    sso.cookieSecret === null ? "SSO_COOKIE_SECRET" : null,
  ].filter((m): m is string => m !== null);
  if (missing.length > 0 || deps.publicBaseUrl === null || sso.storefrontUrl === null || sso.app === null || sso.cookieSecret === null) {
    throw new ConfigError(`Invalid configuration:\n  storefront sign-in needs ${missing.join(", ")}`);
  }
  const relyingParty = new RelyingParty({
    issuer: sso.issuer,
    clientId: sso.clientId,
    clientSecret: sso.clientSecret,
    redirectUri: `${deps.publicBaseUrl}${SSO_BASE_PATH}/callback`,
    scope: SCOPE,
    requiredClaims: sso.match === "email" ? ["email"] : [sso.subjectClaim, ...(sso.jitCreate ? ["email"] : [])],
  });
  const matcher = new CustomerMatcher(deps.client, deps.index, deps.catalog, {
    match: sso.match,
    subjectClaim: sso.subjectClaim,
    channelId: sso.channelId,
    lockoutChannelId: deps.lockoutChannelId,
    deactivatedGroupId: deps.deactivatedGroupId,
  });
  const jit = sso.jitCreate
    ? new JitCreation(
        matcher,
        deps.writer,
        deps.reader,
        deps.view,
        { subjectAsExternalId: sso.match === "externalId", defaultChannelIds: deps.defaultChannelIds },
        deps.logger,
        deps.audit,
      )
    : null;
  return ssoRouter({
    relyingParty,
    matcher,
    createCustomer: jit === null ? null : (identity, requestId) => jit.create(identity, requestId),
    storefrontUrl: sso.storefrontUrl,
    app: sso.app,
    storeHash: deps.storeHash,
    channelId: sso.channelId,
    subjectClaim: sso.subjectClaim,
    secureCookie: deps.publicBaseUrl.startsWith("https:"),
    // The public base URL's path holds a tenant's prefix (/t/<tenant>), so its cookie stays its own.
    cookiePath: `${new URL(deps.publicBaseUrl).pathname.replace(/\/$/, "")}${SSO_BASE_PATH}`,
    sealSecret: sso.cookieSecret,
    clientAddressKnown: deps.clientAddressKnown,
    logger: deps.logger,
    audit: deps.audit,
  });
}

/** /sso of a tenant whose store cannot be used now (src/tenants): the shopper's page, without the reason. */
export function ssoUnavailable(): Router {
  const router = Router();
  router.use((_req, res) => {
    res.status(REFUSALS.store_unavailable.status).type("html").send(refusalPage(REFUSALS.store_unavailable.message, null));
  });
  return router;
}

/** /sso when sign-in is off: a page that says so (the paths exist, the feature is not set up). */
export function ssoNotConfigured(): Router {
  const router = Router();
  router.use((_req, res) => {
    res.status(REFUSALS.not_configured.status).type("html").send(refusalPage(REFUSALS.not_configured.message, null));
  });
  return router;
}
