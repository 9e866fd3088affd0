import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { indexKey } from "../../src/scim/users/external-id-index.js";
import { BrowserlessClient } from "./browserless-client.js";
import { customerOf, person, STORE_HASH, startSsoWorld, TOKEN, type SsoWorld } from "./harness.js";

/**
 * Just-in-time creation whose customer is then refused leaves the store as it was: the customer
 * created by the sign-in is deleted again (whatever SCIM_DELETE_MODE says), its externalId index
 * entry with it, and the audit trail tells what happened; a deletion that fails is logged at warn
 * with the customer's id and audited, and the shopper gets the refusal either way. Over real HTTP
 * against the emulator, where the store puts new customers in the parking group: a trace of a
 * deactivation that only the store's answer shows.
 */
const parkingGroup = 1;

function prepare(emulator: RunningEmulator): void {
  expect(emulator.store(STORE_HASH).groups.insert({ name: "Deactivated" }).id).toBe(parkingGroup);
}

/** The store's default customer group (where BigCommerce puts new customers) becomes the parking group, or stops being it. */
function parkNewCustomers(world: SsoWorld, on: boolean): void {
  const groups = world.emulator.store(STORE_HASH).groups;
  groups.save({ ...groups.get(parkingGroup)!, is_default: on });
}

const indexEntries = (world: SsoWorld, subject: string) =>
  world.emulator
    .store(STORE_HASH)
    .metafields.all()
    .filter((m) => m.key === indexKey(subject));
const minted = (client: BrowserlessClient) => client.history.some((s) => (s.location ?? "").includes("/login/token/"));

async function signIn(world: SsoWorld, login: string): Promise<{ client: BrowserlessClient; status: number; body: string }> {
  const client = new BrowserlessClient();
  const page = await client.browse(`${world.bridgeUrl}/sso/login?redirect_to=/account.php`, { login, password: "x" });
  return { client, ...page };
}

/** A sign-in world that creates customers just in time and matches by externalId, its log lines kept. */
function startJitWorld(logLines: string[], env: Record<string, string> = {}): Promise<SsoWorld> {
  return startSsoWorld({
    accounts: person,
    prepare,
    logLines,
    env: { SSO_JIT_CREATE: "true", SSO_MATCH: "externalId", SCIM_DEACTIVATED_GROUP_ID: String(parkingGroup), ...env },
  });
}

/** The JSON log lines, and the sign-in audit events among them. */
function logsOf(logLines: string[]) {
  const logged = () => logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logged, signInAudit: () => logged().filter((l) => l.audit === true && l.kind === "sign-in") };
}

describe("a customer created at sign-in and then refused is deleted again", () => {
  let world: SsoWorld;
  const logLines: string[] = [];
  const { logged, signInAudit } = logsOf(logLines);

  beforeAll(async () => {
    // Deletion mode "deactivate" keeps customers a SCIM DELETE removes; one the sign-in created is deleted all the same.
    world = await startJitWorld(logLines, { SCIM_DELETE_MODE: "deactivate" });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("refuses as deactivated, mints nothing, and leaves neither the customer nor its externalId index entry; audited", async () => {
    parkNewCustomers(world, true);
    world.emulator.clearRequests();
    logLines.length = 0;
    // The index entry is written behind the create; its first write fails, so the entry is still
    // pending (and its write-behind still trying) when the customer is deleted.
    world.emulator.faults.add({ method: "POST", path: "/v3/customers/metafields", status: 401, count: 1 });
    const page = await signIn(world, "parked");
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/deactivated/);
    expect(minted(page.client)).toBe(false);
    await vi.waitFor(() => expect(world.emulator.requests.some((r) => r.method === "POST" && r.path.endsWith("/v3/customers/metafields"))).toBe(true), { timeout: 10_000 });
    expect(customerOf(world, "parked")).toBeUndefined();
    expect(indexEntries(world, "parked")).toEqual([]);
    const deletes = world.emulator.requests.filter((r) => r.method === "DELETE" && r.path.endsWith("/v3/customers"));
    expect(deletes.map((r) => r.status)).toEqual([204]);
    const audit = signInAudit();
    expect(audit.map((l) => [l.operation, l.outcome])).toEqual([
      ["customer_created", "success"],
      ["customer_removed", "success"],
      ["refused", "failure"],
    ]);
    expect(audit[1]!.resourceId).toBe(audit[0]!.resourceId);
    expect(deletes[0]!.query["id:in"]).toBe(audit[0]!.resourceId);
    expect(audit[2]).toMatchObject({ reason: "deactivated", status: 403 });
    expect(new Set(audit.map((l) => l.requestId)).size).toBe(1);
    expect(logLines.join("\n")).not.toContain("parked@example.com");
  });

  it("the next sign-in finds nothing of it (no stale pending index entry), so it is decided afresh", async () => {
    parkNewCustomers(world, true);
    world.emulator.clearRequests();
    const page = await signIn(world, "parked");
    expect(page.status).toBe(403);
    const calls = world.emulator.requests.map((r) => `${r.method} ${r.path.replace(`/stores/${STORE_HASH}`, "")}${r.query["id:in"] !== undefined ? " id:in" : ""}`);
    // Looked up by the index (nothing there), then created: no read of a customer by id before the create.
    const created = calls.indexOf("POST /v3/customers");
    expect(created).toBeGreaterThan(0);
    expect(calls.slice(0, created)).not.toContain("GET /v3/customers id:in");
    expect(customerOf(world, "parked")).toBeUndefined();
  });

  it("takes the customer back when the store's answer cannot be had (503), and says the store was unavailable", async () => {
    parkNewCustomers(world, false);
    logLines.length = 0;
    // The one customer read of this sign-in is the store's answer after the create (the lookup is by the index).
    world.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 401, count: 1 });
    const page = await signIn(world, "unread");
    world.emulator.faults.clear();
    expect(page.status).toBe(503);
    expect(minted(page.client)).toBe(false);
    expect(customerOf(world, "unread")).toBeUndefined();
    expect(signInAudit().map((l) => [l.operation, l.outcome, l.reason])).toEqual([
      ["customer_created", "success", undefined],
      ["customer_removed", "success", undefined],
      ["refused", "failure", "store_unavailable"],
    ]);
  });

  it("a deletion that fails is logged at warn with the customer's id and audited; the shopper still gets the refusal", async () => {
    parkNewCustomers(world, true);
    logLines.length = 0;
    // Refused credentials: an upstream failure the client does not retry.
    world.emulator.faults.add({ method: "DELETE", path: "/v3/customers", status: 401, count: 1 });
    const page = await signIn(world, "stuck");
    world.emulator.faults.clear();
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/deactivated/);
    expect(minted(page.client)).toBe(false);
    const left = customerOf(world, "stuck");
    expect(left?.customer_group_id).toBe(parkingGroup);
    const warning = logged().find((l) => l.level === 40 && l.component === "sso");
    expect(warning).toMatchObject({ customerId: left!.id });
    expect(warning?.msg).toMatch(/could not be deleted/);
    expect(signInAudit().map((l) => [l.operation, l.outcome, l.resourceId])).toEqual([
      ["customer_created", "success", String(left!.id)],
      ["customer_removed", "failure", String(left!.id)],
      ["refused", "failure", undefined],
    ]);
    expect(logLines.join("\n")).not.toContain("stuck@example.com");
  });
});

