import { z } from "zod";

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

const intInRange = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

/** Attributes with no BigCommerce field that the bridge can keep as customer attributes. */
export const STORABLE_ATTRIBUTES = [
  "title",
  "nickName",
  "profileUrl",
  "userType",
  "preferredLanguage",
  "locale",
  "timezone",
  "department",
  "employeeNumber",
  "costCenter",
  "division",
  "manager",
] as const;
export type StorableAttribute = (typeof STORABLE_ATTRIBUTES)[number];
/** Where each storable attribute lives in SCIM: the core User schema, or the enterprise extension. */
export const CORE_STORABLE: readonly StorableAttribute[] = ["title", "nickName", "profileUrl", "userType", "preferredLanguage", "locale", "timezone"];
export const ENTERPRISE_STORABLE: readonly StorableAttribute[] = ["department", "employeeNumber", "costCenter", "division"];

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
    BIGCOMMERCE_API_URL: z.url({ protocol: /^https?$/ }).default("https://api.bigcommerce.com"),
    BIGCOMMERCE_REQUEST_TIMEOUT_MS: intInRange(15_000, 1_000, 120_000),
    // Long enough to ride out one exhausted 30 s quota window (so the IdP sees no 429 in a steady
    // bulk load), short enough that wait + one request timeout stays under the IdPs' 60 s.
    BIGCOMMERCE_MAX_WAIT_MS: intInRange(32_000, 0, 50_000),
    BIGCOMMERCE_RATE_RESERVE: intInRange(0, 0, 1000),
    SCIM_DELETE_MODE: z.enum(["delete", "deactivate"]).default("delete"),
    SCIM_DEFAULT_CHANNEL_IDS: positiveIntList,
    SCIM_DEACTIVATED_GROUP_ID: optionalPositiveInt,
    SCIM_STORED_ATTRIBUTES: z
      .string()
      .optional()
      .transform((s, ctx) => {
        if (s === undefined) return ["title", "department", "employeeNumber", "manager"] as StorableAttribute[];
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
  })
  .superRefine((env, ctx) => {
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
    const live = Boolean(env.BIGCOMMERCE_STORE_HASH);
    const tokens = csv(env.SCIM_BEARER_TOKENS);
    const jwt = Boolean(env.SCIM_JWT_SECRET || env.SCIM_JWT_JWKS_URL);
    if (live && tokens.length === 0 && !jwt) {
      ctx.addIssue({
        code: "custom",
        path: ["SCIM_BEARER_TOKENS"],
        message: "required when connected to a real store (or configure SCIM_JWT_SECRET / SCIM_JWT_JWKS_URL)",
      });
    }
    for (const t of tokens) {
      if (t.length < 16) {
        ctx.addIssue({ code: "custom", path: ["SCIM_BEARER_TOKENS"], message: "every token must be at least 16 characters" });
        break;
      }
    }
  });

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
  upstream: { requestTimeoutMs: number; maxWaitMs: number; reserve: number };
  deleteMode: "delete" | "deactivate";
  defaultChannelIds: number[] | null;
  deactivatedGroupId: number | null;
  storedAttributes: StorableAttribute[];
  maxScan: number;
  /** A PATCH/PUT may start from the same client's read of the customer this recent (ms); 0 = off. */
  recentReadMs: number;
  /** Start-up repair window of the written-behind externalId index (hours); 0 = off. */
  indexRepairHours: number;
  bodyLimit: string;
  logLevel: string;
  emulator: { latencyMs: number; rateQuota: number; rateWindowMs: number };
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
        ? { apiUrl: e.BIGCOMMERCE_API_URL.replace(/\/$/, ""), storeHash: e.BIGCOMMERCE_STORE_HASH, accessToken: e.BIGCOMMERCE_ACCESS_TOKEN }
        : null,
    upstream: {
      requestTimeoutMs: e.BIGCOMMERCE_REQUEST_TIMEOUT_MS,
      maxWaitMs: e.BIGCOMMERCE_MAX_WAIT_MS,
      reserve: e.BIGCOMMERCE_RATE_RESERVE,
    },
    deleteMode: e.SCIM_DELETE_MODE,
    defaultChannelIds: e.SCIM_DEFAULT_CHANNEL_IDS,
    deactivatedGroupId: e.SCIM_DEACTIVATED_GROUP_ID,
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
  };
}
