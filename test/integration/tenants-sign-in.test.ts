import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTenants, tenantEntry, type RunningTenants } from "../../src/dev/tenants-harness.js";
import { startDevProvider, type RunningDevProvider } from "../../src/sso/dev-provider.js";

/**
 * Storefront sign-in of several tenants on one host over https: each tenant's pending sign-in is
 * a `__Host-` cookie (Path=/), so each needs a name of its own, or starting a sign-in at one
 * tenant overwrites a shopper's sign-in in progress at another.
 */
const OIDC = { clientId: "bridge-storefront", clientSecret: "oidc-client-secret-0123456789abcdef" };

let provider: RunningDevProvider;
let t: RunningTenants;

beforeAll(async () => {
  provider = await startDevProvider({ client: { ...OIDC, redirectUri: "https://bridge.example.com/t/shop-a/sso/callback" }, accounts: () => undefined });
  const signIn = (emulatorUrl: string) => ({
    SSO_OIDC_ISSUER: provider.issuer,
    SSO_OIDC_CLIENT_ID: OIDC.clientId,
    SSO_OIDC_CLIENT_SECRET: OIDC.clientSecret,
    SSO_STOREFRONT_URL: emulatorUrl,
    BIGCOMMERCE_CLIENT_ID: "bc-app-client-id",
    BIGCOMMERCE_CLIENT_SECRET: "bc-app-client-secret-0123456789abcdef",
    SSO_COOKIE_SECRET: "sso-cookie-secret-0123456789abcdefghij",
  });
  t = await startTenants(
    (emulator) => ({
      tenants: [tenantEntry(emulator, "shop-a", { settings: signIn(emulator.url) }), tenantEntry(emulator, "shop-b", { settings: signIn(emulator.url) })],
    }),
    { env: { PUBLIC_BASE_URL: "https://bridge.example.com" } },
  );
});

afterAll(async () => {
  await t?.close();
  await provider?.close();
});

describe("tenants' storefront sign-in over https", () => {
  it("each tenant's pending sign-in is a __Host- cookie with a name of its own", async () => {
    const names = [];
    for (const tenant of ["shop-a", "shop-b"]) {
      const res = await request(t.url).get(`/t/${tenant}/sso/login`);
      expect(res.status, res.text).toBe(302);
      const cookie = String(res.headers["set-cookie"]?.[0] ?? "");
      expect(cookie).toMatch(/^__Host-scim_bridge_sso[^=]*=/);
      expect(cookie).toMatch(/; Path=\/(;|$)/);
      expect(cookie).toMatch(/; Secure/);
      names.push(cookie.slice(0, cookie.indexOf("=")));
    }
    expect(names[0]).not.toBe(names[1]);
  });
});
