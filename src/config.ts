import { z } from "zod";
import { UPSTREAM_DEFAULTS } from "./bigcommerce/defaults.js";
import { DEFAULT_STORED_ATTRIBUTES, STORABLE_ATTRIBUTES, type StorableAttribute } from "./mapping/attribute-table.js";
import { documented } from "./config-docs.js";
import { resolveMapping } from "./mapping/custom-mapping.js";
import { EMPTY_MAPPING, loadMappingFile, MappingFileError, type MappingDocument } from "./mapping/mapping-file.js";

/**
 * One schema for the whole environment. A bad value stops start-up with a message naming the
 * variable; nothing here is read anywhere else (the rest of the code receives `Config`).
 */
const csv = (s: string | undefined) =>
  (s ?? "").split(",").map((v) => v.trim()).filter((v) => v.length > 0);

const positiveIntList = z
  .string()
  .optional()
  .transform((s, ctx) => {
    const parts = csv(s);
    const ids = parts.map(Number);
    if (ids.some((n) => !Number.isInteger(n) || n < 1)) {
      ctx.addIssue({ code: "custom", message: "must be a comma-separated list of positive integers" });
      return z.NEVER;
    }
    return ids.length > 0 ? ids : null;
  });

const optionalPositiveInt = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (s === undefined || s.trim() === "") return null;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) {
      ctx.addIssue({ code: "custom", message: "must be a positive integer" });
      return z.NEVER;
    }
    return n;
  });

