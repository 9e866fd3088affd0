import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { SealedLogins } from "../../src/sso/sealed-logins.js";
import { redirectTargetOf } from "../../src/sso/redirect-target.js";
import { SsoRefusal } from "../../src/sso/refusals.js";

describe("redirect_to", () => {
  it.each(["/account.php", "/cart.php?x=1&y=2", "/a/b#frag", "/%C3%A9t%C3%A9"])("accepts the relative path %j", (path) => {
    expect(redirectTargetOf(path)).toBe(path);
  });
  it("defaults to /account.php", () => {
    expect(redirectTargetOf(undefined)).toBe("/account.php");
    expect(redirectTargetOf("")).toBe("/account.php");
  });
  it.each([
    "//evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "https://evil.example",
    "http:/evil.example",
    "/%2Fevil.example",
    "/%5cevil.example",
    "/\tevil",
    "/ok\nLocation: x",
    // Encoded slashes, backslashes and control characters anywhere, not only at the start.
    "/account/%2F%2Fevil.example",
    "/a%2fb",
    "/cart.php?next=%2Fadmin",
    "/a%5Cb",
    "/a%00b",
    "/a%0d%0aSet-Cookie:x",
    "/a%7f",
    // Dot segments, raw or encoded, anywhere in the path.
    "/..",
    "/shop/../admin",
    "/shop/./x",
    "/shop/.",
    "/%2e%2e/admin",
    "/shop/.%2E/admin",
    "/%2E/x",
    "evil.example",
    ["/a", "/b"],
    `/${"a".repeat(3000)}`,
  ])("refuses %j", (raw) => {
    expect(() => redirectTargetOf(raw)).toThrow(SsoRefusal);
  });
});

describe("pending sign-ins sealed in the cookie", () => {
  const login = { state: "s1", nonce: "n", codeVerifier: "v", redirectTo: "/account.php" };

  it("opens a seal once, with its state, on any replica that has the same secret", async () => {
    const sealed = await new SealedLogins("client-secret", 60_000).seal(login);
    const replica = new SealedLogins("client-secret", 60_000);
    expect(await replica.open(sealed, "s1")).toEqual(login);
    expect(await replica.open(sealed, "s1")).toBeUndefined();
    // Nothing readable in the cookie, even decoded (a signed-only token would show its payload).
    const telling = { ...login, state: "plain-state-would-show-up" };
    const cookie = await new SealedLogins("client-secret", 60_000).seal(telling);
    const decoded = cookie.split(".").map((part) => Buffer.from(part, "base64url").toString("latin1"));
    expect(decoded.join(" ")).not.toMatch(/account\.php|plain-state-would-show-up/);
  });

  it("refuses a wrong state, another secret, a changed seal, no seal", async () => {
    const seals = new SealedLogins("client-secret", 60_000);
    const sealed = await seals.seal(login);
    expect(await new SealedLogins("another-secret", 60_000).open(sealed, "s1")).toBeUndefined();
    // A wrong state is compared before the seal is spent: the right one still opens it, once.
    expect(await seals.open(sealed, "s2")).toBeUndefined();
    expect(await seals.open(sealed, "s1")).toEqual(login);
    expect(await seals.open(sealed, "s1")).toBeUndefined();
    const parts = (await seals.seal(login)).split(".");
    parts[3] = `${parts[3]!.slice(0, -2)}${parts[3]!.endsWith("AA") ? "BB" : "AA"}`;
    expect(await seals.open(parts.join("."), "s1")).toBeUndefined();
    expect(await seals.open(undefined, "s1")).toBeUndefined();
    expect(await seals.open("not-a-seal", "s1")).toBeUndefined();
  });

  it("refuses an expired seal (clock injected)", async () => {
    let now = 1_700_000_000_000;
    const seals = new SealedLogins("client-secret", 60_000, () => now);
    const sealed = await seals.seal(login);
    now += 61_000;
    expect(await seals.open(sealed, "s1")).toBeUndefined();
    const fresh = await seals.seal(login);
    now += 59_000;
    expect(await seals.open(fresh, "s1")).toEqual(login);
  });
});

