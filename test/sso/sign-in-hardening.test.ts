import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { SealedLogins } from "../../src/sso/sealed-logins.js";
import { BrowserlessClient } from "./browserless-client.js";
import { COOKIE_SECRET, STORE_HASH, startSsoWorld, type SsoWorld } from "./harness.js";

/**
 * What storefront sign-in refuses beyond the plain cases of sign-in.test.ts, over real HTTP:
 * every trace of a deactivation, an email two customers answer to, a customer kept off the
 * sign-in channel, a pending sign-in sealed with anything but SSO_COOKIE_SECRET or carrying a
 * target the rules refuse; and `request_ip` in the login JWT only when TRUST_PROXY says the
 * client address is reliable.
 */
const LOCKOUT = 2;
const OTHER_STOREFRONT = 3;
const parkingGroup = 1;

function prepare(emulator: RunningEmulator): void {
  const s = emulator.store(STORE_HASH);
  expect(s.channels.insert({ name: "scim-lockout", type: "storefront", platform: "custom", status: "inactive" }).id).toBe(LOCKOUT);
  s.settings.setChannel(LOCKOUT, { ...s.settings.channel(LOCKOUT), allow_global_logins: false });
  expect(s.channels.insert({ name: "wholesale", type: "storefront", platform: "custom", status: "active" }).id).toBe(OTHER_STOREFRONT);
  expect(s.groups.insert({ name: "Deactivated" }).id).toBe(parkingGroup);
}

const ACCOUNTS: Record<string, Record<string, unknown>> = {};
const person = (email: string) => ({ email, email_verified: true });
let world: SsoWorld;

beforeAll(async () => {
  world = await startSsoWorld({
    accounts: (login) => ACCOUNTS[login],
    prepare,
    env: { SCIM_LOCKOUT_CHANNEL_ID: String(LOCKOUT), SCIM_DEACTIVATED_GROUP_ID: String(parkingGroup), TRUST_PROXY: "loopback" },
  });
});
afterAll(async () => {
  await world?.close();
});

const signInUrl = (redirectTo = "/account.php") => `${world.bridgeUrl}/sso/login?redirect_to=${encodeURIComponent(redirectTo)}`;
const isCallback = (url: string) => url.startsWith(`${world.bridgeUrl}/sso/callback?`);
const minted = (client: BrowserlessClient) => client.history.some((s) => (s.location ?? "").includes("/login/token/") || s.url.includes("/login/token/"));

async function provisioned(login: string): Promise<number> {
  ACCOUNTS[login] = person(`${login}@example.com`);
  return Number(await world.provision({ userName: `${login}@example.com`, name: { givenName: "G", familyName: "F" } }));
}

/** Changes the customer in the store directly, as a deactivation that stopped half-way leaves it. */
function inStore(id: number, change: (row: ReturnType<typeof customerRow>) => void): void {
  const row = customerRow(id);
  change(row);
  world.emulator.store(STORE_HASH).customers.save(row);
}
const customerRow = (id: number) => world.emulator.store(STORE_HASH).customers.get(id)!;

describe("storefront sign-in refuses every trace of a deactivation", () => {
  it.each([
    ["on the lockout channel", (row: ReturnType<typeof customerRow>) => (row.channel_ids = [LOCKOUT])],
    ["in the parking group", (row: ReturnType<typeof customerRow>) => (row.customer_group_id = parkingGroup)],
    ["under the password lock", (row: ReturnType<typeof customerRow>) => (row.force_password_reset = true)],
  ])("a customer %s without the scim_active flag gets 403 and no token", async (_what, half) => {
    const login = `half${Math.random().toString(36).slice(2, 8)}`;
    const id = await provisioned(login);
    // Signs in while nothing is locked: the refusal below is the lock's.
    expect(minted(await signInAs(login))).toBe(true);
    inStore(id, half);
    const client = new BrowserlessClient();
    const page = await client.browse(signInUrl(), { login, password: "x" });
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/deactivated/);
    expect(minted(client)).toBe(false);
  });

  it("a customer deactivated and reactivated through SCIM signs in again (reactivation lifts the password lock)", async () => {
    const id = await provisioned("again");
    await world.deactivate(String(id));
    expect(customerRow(id).force_password_reset).toBe(true);
    expect((await signInAs("again")).history.at(-1)!.status).toBe(403);
    const res = await fetch(`${world.bridgeUrl}/scim/v2/Users/${id}`, {
      method: "PATCH",
      headers: { Authorization: "Bearer sso-test-token-0123456789", "Content-Type": "application/scim+json" },
      body: JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: true }] }),
    });
    expect(res.status).toBe(200);
    expect(customerRow(id).force_password_reset).toBe(false);
    expect(minted(await signInAs("again"))).toBe(true);
  });
});

async function signInAs(login: string): Promise<BrowserlessClient> {
  const client = new BrowserlessClient();
  await client.browse(signInUrl(), { login, password: "x" });
  return client;
}

