import type { z } from "zod";
import type { SettingName } from "./config.js";

/**
 * What each setting is for, attached to its schema as zod metadata (`schema.meta()`), so that the
 * configuration reference (docs/configuration.md, `npm run docs:config`) is generated from the
 * schema itself: names, defaults (what the schema gives for an unset value) and these texts.
 */
export const SETTING_GROUPS = {
  server: "Server",
  auth: "Authentication of identity providers",
  store: "BigCommerce store",
  quota: "Quota and timing",
  provisioning: "Provisioning behaviour",
  audit: "Logs and audit",
  signIn: "Storefront sign-in",
  replicas: "Replicas (several processes sharing Redis)",
  emulator: "Embedded emulator",
} as const;

export interface SettingDoc {
  group: keyof typeof SETTING_GROUPS;
  description: string;
  /** How to show the default when the parsed unset value says too little (e.g. "request's own origin"). */
  defaultText?: string;
}

export const SETTING_DOCS: Record<SettingName, SettingDoc> = {
  PORT: { group: "server", description: "Port the SCIM API listens on (`/scim/v2`); `0` picks a free one." },
  HOST: { group: "server", description: "Address the SCIM API listens on." },
  PUBLIC_BASE_URL: {
    group: "server",
    description: "Origin used in `meta.location` and `Location` (e.g. `https://scim.example.com`), and sign-in's redirect URI.",
    defaultText: "the request's own origin",
  },
  SCIM_BODY_LIMIT: { group: "server", description: "Request body limit (`413` beyond), e.g. `1mb` or `512kb`." },
  SCIM_BEARER_TOKENS: {
    group: "auth",
    description: "Comma-separated bearer tokens, at least 16 characters each; several at once for rotation. Set but without any token (`,`) stops start-up.",
    defaultText: "generated and printed in emulator mode",
  },
  SCIM_JWT_SECRET: { group: "auth", description: "Also accept JWT bearer tokens signed with this shared secret (HS256/384/512, at least 32 characters)." },
  SCIM_JWT_JWKS_URL: { group: "auth", description: "Also accept JWT bearer tokens signed by a key of this JWKS URL (`https:`; plain `http:` on loopback only)." },
  SCIM_JWT_ISSUER: { group: "auth", description: "Required `iss` of JWTs; required whenever JWTs are on." },
  SCIM_JWT_AUDIENCE: { group: "auth", description: "Required `aud` of JWTs; required whenever JWTs are on." },
  SCIM_JWT_ALLOWED_SUBJECTS: { group: "auth", description: "Comma-separated; a JWT's `sub`, `client_id` or `azp` must be one of them.", defaultText: "any subject" },
  SCIM_JWT_MAX_AGE_S: { group: "auth", description: "Longest JWT lifetime (`exp` − `iat`) and age, in seconds; a JWT without `exp` is refused (docs/security.md)." },
  TRUST_PROXY: {
    group: "server",
    description:
      "Behind a reverse proxy: the number of proxies in front (`1`) or their addresses/subnets (`10.0.0.0/8,loopback`), whose `X-Forwarded-For` gives the client address for the per-address limits and sign-in's `request_ip`. Never `true`.",
    defaultText: "none: no header is believed",
  },
  AUTH_FAILURE_LIMIT: { group: "auth", description: "Failed SCIM authentications per client address per minute; past it failures answer `429` with `Retry-After` (valid tokens keep working). With `REDIS_URL` replicas count together." },
  SSO_RATE_LIMIT: { group: "signIn", description: "`/sso/login` and `/sso/callback` requests per client address per minute; past it `429` with `Retry-After`. With `REDIS_URL` replicas count together." },
  SCIM_TENANTS_FILE: {
    group: "store",
    description:
      "Many stores in one process: a JSON or YAML file of tenants, each served at `/t/{tenant}/scim/v2` with its own store, tokens and settings, re-read every 2 s and on `SIGHUP` (docs/tenants.md); the store and sign-in variables are then per tenant (unset them), and `SCIM_BEARER_TOKENS` is the operator's token for `/metrics` and the detail of `/readyz`.",
    defaultText: "one store, from this environment",
  },
  BIGCOMMERCE_STORE_HASH: { group: "store", description: "The store (the code after `/stores/` in the API path); with `BIGCOMMERCE_ACCESS_TOKEN`, or neither for the embedded emulator." },
  BIGCOMMERCE_ACCESS_TOKEN: { group: "store", description: "Access token of a store-level API account with the Customers: modify scope (Channel Settings: read for the lockout channel)." },
  BIGCOMMERCE_API_URL: {
    group: "store",
    description: "API origin only, without `/stores/{hash}/v3` (for a standalone emulator: the `http://host:port` it prints); needs the store hash and access token too.",
    defaultText: "`https://api.bigcommerce.com`",
  },
  SCIM_REQUEST_BUDGET_MS: {
    group: "quota",
    description:
      "One deadline per SCIM request, from when it enters (ms): the lock wait, every quota wait and every upstream call take what is left of it; past it `503` (`429` when the quota is why) with `Retry-After` (docs/operations.md).",
  },
  BIGCOMMERCE_REQUEST_TIMEOUT_MS: { group: "quota", description: "Bound on one upstream request (ms)." },
  BIGCOMMERCE_MAX_WAIT_MS: {
    group: "quota",
    description:
      "Longest a SCIM request waits for one BigCommerce call's turn (ms); past it the IdP gets `429` with `Retry-After` when the API quota made it wait, `503` when BigCommerce's calls in flight did. Plus `BIGCOMMERCE_REQUEST_TIMEOUT_MS` it must stay within `SCIM_REQUEST_BUDGET_MS`, or start-up stops.",
  },
  BIGCOMMERCE_RATE_RESERVE: { group: "quota", description: "Requests per quota window left unused for the store's other apps." },
  BIGCOMMERCE_PACE_BURST_SHARE: {
    group: "quota",
    description:
      "Share of a quota window the bridge may spend at once; the rest goes at the quota's own rate, so busy calls fill and other apps find quota all through the window. A lone request on an idle bridge still leaves at once; `0` turns pacing off.",
  },
  SCIM_DELETE_MODE: { group: "provisioning", description: "`delete`: `DELETE /Users/{id}` deletes the customer; `deactivate`: it deactivates instead." },
  SCIM_DEFAULT_CHANNEL_IDS: { group: "provisioning", description: "`channel_ids` given to new customers, e.g. `1,2`.", defaultText: "every channel that allows global logins" },
  SCIM_DEACTIVATED_GROUP_ID: {
    group: "provisioning",
    description:
      "Customer group deactivated customers are moved to (their previous group comes back on reactivation); must not be the store's default group, which every new customer joins (start-up reads it: docs/deactivation.md).",
  },
  SCIM_LOCKOUT_CHANNEL_ID: {
    group: "provisioning",
    description:
      "Channel deactivated customers are restricted to, so that no password opens a storefront (channels come back on reactivation); must not be `1` nor one of `SCIM_DEFAULT_CHANNEL_IDS` (nor `SSO_CHANNEL_ID` with sign-in on), and must not allow global logins (start-up reads it: docs/deactivation.md).",
    defaultText: "none: password lock only",
  },
  SCIM_STORED_ATTRIBUTES: {
    group: "provisioning",
    description: "SCIM attributes without a BigCommerce field kept as customer attributes (see docs/mapping.md for the choices); `none` stores nothing.",
  },
  SCIM_MAPPING_FILE: {
    group: "provisioning",
    description: "A JSON or YAML mapping document that adds to the built-in mapping (custom attributes, addresses, group precedence); validated at start-up, errors name the entry.",
    defaultText: "the built-in mapping",
  },
  SCIM_MAX_SCAN: { group: "provisioning", description: "Most customers a filter BigCommerce cannot express may read; larger stores get `400 invalidFilter`." },
  SCIM_RECENT_READ_MS: { group: "provisioning", description: "A PATCH/PUT may start from the same client's read of that user this recent (ms) instead of reading again; `0` = always read first." },
  SCIM_INDEX_REPAIR_HOURS: { group: "provisioning", description: "At start-up, externalId index entries written behind and lost in a crash are restored from attribute values modified this far back; `0` = off." },
  LOG_LEVEL: { group: "audit", description: "Log level (JSON lines; secrets redacted; emails only at `debug`)." },
  SCIM_AUDIT_FILE: { group: "audit", description: "Also append every audit event (SCIM writes, sign-ins) to this JSON Lines file; it survives restarts and rotates by size (docs/operations.md).", defaultText: "log stream only" },
  SCIM_AUDIT_FILE_MAX_MB: { group: "audit", description: "Size (MiB) at which the audit file rotates to `<file>.1`, `.2`, …" },
  SCIM_AUDIT_FILE_KEEP: { group: "audit", description: "Rotated audit files kept." },
  SSO_OIDC_ISSUER: { group: "signIn", description: "OpenID provider (https, or http on loopback); with the client id and secret, turns storefront sign-in on (docs/sign-in.md)." },
  SSO_OIDC_CLIENT_ID: { group: "signIn", description: "OIDC client id of the bridge at the provider." },
  SSO_OIDC_CLIENT_SECRET: { group: "signIn", description: "OIDC client secret of the bridge at the provider." },
  SSO_STOREFRONT_URL: {
    group: "signIn",
    description: "Storefront origin (and path prefix) that `/login/token/{jwt}` is appended to; `https` required except on loopback.",
  },
  SSO_COOKIE_SECRET: {
    group: "signIn",
    description:
      "32+ characters, the same on every replica: seals the pending sign-in cookie (not derived from the OIDC client secret, which the IdP's admins know); required with sign-in on a real store.",
    defaultText: "generated per run on the emulator",
  },
  SSO_CHANNEL_ID: { group: "signIn", description: "Channel the shopper signs in to." },
  SSO_MATCH: { group: "signIn", description: "How a signed-in identity finds its customer: by `email`, or by `externalId` (the claim in `SSO_SUBJECT_CLAIM`)." },
  SSO_SUBJECT_CLAIM: { group: "signIn", description: "ID token claim compared with the stored externalId when `SSO_MATCH=externalId`." },
  SSO_JIT_CREATE: { group: "signIn", description: "Create a customer for a verified email that matches none, allowed on `SSO_CHANNEL_ID` (docs/sign-in.md)." },
  SSO_DEV_PROVIDER: {
    group: "signIn",
    description: "`1`: start a development OpenID provider that signs anyone in (embedded emulator only); `SSO_CHANNEL_ID`, `SSO_MATCH`, `SSO_SUBJECT_CLAIM` and `SSO_JIT_CREATE` apply to it too.",
  },
  BIGCOMMERCE_CLIENT_ID: { group: "signIn", description: "Client id of the app (Customers Login scope) whose secret signs Customer Login JWTs." },
  BIGCOMMERCE_CLIENT_SECRET: { group: "signIn", description: "Client secret of that app." },
  REDIS_URL: { group: "replicas", description: "Redis shared by replicas (`redis://` or `rediss://`): quota, locks, leadership, each store under its own keys (with tenants, each tenant's store).", defaultText: "none: state in this process" },
  REDIS_COMMAND_TIMEOUT_MS: { group: "replicas", description: "Bound on every Redis command (ms); past it the SCIM request answers `503`." },
  REDIS_LOCK_LEASE_MS: {
    group: "replicas",
    description:
      "Lease of the per-user write lock (ms; a lease, not a fence: docs/operations.md); at least twice `BIGCOMMERCE_REQUEST_TIMEOUT_MS`, or start-up stops; a replica that dies releases it when the lease expires.",
  },
  REPLICA_FORWARDING: { group: "replicas", description: "`on`: followers pass SCIM requests to the leading replica, so batches fill as with one process; `off`: every replica serves what it receives." },
  REPLICA_URL: {
    group: "replicas",
    description: "How the other replicas reach this one (the pod IP in Kubernetes, the container address in Compose): set it when the default guess is wrong; `https://` for TLS between replicas (docs/replicas.md).",
    defaultText: "http://<first IPv4 address>:PORT",
  },
  REPLICA_SECRET: {
    group: "replicas",
    description: "32+ characters, the same on every replica: keys the hop credential between replicas and the leadership claims.",
    defaultText: "derived from `BIGCOMMERCE_ACCESS_TOKEN`",
  },
  REPLICA_CA: { group: "replicas", description: "PEM file of the CA that an `https://` `REPLICA_URL`'s certificate is verified against.", defaultText: "the system's CAs" },
  EMULATOR_LATENCY_MS: { group: "emulator", description: "Delay the embedded emulator adds to every call (ms)." },
  EMULATOR_RATE_QUOTA: { group: "emulator", description: "The embedded emulator's requests per quota window." },
  EMULATOR_RATE_WINDOW_MS: { group: "emulator", description: "The embedded emulator's quota window (ms)." },
};

/** The settings with their descriptions attached as metadata. */
export function documented<S extends Record<SettingName, z.ZodType>>(shape: S): S {
  return Object.fromEntries(Object.entries(shape).map(([name, schema]) => [name, schema.meta({ ...SETTING_DOCS[name as SettingName] })])) as S;
}
