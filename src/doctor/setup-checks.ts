import type { Logger } from "pino";
import { request } from "undici";
import { z } from "zod";
import { isLoopbackUrl, type Config } from "../config.js";
import { connectRedis, untilReady } from "../shared-state/redis-connection.js";
import { type Check, fail, pass, warn } from "./check.js";

const discoveryDocument = z.looseObject({ issuer: z.string(), authorization_endpoint: z.string(), token_endpoint: z.string(), jwks_uri: z.string() });

/** The bridge's own side of the set-up: where it is reached, the mapping, Redis, the OpenID provider. */
export async function setupChecks(config: Config, logger: Logger): Promise<Check[]> {
  const checks: Check[] = [];
  checks.push(publicUrlCheck(config));
  if (config.mapping.attributes.length > 0 || config.mapping.addresses.types.length > 0 || config.mapping.groupPrecedence.length > 0) {
    const { attributes, addresses, groupPrecedence } = config.mapping;
    checks.push(
      pass(
        "mapping",
        "Mapping file",
        `SCIM_MAPPING_FILE maps ${attributes.length} attribute(s)${addresses.types.length > 0 ? `, addresses of type ${addresses.types.join(", ")}` : ""}${groupPrecedence.length > 0 ? `, group precedence ${groupPrecedence.join(" > ")}` : ""}`,
      ),
    );
  }
  if (config.redis !== null) checks.push(await redisCheck(config.redis, logger));
  if (config.sso !== null) {
    checks.push(await issuerCheck(config.sso.issuer));
    checks.push(
      config.sso.app === null
        ? fail("sso.login-app", "Customer Login app", "BIGCOMMERCE_CLIENT_ID / BIGCOMMERCE_CLIENT_SECRET are not set: no login token can be signed", "Create an API account or app with the OAuth scope Customers Login and set its client id and secret.")
        : warn(
            "sso.login-app",
            "Customer Login app",
            "BIGCOMMERCE_CLIENT_ID / BIGCOMMERCE_CLIENT_SECRET are set; BigCommerce has no API that shows an account's scopes, and a login token is only checked by the storefront when a shopper uses it",
            "Make sure that account has the OAuth scope Customers Login; a refused first sign-in shows in the storefront, not here.",
          ),
    );
  }
  return checks;
}

function publicUrlCheck(config: Config): Check {
  const title = "Public base URL";
  if (config.publicBaseUrl === null) {
    return warn("public-base-url", title, "PUBLIC_BASE_URL is not set: meta.location and Location name whatever host each request used", "Set PUBLIC_BASE_URL to the https origin your identity provider calls, e.g. https://scim.example.com.");
  }
  if (new URL(config.publicBaseUrl).protocol === "http:" && !isLoopbackUrl(config.publicBaseUrl)) {
    return fail("public-base-url", title, `PUBLIC_BASE_URL=${config.publicBaseUrl} is plain http: bearer tokens and customer data would cross the network in clear`, "Serve the bridge behind TLS and set an https PUBLIC_BASE_URL.");
  }
  return pass("public-base-url", title, `identity providers reach ${config.publicBaseUrl}/scim/v2`);
}

async function redisCheck(settings: NonNullable<Config["redis"]>, logger: Logger): Promise<Check> {
  const redis = connectRedis(settings, logger);
  const where = redactedRedis(settings.url);
  try {
    await untilReady(redis, Math.max(2_000, settings.commandTimeoutMs));
    await redis.ping();
    return pass("redis", "Redis (replicas)", `${where} answers`);
  } catch {
    return fail("redis", "Redis (replicas)", `${where} does not answer`, "Start Redis or correct REDIS_URL (redis://:password@host:6379); replicas cannot share quota and locks without it.");
  } finally {
    redis.disconnect();
  }
}

async function issuerCheck(issuer: string): Promise<Check> {
  const title = "OpenID provider";
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  try {
    const res = await request(url, { headersTimeout: 10_000, bodyTimeout: 10_000 });
    const body = res.statusCode === 200 ? discoveryDocument.safeParse(await res.body.json()) : (await res.body.dump(), undefined);
    if (!body?.success) return fail("sso.issuer", title, `${url} answered ${res.statusCode}${body ? " without a discovery document" : ""}`, "Set SSO_OIDC_ISSUER to the issuer URL your provider publishes (its discovery document lives below it).");
    if (body.data.issuer.replace(/\/$/, "") !== issuer.replace(/\/$/, "")) {
      return fail("sso.issuer", title, `the discovery document names issuer ${body.data.issuer}, not ${issuer}`, `Set SSO_OIDC_ISSUER=${body.data.issuer}.`);
    }
    return pass("sso.issuer", title, `${issuer} publishes its discovery document`);
  } catch {
    return fail("sso.issuer", title, `${url} cannot be reached`, "Check SSO_OIDC_ISSUER and that this host can reach the provider.");
  }
}

/** redis://user:password@host:port/db → redis://host:port (never a password in a report). */
function redactedRedis(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}