describe("storefront sign-in refuses a customer it cannot tell apart or that may not use the channel", () => {
  it("refuses with 403 when BigCommerce answers two customers for the email", async () => {
    const id = await provisioned("twin");
    const one = customerRow(id);
    const list = await fetch(`${world.emulator.url}/stores/${STORE_HASH}/v3/customers?id:in=${id}&include=attributes`, { headers: { "X-Auth-Token": "emulator-token" } });
    const body = (await list.json()) as { data: Record<string, unknown>[]; meta: unknown };
    const twin = { ...body.data[0]!, id: id + 1000, email: one.email.toUpperCase() };
    world.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 200, body: { data: [body.data[0], twin], meta: body.meta }, count: 1 });
    const client = new BrowserlessClient();
    const page = await client.browse(signInUrl(), { login: "twin", password: "x" });
    world.emulator.faults.clear();
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/More than one customer account/);
    expect(minted(client)).toBe(false);
  });

  it("refuses with 403 a customer whose channels do not include SSO_CHANNEL_ID", async () => {
    const id = await provisioned("elsewhere");
    inStore(id, (row) => (row.channel_ids = [OTHER_STOREFRONT]));
    const client = new BrowserlessClient();
    const page = await client.browse(signInUrl(), { login: "elsewhere", password: "x" });
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/cannot sign in to this storefront/);
    expect(minted(client)).toBe(false);
    // Listed on it: signed in.
    inStore(id, (row) => (row.channel_ids = [OTHER_STOREFRONT, 1]));
    expect(minted(await signInAs("elsewhere"))).toBe(true);
  });
});

describe("the pending sign-in", () => {
  it("a callback with another state does not spend the shopper's sign-in: the real callback still signs in", async () => {
    await provisioned("patient");
    const client = new BrowserlessClient();
    const atCallback = await client.browse(signInUrl(), { login: "patient", password: "x" }, isCallback);
    const forged = new URL(atCallback.location!);
    forged.searchParams.set("state", "forged-state-value");
    expect((await client.request(forged.href)).status).toBe(400);
    const real = await client.request(atCallback.location!);
    expect(real.status).toBe(302);
    expect(real.location).toContain("/login/token/");
  });

  it("is refused when sealed with the OIDC client secret (the IdP's admins know it): 400 before the code is redeemed", async () => {
    const sealed = await new SealedLogins("oidc-client-secret-0123456789abcdef", 60_000).seal({ state: "s1", nonce: "n", codeVerifier: "v".repeat(43), redirectTo: "/account.php" });
    const page = await fetch(`${world.bridgeUrl}/sso/callback?code=c&state=s1`, { headers: { cookie: `scim_bridge_sso=${sealed}` }, redirect: "manual" });
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/expired or was already used/);
  });

  it("re-checks redirect_to at the callback: a sealed target the rules refuse answers 400", async () => {
    const sealed = await new SealedLogins(COOKIE_SECRET, 60_000).seal({ state: "s2", nonce: "n", codeVerifier: "v".repeat(43), redirectTo: "/shop/../admin" });
    const page = await fetch(`${world.bridgeUrl}/sso/callback?code=c&state=s2`, { headers: { cookie: `scim_bridge_sso=${sealed}` }, redirect: "manual" });
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/not a page of this store/);
  });
});

describe("request_ip", () => {
  const loginJwtAt = async (login: string, headers: Record<string, string>): Promise<Record<string, unknown>> => {
    const client = new BrowserlessClient();
    const atCallback = await client.browse(signInUrl(), { login, password: "x" }, isCallback);
    const res = await fetch(atCallback.location!, { headers: { cookie: `scim_bridge_sso=${client.cookie("scim_bridge_sso")}`, ...headers }, redirect: "manual" });
    const location = res.headers.get("location") ?? "";
    expect(location).toContain("/login/token/");
    return JSON.parse(Buffer.from(location.split("/login/token/")[1]!.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
  };

  it("carries the browser's address as the trusted proxy reports it (TRUST_PROXY)", async () => {
    await provisioned("behindproxy");
    expect((await loginJwtAt("behindproxy", { "X-Forwarded-For": "203.0.113.7" })).request_ip).toBe("203.0.113.7");
    expect((await loginJwtAt("behindproxy", {})).request_ip).toBe("127.0.0.1");
  });
});

describe("without TRUST_PROXY", () => {
  let plain: SsoWorld;
  beforeAll(async () => {
    ACCOUNTS.direct = person("direct@example.com");
    plain = await startSsoWorld({ accounts: (login) => ACCOUNTS[login] });
    await plain.provision({ userName: "direct@example.com", name: { givenName: "D", familyName: "F" } });
  });
  afterAll(async () => {
    await plain?.close();
  });

  it("the login JWT has no request_ip, whatever X-Forwarded-For says", async () => {
    const client = new BrowserlessClient();
    const atCallback = await client.browse(`${plain.bridgeUrl}/sso/login`, { login: "direct", password: "x" }, (url) => url.startsWith(`${plain.bridgeUrl}/sso/callback?`));
    const res = await fetch(atCallback.location!, { headers: { cookie: `scim_bridge_sso=${client.cookie("scim_bridge_sso")}`, "X-Forwarded-For": "203.0.113.7" }, redirect: "manual" });
    const jwt = (res.headers.get("location") ?? "").split("/login/token/")[1]!;
    expect(JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString())).not.toHaveProperty("request_ip");
  });
});

describe("over https", () => {
  let secure: SsoWorld;
  beforeAll(async () => {
    secure = await startSsoWorld({ env: { PUBLIC_BASE_URL: "https://localhost:8443" } });
  });
  afterAll(async () => {
    await secure?.close();
  });

  it("the pending sign-in is a __Host- cookie: Secure, Path=/, no Domain", async () => {
    const res = await fetch(`${secure.bridgeUrl}/sso/login`, { redirect: "manual" });
    expect(res.status).toBe(302);
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^__Host-scim_bridge_sso=/);
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).not.toMatch(/Domain=/i);
    // docs/sign-in.md: "HttpOnly, SameSite=Lax, valid 10 minutes".
    expect(cookie).toMatch(/; Max-Age=600(;|$)/);
    expect(cookie).toMatch(/; SameSite=Lax/i);
  });
});