describe("a customer the just-in-time create met in the store instead of making is never deleted", () => {
  let world: SsoWorld;
  const logLines: string[] = [];
  const { logged, signInAudit } = logsOf(logLines);

  beforeAll(async () => {
    world = await startJitWorld(logLines);
  });
  afterAll(async () => {
    await world?.close();
  });

  /**
   * The IdP provisions a user whose create lands but whose answer is lost, and so is the re-read
   * that would tell: the create is remembered as unsettled, its index entry never written.
   */
  async function provisionLosingTheAnswer(w: SsoWorld, user: { userName: string; externalId: string; active: boolean }): Promise<void> {
    w.emulator.faults.add({ method: "POST", path: "/v3/customers", dropResponse: true, count: 1 });
    w.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 401, count: 1 });
    const res = await fetch(`${w.bridgeUrl}/scim/v2/Users`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], name: { givenName: "J", familyName: "T" }, ...user }),
    });
    w.emulator.faults.clear();
    expect(res.status).toBeGreaterThanOrEqual(500);
  }

  it("the IdP's deactivated user, whose create's answer was lost (no index entry yet), is refused at sign-in and kept", async () => {
    // The IdP provisions the user deactivated; the create lands but its answer is lost and so is
    // the re-read that would tell: the create is remembered as unsettled, its index entry never written.
    await provisionLosingTheAnswer(world, { userName: "twin@example.com", externalId: "twin", active: false });
    const provisioned = customerOf(world, "twin");
    expect(provisioned).toBeDefined();
    expect(indexEntries(world, "twin")).toEqual([]);
    logLines.length = 0;
    world.emulator.clearRequests();

    // The shopper signs in before the IdP retries: the subject finds no index entry, so the
    // sign-in creates; the store already has the email, and the create's re-read meets the IdP's customer.
    const page = await signIn(world, "twin");
    expect(page.status).toBe(403);
    expect(minted(page.client)).toBe(false);
    expect(customerOf(world, "twin")?.id).toBe(provisioned!.id);
    expect(world.emulator.requests.filter((r) => r.method === "DELETE" && r.path.endsWith("/v3/customers"))).toEqual([]);
    expect(signInAudit().map((l) => [l.operation, l.outcome])).toEqual([
      ["customer_created", "success"],
      ["refused", "failure"],
    ]);
    const warning = logged().find((l) => l.level === 40 && l.component === "sso");
    expect(warning).toMatchObject({ customerId: provisioned!.id });
    expect(warning?.msg).toMatch(/kept/);
    expect(logLines.join("\n")).not.toContain("twin@example.com");
  });

  it("one holding another externalId is not signed in (the subject names no customer), and is kept", async () => {
    // As above, but the IdP's user is active and its externalId is not the shopper's subject.
    await provisionLosingTheAnswer(world, { userName: "other@example.com", externalId: "someone-else", active: true });
    const provisioned = customerOf(world, "other");
    expect(provisioned).toBeDefined();
    logLines.length = 0;

    const page = await signIn(world, "other");
    expect(page.status).toBe(403);
    expect(minted(page.client)).toBe(false);
    expect(customerOf(world, "other")?.id).toBe(provisioned!.id);
    expect(signInAudit().map((l) => [l.operation, l.outcome, l.reason])).toEqual([
      ["customer_created", "success", undefined],
      ["refused", "failure", "unknown_user"],
    ]);
  });
});