describe("SSO configuration", () => {
  const live = { BIGCOMMERCE_STORE_HASH: "abc", BIGCOMMERCE_ACCESS_TOKEN: "t", SCIM_BEARER_TOKENS: "0123456789abcdef" };
  const oidc = { SSO_OIDC_ISSUER: "https://idp.example.com", SSO_OIDC_CLIENT_ID: "c", SSO_OIDC_CLIENT_SECRET: "s" };
  const complete = {
    ...live,
    ...oidc,
    PUBLIC_BASE_URL: "https://bridge.example.com",
    SSO_STOREFRONT_URL: "https://shop.example.com/",
    BIGCOMMERCE_CLIENT_ID: "id",
    BIGCOMMERCE_CLIENT_SECRET: "secret",
    SSO_COOKIE_SECRET: "a-cookie-secret-of-32-characters-at-least",
  };

  it("is off unless issuer, client id and secret are set", () => {
    expect(loadConfig(live).sso).toBeNull();
  });

  it("reads a complete configuration with the documented defaults", () => {
    expect(loadConfig(complete).sso).toEqual({
      issuer: "https://idp.example.com",
      clientId: "c",
      clientSecret: "s",
      storefrontUrl: "https://shop.example.com",
      channelId: 1,
      match: "email",
      subjectClaim: "sub",
      jitCreate: false,
      app: { clientId: "id", clientSecret: "secret" },
      cookieSecret: "a-cookie-secret-of-32-characters-at-least",
    });
  });

  it.each([
    [{ ...live, SSO_OIDC_ISSUER: "https://idp.example.com" }, "SSO_OIDC_ISSUER"],
    [{ ...complete, SSO_OIDC_ISSUER: "http://idp.example.com" }, "SSO_OIDC_ISSUER: must be https"],
    [{ ...live, ...oidc }, "PUBLIC_BASE_URL"],
    [{ ...complete, BIGCOMMERCE_CLIENT_SECRET: "" }, "BIGCOMMERCE_CLIENT_SECRET"],
    [{ ...complete, SSO_MATCH: "phone" }, "SSO_MATCH"],
    [{ ...live, SSO_DEV_PROVIDER: "1" }, "SSO_DEV_PROVIDER"],
    // The cookie has its own secret, not the OIDC client secret that the IdP's admins know.
    [{ ...complete, SSO_COOKIE_SECRET: undefined }, "SSO_COOKIE_SECRET: required for storefront sign-in"],
    [{ ...complete, SSO_COOKIE_SECRET: "short" }, "SSO_COOKIE_SECRET: must be at least 32 characters"],
    // The callback carries the authorization code; the login URL is a bearer credential.
    [{ ...complete, PUBLIC_BASE_URL: "http://bridge.example.com" }, "PUBLIC_BASE_URL: must be https for storefront sign-in"],
    [{ ...complete, SSO_STOREFRONT_URL: "http://shop.example.com" }, "SSO_STOREFRONT_URL: must be https for storefront sign-in"],
    [{ ...complete, TRUST_PROXY: "any,header" }, "TRUST_PROXY"],
    // Signing customers in to the lockout channel would open it to a half-done deactivation's customer.
    [{ ...complete, SCIM_LOCKOUT_CHANNEL_ID: "7", SSO_CHANNEL_ID: "7" }, "SSO_CHANNEL_ID: must not be SCIM_LOCKOUT_CHANNEL_ID"],
  ])("refuses an incomplete or unsafe configuration (%#)", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("allows plain http on loopback for the bridge and the storefront; an empty SSO_COOKIE_SECRET counts as unset", () => {
    const local = { ...complete, PUBLIC_BASE_URL: "http://127.0.0.1:8080", SSO_STOREFRONT_URL: "http://localhost:4010" };
    expect(loadConfig(local).sso?.storefrontUrl).toBe("http://localhost:4010");
    expect(() => loadConfig({ ...complete, SSO_COOKIE_SECRET: "" })).toThrow("SSO_COOKIE_SECRET: required");
  });

  it("reads TRUST_PROXY as a hop count or a list of addresses; unset trusts none", () => {
    expect(loadConfig(live).trustProxy).toBeNull();
    expect(loadConfig({ ...live, TRUST_PROXY: "" }).trustProxy).toBeNull();
    expect(loadConfig({ ...live, TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(loadConfig({ ...live, TRUST_PROXY: "loopback, 10.0.0.0/8" }).trustProxy).toEqual(["loopback", "10.0.0.0/8"]);
  });

  it.each(["http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"])("allows plain http for the loopback issuer %s", (issuer) => {
    expect(loadConfig({ ...complete, SSO_OIDC_ISSUER: issuer }).sso?.issuer).toBe(issuer);
  });
});
