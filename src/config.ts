import { z } from "zod";
import { UPSTREAM_DEFAULTS } from "./bigcommerce/defaults.js";
import { DEFAULT_STORED_ATTRIBUTES, STORABLE_ATTRIBUTES, type StorableAttribute } from "./mapping/attribute-table.js";

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

const DEFAULT_BIGCOMMERCE_API_URL = "https://api.bigcommerce.com";
/** IdPs give up on a SCIM request after about 60 s: the longest quota wait plus one request must fit. */
export const IDP_REQUEST_BUDGET_MS = 60_000;

// Storable attributes and their schema placement come from the attribute table (src/mapping).
export { CORE_STORABLE, ENTERPRISE_STORABLE, STORABLE_ATTRIBUTES, type StorableAttribute } from "./mapping/attribute-table.js";

const envSchema = z
  .object({
    PORT: intInRange(8080, 0, 65535),
    HOST: z.string().min(1).default("0.0.0.0"),
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    SCIM_BEARER_TOKENS: z.string().optional(),
    SCIM_JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    SCIM_JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    SCIM_JWT_ISSUER: z.string().min(1).optional(),
    SCIM_JWT_AUDIENCE: z.string().min(1).optional(),
    BIGCOMMERCE_STORE_HASH: z.string().regex(/^[a-z0-9]+$/i, "must be the store hash from the API path").optional(),
    BIGCOMMERCE_ACCESS_TOKEN: z.string().min(1).optional(),
    BIGCOMMERCE_API_URL: z.url({ protocol: /^https?$/ }).optional(),
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
        const names = csv(s);
        const unknown = names.filter((n) => !(STORABLE_ATTRIBUTES as readonly string[]).includes(n));
        if (unknown.length > 0) {
          ctx.addIssue({ code: "custom", message: `unknown attribute(s) ${unknown.join(", ")}; choose from ${STORABLE_ATTRIBUTES.join(", ")}` });
          return z.NEVER;
        }
        return names as StorableAttribute[];
      }),
    SCIM_MAX_SCAN: intInRange(1000, 0, 100_000),
    // A PATCH/PUT may start from the same client's read this recent (ms); 0 = always re-read.
    SCIM_RECENT_READ_MS: intInRange(2000, 0, 10_000),
    // Start-up repair of externalId index entries written behind: values modified this many hours back; 0 = off.
    SCIM_INDEX_REPAIR_HOURS: intInRange(24, 0, 24 * 90),
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
    BIGCOMMERCE_CLIENT_ID: z.string().min(1).optional(),
    BIGCOMMERCE_CLIENT_SECRET: z.string().min(1).optional(),
    // Replicas sharing one store's state through Redis (optional; unset = in-process state).
    REDIS_URL: z
      .url({ protocol: /^rediss?$/, message: "must be a redis:// or rediss:// URL" })
      .refine((u) => URL.canParse(u) && new URL(u).hostname !== "", "must name a host, e.g. redis://:password@redis:6379")
      .optional(),
    REDIS_COMMAND_TIMEOUT_MS: intInRange(1_000, 50, 30_000),
    REDIS_LOCK_LEASE_MS: intInRange(15_000, 1_000, 300_000),
    // With REDIS_URL: followers pass SCIM requests to the leading replica, so batches fill as
    // with one process; REPLICA_URL is how the other replicas reach this one.
    REPLICA_FORWARDING: z.enum(["on", "off"]).default("on"),
    REPLICA_URL: z.url({ protocol: /^https?$/ }).optional(),
    // Many stores in one process (src/tenants): the file that lists them; unset = one store from this environment.
    SCIM_TENANTS_FILE: z.string().optional(),
  })
  .superRefine((env, ctx) => {
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
    if (env.SCIM_JWT_JWKS_URL && !env.SCIM_JWT_AUDIENCE) {
      // Published signing keys are often shared by many tenants and apps (e.g. an IdP's
      // common keys): without an audience any token they signed would be accepted.
      ctx.addIssue({ code: "custom", path: ["SCIM_JWT_AUDIENCE"], message: "required with SCIM_JWT_JWKS_URL" });
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
    if (env.BIGCOMMERCE_MAX_WAIT_MS + env.BIGCOMMERCE_REQUEST_TIMEOUT_MS > IDP_REQUEST_BUDGET_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["BIGCOMMERCE_MAX_WAIT_MS"],
        message: `plus BIGCOMMERCE_REQUEST_TIMEOUT_MS is ${env.BIGCOMMERCE_MAX_WAIT_MS + env.BIGCOMMERCE_REQUEST_TIMEOUT_MS} ms; keep the sum at most ${IDP_REQUEST_BUDGET_MS} ms, or the IdPs give up before the bridge answers`,
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
      ctx.addIssue({ code: "custom", path: ["SCIM_LOCKOUT_CHANNEL_ID"], message: "must not be 1, the default storefront (create a dedicated channel, see README)" });
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
      for (const name of ["PUBLIC_BASE_URL", "SSO_STOREFRONT_URL", "BIGCOMMERCE_CLIENT_ID", "BIGCOMMERCE_CLIENT_SECRET"] as const) {
        if (!env[name]) ctx.addIssue({ code: "custom", path: [name], message: "required for storefront sign-in (SSO_OIDC_ISSUER is set)" });
      }
    }
    // Storefront sign-in: a customer whose deactivation stopped half-way (locked out, flag not yet
    // recorded) would still be sent a login token; on the lockout channel it would work.
    if (env.SCIM_LOCKOUT_CHANNEL_ID !== null && env.SSO_CHANNEL_ID === env.SCIM_LOCKOUT_CHANNEL_ID) {
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
    issuer: string | null;
    audience: string | null;
  };
  bigcommerce: null | {
    apiUrl: string;
    storeHash: string;
    accessToken: string;
  };
  upstream: { requestTimeoutMs: number; maxWaitMs: number; reserve: number; paceBurstShare: number };
  deleteMode: "delete" | "deactivate";
  defaultChannelIds: number[] | null;
  deactivatedGroupId: number | null;
  /** Channel deactivated customers are restricted to (lockout); null = password lock only. */
  lockoutChannelId: number | null;
  storedAttributes: StorableAttribute[];
  maxScan: number;
  /** A PATCH/PUT may start from the same client's read of the customer this recent (ms); 0 = off. */
  recentReadMs: number;
  /** Start-up repair window of the written-behind externalId index (hours); 0 = off. */
  indexRepairHours: number;
  bodyLimit: string;
  logLevel: string;
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
  };
  /** Storefront sign-in; null = off. On the embedded emulator main.ts fills the storefront and app. */
  sso: SsoConfig | null;
  /** Start the built-in development OpenID provider (embedded emulator only). */
  ssoDevProvider: boolean;
  /** Many stores in one process (src/tenants); null = the one store of this environment. */
  tenantsFile: string | null;
}

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
}