/** A whole number in [min, max]; unset or empty means the default. The message names the range. */
const intInRange = (def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === "") return def;
      const n = Number(s.trim());
      if (!/^-?\d+$/.test(s.trim()) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max} (got "${s.slice(0, 32)}")` });
        return z.NEVER;
      }
      return n;
    });

/** A number in [0, 1]; unset or empty means the default. */
const shareOf = (def: number) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === "") return def;
      const n = Number(s.trim());
      if (!/^\d*\.?\d+$/.test(s.trim()) || n > 1) {
        ctx.addIssue({ code: "custom", message: `must be a number from 0 to 1 (got "${s.slice(0, 32)}")` });
        return z.NEVER;
      }
      return n;
    });

/** A secret of at least `min` characters; unset or empty means none. */
const optionalSecret = (min: number) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === "") return undefined;
      if (s.length < min) {
        ctx.addIssue({ code: "custom", message: `must be at least ${min} characters (e.g. openssl rand -base64 32)` });
        return z.NEVER;
      }
      return s;
    });

const DEFAULT_BIGCOMMERCE_API_URL = "https://api.bigcommerce.com";
/** IdPs give up on a SCIM request after about 60 s (Okta, Entra ID) and count a failure. */
export const IDP_REQUEST_BUDGET_MS = 60_000;
/**
 * Every answer leaves by then (counted from when the request entered), undo of a failed write
 * included: a margin under the IdPs' 60 s for the network and their own clocks.
 */
export const REQUEST_HARD_LIMIT_MS = IDP_REQUEST_BUDGET_MS - 1_000;
/** The per-user lock's lease is at least this many times the longest write (one request timeout). */
export const LEASE_OVER_WRITE = 2;
/** The request's own work: at most this, so that undo keeps at least a second of the hard limit. */
const MAX_REQUEST_BUDGET_MS = REQUEST_HARD_LIMIT_MS - 1_000;

// Storable attributes and their schema placement come from the attribute table (src/mapping).
export { CORE_STORABLE, ENTERPRISE_STORABLE, STORABLE_ATTRIBUTES, type StorableAttribute } from "./mapping/attribute-table.js";

/** Every setting, by its environment name. Each one's description is in config-docs.ts (the compiler insists). */
const settings = {
    PORT: intInRange(8080, 0, 65535),
    HOST: z.string().min(1).default("0.0.0.0"),
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    SCIM_BEARER_TOKENS: z.string().optional(),
    SCIM_JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    SCIM_JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    SCIM_JWT_ISSUER: z.string().min(1).optional(),
    SCIM_JWT_AUDIENCE: z.string().min(1).optional(),
    // Optional allow-list: a JWT's sub, client_id or azp must be one of these.
    SCIM_JWT_ALLOWED_SUBJECTS: z.string().optional(),
    // Longest lifetime (exp - iat) and age (now - iat) of a JWT, in seconds. Entra's access
    // tokens live 60 to 90 minutes, so the default leaves room for them and no more.
    SCIM_JWT_MAX_AGE_S: intInRange(7_200, 60, 86_400),
    BIGCOMMERCE_STORE_HASH: z.string().regex(/^[a-z0-9]+$/i, "must be the store hash from the API path").optional(),
    BIGCOMMERCE_ACCESS_TOKEN: z.string().min(1).optional(),
    BIGCOMMERCE_API_URL: z.url({ protocol: /^https?$/ }).optional(),
    // One deadline per SCIM request (bigcommerce/deadline.ts): every wait and upstream call reads it.
    SCIM_REQUEST_BUDGET_MS: intInRange(55_000, 1_000, MAX_REQUEST_BUDGET_MS),
    BIGCOMMERCE_REQUEST_TIMEOUT_MS: intInRange(UPSTREAM_DEFAULTS.requestTimeoutMs, 1_000, 120_000),
    BIGCOMMERCE_MAX_WAIT_MS: intInRange(UPSTREAM_DEFAULTS.maxWaitMs, 0, 50_000),
    BIGCOMMERCE_RATE_RESERVE: intInRange(UPSTREAM_DEFAULTS.reserve, 0, 1000),
    BIGCOMMERCE_PACE_BURST_SHARE: shareOf(UPSTREAM_DEFAULTS.paceBurstShare),
    SCIM_DELETE_MODE: z.enum(["delete", "deactivate"]).default("delete"),
    SCIM_DEFAULT_CHANNEL_IDS: positiveIntList,
    SCIM_DEACTIVATED_GROUP_ID: optionalPositiveInt,
    SCIM_LOCKOUT_CHANNEL_ID: optionalPositiveInt,
    SCIM_STORED_ATTRIBUTES: z
      .string()
      .optional()
      .transform((s, ctx) => {
        if (s === undefined) return [...DEFAULT_STORED_ATTRIBUTES];
        // "" is unset (the default list, see loadConfig); storing nothing is asked for by name.
        if (s.trim().toLowerCase() === "none") return [];
        const names = csv(s);
        const unknown = names.filter((n) => !(STORABLE_ATTRIBUTES as readonly string[]).includes(n));
        if (unknown.length > 0) {
          ctx.addIssue({ code: "custom", message: `unknown attribute(s) ${unknown.join(", ")}; choose from ${STORABLE_ATTRIBUTES.join(", ")}` });
          return z.NEVER;
        }
        return names as StorableAttribute[];
      }),
    // The merchant's mapping document (JSON or YAML): custom attributes, addresses, group precedence.
    SCIM_MAPPING_FILE: z
      .string()
      .optional()
      .transform((s, ctx): MappingDocument => {
        if (s === undefined || s.trim() === "") return EMPTY_MAPPING;
        try {
          return loadMappingFile(s.trim());
        } catch (err) {
          if (!(err instanceof MappingFileError)) throw err;
          ctx.addIssue({ code: "custom", message: `${s.trim()}: ${err.message}` });
          return z.NEVER;
        }
      }),
    SCIM_MAX_SCAN: intInRange(1000, 0, 100_000),
    // A PATCH/PUT may start from the same client's read this recent (ms); 0 = always re-read.
    SCIM_RECENT_READ_MS: intInRange(2000, 0, 10_000),
    // Start-up repair of externalId index entries written behind: values modified this many hours back; 0 = off.
    SCIM_INDEX_REPAIR_HOURS: intInRange(24, 0, 24 * 90),
    // Audit trail: every SCIM write and sign-in, also to this append-only JSON Lines file.
    SCIM_AUDIT_FILE: z.string().optional(),
    SCIM_AUDIT_FILE_MAX_MB: intInRange(10, 1, 10_240),
    SCIM_AUDIT_FILE_KEEP: intInRange(5, 1, 1000),
    // Behind a reverse proxy: which peers may say who the client is (X-Forwarded-For); unset = none.
    TRUST_PROXY: z
      .string()
      .optional()
      .transform((s, ctx) => {
        if (s === undefined) return null;
        const value = s.trim();
        if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 10) return Number(value);
        const entries = csv(value);
        const entry = /^(loopback|linklocal|uniquelocal|\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9a-f:]*:[0-9a-f:.]*(\/\d{1,3})?)$/i;
        if (entries.length === 0 || entries.some((e) => !entry.test(e))) {
          ctx.addIssue({
            code: "custom",
            message: "must be the number of proxies in front (1-10) or a comma-separated list of proxy addresses or subnets (10.0.0.0/8, loopback, uniquelocal); never 'true', which would believe any client's X-Forwarded-For",
          });
          return z.NEVER;
        }
        return entries;
      }),
    // Failed SCIM authentications per client address per minute before 429.
    AUTH_FAILURE_LIMIT: intInRange(20, 1, 100_000),
    // /sso/login and /sso/callback requests per client address per minute before 429.
    SSO_RATE_LIMIT: intInRange(60, 1, 100_000),
    SCIM_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, "must look like 1mb or 512kb").default("1mb"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    EMULATOR_LATENCY_MS: intInRange(0, 0, 10_000),
    EMULATOR_RATE_QUOTA: intInRange(150, 1, 100_000),
    EMULATOR_RATE_WINDOW_MS: intInRange(30_000, 100, 3_600_000),
    // Storefront sign-in (src/sso): on when the first three are set.
    SSO_OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
    SSO_OIDC_CLIENT_ID: z.string().min(1).optional(),
    SSO_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    SSO_STOREFRONT_URL: z.url({ protocol: /^https?$/ }).optional(),
    SSO_CHANNEL_ID: intInRange(1, 1, 2_147_483_647),
    SSO_MATCH: z.enum(["email", "externalId"]).default("email"),
    SSO_SUBJECT_CLAIM: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be a claim name").default("sub"),
    SSO_JIT_CREATE: z.enum(["true", "false"]).default("false"),
    SSO_DEV_PROVIDER: z.enum(["0", "1"]).default("0"),
    // Seals the pending sign-in cookie. Not derived from the OIDC client secret: the IdP's admins know that one.
    SSO_COOKIE_SECRET: optionalSecret(32),
    BIGCOMMERCE_CLIENT_ID: z.string().min(1).optional(),
    BIGCOMMERCE_CLIENT_SECRET: z.string().min(1).optional(),
    // Replicas sharing one store's state through Redis (optional; unset = in-process state).
    REDIS_URL: z
      .url({ protocol: /^rediss?$/, message: "must be a redis:// or rediss:// URL" })
      .refine((u) => URL.canParse(u) && new URL(u).hostname !== "", "must name a host, e.g. redis://:password@redis:6379")
      .optional(),
    REDIS_COMMAND_TIMEOUT_MS: intInRange(1_000, 50, 30_000),
    // At least LEASE_OVER_WRITE times the longest write (validated below): a lease is not a fence.
    REDIS_LOCK_LEASE_MS: intInRange(30_000, 1_000, 300_000),
    // With REDIS_URL: followers pass SCIM requests to the leading replica, so batches fill as
    // with one process; REPLICA_URL is how the other replicas reach this one.
    REPLICA_FORWARDING: z.enum(["on", "off"]).default("on"),
    REPLICA_URL: z.url({ protocol: /^https?$/ }).optional(),
    // Keys the hop credential between replicas and the leadership claims; unset: derived from
    // BIGCOMMERCE_ACCESS_TOKEN (every replica has it, Redis does not).
    REPLICA_SECRET: optionalSecret(32),
    // PEM file of the CA that an https REPLICA_URL's certificate is checked against (TLS between replicas).
    REPLICA_CA: z.string().optional().transform((s) => (s === undefined || s.trim() === "" ? undefined : s.trim())),
    // Many stores in one process (src/tenants): the file that lists them; unset = one store from this environment.
    SCIM_TENANTS_FILE: z.string().optional(),
};
export type SettingName = keyof typeof settings;

/** The schema of the environment: the settings, each carrying its description (meta), and the rules across them. */
export const envSchema = z
  .object(documented(settings))
  .superRefine((env, ctx) => {
    // What the mapping file's entries mean (known attributes, no clash with the built-in mapping
    // or SCIM_STORED_ATTRIBUTES) is checked here too, so a bad entry stops start-up (and fails the doctor) by name.
    try {
      resolveMapping(env.SCIM_MAPPING_FILE, env.SCIM_STORED_ATTRIBUTES);
    } catch (err) {
      if (!(err instanceof MappingFileError)) throw err;
      ctx.addIssue({ code: "custom", path: ["SCIM_MAPPING_FILE"], message: err.message });
    }
    if (env.SCIM_TENANTS_FILE?.trim()) {
      // Each tenant's store and sign-in come from the tenants file (src/tenants); here they would be ignored.
      if (env.BIGCOMMERCE_STORE_HASH) ctx.addIssue({ code: "custom", path: ["BIGCOMMERCE_STORE_HASH"], message: "is each tenant's own with SCIM_TENANTS_FILE (bigcommerce in the tenants file): unset it and BIGCOMMERCE_ACCESS_TOKEN" });
      if (env.SSO_OIDC_ISSUER) ctx.addIssue({ code: "custom", path: ["SSO_OIDC_ISSUER"], message: "is each tenant's own with SCIM_TENANTS_FILE (its settings in the tenants file): unset the SSO_OIDC_* variables here" });
      if (env.SSO_DEV_PROVIDER === "1") ctx.addIssue({ code: "custom", path: ["SSO_DEV_PROVIDER"], message: "needs the embedded emulator, which SCIM_TENANTS_FILE does not start" });
    }
    if (Boolean(env.BIGCOMMERCE_STORE_HASH) !== Boolean(env.BIGCOMMERCE_ACCESS_TOKEN)) {
      ctx.addIssue({
        code: "custom",
        path: ["BIGCOMMERCE_STORE_HASH"],
        message: "set both BIGCOMMERCE_STORE_HASH and BIGCOMMERCE_ACCESS_TOKEN, or neither (embedded emulator)",
      });
    }
    if (env.SCIM_JWT_JWKS_URL || env.SCIM_JWT_SECRET) {
      // Published signing keys are often shared by many tenants and apps (e.g. an IdP's common
      // keys), and a shared secret may sign tokens for other services too: only a token naming
      // this bridge (audience) from the expected issuer is a SCIM administrator.
      for (const name of ["SCIM_JWT_ISSUER", "SCIM_JWT_AUDIENCE"] as const) {
        if (!env[name]) ctx.addIssue({ code: "custom", path: [name], message: "required with SCIM_JWT_JWKS_URL or SCIM_JWT_SECRET" });
      }
    }
    if (env.SCIM_JWT_JWKS_URL && new URL(env.SCIM_JWT_JWKS_URL).protocol === "http:" && !isLoopbackUrl(env.SCIM_JWT_JWKS_URL)) {
      ctx.addIssue({ code: "custom", path: ["SCIM_JWT_JWKS_URL"], message: "must be https (plain http only on a loopback address): whoever answers it decides who is an administrator" });
    }
    if (csv(env.SCIM_JWT_ALLOWED_SUBJECTS).length > 0 && !env.SCIM_JWT_JWKS_URL && !env.SCIM_JWT_SECRET) {
      ctx.addIssue({ code: "custom", path: ["SCIM_JWT_ALLOWED_SUBJECTS"], message: "applies to JWTs: set SCIM_JWT_JWKS_URL or SCIM_JWT_SECRET too" });
    }
    if (env.SCIM_JWT_SECRET && env.SCIM_JWT_JWKS_URL) {
      ctx.addIssue({ code: "custom", path: ["SCIM_JWT_SECRET"], message: "set SCIM_JWT_SECRET or SCIM_JWT_JWKS_URL, not both" });
    }
    if (env.BIGCOMMERCE_API_URL && !env.BIGCOMMERCE_STORE_HASH && !env.BIGCOMMERCE_ACCESS_TOKEN) {
      // Without these the embedded emulator would be used and the URL silently ignored.
      ctx.addIssue({
        code: "custom",
        path: ["BIGCOMMERCE_API_URL"],
        message:
          "is set, but BIGCOMMERCE_STORE_HASH and BIGCOMMERCE_ACCESS_TOKEN are not: set them too (a standalone emulator accepts any store hash and token), or unset BIGCOMMERCE_API_URL to use the embedded emulator",
      });
    }
    if (env.BIGCOMMERCE_API_URL && /\/stores\//.test(new URL(env.BIGCOMMERCE_API_URL).pathname)) {
      ctx.addIssue({
        code: "custom",
        path: ["BIGCOMMERCE_API_URL"],
        message: "must be the API origin (https://api.bigcommerce.com, or an emulator's http://host:port), without /stores/{hash}/v3",
      });
    }
    // Every wait is cut to the request's budget anyway; a configured wait that cannot fit in it
    // would never be what the IdP sees, so it is refused rather than silently shortened.
    if (env.BIGCOMMERCE_MAX_WAIT_MS + env.BIGCOMMERCE_REQUEST_TIMEOUT_MS > env.SCIM_REQUEST_BUDGET_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["BIGCOMMERCE_MAX_WAIT_MS"],
        message: `plus BIGCOMMERCE_REQUEST_TIMEOUT_MS is ${env.BIGCOMMERCE_MAX_WAIT_MS + env.BIGCOMMERCE_REQUEST_TIMEOUT_MS} ms; keep the sum at most SCIM_REQUEST_BUDGET_MS (${env.SCIM_REQUEST_BUDGET_MS} ms, itself at most ${MAX_REQUEST_BUDGET_MS} ms so that every answer leaves within the IdPs' ${IDP_REQUEST_BUDGET_MS} ms)`,
      });
    }
    // The per-user lock is a lease, not a fence: BigCommerce cannot refuse a write whose lease ran
    // out while it was on its way. A lease well above the longest write (one request timeout) makes
    // that rare; the rest is what the writer re-checks after such a write (user-writer.ts).
    if (env.REDIS_URL && env.REDIS_LOCK_LEASE_MS < LEASE_OVER_WRITE * env.BIGCOMMERCE_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["REDIS_LOCK_LEASE_MS"],
        message: `must be at least ${LEASE_OVER_WRITE} times BIGCOMMERCE_REQUEST_TIMEOUT_MS (${LEASE_OVER_WRITE * env.BIGCOMMERCE_REQUEST_TIMEOUT_MS} ms), so that a write cannot outlast the lease it was sent under`,
      });
    }
    const live = Boolean(env.BIGCOMMERCE_STORE_HASH);
    const tokens = csv(env.SCIM_BEARER_TOKENS);
    if (env.SCIM_BEARER_TOKENS !== undefined && env.SCIM_BEARER_TOKENS.trim() !== "" && tokens.length === 0) {
      ctx.addIssue({ code: "custom", path: ["SCIM_BEARER_TOKENS"], message: "is set but holds no token (a comma-separated list of tokens of 16+ characters)" });
    }
    const jwt = Boolean(env.SCIM_JWT_SECRET || env.SCIM_JWT_JWKS_URL);
    if (live && tokens.length === 0 && !jwt) {
      ctx.addIssue({
        code: "custom",
        path: ["SCIM_BEARER_TOKENS"],
        message: "required when connected to a real store (or configure SCIM_JWT_SECRET / SCIM_JWT_JWKS_URL)",
      });
    }
    // Lockout: deactivated customers are restricted to this channel, which must be one no
    // shopper signs in to; the default storefront (1) or a default channel would defeat it.
    if (env.SCIM_LOCKOUT_CHANNEL_ID === 1) {
      ctx.addIssue({ code: "custom", path: ["SCIM_LOCKOUT_CHANNEL_ID"], message: "must not be 1, the default storefront (create a dedicated channel, see docs/deactivation.md)" });
    }
    if (env.SCIM_LOCKOUT_CHANNEL_ID !== null && env.SCIM_DEFAULT_CHANNEL_IDS?.includes(env.SCIM_LOCKOUT_CHANNEL_ID)) {
      ctx.addIssue({ code: "custom", path: ["SCIM_LOCKOUT_CHANNEL_ID"], message: "must not be one of SCIM_DEFAULT_CHANNEL_IDS" });
    }
    const oidc = [env.SSO_OIDC_ISSUER, env.SSO_OIDC_CLIENT_ID, env.SSO_OIDC_CLIENT_SECRET].filter(Boolean).length;
    if (oidc !== 0 && oidc !== 3) {
      ctx.addIssue({ code: "custom", path: ["SSO_OIDC_ISSUER"], message: "set SSO_OIDC_ISSUER, SSO_OIDC_CLIENT_ID and SSO_OIDC_CLIENT_SECRET together, or none (storefront sign-in off)" });
    }
    if (env.SSO_OIDC_ISSUER && new URL(env.SSO_OIDC_ISSUER).protocol === "http:" && !isLoopbackUrl(env.SSO_OIDC_ISSUER)) {
      ctx.addIssue({ code: "custom", path: ["SSO_OIDC_ISSUER"], message: "must be https (plain http only on a loopback address)" });
    }
    if (oidc === 3 && live) {
      for (const name of ["PUBLIC_BASE_URL", "SSO_STOREFRONT_URL", "BIGCOMMERCE_CLIENT_ID", "BIGCOMMERCE_CLIENT_SECRET", "SSO_COOKIE_SECRET"] as const) {
        if (!env[name]) ctx.addIssue({ code: "custom", path: [name], message: "required for storefront sign-in (SSO_OIDC_ISSUER is set)" });
      }
    }
    if (oidc === 3 || env.SSO_DEV_PROVIDER === "1") {
      // The callback carries the authorization code, the pending-sign-in cookie is only Secure on
      // https, and the login JWT in the storefront URL is a bearer credential for 30 s.
      for (const name of ["PUBLIC_BASE_URL", "SSO_STOREFRONT_URL"] as const) {
        const url = env[name];
        if (url && new URL(url).protocol === "http:" && !isLoopbackUrl(url)) {
          ctx.addIssue({ code: "custom", path: [name], message: "must be https for storefront sign-in (plain http only on a loopback address)" });
        }
      }
    }
    // Storefront sign-in: a customer whose deactivation stopped half-way (locked out, flag not yet
    // recorded) would still be sent a login token; on the lockout channel it would work.
    const signIn = oidc === 3 || env.SSO_DEV_PROVIDER === "1";
    if (signIn && env.SCIM_LOCKOUT_CHANNEL_ID !== null && env.SSO_CHANNEL_ID === env.SCIM_LOCKOUT_CHANNEL_ID) {
      ctx.addIssue({ code: "custom", path: ["SSO_CHANNEL_ID"], message: "must not be SCIM_LOCKOUT_CHANNEL_ID (storefront sign-in would open the lockout channel)" });
    }
    if (env.SSO_DEV_PROVIDER === "1" && (live || oidc !== 0)) {
      ctx.addIssue({ code: "custom", path: ["SSO_DEV_PROVIDER"], message: "only on the embedded emulator, without SSO_OIDC_ISSUER (it is a development provider that signs anyone in)" });
    }
    for (const t of tokens) {
      if (t.length < 16) {
        ctx.addIssue({ code: "custom", path: ["SCIM_BEARER_TOKENS"], message: "every token must be at least 16 characters" });
        break;
      }
    }
  });

