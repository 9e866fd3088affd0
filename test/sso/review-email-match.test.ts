import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrowserlessClient } from "./browserless-client.js";
import { startSsoWorld, type SsoWorld } from "./harness.js";

/**
 * Email matching must ignore ASCII case only. JavaScript's toLowerCase() folds some non-ASCII
 * letters to ASCII ones (KELVIN SIGN U+212A -> "k"), so an identity provider vouching for
 * "\u212Aate@example.com" must not be signed in as the customer kate@example.com.
 */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  kate: { email: "Kate@Example.com", email_verified: true },
  kelvin: { email: "\u212Aate@example.com", email_verified: true },
};

let world: SsoWorld;
let kateId: string;

beforeAll(async () => {
  world = await startSsoWorld({ accounts: (login) => ACCOUNTS[login] });
  kateId = await world.provision({ userName: "kate@example.com", name: { givenName: "Kate", familyName: "Lee" } });
});
afterAll(async () => {
  await world?.close();
});

const signIn = (who: string) =>
  new BrowserlessClient().browse(`${world.bridgeUrl}/sso/login?redirect_to=/account.php`, { login: who, password: "any-password" });

describe("email match is ASCII case-insensitive only", () => {
  it("signs in the same address in another ASCII case", async () => {
    const page = await signIn("kate");
    expect(page.url).toBe(`${world.storefrontUrl}/account.php`);
    expect(page.body).toContain(`data-customer-id="${kateId}"`);
  });

  it("refuses an address that only Unicode case folding turns into a customer's (KELVIN SIGN)", async () => {
    const page = await signIn("kelvin");
    expect(page.body).not.toContain(`data-customer-id="${kateId}"`);
    expect(page.url.startsWith(`${world.bridgeUrl}/sso/callback?`)).toBe(true);
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/no customer account/);
  });
});
