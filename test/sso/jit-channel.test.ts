import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { BrowserlessClient } from "./browserless-client.js";
import { customerOf, person, STORE_HASH, startSsoWorld, type SsoWorld } from "./harness.js";

/**
 * Just-in-time creation and SSO_CHANNEL_ID: a customer created at sign-in is allowed on the
 * sign-in channel (its channel_ids name it when SCIM_DEFAULT_CHANNEL_IDS does not already let it
 * in), so the storefront accepts the login token; when it cannot be allowed, the refusal is the
 * one a customer found gets (403, no token), over real HTTP against the emulator's storefront.
 */
const WHOLESALE = 2; // a storefront channel; global logins off unless a test turns them on
const MISSING = 9; // no such channel in the store

function prepare(emulator: RunningEmulator): void {
  const s = emulator.store(STORE_HASH);
  expect(s.channels.insert({ name: "wholesale", type: "storefront", platform: "custom", status: "active" }).id).toBe(WHOLESALE);
  s.settings.setChannel(WHOLESALE, { ...s.settings.channel(WHOLESALE), allow_global_logins: false });
}

/** The sign-in channel's login settings read (GET /v3/customers/settings/channels/{id}) since the request log was cleared. */
const settingsReads = (world: SsoWorld) =>
  world.emulator.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/v3/customers/settings/channels/${WHOLESALE}`)).length;
const minted = (client: BrowserlessClient) => client.history.some((s) => (s.location ?? "").includes("/login/token/"));

async function signIn(world: SsoWorld, login: string): Promise<{ client: BrowserlessClient; status: number; url: string; body: string }> {
  const client = new BrowserlessClient();
  const page = await client.browse(`${world.bridgeUrl}/sso/login?redirect_to=/account.php`, { login, password: "x" });
  return { client, ...page };
}

describe("SSO_JIT_CREATE on a channel without global logins, no SCIM_DEFAULT_CHANNEL_IDS", () => {
  let world: SsoWorld;
  beforeAll(async () => {
    world = await startSsoWorld({ accounts: person, prepare, env: { SSO_JIT_CREATE: "true", SSO_CHANNEL_ID: String(WHOLESALE) } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("creates the customer on the sign-in channel (global access would not let it in) and the storefront signs it in", async () => {
    const page = await signIn(world, "first");
    expect(customerOf(world, "first")?.channel_ids).toEqual([WHOLESALE]);
    expect(page.url).toBe(`${world.storefrontUrl}/account.php`);
    expect(page.body).toContain(`data-customer-id="${customerOf(world, "first")!.id}"`);
  });

  it("keeps global access where the channel allows global logins, read once for the sign-in", async () => {
    const s = world.emulator.store(STORE_HASH);
    s.settings.setChannel(WHOLESALE, { ...s.settings.channel(WHOLESALE), allow_global_logins: true });
    try {
      world.emulator.clearRequests();
      const page = await signIn(world, "globe");
      expect(customerOf(world, "globe")?.channel_ids).toBeNull();
      expect(page.url).toBe(`${world.storefrontUrl}/account.php`);
      // Decided before the create, and that decision admits the customer created: no second read.
      expect(settingsReads(world)).toBe(1);
    } finally {
      s.settings.setChannel(WHOLESALE, { ...s.settings.channel(WHOLESALE), allow_global_logins: false });
    }
  });

  it("a setting changed after the sign-in's one read is BigCommerce's to refuse: the storefront turns the token down", async () => {
    // The one read says global logins are on; the store's own setting says they are off.
    world.emulator.clearRequests();
    world.emulator.faults.add({ method: "GET", path: `/v3/customers/settings/channels/${WHOLESALE}`, status: 200, body: { data: { allow_global_logins: true }, meta: {} }, count: 1 });
    const page = await signIn(world, "raced");
    world.emulator.faults.clear();
    expect(settingsReads(world)).toBe(1);
    expect(customerOf(world, "raced")?.channel_ids).toBeNull();
    expect(minted(page.client)).toBe(true);
    expect(page.url).toBe(`${world.storefrontUrl}/login.php?login_failed=1`);
    // Its next sign-in finds it, reads the channel (once) and refuses it as not allowed.
    world.emulator.clearRequests();
    const again = await signIn(world, "raced");
    expect(settingsReads(world)).toBe(1);
    expect(again.status).toBe(403);
    expect(again.body).toMatch(/cannot sign in to this storefront/);
    expect(minted(again.client)).toBe(false);
  });

  it("creates nothing and answers 503 when the channel's setting cannot be read", async () => {
    const before = world.emulator.store(STORE_HASH).customers.all().length;
    // Refused credentials: an upstream failure the client does not retry.
    world.emulator.faults.add({ method: "GET", path: `/v3/customers/settings/channels/${WHOLESALE}`, status: 401, count: 1 });
    const page = await signIn(world, "outage");
    world.emulator.faults.clear();
    expect(page.status).toBe(503);
    expect(minted(page.client)).toBe(false);
    expect(world.emulator.store(STORE_HASH).customers.all()).toHaveLength(before);
  });
});

describe("SSO_JIT_CREATE with SCIM_DEFAULT_CHANNEL_IDS", () => {
  let world: SsoWorld;
  beforeAll(async () => {
    world = await startSsoWorld({ accounts: person, prepare, env: { SSO_JIT_CREATE: "true", SSO_CHANNEL_ID: String(WHOLESALE), SCIM_DEFAULT_CHANNEL_IDS: "1" } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("adds the sign-in channel to the default channels", async () => {
    const page = await signIn(world, "listed");
    expect(customerOf(world, "listed")?.channel_ids).toEqual([1, WHOLESALE]);
    expect(page.url).toBe(`${world.storefrontUrl}/account.php`);
  });

  it("a customer provisioned through SCIM keeps the defaults alone (only sign-in adds the channel)", async () => {
    const id = await world.provision({ userName: "scim@example.com", name: { givenName: "S", familyName: "C" } });
    expect(world.emulator.store(STORE_HASH).customers.get(Number(id))?.channel_ids).toEqual([1]);
  });
});

describe("SSO_CHANNEL_ID names a channel the store does not have", () => {
  let world: SsoWorld;
  beforeAll(async () => {
    world = await startSsoWorld({ accounts: person, env: { SSO_JIT_CREATE: "true", SSO_CHANNEL_ID: String(MISSING) } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("refuses as not allowed and creates nothing, as it refuses a customer found with global access", async () => {
    const created = await signIn(world, "nobody");
    expect(created.status).toBe(403);
    expect(created.body).toMatch(/cannot sign in to this storefront/);
    expect(world.emulator.store(STORE_HASH).customers.all()).toEqual([]);
    await world.provision({ userName: "found@example.com", name: { givenName: "F", familyName: "D" } });
    const found = await signIn(world, "found");
    expect(found.status).toBe(403);
    expect(found.body).toBe(created.body);
    expect(minted(found.client)).toBe(false);
  });
});
