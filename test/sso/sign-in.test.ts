import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrowserlessClient } from "./browserless-client.js";
import { startSsoWorld, type SsoWorld } from "./harness.js";

/**
 * Storefront sign-in end to end without a browser: a real OpenID provider (oidc-provider) on
 * loopback, the bridge, and the emulator's storefront, all over real HTTP.
 */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  jane: { email: "JANE.Doe@Example.com", email_verified: true, given_name: "Jane", family_name: "Doe" },
  gone: { email: "gone@example.com", email_verified: true },
  stranger: { email: "stranger@example.com", email_verified: true },
  unverified: { email: "unverified@example.com", email_verified: false },
  noemail: {},
};

let world: SsoWorld;
let janeId: string;

beforeAll(async () => {
  world = await startSsoWorld({ accounts: (login) => ACCOUNTS[login] });
  janeId = await world.provision({ userName: "jane.doe@example.com", name: { givenName: "Jane", familyName: "Doe" } });
  const goneId = await world.provision({ userName: "gone@example.com", name: { givenName: "Gone", familyName: "User" } });
  await world.provision({ userName: "unverified@example.com", name: { givenName: "Un", familyName: "Verified" } });
  await world.deactivate(goneId);
});
afterAll(async () => {
  await world?.close();
});

const signInUrl = (redirectTo = "/account.php") => `${world.bridgeUrl}/sso/login?redirect_to=${encodeURIComponent(redirectTo)}`;
const login = (who: string) => ({ login: who, password: "any-password" });

function mintedToken(client: BrowserlessClient): boolean {
  return client.history.some((s) => s.url.includes("/login/token/") || (s.location ?? "").includes("/login/token/"));
}

