import { z } from "zod";
import type { Config } from "../config.js";
import type { Upstream } from "../compose.js";
import { AddressMapping } from "../mapping/customer-addresses.js";
import { resolveMapping } from "../mapping/custom-mapping.js";
import { planAttributeDefinitions, MAX_CUSTOMER_ATTRIBUTES } from "../scim/users/attribute-catalog-setup.js";
import { lockoutChannelProblem } from "../scim/users/lockout-channel-check.js";
import { parkingGroupProblem } from "../scim/users/parking-group-check.js";
import { type Check, fail, pass, warn } from "./check.js";
import { type ProbeAnswer, StoreProbe, v3Data } from "./store-probe.js";

const attributeList = v3Data(z.array(z.looseObject({ id: z.number().int(), name: z.string(), type: z.enum(["string", "number", "date"]) })));
const channelBody = v3Data(z.looseObject({ id: z.number().int(), name: z.string(), status: z.string().optional() }));
const loginSettingsBody = v3Data(z.looseObject({ allow_global_logins: z.boolean().nullable().optional() }));
const customerGroupBody = z.looseObject({ id: z.number().int(), name: z.string(), is_default: z.boolean().optional() });

/** Other apps using more than this share of the window's quota is worth a warning. */
const BUSY_SHARE = 0.5;

/**
 * The store's side of the set-up, read-only: credentials, the scopes the configuration needs,
 * the quota and who uses it, attribute definitions, the lockout channel, the parking group and
 * the sign-in channel. A handful of calls (at most eight), each made once.
 */
export async function storeChecks(config: Config, store: Upstream, probe = new StoreProbe(store)): Promise<{ checks: Check[]; calls: number }> {
  const checks: Check[] = [];
  const done = () => ({ checks, calls: probe.calls });

  let first: ProbeAnswer;
  try {
    first = await probe.call("GET", "/v3/customers?limit=1");
  } catch (err) {
    checks.push(fail("credentials", "BigCommerce credentials", `no answer from ${store.apiUrl} (${codeOf(err)})`, "Check BIGCOMMERCE_API_URL (the API origin, https://api.bigcommerce.com) and that this host can reach it."));
    return done();
  }
  if (first.status === 401) {
    checks.push(fail("credentials", "BigCommerce credentials", `store ${store.storeHash} refused BIGCOMMERCE_ACCESS_TOKEN (401)`, "Copy the access token of a store-level API account of this store (Settings → API → Store-level API accounts) into BIGCOMMERCE_ACCESS_TOKEN."));
    return done();
  }
  if (first.status === 404) {
    checks.push(fail("credentials", "BigCommerce credentials", `no store ${store.storeHash} (404)`, "Set BIGCOMMERCE_STORE_HASH to the code after /stores/ in the account's API path."));
    return done();
  }
  if (first.status === 403) {
    checks.push(fail("credentials", "BigCommerce credentials", "the token is valid but may not read customers (403 Missing scope)", "Give the API account the OAuth scope Customers: modify."));
    return done();
  }
  if (first.status !== 200) {
    checks.push(fail("credentials", "BigCommerce credentials", `GET /v3/customers answered ${first.status}`, "Try again in a minute; if it persists, check BigCommerce's status page."));
    return done();
  }
  checks.push(pass("credentials", "BigCommerce credentials", `store ${store.storeHash} accepts the token`));

  // An empty batch reaches validation only with the modify scope, and changes nothing either way.
  const modify = await probe.call("PUT", "/v3/customers", []);
  checks.push(
    modify.status === 403
      ? fail("scope.customers-modify", "Scope: Customers modify", "the token may read customers but not change them (403 Missing scope)", "Set the API account's Customers scope to modify.")
      : pass("scope.customers-modify", "Scope: Customers modify", "granted (probed with an empty batch, which changes nothing)"),
  );

  checks.push(quotaCheck(modify.rate.quota !== undefined ? modify : first, probe.calls, config.upstream.reserve));

  const attributes = await probe.call("GET", "/v3/customers/attributes?limit=250");
  const parsedAttributes = attributeList.safeParse(attributes.body);
  if (attributes.status !== 200 || !parsedAttributes.success) {
    checks.push(fail("attributes", "Customer attribute definitions", `GET /v3/customers/attributes answered ${attributes.status}`, "Give the API account the OAuth scope Customers: modify."));
  } else {
    const existing = parsedAttributes.data.data;
    // The mapping file's entries as start-up resolves them (their errors fail the configuration check).
    const mapping = resolveMapping(config.mapping, config.storedAttributes);
    const plan = planAttributeDefinitions(existing, mapping.storedAttributes, { mapping, features: new AddressMapping(config.mapping.addresses.types).mapped ? ["addresses"] : [] });
    checks.push(
      plan.problem !== null
        ? fail("attributes", "Customer attribute definitions", plan.problem, `Delete unused customer attributes (Customers → Customer attributes), or keep fewer with SCIM_STORED_ATTRIBUTES.`)
        : pass(
            "attributes",
            "Customer attribute definitions",
            `${existing.length} of ${MAX_CUSTOMER_ATTRIBUTES} in use; the bridge ${plan.missing.length === 0 ? "has all it needs" : `will create ${plan.missing.length} at start-up`}`,
          ),
    );
  }

  if (config.lockoutChannelId !== null) checks.push(await lockoutCheck(probe, config.lockoutChannelId));
  else
    checks.push(
      warn(
        "lockout",
        "Deactivation lockout",
        "SCIM_LOCKOUT_CHANNEL_ID is not set: deactivation locks the password only, and a storefront password reset opens the account again",
        "Create a channel no shopper signs in to, set allow_global_logins false on it, and set SCIM_LOCKOUT_CHANNEL_ID (docs: deactivation and lockout).",
      ),
    );

  if (config.deactivatedGroupId !== null) {
    const group = await probe.call("GET", `/v2/customer_groups/${config.deactivatedGroupId}`);
    const parsed = customerGroupBody.safeParse(group.body);
    const title = "Deactivated customers' group";
    const problem = parsed.success ? parkingGroupProblem(config.deactivatedGroupId, { name: parsed.data.name, isDefault: parsed.data.is_default === true }) : null;
    checks.push(
      !(group.status === 200 && parsed.success)
        ? fail("parking-group", title, `SCIM_DEACTIVATED_GROUP_ID=${config.deactivatedGroupId}: ${group.status === 404 ? "no such customer group" : `GET answered ${group.status}`}`, "Create the group (Customers → Customer groups) and set its id, or unset SCIM_DEACTIVATED_GROUP_ID.")
        : problem !== null
          ? fail("parking-group", title, problem.detail, problem.fix)
          : pass("parking-group", title, `SCIM_DEACTIVATED_GROUP_ID=${config.deactivatedGroupId} is '${parsed.data.name}'`),
    );
  }

  if (config.sso !== null) {
    const channel = await probe.call("GET", `/v3/channels/${config.sso.channelId}`);
    checks.push(
      channel.status === 200
        ? pass("sso.channel", "Sign-in channel", `SSO_CHANNEL_ID=${config.sso.channelId} exists`)
        : channel.status === 403
          ? fail("sso.channel", "Sign-in channel", "the token may not read channels (403 Missing scope)", "Give the API account the OAuth scope Channel Settings: read-only.")
          : fail("sso.channel", "Sign-in channel", `SSO_CHANNEL_ID=${config.sso.channelId}: no such channel (${channel.status})`, "Set SSO_CHANNEL_ID to the storefront channel shoppers sign in to (1 is the default storefront)."),
    );
  }
  return done();
}

