import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { REFUSAL_HEADER } from "../../src/emulator/routes/storefront-login.js";

const APP = { clientId: "app-id", clientSecret: "app-secret-0123456789abcdef0123456789" };
const STORE = "shop1";
const NOW = new Date("2026-06-01T12:00:00Z");
let emulator: RunningEmulator;
let customerId: number;

async function token(claims: Record<string, unknown> = {}, secret = APP.clientSecret): Promise<string> {
  const { iss = APP.clientId, iat = Math.floor(NOW.getTime() / 1000), jti = randomUUID(), ...rest } = claims;
  return new SignJWT({ operation: "customer_login", store_hash: STORE, customer_id: customerId, ...rest })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(String(iss))
    .setIssuedAt(Number(iat))
    .setJti(String(jti))
    .sign(new TextEncoder().encode(secret));
}

const get = (path: string, cookie?: string) =>
  fetch(`${emulator.url}${path}`, { redirect: "manual", headers: cookie ? { cookie } : {} });

beforeAll(async () => {
  emulator = await startEmulator({ now: () => NOW, storefront: { storeHash: STORE, ...APP } });
});
beforeEach(() => {
  emulator.reset();
  customerId = emulator.store(STORE).customers.insert({ email: "ann@example.com", first_name: "Ann", last_name: "Lee" }).id;
});
afterAll(async () => {
  await emulator?.close();
});

describe("emulated storefront: GET /login/token/{jwt}", () => {
  it("signs the customer in with a session cookie and redirects to redirect_to (default /account.php)", async () => {
    const res = await get(`/login/token/${await token()}`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/account.php");
    const cookie = res.headers.getSetCookie()[0]!.split(";")[0]!;
    expect(cookie).toMatch(/^SHOP_SESSION_TOKEN=/);
    const account = await get("/account.php", cookie);
    expect(account.status).toBe(200);
    expect(await account.text()).toContain(`data-customer-id="${customerId}"`);
    const custom = await get(`/login/token/${await token({ redirect_to: "/cart.php?x=1" })}`);
    expect(custom.headers.get("location")).toBe("/cart.php?x=1");
  });

  it("sends an anonymous visitor of /account.php to /login.php", async () => {
    const res = await get("/account.php");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login.php");
  });

  it("accepts a token only once (jti)", async () => {
    const jwt = await token();
    expect((await get(`/login/token/${jwt}`)).headers.get("location")).toBe("/account.php");
    const again = await get(`/login/token/${jwt}`);
    expect(again.headers.get("location")).toBe("/login.php?login_failed=1");
    expect(again.headers.get(REFUSAL_HEADER)).toBe("jti-reused");
  });

  it.each([
    ["a wrong signing secret", () => token({}, "another-secret-0123456789abcdef0123"), "signature"],
    ["another app's client id", () => token({ iss: "other-app" }), "claim-iss"],
    ["an iat older than 30 seconds", () => token({ iat: NOW.getTime() / 1000 - 31 }), "iat-outside-window"],
    ["an iat in the future", () => token({ iat: NOW.getTime() / 1000 + 60 }), "iat-outside-window"],
    ["another store's hash", () => token({ store_hash: "other" }), "store-hash"],
    ["an operation other than customer_login", () => token({ operation: "customer_logout" }), "payload"],
    ["an unknown customer", () => token({ customer_id: 999_999 }), "customer"],
    ["an absolute redirect_to", () => token({ redirect_to: "https://evil.example/" }), "redirect-to"],
    ["a protocol-relative redirect_to", () => token({ redirect_to: "//evil.example/" }), "redirect-to"],
    ["a channel the customer may not use", () => token({ channel_id: 7 }), "channel"],
    ["a request_ip other than the browser's", () => token({ request_ip: "203.0.113.9" }), "request-ip"],
  ])("refuses %s: no session, redirect to /login.php", async (_what, make, reason) => {
    const res = await get(`/login/token/${await make()}`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login.php?login_failed=1");
    expect(res.headers.get(REFUSAL_HEADER)).toBe(reason);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("refuses an unsigned (alg none) token", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const body = Buffer.from(
      JSON.stringify({ iss: APP.clientId, iat: NOW.getTime() / 1000, jti: "x", operation: "customer_login", store_hash: STORE, customer_id: customerId }),
    ).toString("base64url");
    const res = await get(`/login/token/${header}.${body}.`);
    expect(res.headers.get(REFUSAL_HEADER)).toBe("signature");
  });

  it("signs out through /login.php?action=logout", async () => {
    const cookie = (await get(`/login/token/${await token()}`)).headers.getSetCookie()[0]!.split(";")[0]!;
    expect((await get("/login.php?action=logout", cookie)).status).toBe(200);
    expect((await get("/account.php", cookie)).status).toBe(302);
  });

  it("serves no storefront when none is configured", async () => {
    const bare = await startEmulator();
    try {
      expect((await fetch(`${bare.url}/account.php`, { redirect: "manual" })).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