/** Hosts on which plain http is acceptable for an identity provider (tests, local demos). */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "environment"}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
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
            issuer: e.SCIM_JWT_ISSUER ?? null,
            audience: e.SCIM_JWT_AUDIENCE ?? null,
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
    deleteMode: e.SCIM_DELETE_MODE,
    defaultChannelIds: e.SCIM_DEFAULT_CHANNEL_IDS,
    deactivatedGroupId: e.SCIM_DEACTIVATED_GROUP_ID,
    lockoutChannelId: e.SCIM_LOCKOUT_CHANNEL_ID,
    storedAttributes: e.SCIM_STORED_ATTRIBUTES,
    maxScan: e.SCIM_MAX_SCAN,
    recentReadMs: e.SCIM_RECENT_READ_MS,
    indexRepairHours: e.SCIM_INDEX_REPAIR_HOURS,
    bodyLimit: e.SCIM_BODY_LIMIT,
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
            channelId: e.SSO_CHANNEL_ID,
            match: e.SSO_MATCH,
            subjectClaim: e.SSO_SUBJECT_CLAIM,
            jitCreate: e.SSO_JIT_CREATE === "true",
            app:
              e.BIGCOMMERCE_CLIENT_ID && e.BIGCOMMERCE_CLIENT_SECRET
                ? { clientId: e.BIGCOMMERCE_CLIENT_ID, clientSecret: e.BIGCOMMERCE_CLIENT_SECRET }
                : null,
          }
        : null,
    ssoDevProvider: e.SSO_DEV_PROVIDER === "1",
    tenantsFile: e.SCIM_TENANTS_FILE?.trim() || null,
    redis: e.REDIS_URL
      ? {
          url: e.REDIS_URL,
          commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
          lockLeaseMs: e.REDIS_LOCK_LEASE_MS,
          forwarding: e.REPLICA_FORWARDING === "on",
          replicaUrl: e.REPLICA_URL?.replace(/\/$/, "") ?? null,
        }
      : null,
  };
}