function quotaCheck(answer: ProbeAnswer, ourCalls: number, reserve: number): Check {
  const { quota, left, windowMs } = answer.rate;
  if (quota === undefined || left === undefined) {
    return warn("quota", "API quota", "the store announced no X-Rate-Limit headers", "Nothing to do if the store is unmetered; otherwise check that no proxy strips BigCommerce's headers.");
  }
  const window = windowMs !== undefined ? `${Math.round(windowMs / 1000)} s` : "window";
  const others = Math.max(0, quota - left - ourCalls);
  const detail = `${quota} requests per ${window}; other apps used ${others} (${Math.round((100 * others) / quota)} %) of this window so far`;
  if (reserve >= quota) return fail("quota", "API quota", `${detail}; BIGCOMMERCE_RATE_RESERVE=${reserve} leaves the bridge nothing`, `Set BIGCOMMERCE_RATE_RESERVE below ${quota}.`);
  if (others > quota * BUSY_SHARE) {
    return warn("quota", "API quota", detail, "Other apps use most of the store's quota now: provisioning will be slower; set BIGCOMMERCE_RATE_RESERVE to keep room for them, or find the busy app.");
  }
  return pass("quota", "API quota", detail);
}

async function lockoutCheck(probe: StoreProbe, id: number): Promise<Check> {
  const title = "Deactivation lockout";
  const channel = await probe.call("GET", `/v3/channels/${id}`);
  if (channel.status === 403) {
    return fail("lockout", title, "the token may not read channels (403 Missing scope)", "Give the API account the OAuth scope Channel Settings: read-only (the lockout channel is checked at start-up).");
  }
  const parsedChannel = channelBody.safeParse(channel.body);
  const found = channel.status === 200 && parsedChannel.success ? parsedChannel.data.data : null;
  const missing = lockoutChannelProblem(id, found, null);
  if (missing !== null || found === null) return fail("lockout", title, missing ?? `GET /v3/channels/${id} answered ${channel.status}`, "Create a dedicated channel (docs: deactivation and lockout) and set its id.");
  const settings = await probe.call("GET", `/v3/customers/settings/channels/${id}`);
  const parsedSettings = loginSettingsBody.safeParse(settings.body);
  if (settings.status !== 200 || !parsedSettings.success) return fail("lockout", title, `GET /v3/customers/settings/channels/${id} answered ${settings.status}`, "Give the API account the OAuth scope Customers: modify.");
  const problem = lockoutChannelProblem(id, found, { allow_global_logins: parsedSettings.data.data.allow_global_logins ?? null });
  return problem !== null
    ? fail("lockout", title, problem, `Set allow_global_logins to false for channel ${id}.`)
    : pass("lockout", title, `channel ${id} ('${found.name}') admits only customers granted it`);
}

function codeOf(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return String(e.code ?? e.cause?.code ?? (err instanceof Error ? err.name : "error"));
}
