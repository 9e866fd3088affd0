import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("configuration", () => {
  it("defaults to the embedded emulator on port 8080", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, bigcommerce: null, deleteMode: "delete", storedAttributes: ["title", "department", "employeeNumber", "manager"] });
  });

  it("reads a live store configuration", () => {
    const c = loadConfig({
      BIGCOMMERCE_STORE_HASH: "abc123",
      BIGCOMMERCE_ACCESS_TOKEN: "tok",
      SCIM_BEARER_TOKENS: "aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbb",
      SCIM_DEFAULT_CHANNEL_IDS: "1,2",
      SCIM_DELETE_MODE: "deactivate",
    });
    expect(c.bigcommerce).toEqual({ apiUrl: "https://api.bigcommerce.com", storeHash: "abc123", accessToken: "tok" });
    expect(c.bearerTokens).toEqual(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbb"]);
    expect(c.defaultChannelIds).toEqual([1, 2]);
    expect(c.deleteMode).toBe("deactivate");
  });

  it.each([
    [{ PORT: "http" }, /PORT/],
    [{ SCIM_DELETE_MODE: "purge" }, /SCIM_DELETE_MODE/],
    [{ BIGCOMMERCE_STORE_HASH: "abc" }, /both BIGCOMMERCE_STORE_HASH and BIGCOMMERCE_ACCESS_TOKEN/],
    [{ BIGCOMMERCE_STORE_HASH: "abc", BIGCOMMERCE_ACCESS_TOKEN: "t" }, /SCIM_BEARER_TOKENS: required/],
    [{ SCIM_BEARER_TOKENS: "short" }, /at least 16 characters/],
    [{ SCIM_DEFAULT_CHANNEL_IDS: "1,x" }, /SCIM_DEFAULT_CHANNEL_IDS/],
    [{ SCIM_STORED_ATTRIBUTES: "title,shoeSize" }, /shoeSize/],
    [{ BIGCOMMERCE_API_URL: "ftp://x" }, /BIGCOMMERCE_API_URL/],
    [{ SCIM_JWT_SECRET: "too-short" }, /SCIM_JWT_SECRET/],
  ])("refuses %j with a message naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("never echoes a secret in its message", () => {
    try {
      loadConfig({ BIGCOMMERCE_STORE_HASH: "abc", BIGCOMMERCE_ACCESS_TOKEN: "super-secret-upstream", SCIM_BEARER_TOKENS: "tiny-secret" });
      expect.unreachable();
    } catch (err) {
      expect(String(err)).not.toContain("super-secret-upstream");
      expect(String(err)).not.toContain("tiny-secret");
    }
  });
});

describe("JWT configuration", () => {
  it("requires an audience with a JWKS URL", () => {
    expect(() => loadConfig({ SCIM_JWT_JWKS_URL: "https://login.example/keys" })).toThrow(/SCIM_JWT_AUDIENCE/);
    expect(loadConfig({ SCIM_JWT_JWKS_URL: "https://login.example/keys", SCIM_JWT_AUDIENCE: "api://bridge", SCIM_JWT_ISSUER: "https://login.example/" }).jwt).toMatchObject({
      audience: "api://bridge",
    });
  });

  // Issue 19, item 8: a JWKS token from any issuer with the right audience was a SCIM admin.
  it.each([
    [{ SCIM_JWT_JWKS_URL: "https://login.example/keys", SCIM_JWT_AUDIENCE: "api://bridge" }, /SCIM_JWT_ISSUER: required/],
    [{ SCIM_JWT_SECRET: "a-shared-secret-that-is-long-enough-1234", SCIM_JWT_AUDIENCE: "api://bridge" }, /SCIM_JWT_ISSUER: required/],
    [{ SCIM_JWT_SECRET: "a-shared-secret-that-is-long-enough-1234", SCIM_JWT_ISSUER: "https://idp.example" }, /SCIM_JWT_AUDIENCE: required/],
    [{ SCIM_JWT_JWKS_URL: "http://login.example/keys", SCIM_JWT_AUDIENCE: "a", SCIM_JWT_ISSUER: "i" }, /SCIM_JWT_JWKS_URL: must be https/],
    [{ SCIM_JWT_ALLOWED_SUBJECTS: "okta-app" }, /SCIM_JWT_ALLOWED_SUBJECTS: applies to JWTs/],
    [{ SCIM_JWT_SECRET: "a-shared-secret-that-is-long-enough-1234", SCIM_JWT_ISSUER: "i", SCIM_JWT_AUDIENCE: "a", SCIM_JWT_MAX_AGE_S: "0" }, /SCIM_JWT_MAX_AGE_S/],
  ])("refuses %j at start-up", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("allows a plain-http JWKS URL on loopback only, and reads the allow-list and the age bound", () => {
    const c = loadConfig({
      SCIM_JWT_JWKS_URL: "http://127.0.0.1:9/keys",
      SCIM_JWT_ISSUER: "https://login.example/",
      SCIM_JWT_AUDIENCE: "api://bridge",
      SCIM_JWT_ALLOWED_SUBJECTS: "okta-app, entra-sp",
    });
    expect(c.jwt).toMatchObject({ allowedSubjects: ["okta-app", "entra-sp"], maxAgeS: 7_200 });
  });
});

describe("quota wait bound", () => {
  it("defaults to one 30 s window plus margin, and with the request timeout stays under the IdPs' 60 s", () => {
    const c = loadConfig({});
    expect(c.upstream.maxWaitMs).toBe(32_000);
    expect(c.upstream.maxWaitMs + c.upstream.requestTimeoutMs).toBeLessThan(60_000);
  });
});
