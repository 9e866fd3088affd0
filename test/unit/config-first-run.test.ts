import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

/** Issue 8, items 12 and 14: settings a newcomer gets wrong stop start-up with a message that says what to do. */
const refuses = (env: Record<string, string>, ...messages: RegExp[]) => {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  for (const m of messages) expect(String(error)).toMatch(m);
};

describe("first-run configuration", () => {
  it("BIGCOMMERCE_API_URL alone is refused, not silently ignored for the emulator", () => {
    refuses({ BIGCOMMERCE_API_URL: "http://127.0.0.1:4010" }, /BIGCOMMERCE_API_URL: is set, but BIGCOMMERCE_STORE_HASH and BIGCOMMERCE_ACCESS_TOKEN are not/, /any store hash and token/);
  });

  it("BIGCOMMERCE_API_URL with the emulator's /stores/{hash}/v3 path is refused with the URL to use", () => {
    refuses(
      { BIGCOMMERCE_API_URL: "http://127.0.0.1:4010/stores/abc/v3", BIGCOMMERCE_STORE_HASH: "abc", BIGCOMMERCE_ACCESS_TOKEN: "t", SCIM_BEARER_TOKENS: "0123456789abcdef" },
      /BIGCOMMERCE_API_URL: must be the API origin/,
    );
    expect(
      loadConfig({ BIGCOMMERCE_API_URL: "http://127.0.0.1:4010/", BIGCOMMERCE_STORE_HASH: "abc", BIGCOMMERCE_ACCESS_TOKEN: "t", SCIM_BEARER_TOKENS: "0123456789abcdef" }).bigcommerce,
    ).toEqual({ apiUrl: "http://127.0.0.1:4010", storeHash: "abc", accessToken: "t" });
  });

  it('SCIM_BEARER_TOKENS="," is refused instead of falling back to a generated token', () => {
    refuses({ SCIM_BEARER_TOKENS: "," }, /SCIM_BEARER_TOKENS: is set but holds no token/);
    refuses({ SCIM_BEARER_TOKENS: " , ,, " }, /SCIM_BEARER_TOKENS/);
    expect(loadConfig({ SCIM_BEARER_TOKENS: "" }).bearerTokens).toEqual([]); // empty = unset (compose files)
  });

  it("a quota wait plus request timeout over the request budget (inside the IdPs' 60 s) is refused", () => {
    refuses({ BIGCOMMERCE_MAX_WAIT_MS: "50000", BIGCOMMERCE_REQUEST_TIMEOUT_MS: "15000" }, /BIGCOMMERCE_MAX_WAIT_MS: plus BIGCOMMERCE_REQUEST_TIMEOUT_MS is 65000 ms/, /at most SCIM_REQUEST_BUDGET_MS \(55000 ms/);
    expect(loadConfig({ BIGCOMMERCE_MAX_WAIT_MS: "40000", BIGCOMMERCE_REQUEST_TIMEOUT_MS: "15000" }).upstream).toMatchObject({ maxWaitMs: 40_000, requestTimeoutMs: 15_000 });
  });

  it.each([
    [{ PORT: "abc" }, /PORT: must be a whole number from 0 to 65535 \(got "abc"\)/],
    [{ PORT: "70000" }, /PORT: must be a whole number from 0 to 65535/],
    [{ PORT: "80.5" }, /PORT: must be a whole number/],
    [{ SCIM_MAX_SCAN: "-1" }, /SCIM_MAX_SCAN: must be a whole number from 0 to 100000/],
    [{ BIGCOMMERCE_REQUEST_TIMEOUT_MS: "1s" }, /BIGCOMMERCE_REQUEST_TIMEOUT_MS: must be a whole number from 1000 to 120000/],
  ])("%j names the variable and the accepted range", (env, message) => {
    refuses(env, message);
  });

  it("numbers are read as such", () => {
    expect(loadConfig({ PORT: " 9090 " }).port).toBe(9090);
    expect(loadConfig({ PORT: "" }).port).toBe(8080);
  });
});
