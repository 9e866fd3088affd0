import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrowserlessClient } from "./browserless-client.js";
import { startSsoWorld, type SsoWorld } from "./harness.js";

const ACCOUNTS: Record<string, Record<string, unknown>> = {
  "00u-okta-1": { email: "someone-else@example.com", email_verified: true },
  "00u-okta-2": { email: "gone@example.com", email_verified: true },
  "00u-unknown": { email: "ann@example.com", email_verified: true },
  newbie: { email: "New.Buyer@example.com", email_verified: true, given_name: "New", family_name: "Buyer" },
  unverified: { email: "nobody@example.com", email_verified: false },
};
const login = (who: string) => ({ login: who, password: "pw" });
const signInUrl = (world: SsoWorld) => `${world.bridgeUrl}/sso/login?redirect_to=/account.php`;

describe("SSO_MATCH=externalId", () => {
  let world: SsoWorld;
  let matchedId: string;
  beforeAll(async () => {
    world = await startSsoWorld({ accounts: (l) => ACCOUNTS[l], env: { SSO_MATCH: "externalId" } });
    matchedId = await world.provision({ userName: "ann@example.com", externalId: "00u-okta-1", name: { givenName: "Ann", familyName: "Lee" } });
    await world.deactivate(await world.provision({ userName: "gone@example.com", externalId: "00u-okta-2", name: { givenName: "G", familyName: "One" } }));
  });
  afterAll(async () => {
    await world?.close();
  });

  it("matches the ID token's sub to the stored externalId, whatever the email says", async () => {
    const page = await new BrowserlessClient().browse(signInUrl(world), login("00u-okta-1"));
    expect(page.url).toBe(`${world.storefrontUrl}/account.php`);
    expect(page.body).toContain(`data-customer-id="${matchedId}"`);
  });

  it("refuses a sub no customer holds even when its email matches one", async () => {
    const page = await new BrowserlessClient().browse(signInUrl(world), login("00u-unknown"));
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/no customer account/);
  });

  it("refuses a deactivated customer found by externalId", async () => {
    const page = await new BrowserlessClient().browse(signInUrl(world), login("00u-okta-2"));
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/deactivated/);
  });
});

describe("SSO_JIT_CREATE=true", () => {
  let world: SsoWorld;
  beforeAll(async () => {
    world = await startSsoWorld({ accounts: (l) => ACCOUNTS[l], env: { SSO_JIT_CREATE: "true" } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("creates the missing customer from the verified identity and signs it in", async () => {
    const page = await new BrowserlessClient().browse(signInUrl(world), login("newbie"));
    expect(page.url).toBe(`${world.storefrontUrl}/account.php`);
    const created = world.emulator.store("ssostore").customers.all().find((c) => c.email.toLowerCase() === "new.buyer@example.com");
    expect(created).toMatchObject({ first_name: "New", last_name: "Buyer" });
    expect(page.body).toContain(`data-customer-id="${created!.id}"`);
  });

  it("still refuses an unverified email (and creates nothing)", async () => {
    const before = world.emulator.store("ssostore").customers.all().length;
    const page = await new BrowserlessClient().browse(signInUrl(world), login("unverified"));
    expect(page.status).toBe(403);
    expect(world.emulator.store("ssostore").customers.all().length).toBe(before);
  });
});

describe("just-in-time creation is off by default", () => {
  let world: SsoWorld;
  const logLines: string[] = [];
  beforeAll(async () => {
    world = await startSsoWorld({ accounts: (l) => ACCOUNTS[l], logLines });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("refuses an unknown verified user, creates nothing, and writes an audit line without the email", async () => {
    const page = await new BrowserlessClient().browse(signInUrl(world), login("newbie"));
    expect(page.status).toBe(403);
    expect(world.emulator.store("ssostore").customers.all()).toEqual([]);
    const audit = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true && l.kind === "sign-in" && l.operation === "refused");
    expect(audit).toEqual([expect.objectContaining({ reason: "unknown_user", status: 403, level: 30 })]);
    expect(logLines.join("\n").toLowerCase()).not.toContain("new.buyer@example.com");
  });
});

describe("SSO_MATCH=externalId with SSO_JIT_CREATE=true", () => {
  let world: SsoWorld;
  const logLines: string[] = [];
  beforeAll(async () => {
    world = await startSsoWorld({
      accounts: (l) => (l === "00u-new" ? { email: "taken@example.com", email_verified: true } : l === "00u-fresh" ? { email: "fresh@example.com", email_verified: true } : undefined),
      env: { SSO_MATCH: "externalId", SSO_JIT_CREATE: "true" },
      logLines,
    });
    await world.provision({ userName: "taken@example.com", externalId: "00u-old", name: { givenName: "T", familyName: "Aken" } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("refuses (403, nothing created) when the email already belongs to a customer with another externalId", async () => {
    const page = await new BrowserlessClient().browse(signInUrl(world), login("00u-new"));
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/no customer account/);
    expect(world.emulator.store("ssostore").customers.all()).toHaveLength(1);
  });

  it("creates a customer carrying the subject as externalId, then finds it by externalId next time", async () => {
    const first = await new BrowserlessClient().browse(signInUrl(world), login("00u-fresh"));
    expect(first.url).toBe(`${world.storefrontUrl}/account.php`);
    const second = await new BrowserlessClient().browse(signInUrl(world), login("00u-fresh"));
    expect(second.body).toBe(first.body);
    expect(world.emulator.store("ssostore").customers.all()).toHaveLength(2);
    const audit = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true && l.kind === "sign-in");
    expect(audit.map((l) => l.operation)).toEqual(["refused", "customer_created", "signed_in", "signed_in"]);
    expect(logLines.join("\n")).not.toContain("fresh@example.com");
    // The callback's request-log line names the path only, never the authorization code or state.
    const callbackLines = logLines.filter((l) => l.includes("/sso/callback"));
    expect(callbackLines.length).toBeGreaterThan(0);
    expect(callbackLines.join("\n")).not.toMatch(/code=|state=/);
  });
});
