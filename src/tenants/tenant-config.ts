import { randomBytes } from "node:crypto";
import { StaticTokens } from "../auth/bearer-token.js";
import type { Upstream } from "../compose.js";
import { ConfigError, loadConfig, SETTING_NAMES, type Config } from "../config.js";
import type { TenantEntry } from "./tenants-file.js";

/** Settings a tenant takes from its own fields of the file, never from `settings`. */
const FROM_TENANT_FIELDS: Record<string, string> = {
  BIGCOMMERCE_STORE_HASH: "bigcommerce.storeHash",
  BIGCOMMERCE_ACCESS_TOKEN: "bigcommerce.accessToken",
  BIGCOMMERCE_API_URL: "bigcommerce.apiUrl",
  SCIM_BEARER_TOKENS: "scimTokens",
};

/** The process's own settings: one listener, one log, one Redis, one tenants file, one audit file. */
const PROCESS_ONLY = new Set([
  "PORT",
  "HOST",
  "PUBLIC_BASE_URL",
  "LOG_LEVEL",
  "SCIM_TENANTS_FILE",
  "REDIS_URL",
  "REDIS_COMMAND_TIMEOUT_MS",
  "REDIS_LOCK_LEASE_MS",
  "REPLICA_FORWARDING",
  "REPLICA_URL",
  "EMULATOR_LATENCY_MS",
  "EMULATOR_RATE_QUOTA",
  "EMULATOR_RATE_WINDOW_MS",
  "SSO_DEV_PROVIDER",
  "SCIM_AUDIT_FILE",
  "SCIM_AUDIT_FILE_MAX_MB",
  "SCIM_AUDIT_FILE_KEEP",
  "AUTH_FAILURE_LIMIT",
]);

/**
 * Who may call a store, and the store's sign-in app, are a tenant's own: the process
 * environment's values (the operator's token, a process-wide JWT issuer, one OpenID client) are
 * never inherited, or they would open every tenant.
 */
const NOT_INHERITED = (name: string) =>
  name in FROM_TENANT_FIELDS || name.startsWith("SCIM_JWT_") || name.startsWith("SSO_") || name.startsWith("BIGCOMMERCE_CLIENT_");

export interface TenantSetup {
  id: string;
  config: Config;
  upstream: Upstream;
  tokens: StaticTokens;
  fingerprint: string;
}

/**
 * A tenant's Config: its `settings` over the process environment's other settings, parsed by the
 * very schema that parses the environment (src/config.ts), so every per-store setting works by its
 * environment name and is checked as it would be there. Errors name the tenant and the setting.
 * An empty (or blank) value is unset, as it is in the environment: the tenant then has what it has
 * without the entry, the environment's value. It never means the schema's default over a value the
 * environment sets: a templated file that leaves `"SCIM_DELETE_MODE": ""` must not turn a
 * process-wide `deactivate` into deletion for one store.
 */
export function tenantSetup(entry: TenantEntry, processEnv: NodeJS.ProcessEnv = process.env): TenantSetup {
  const problems: string[] = [];
  for (const name of Object.keys(entry.settings)) {
    if (name in FROM_TENANT_FIELDS) problems.push(`settings.${name}: is the tenant's ${FROM_TENANT_FIELDS[name]}, not a setting`);
    else if (PROCESS_ONLY.has(name)) problems.push(`settings.${name}: is a setting of the whole process (set it in the environment)`);
    else if (!SETTING_NAMES.includes(name)) problems.push(`settings.${name}: is not a setting (see docs/configuration.md)`);
  }
  if (problems.length > 0) throw tenantError(entry.id, problems);
  const own = Object.fromEntries(Object.entries(entry.settings).filter(([, value]) => value.trim() !== ""));
  const inherited = Object.fromEntries(Object.entries(processEnv).filter(([name]) => !NOT_INHERITED(name)));
  // loadConfig insists that a real store has a SCIM token; the tenant's may be digests only, so a
  // random stand-in satisfies that check and is dropped from the result (the tokens are `tokens`).
  const standIn = entry.tokenDigests.length > 0 ? { SCIM_BEARER_TOKENS: randomBytes(24).toString("hex") } : {};
  let config: Config;
  try {
    config = loadConfig({
      ...inherited,
      ...own,
      ...standIn,
      SCIM_TENANTS_FILE: "",
      BIGCOMMERCE_STORE_HASH: entry.storeHash,
      BIGCOMMERCE_ACCESS_TOKEN: entry.accessToken,
      ...(entry.apiUrl !== undefined ? { BIGCOMMERCE_API_URL: entry.apiUrl } : {}),
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const lines = err.message.split("\n").slice(1).map((line) => line.trim());
    throw tenantError(
      entry.id,
      lines.map((line) => {
        const name = /^([A-Z0-9_]+):/.exec(line)?.[1];
        if (name === undefined) return line;
        const where = FROM_TENANT_FIELDS[name] ?? (name in own ? `settings.${name}` : `${name} (environment)`);
        return `${where}${line.slice(name.length)}`;
      }),
    );
  }
  const bigcommerce = config.bigcommerce!;
  return {
    id: entry.id,
    config: { ...config, bearerTokens: [], tenantsFile: null },
    upstream: { apiUrl: bigcommerce.apiUrl, storeHash: bigcommerce.storeHash, accessToken: bigcommerce.accessToken },
    tokens: StaticTokens.fromDigests(entry.tokenDigests),
    fingerprint: entry.fingerprint,
  };
}

function tenantError(id: string, problems: string[]): ConfigError {
  return new ConfigError(`Invalid configuration of tenant "${id}":\n${problems.map((p) => `  tenant "${id}": ${p}`).join("\n")}`);
}