/** The name of every environment setting (a tenant's `settings` may use only these: src/tenants). */
export const SETTING_NAMES: readonly string[] = Object.keys(envSchema.shape);

export interface Config {
  port: number;
  host: string;
  publicBaseUrl: string | null;
  bearerTokens: string[];
  jwt: null | {
    secret: string | null;
    jwksUrl: string | null;
    issuer: string;
    audience: string;
    /** A token's sub, client_id or azp must be one of these; null = any subject of the issuer. */
    allowedSubjects: string[] | null;
    /** Longest accepted token lifetime and age, in seconds. */
    maxAgeS: number;
  };
  bigcommerce: null | {
    apiUrl: string;
    storeHash: string;
    accessToken: string;
  };
  upstream: { requestTimeoutMs: number; maxWaitMs: number; reserve: number; paceBurstShare: number };
  /** SCIM_REQUEST_BUDGET_MS: one deadline per SCIM request, set where it enters (ms). */
  requestBudgetMs: number;
  deleteMode: "delete" | "deactivate";
  defaultChannelIds: number[] | null;
  deactivatedGroupId: number | null;
  /** Channel deactivated customers are restricted to (lockout); null = password lock only. */
  lockoutChannelId: number | null;
  storedAttributes: StorableAttribute[];
  /** The merchant's mapping document (SCIM_MAPPING_FILE); empty = the built-in mapping only. */
  mapping: MappingDocument;
  maxScan: number;
  /** A PATCH/PUT may start from the same client's read of the customer this recent (ms); 0 = off. */
  recentReadMs: number;
  /** Start-up repair window of the written-behind externalId index (hours); 0 = off. */
  indexRepairHours: number;
  bodyLimit: string;
  /** Express `trust proxy`: hops or proxy addresses; null = no header says who the client is. */
  trustProxy: number | string[] | null;
  /** Per client address per minute: failed authentications, and storefront sign-in requests. */
  limits: { authFailures: number; ssoRequests: number };
  logLevel: string;
  /** Audit events also go to this JSON Lines file (rotated by size); null = the log stream only. */
  auditFile: null | { path: string; maxBytes: number; keep: number };
  emulator: { latencyMs: number; rateQuota: number; rateWindowMs: number };
  /** Shared state for replicas; null = everything in this process (the default). */
  redis: null | {
    /** May carry a password: never log it. */
    url: string;
    /** Bound on every Redis command: past it the SCIM request answers 503, never hangs. */
    commandTimeoutMs: number;
    /** Lease of the per-user write lock; a replica that dies releases it when the lease expires. */
    lockLeaseMs: number;
    /** Followers pass SCIM requests to the leading replica (src/shared-state/leadership.ts). */
    forwarding: boolean;
    /** How the other replicas reach this one; unset: http://<this host's first IPv4 address>:PORT. */
    replicaUrl: string | null;
    /** REPLICA_SECRET: keys hops and leadership claims; null = derived from the store's access token. */
    replicaSecret: string | null;
    /** REPLICA_CA: path of the PEM CA bundle for https REPLICA_URLs; null = the system's CAs. */
    replicaCaFile: string | null;
  };
  /** Storefront sign-in; null = off. On the embedded emulator main.ts fills the storefront and app. */
  sso: SsoConfig | null;
  /** Start the built-in development OpenID provider (embedded emulator only), signing in as these say; null = off. */
  ssoDevProvider: SsoChoices | null;
  /** Many stores in one process (src/tenants); null = the one store of this environment. */
  tenantsFile: string | null;
}