describe("storefront sign-in", () => {
  it("signs a provisioned customer in, matching the verified email case-insensitively, and lands on redirect_to", async () => {
    const client = new BrowserlessClient();
    const page = await client.browse(signInUrl("/account.php"), login("jane"));
    expect(page.url).toBe(`${world.storefrontUrl}/account.php`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`data-customer-id="${janeId}"`);
    expect(page.body).toContain("jane.doe@example.com");
    // The path taken: bridge -> provider -> bridge callback -> storefront login token -> account page.
    expect(client.history[0]!.location!.startsWith(world.issuer)).toBe(true);
    expect(client.history.some((s) => s.url.startsWith(`${world.bridgeUrl}/sso/callback?`))).toBe(true);
    expect(mintedToken(client)).toBe(true);
    expect(client.cookie("scim_bridge_sso")).toBeUndefined(); // the pending sign-in is spent
  });

  it("sends the authorization request with PKCE (S256), state and nonce", async () => {
    const client = new BrowserlessClient();
    const first = await client.request(signInUrl());
    expect(first.status).toBe(302);
    const params = new URL(first.location!).searchParams;
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(params.get("state")).toBeTruthy();
    expect(params.get("nonce")).toBeTruthy();
    expect(params.get("redirect_uri")).toBe(`${world.bridgeUrl}/sso/callback`);
    expect(params.get("scope")).toBe("openid email profile");
  });

  it.each([
    ["a user the IdP deactivated through SCIM", "gone", /deactivated/],
    ["an unknown user", "stranger", /no customer account/],
    ["an unverified email", "unverified", /not verified your email/],
    ["an ID token without email", "noemail", /did not say who you are/],
  ])("refuses %s with a 403 page and mints no token", async (_what, who, message) => {
    const client = new BrowserlessClient();
    const page = await client.browse(signInUrl(), login(who));
    expect(page.url.startsWith(`${world.bridgeUrl}/sso/callback?`)).toBe(true);
    expect(page.status).toBe(403);
    expect(page.body).toMatch(message);
    expect(mintedToken(client)).toBe(false);
    expect(client.cookie("SHOP_SESSION_TOKEN")).toBeUndefined();
  });

  it("answers 503 and mints no token when BigCommerce fails the customer lookup (never 'unknown user')", async () => {
    world.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 401, count: 1 });
    const client = new BrowserlessClient();
    const page = await client.browse(signInUrl(), login("jane"));
    expect(page.status).toBe(503);
    expect(page.body).toMatch(/store could not be reached/);
    expect(mintedToken(client)).toBe(false);
  });

  it("refuses a replayed callback (same state and cookie) with 400", async () => {
    const client = new BrowserlessClient();
    const isCallback = (url: string) => url.startsWith(`${world.bridgeUrl}/sso/callback?`);
    const atCallback = await client.browse(signInUrl(), login("jane"), isCallback);
    const callbackUrl = atCallback.location!;
    const pendingCookie = client.cookie("scim_bridge_sso")!;
    const first = await client.request(callbackUrl);
    expect(first.status).toBe(302);
    expect(first.location).toContain("/login/token/");
    // Replay exactly what the browser sent the first time.
    client.cookies.push({ name: "scim_bridge_sso", value: pendingCookie, host: "127.0.0.1", path: "/sso" });
    const replay = await client.request(callbackUrl);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatch(/expired or was already used/);
    expect(replay.location).toBeNull();
  });

  it("refuses a callback whose state does not match the pending sign-in with 400 (sign-in-hardening.test.ts: without spending it)", async () => {
    const client = new BrowserlessClient();
    const isCallback = (url: string) => url.startsWith(`${world.bridgeUrl}/sso/callback?`);
    const atCallback = await client.browse(signInUrl(), login("jane"), isCallback);
    const tampered = new URL(atCallback.location!);
    tampered.searchParams.set("state", "forged-state-value");
    expect((await client.request(tampered.href)).status).toBe(400);
    expect(mintedToken(client)).toBe(false);
  });

  it("refuses a callback without the pending sign-in cookie (login CSRF)", async () => {
    const victim = new BrowserlessClient();
    const attacker = new BrowserlessClient();
    const isCallback = (url: string) => url.startsWith(`${world.bridgeUrl}/sso/callback?`);
    const atCallback = await attacker.browse(signInUrl(), login("jane"), isCallback);
    const page = await victim.request(atCallback.location!);
    expect(page.status).toBe(400);
    expect(mintedToken(victim)).toBe(false);
  });

  it("answers the IdP's own refusal (error=access_denied) with 403 and no token", async () => {
    const client = new BrowserlessClient();
    const isCallback = (url: string) => url.startsWith(`${world.bridgeUrl}/sso/callback?`);
    const atCallback = await client.browse(signInUrl(), login("jane"), isCallback);
    const state = new URL(atCallback.location!).searchParams.get("state")!;
    const denied = `${world.bridgeUrl}/sso/callback?error=access_denied&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(world.issuer)}`;
    const page = await client.request(denied);
    expect(page.status).toBe(403);
    expect(mintedToken(client)).toBe(false);
  });

  it.each([
    "//evil.example/account.php",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2fevil.example",
    "javascript:alert(1)",
    "account.php",
    "/account.php\r\nLocation: https://evil.example",
  ])("refuses redirect_to=%j with 400 before going to the IdP", async (target) => {
    const client = new BrowserlessClient();
    const page = await client.request(signInUrl(target));
    expect(page.status).toBe(400);
    expect(page.location).toBeNull();
    expect(page.body).toMatch(/not a page of this store/);
  });

  it("keeps a relative redirect_to with a query through to the storefront", async () => {
    const client = new BrowserlessClient();
    const isToken = (url: string) => url.includes("/login/token/");
    const atToken = await client.browse(signInUrl("/account.php?action=order_status"), login("jane"), isToken);
    const jwt = atToken.location!.split("/login/token/")[1]!;
    const payload = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({
      iss: "bc-app-client-id",
      operation: "customer_login",
      store_hash: "ssostore",
      customer_id: Number(janeId),
      channel_id: 1,
      redirect_to: "/account.php?action=order_status",
    });
    expect(typeof payload.jti).toBe("string");
    expect(typeof payload.iat).toBe("number");
    expect(JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString())).toEqual({ alg: "HS256", typ: "JWT" });
  });
});
