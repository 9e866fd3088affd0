import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { tenantSetup } from "../../src/tenants/tenant-config.js";
import { readTenantsFile, TenantsFileError } from "../../src/tenants/tenants-file.js";

/** SCIM_TENANTS_FILE: its format, secret references, and settings checked as the environment is. */
let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), "tenants-file-"));
});
afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

const TOKEN = "a-scim-token-of-enough-length";
const tenant = (extra: Record<string, unknown> = {}) => ({
  id: "acme-eu",
  bigcommerce: { storeHash: "abc123", accessToken: "store-token" },
  scimTokens: [TOKEN],
  ...extra,
});
const write = (content: unknown, name = "tenants.json") => {
  const path = join(folder, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
};
const problemOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("no problem reported");
};

describe("readTenantsFile", () => {
  it("reads the issue's example shape, digesting the SCIM tokens", () => {
    const [entry] = readTenantsFile(write({ tenants: [tenant({ settings: { SCIM_DELETE_MODE: "deactivate" } })] }), {});
    expect(entry).toMatchObject({ id: "acme-eu", storeHash: "abc123", accessToken: "store-token", settings: { SCIM_DELETE_MODE: "deactivate" } });
    expect(entry!.tokenDigests).toEqual([createHash("sha256").update(TOKEN).digest()]);
  });

  it("resolves secrets from the environment and from files relative to the tenants file; takes digests", () => {
    writeFileSync(join(folder, "store.token"), "from-a-file\n");
    const digest = createHash("sha256").update("some-other-token-value").digest("hex");
    const [entry] = readTenantsFile(
      write({ tenants: [tenant({ bigcommerce: { storeHash: "abc123", accessToken: { file: "store.token" } }, scimTokens: [{ env: "ACME_SCIM" }, { sha256: digest }] })] }),
      { ACME_SCIM: TOKEN },
    );
    expect(entry!.accessToken).toBe("from-a-file");
    expect(entry!.tokenDigests.map((d) => d.toString("hex"))).toEqual([createHash("sha256").update(TOKEN).digest("hex"), digest]);
  });

  it("names the tenant and the field of a missing reference, without its value", () => {
    const message = problemOf(() => readTenantsFile(write({ tenants: [tenant({ bigcommerce: { storeHash: "abc123", accessToken: { env: "NOT_SET_HERE" } } })] }), {}));
    expect(message).toMatch(/tenant "acme-eu": bigcommerce\.accessToken: environment variable NOT_SET_HERE is not set/);
    const file = problemOf(() => readTenantsFile(write({ tenants: [tenant({ scimTokens: [{ file: "absent.token" }] })] }), {}));
    expect(file).toMatch(/tenant "acme-eu": scimTokens\[0\]: cannot read file absent\.token/);
  });

  it("refuses duplicate ids, a token shared by two tenants, short tokens, bad ids and unknown fields", () => {
    expect(problemOf(() => readTenantsFile(write({ tenants: [tenant(), tenant({ scimTokens: ["another-long-token-here"] })] }), {}))).toMatch(/tenant "acme-eu": id: is given twice/);
    expect(problemOf(() => readTenantsFile(write({ tenants: [tenant(), tenant({ id: "other" })] }), {}))).toMatch(/tenant "other": scimTokens: a token is also tenant "acme-eu"'s/);
    // Two bridges on one store would each spend its whole quota, and with replicas share its Redis
    // keys (leadership included) while serving different paths.
    expect(
      problemOf(() => readTenantsFile(write({ tenants: [tenant(), tenant({ id: "other", scimTokens: ["another-long-token-here"] })] }), {})),
    ).toMatch(/tenant "other": bigcommerce\.storeHash: is also tenant "acme-eu"'s store/);
    expect(problemOf(() => readTenantsFile(write({ tenants: [tenant({ scimTokens: ["short"] })] }), {}))).toMatch(/scimTokens\[0\]: must be at least 16 characters/);
    expect(problemOf(() => readTenantsFile(write({ tenants: [tenant({ id: "Not/A/Path" })] }), {}))).toMatch(/tenant "Not\/A\/Path": id: must be/);
    expect(problemOf(() => readTenantsFile(write({ tenants: [tenant({ bigcommerce: { storeHash: "abc", accessToken: "x", region: "eu" } })] }), {}))).toMatch(/tenant "acme-eu": bigcommerce/);
    expect(problemOf(() => readTenantsFile(write("{ nope"), {}))).toMatch(/not valid JSON/);
    expect(() => readTenantsFile(join(folder, "absent.json"), {})).toThrow(TenantsFileError);
  });

  it("makes a relative *_FILE setting absolute (next to the tenants file), and its content part of the tenant's fingerprint", () => {
    writeFileSync(join(folder, "acme.json"), '{"v":1}');
    const path = write({ tenants: [tenant({ settings: { SCIM_MAPPING_FILE: "acme.json" } })] });
    const [first] = readTenantsFile(path, {});
    expect(first!.settings.SCIM_MAPPING_FILE).toBe(join(folder, "acme.json"));
    expect(readTenantsFile(path, {})[0]!.fingerprint).toBe(first!.fingerprint);
    writeFileSync(join(folder, "acme.json"), '{"v":2}');
    expect(readTenantsFile(path, {})[0]!.fingerprint).not.toBe(first!.fingerprint);
  });

  it("reads YAML", () => {
    const yaml = ["tenants:", "  - id: acme-eu", "    bigcommerce: { storeHash: abc123, accessToken: store-token }", `    scimTokens: [${TOKEN}]`, "    settings: { SCIM_MAX_SCAN: 50 }", ""].join("\n");
    const [entry] = readTenantsFile(write(yaml, "tenants.yml"), {});
    expect(entry!.settings).toEqual({ SCIM_MAX_SCAN: "50" });
  });
});

describe("tenantSetup: settings over the process environment, checked by the environment's schema", () => {
  const entryWith = (settings: Record<string, unknown>, extra: Record<string, unknown> = {}) => readTenantsFile(write({ tenants: [tenant({ settings, ...extra })] }), {})[0]!;

  it("takes any per-store setting by its environment name, over the process's", () => {
    const setup = tenantSetup(entryWith({ SCIM_DELETE_MODE: "deactivate", BIGCOMMERCE_RATE_RESERVE: "7" }), { SCIM_MAX_SCAN: "33", SCIM_DELETE_MODE: "delete" });
    expect(setup.config.deleteMode).toBe("deactivate");
    expect(setup.config.upstream.reserve).toBe(7);
    expect(setup.config.maxScan).toBe(33); // inherited
    expect(setup.upstream).toEqual({ apiUrl: "https://api.bigcommerce.com", storeHash: "abc123", accessToken: "store-token" });
    expect(setup.tokens.match(TOKEN)).toBe(0);
    expect(setup.config.bearerTokens).toEqual([]);
  });

  it("an empty or blank value is unset, as in the environment: the environment's value, never the default over it (docs/tenants.md)", () => {
    const env = { SCIM_DELETE_MODE: "deactivate", SCIM_DEFAULT_CHANNEL_IDS: "1,2", SCIM_LOCKOUT_CHANNEL_ID: "4", SCIM_MAX_SCAN: "33" };
    const blank = tenantSetup(entryWith({ SCIM_DELETE_MODE: "", SCIM_DEFAULT_CHANNEL_IDS: "  ", SCIM_LOCKOUT_CHANNEL_ID: "", SCIM_MAX_SCAN: 50 }), env);
    const absent = tenantSetup(entryWith({ SCIM_MAX_SCAN: 50 }), env);
    expect(blank.config).toEqual(absent.config);
    expect(blank.config).toMatchObject({ deleteMode: "deactivate", defaultChannelIds: [1, 2], lockoutChannelId: 4, maxScan: 50 });
    // Without an environment value: the setting's default, as when the entry is left out.
    expect(tenantSetup(entryWith({ SCIM_DELETE_MODE: "" }), {}).config.deleteMode).toBe("delete");
    // Not inherited stays not inherited: an empty SSO_OIDC_ISSUER is no sign-in, not the environment's.
    expect(tenantSetup(entryWith({ SSO_OIDC_ISSUER: "" }), { SSO_OIDC_ISSUER: "https://idp.example" }).config.sso).toBeNull();
    // A refusal of the environment's value names the environment, not the tenant's empty entry.
    expect(problemOf(() => tenantSetup(entryWith({ SCIM_DELETE_MODE: "" }), { SCIM_DELETE_MODE: "shred" }))).toMatch(/tenant "acme-eu": SCIM_DELETE_MODE \(environment\)/);
  });

  it("never inherits the process's tokens, JWT settings or sign-in app", () => {
    const setup = tenantSetup(entryWith({}), { SCIM_BEARER_TOKENS: "operator-token-0123456789", SCIM_JWT_SECRET: "x".repeat(40), SSO_OIDC_ISSUER: "https://idp.example" });
    expect(setup.tokens.match("operator-token-0123456789")).toBe(-1);
    expect(setup.config.jwt).toBeNull();
    expect(setup.config.sso).toBeNull();
  });

  it("names the tenant and the setting of every refusal", () => {
    const refusal = (settings: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
      const message = problemOf(() => tenantSetup(entryWith(settings, extra), {}));
      expect(message).toMatch(/tenant "acme-eu"/);
      return message;
    };
    expect(refusal({ SCIM_DELETE_MODE: "shred" })).toMatch(/tenant "acme-eu": settings\.SCIM_DELETE_MODE: /);
    expect(refusal({ SCIM_LOCKOUT_CHANNEL_ID: "1" })).toMatch(/settings\.SCIM_LOCKOUT_CHANNEL_ID: must not be 1/);
    expect(refusal({ NOT_A_SETTING: "x" })).toMatch(/settings\.NOT_A_SETTING: is not a setting/);
    expect(refusal({ PORT: "9" })).toMatch(/settings\.PORT: is a setting of the whole process/);
    expect(refusal({ BIGCOMMERCE_ACCESS_TOKEN: "x" })).toMatch(/settings\.BIGCOMMERCE_ACCESS_TOKEN: is the tenant's bigcommerce\.accessToken/);
    expect(refusal({}, { scimTokens: [] })).toMatch(/tenant "acme-eu": scimTokens: required/);
    expect(refusal({}, { bigcommerce: { storeHash: "abc123", accessToken: "t", apiUrl: "https://api.bigcommerce.com/stores/abc123/v3" } })).toMatch(/bigcommerce\.apiUrl: must be the API origin/);
    expect(() => tenantSetup(entryWith({ SCIM_DELETE_MODE: "shred" }), {})).toThrow(ConfigError);
  });

  it("refuses every process setting docs/tenants.md lists, and takes the replicas' secret and CA per store", () => {
    const processOnly = ["PORT", "HOST", "PUBLIC_BASE_URL", "LOG_LEVEL", "SCIM_TENANTS_FILE", "REDIS_URL", "REDIS_COMMAND_TIMEOUT_MS", "REDIS_LOCK_LEASE_MS", "REPLICA_FORWARDING", "REPLICA_URL", "EMULATOR_LATENCY_MS", "EMULATOR_RATE_QUOTA", "EMULATOR_RATE_WINDOW_MS", "SSO_DEV_PROVIDER"];
    for (const name of processOnly) {
      expect(problemOf(() => tenantSetup(entryWith({ [name]: "1" }), {})), name).toMatch(new RegExp(`settings\\.${name}: is a setting of the whole process`));
    }
    expect(() => tenantSetup(entryWith({ REPLICA_SECRET: "r".repeat(40), REPLICA_CA: "ca.pem" }), {})).not.toThrow();
  });

  it("a tenant may authenticate by JWT instead of static tokens", () => {
    const setup = tenantSetup(entryWith({ SCIM_JWT_SECRET: "s".repeat(40), SCIM_JWT_ISSUER: "https://idp.example.com", SCIM_JWT_AUDIENCE: "scim-bridge" }, { scimTokens: [] }), {});
    expect(setup.config.jwt?.secret).toBe("s".repeat(40));
  });
});

describe("the process environment with SCIM_TENANTS_FILE", () => {
  it("is the tenants' file; the store and sign-in set here would be ignored, so they are refused", () => {
    expect(loadConfig({ SCIM_TENANTS_FILE: "tenants.json" }).tenantsFile).toBe("tenants.json");
    expect(loadConfig({ SCIM_TENANTS_FILE: "" }).tenantsFile).toBeNull();
    expect(() => loadConfig({ SCIM_TENANTS_FILE: "t.json", BIGCOMMERCE_STORE_HASH: "abc", BIGCOMMERCE_ACCESS_TOKEN: "x", SCIM_BEARER_TOKENS: TOKEN })).toThrow(/BIGCOMMERCE_STORE_HASH: is each tenant's own/);
    expect(() => loadConfig({ SCIM_TENANTS_FILE: "t.json", SSO_OIDC_ISSUER: "https://idp.example", SSO_OIDC_CLIENT_ID: "c", SSO_OIDC_CLIENT_SECRET: "s" })).toThrow(/SSO_OIDC_ISSUER: is each tenant's own/);
    expect(() => loadConfig({ SCIM_TENANTS_FILE: "t.json", SSO_DEV_PROVIDER: "1" })).toThrow(/SSO_DEV_PROVIDER: needs the embedded emulator/);
  });
});