/** How storefront sign-in finds and signs in customers: the same for a real IdP and the demo provider. */
export type SsoChoices = Pick<SsoConfig, "channelId" | "match" | "subjectClaim" | "jitCreate">;

export interface SsoConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Storefront origin (and path prefix) that `/login/token/{jwt}` is appended to. */
  storefrontUrl: string | null;
  channelId: number;
  match: "email" | "externalId";
  /** ID token claim compared with the stored externalId when match is externalId. */
  subjectClaim: string;
  /** Create a customer for a verified email that matches none (off by default). */
  jitCreate: boolean;
  /** The BigCommerce app whose client secret signs Customer Login JWTs. */
  app: { clientId: string; clientSecret: string } | null;
  /** SSO_COOKIE_SECRET: seals the pending sign-in cookie (the embedded emulator generates one per run). */
  cookieSecret: string | null;
}

/** Hosts on which plain http is acceptable for an identity provider (tests, local demos). */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Every environment variable the bridge reads, from the schema itself. */
export const ENVIRONMENT_VARIABLES = Object.keys(envSchema.shape) as readonly (keyof typeof envSchema.shape)[];

/**
 * An empty (or blank) value counts as unset, for every variable: compose files pass
 * `${X:-}` as "", and "" must mean the default, never "nothing" nor an invalid URL.
 */
