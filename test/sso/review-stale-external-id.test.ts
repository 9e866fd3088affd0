import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrowserlessClient } from "./browserless-client.js";
import { startSsoWorld, type SsoWorld } from "./harness.js";

/**
 * The externalId index is a lookup aid: removing an old entry is best effort, so an entry may
 * outlive the externalId it names. Sign-in by externalId must hold the customer's stored
 * externalId to the subject, as the SCIM filter does, or the next holder of a reused
 * identifier (a user principal name, a login) signs in as the customer who had it before.
 */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  "jdoe": { email: "john.doe.new@example.com", email_verified: true },
  "john.doe": { email: "john.doe@example.com", email_verified: true },
};

let world: SsoWorld;
let johnId: string;

beforeAll(async () => {
  world = await startSsoWorld({ accounts: (l) => ACCOUNTS[l], env: { SSO_MATCH: "externalId" } });
  johnId = await world.provision({ userName: "john.doe@example.com", externalId: "jdoe", name: { givenName: "John", familyName: "Doe" } });
  // The IdP renames the identifier; removing the old index entry fails (best effort), the PATCH succeeds.
  world.emulator.faults.add({ method: "DELETE", path: "/v3/customers/metafields", status: 503, count: 5 });
  const res = await fetch(`${world.bridgeUrl}/scim/v2/Users/${johnId}`, {
    method: "PATCH",
    headers: { Authorization: "Bearer sso-test-token-0123456789", "Content-Type": "application/scim+json" },
    body: JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "externalId", value: "john.doe" }] }),
  });
  expect(res.status).toBe(200);
  world.emulator.faults.clear?.();
});
afterAll(async () => {
  await world?.close();
});

const signIn = (who: string) => new BrowserlessClient().browse(`${world.bridgeUrl}/sso/login?redirect_to=/account.php`, { login: who, password: "pw" });

describe("SSO_MATCH=externalId with a stale index entry", () => {
  it("signs the customer in by its current externalId", async () => {
    const page = await signIn("john.doe");
    expect(page.body).toContain(`data-customer-id="${johnId}"`);
  });

  it("refuses the identifier the customer no longer holds", async () => {
    const page = await signIn("jdoe");
    expect(page.body).not.toContain(`data-customer-id="${johnId}"`);
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/no customer account/);
  });
});
