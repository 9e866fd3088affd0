import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSsoWorld, type SsoWorld } from "./harness.js";

/**
 * Issue 19, item 10: /sso/login (a round trip to the IdP) and /sso/callback (the IdP's token
 * endpoint and the store's quota) are bounded per client address.
 */
const LIMIT = 3;
let world: SsoWorld;
beforeAll(async () => {
  world = await startSsoWorld({ env: { SSO_RATE_LIMIT: String(LIMIT) } });
});
afterAll(async () => {
  await world.close();
});

describe("storefront sign-in per client address", () => {
  it("answers 429 with Retry-After past SSO_RATE_LIMIT, counting starts and callbacks together", async () => {
    const get = (path: string) => fetch(`${world.bridgeUrl}${path}`, { redirect: "manual" });
    expect((await get("/sso/login?redirect_to=/account.php")).status).toBe(302);
    expect((await get("/sso/login?redirect_to=/account.php")).status).toBe(302);
    expect((await get("/sso/callback?code=x&state=y")).status).toBe(400); // no pending sign-in: refused, but counted
    const limited = await get("/sso/callback?code=x&state=y");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("content-type")).toMatch(/text\/html/);
    expect(await limited.text()).toContain("Too many sign-in attempts");
    expect((await get("/sso/login?redirect_to=/account.php")).status).toBe(429);
  });
});