function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(ENVIRONMENT_VARIABLES.map((name) => [name, env[name]?.trim() === "" ? undefined : env[name]]));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "environment"}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const ssoChoices: SsoChoices = {
    channelId: e.SSO_CHANNEL_ID,
    match: e.SSO_MATCH,
    subjectClaim: e.SSO_SUBJECT_CLAIM,
    jitCreate: e.SSO_JIT_CREATE === "true",
  };
  return {
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/$/, "") ?? null,
    bearerTokens: csv(e.SCIM_BEARER_TOKENS),
    jwt:
      e.SCIM_JWT_SECRET || e.SCIM_JWT_JWKS_URL
        ? {
            secret: e.SCIM_JWT_SECRET ?? null,
            jwksUrl: e.SCIM_JWT_JWKS_URL ?? null,
            // Both required whenever JWTs are on (checked above).
            issuer: e.SCIM_JWT_ISSUER ?? "",
            audience: e.SCIM_JWT_AUDIENCE ?? "",
            allowedSubjects: csv(e.SCIM_JWT_ALLOWED_SUBJECTS).length > 0 ? csv(e.SCIM_JWT_ALLOWED_SUBJECTS) : null,
            maxAgeS: e.SCIM_JWT_MAX_AGE_S,
          }
        : null,
    bigcommerce:
      e.BIGCOMMERCE_STORE_HASH && e.BIGCOMMERCE_ACCESS_TOKEN
        ? { apiUrl: (e.BIGCOMMERCE_API_URL ?? DEFAULT_BIGCOMMERCE_API_URL).replace(/\/$/, ""), storeHash: e.BIGCOMMERCE_STORE_HASH, accessToken: e.BIGCOMMERCE_ACCESS_TOKEN }
        : null,
    upstream: {
      requestTimeoutMs: e.BIGCOMMERCE_REQUEST_TIMEOUT_MS,
      maxWaitMs: e.BIGCOMMERCE_MAX_WAIT_MS,
      reserve: e.BIGCOMMERCE_RATE_RESERVE,
      paceBurstShare: e.BIGCOMMERCE_PACE_BURST_SHARE,
    },
    requestBudgetMs: e.SCIM_REQUEST_BUDGET_MS,
    deleteMode: e.SCIM_DELETE_MODE,
    defaultChannelIds: e.SCIM_DEFAULT_CHANNEL_IDS,
    deactivatedGroupId: e.SCIM_DEACTIVATED_GROUP_ID,
    lockoutChannelId: e.SCIM_LOCKOUT_CHANNEL_ID,
    storedAttributes: e.SCIM_STORED_ATTRIBUTES,
    mapping: e.SCIM_MAPPING_FILE,
    maxScan: e.SCIM_MAX_SCAN,
    recentReadMs: e.SCIM_RECENT_READ_MS,
    indexRepairHours: e.SCIM_INDEX_REPAIR_HOURS,
    bodyLimit: e.SCIM_BODY_LIMIT,
    auditFile:
      e.SCIM_AUDIT_FILE !== undefined && e.SCIM_AUDIT_FILE.trim() !== ""
        ? { path: e.SCIM_AUDIT_FILE.trim(), maxBytes: e.SCIM_AUDIT_FILE_MAX_MB * 1024 * 1024, keep: e.SCIM_AUDIT_FILE_KEEP }
        : null,
    trustProxy: e.TRUST_PROXY,
    limits: { authFailures: e.AUTH_FAILURE_LIMIT, ssoRequests: e.SSO_RATE_LIMIT },
    logLevel: e.LOG_LEVEL,
    emulator: {
      latencyMs: e.EMULATOR_LATENCY_MS,
      rateQuota: e.EMULATOR_RATE_QUOTA,
      rateWindowMs: e.EMULATOR_RATE_WINDOW_MS,
    },
    sso:
      e.SSO_OIDC_ISSUER && e.SSO_OIDC_CLIENT_ID && e.SSO_OIDC_CLIENT_SECRET
        ? {
            issuer: e.SSO_OIDC_ISSUER,
            clientId: e.SSO_OIDC_CLIENT_ID,
            clientSecret: e.SSO_OIDC_CLIENT_SECRET,
            storefrontUrl: e.SSO_STOREFRONT_URL?.replace(/\/$/, "") ?? null,
            ...ssoChoices,
            app:
              e.BIGCOMMERCE_CLIENT_ID && e.BIGCOMMERCE_CLIENT_SECRET
                ? { clientId: e.BIGCOMMERCE_CLIENT_ID, clientSecret: e.BIGCOMMERCE_CLIENT_SECRET }
                : null,
            cookieSecret: e.SSO_COOKIE_SECRET ?? null,
          }
        : null,
    ssoDevProvider: e.SSO_DEV_PROVIDER === "1" ? ssoChoices : null,
    tenantsFile: e.SCIM_TENANTS_FILE?.trim() || null,
    redis: e.REDIS_URL
      ? {
          url: e.REDIS_URL,
          commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
          lockLeaseMs: e.REDIS_LOCK_LEASE_MS,
          forwarding: e.REPLICA_FORWARDING === "on",
          replicaUrl: e.REPLICA_URL?.replace(/\/$/, "") ?? null,
          replicaSecret: e.REPLICA_SECRET ?? null,
          replicaCaFile: e.REPLICA_CA ?? null,
        }
      : null,
  };
}
