import { beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { BC, countCalls, newUser, signsIn, store, STORE_HASH, useBridge, type UsedBridge } from "./helpers.js";

/**
 * Deactivation that holds, judged by BigCommerce's own endpoint: POST
 * /v3/customers/validate-credentials answers whether an email and password sign in to a channel.
 * Channel 1 is the storefront shoppers use; channel 2 ("scim-lockout") is the lockout channel;
 * channel 3 is a second storefront that allows global logins.
 */
const LOCKOUT = 2;
const SECOND_STOREFRONT = 3;

function createChannels(emulator: RunningEmulator): void {
  const s = emulator.store(STORE_HASH);
  expect(s.channels.insert({ name: "scim-lockout", type: "storefront", platform: "custom", status: "inactive" }).id).toBe(LOCKOUT);
  expect(s.channels.insert({ name: "wholesale", type: "storefront", platform: "custom", status: "active" }).id).toBe(SECOND_STOREFRONT);
  s.settings.setChannel(SECOND_STOREFRONT, { ...s.settings.channel(SECOND_STOREFRONT), allow_global_logins: true });
}

/** What a password-reset email leads to: the shopper sets a new password in BigCommerce. */
async function shopperResetsPassword(b: UsedBridge, id: number, password: string): Promise<void> {
  const response = await fetch(`${b.emulator.url}/stores/${STORE_HASH}/v3/customers`, {
    method: "PUT",
    headers: { "X-Auth-Token": "storefront", "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify([{ id, authentication: { new_password: password, force_password_reset: false } }]),
  });
  expect(response.status).toBe(200);
}

const deactivate = [{ op: "Replace", path: "active", value: "False" }];
const reactivateWith = (password: string) => [{ op: "replace", value: { active: true, password } }];

describe("without SCIM_LOCKOUT_CHANNEL_ID (password lock only)", () => {
  const b = useBridge({}, { prepare: createChannels });

  it("the old password stops working, but a password reset lets the customer back in (the known hole)", async () => {
    const created = await b.api.post("/Users", newUser("hole@x.test", { password: "Old-pass-123" }));
    const id = Number(created.body.id);
    expect(await signsIn(b, "hole@x.test", "Old-pass-123")).toBe(true);
    expect((await b.api.patch(`/Users/${id}`, deactivate)).status).toBe(200);
    expect(await signsIn(b, "hole@x.test", "Old-pass-123")).toBe(false);
    await shopperResetsPassword(b, id, "Reset-pass-456");
    expect(await signsIn(b, "hole@x.test", "Reset-pass-456")).toBe(true);
  });
});

describe("with SCIM_LOCKOUT_CHANNEL_ID", () => {
  let parking: number;
  let gold: number;
  const b = useBridge({ SCIM_LOCKOUT_CHANNEL_ID: String(LOCKOUT), SCIM_DEACTIVATED_GROUP_ID: "1" }, { prepare: (emulator) => {
    createChannels(emulator);
    const groups = emulator.store(STORE_HASH).groups;
    parking = groups.insert({ name: "Deactivated" }).id;
    gold = groups.insert({ name: "Gold" }).id;
  } });
  beforeAll(() => {
    expect(parking).toBe(1);
  });

  const customer = (id: number) => store(b).customers.get(id)!;

  async function provision(email: string, extra: Record<string, unknown> = {}, channelId = 1): Promise<number> {
    const created = await b.api.post("/Users", newUser(email, { password: "Old-pass-123", ...extra }));
    expect(created.status).toBe(201);
    expect(await signsIn(b, email, "Old-pass-123", channelId)).toBe(true);
    return Number(created.body.id);
  }

  it("a deactivated customer cannot sign in, not even after a password reset; reactivation gives it back its global access", async () => {
    const id = await provision("global@x.test");
    expect(customer(id).channel_ids).toBeNull();

    const off = await b.api.patch(`/Users/${id}`, deactivate);
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(off.body[BC].channelIds).toBeNull(); // SCIM shows the channels it will get back
    expect(customer(id).channel_ids).toEqual([LOCKOUT]);
    expect(await signsIn(b, "global@x.test", "Old-pass-123")).toBe(false);

    await shopperResetsPassword(b, id, "Reset-pass-456");
    expect(await signsIn(b, "global@x.test", "Reset-pass-456", 1)).toBe(false);
    expect(await signsIn(b, "global@x.test", "Reset-pass-456", SECOND_STOREFRONT)).toBe(false);

    const read = await b.api.get(`/Users/${id}`);
    expect(read.body).toMatchObject({ active: false, [BC]: { channelIds: null } });

    const on = await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ active: true, [BC]: { channelIds: null } });
    expect(customer(id).channel_ids).toBeNull();
    expect(await signsIn(b, "global@x.test", "New-pass-789", 1)).toBe(true);
    expect(await signsIn(b, "global@x.test", "New-pass-789", SECOND_STOREFRONT)).toBe(true);
    expect(await signsIn(b, "global@x.test", "Old-pass-123")).toBe(false);
    expect((await b.api.get(`/Users/${id}`)).body.active).toBe(true);
  });

  it("a customer restricted to some channels gets exactly those back", async () => {
    const id = await provision("restricted@x.test", { [BC]: { channelIds: [1, SECOND_STOREFRONT] } });
    await b.api.patch(`/Users/${id}`, deactivate);
    expect(customer(id).channel_ids).toEqual([LOCKOUT]);
    await shopperResetsPassword(b, id, "Reset-pass-456");
    expect(await signsIn(b, "restricted@x.test", "Reset-pass-456", SECOND_STOREFRONT)).toBe(false);
    await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    expect(customer(id).channel_ids).toEqual([1, SECOND_STOREFRONT]);
    expect(await signsIn(b, "restricted@x.test", "New-pass-789", SECOND_STOREFRONT)).toBe(true);
  });

  it("lockout and parking group together: both applied, both restored", async () => {
    const id = await provision("gold@x.test", { [BC]: { customerGroupId: gold } });
    const off = await b.api.patch(`/Users/${id}`, deactivate);
    expect(customer(id)).toMatchObject({ channel_ids: [LOCKOUT], customer_group_id: parking });
    expect(off.body[BC].channelIds).toBeNull();
    await shopperResetsPassword(b, id, "Reset-pass-456");
    expect(await signsIn(b, "gold@x.test", "Reset-pass-456")).toBe(false);
    await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    expect(customer(id)).toMatchObject({ channel_ids: null, customer_group_id: gold });
    expect(await signsIn(b, "gold@x.test", "New-pass-789")).toBe(true);
  });

  it("channels sent while the user is inactive are remembered, not applied: the lockout holds", async () => {
    const id = await provision("moved@x.test");
    await b.api.patch(`/Users/${id}`, deactivate);
    const patched = await b.api.patch(`/Users/${id}`, [{ op: "replace", path: `${BC}:channelIds`, value: [SECOND_STOREFRONT] }]);
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ active: false, [BC]: { channelIds: [SECOND_STOREFRONT] } });
    expect(customer(id).channel_ids).toEqual([LOCKOUT]);
    await shopperResetsPassword(b, id, "Reset-pass-456");
    expect(await signsIn(b, "moved@x.test", "Reset-pass-456", SECOND_STOREFRONT)).toBe(false);

    // A PUT (Okta's update) with channels does the same.
    const put = await b.api.put(`/Users/${id}`, newUser("moved@x.test", { active: false, [BC]: { channelIds: [1] } }));
    expect(put.status).toBe(200);
    expect(put.body[BC].channelIds).toEqual([1]);
    expect(customer(id).channel_ids).toEqual([LOCKOUT]);
    // A PATCH that does not touch channels keeps the remembered ones.
    await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "name.familyName", value: "Renamed" }]);
    expect((await b.api.get(`/Users/${id}`)).body[BC].channelIds).toEqual([1]);

    await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    expect(customer(id).channel_ids).toEqual([1]);
    expect(await signsIn(b, "moved@x.test", "New-pass-789", 1)).toBe(true);
  });

  // Issue 19, item 6: `channelIds: [<lockout>]` answered 200 and opened the lockout channel.
  it("refuses the lockout channel on POST, PUT and PATCH (400 invalidValue, nothing written)", async () => {
    const refused = (res: { status: number; body: { scimType?: string; detail?: string } }) => {
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe("invalidValue");
      expect(res.body.detail).toContain("lockout channel");
    };
    const { result: post, calls: postCalls } = await countCalls(b, () =>
      b.api.post("/Users", newUser("lockout-post@x.test", { [BC]: { channelIds: [1, LOCKOUT] } })),
    );
    refused(post);
    expect(postCalls.filter((c) => !c.startsWith("GET"))).toEqual([]);
    expect(store(b).customers.all().some((c) => c.email === "lockout-post@x.test")).toBe(false);

    const id = await provision("lockout-put@x.test", { [BC]: { channelIds: [1] } });
    const { result: put, calls: putCalls } = await countCalls(b, () =>
      b.api.put(`/Users/${id}`, newUser("lockout-put@x.test", { name: { givenName: "Changed" }, [BC]: { channelIds: [LOCKOUT] } })),
    );
    refused(put);
    const { result: patch, calls: patchCalls } = await countCalls(b, () =>
      b.api.patch(`/Users/${id}`, [
        { op: "replace", path: "name.familyName", value: "Changed" },
        { op: "add", path: `${BC}:channelIds`, value: [LOCKOUT] },
      ]),
    );
    refused(patch);
    expect([...putCalls, ...patchCalls].filter((c) => !c.startsWith("GET"))).toEqual([]);
    expect(customer(id)).toMatchObject({ channel_ids: [1], first_name: "Given", last_name: "Family" });
    expect(await signsIn(b, "lockout-put@x.test", "Old-pass-123", 1)).toBe(true);
  });

  it("a user created inactive is created locked out", async () => {
    const created = await b.api.post("/Users", newUser("born.off@x.test", { active: false, password: "Known-pass-1", [BC]: { channelIds: [SECOND_STOREFRONT] } }));
    expect(created.status).toBe(201);
    expect(created.body[BC].channelIds).toEqual([SECOND_STOREFRONT]);
    const id = Number(created.body.id);
    expect(customer(id).channel_ids).toEqual([LOCKOUT]);
    await shopperResetsPassword(b, id, "Reset-pass-456");
    expect(await signsIn(b, "born.off@x.test", "Reset-pass-456", SECOND_STOREFRONT)).toBe(false);
    await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    expect(customer(id).channel_ids).toEqual([SECOND_STOREFRONT]);
    expect(await signsIn(b, "born.off@x.test", "New-pass-789", SECOND_STOREFRONT)).toBe(true);
  });

  it("a reactivation that fails after its customer PUT is undone (still locked out) and finished by the retry", async () => {
    const id = await provision("half.on@x.test", { [BC]: { channelIds: [1, SECOND_STOREFRONT] } });
    await b.api.patch(`/Users/${id}`, deactivate);
    // The customer PUT goes through; clearing the active flag and the remembered channels does not,
    // so the request fails and its PUT is undone: the customer stays locked out (RFC 7644 §3.5.2).
    // (The first delete, clearing the active flag, goes before the customer PUT and lands.)
    b.emulator.faults.add({ method: "DELETE", path: "/v3/customers/attribute-values", skip: 1, status: 503, count: 10 });
    const first = await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    b.emulator.faults.clear();
    expect(first.status).toBe(503);
    expect(customer(id).channel_ids).toEqual([LOCKOUT]);
    expect((await b.api.get(`/Users/${id}`)).body).toMatchObject({ active: false, [BC]: { channelIds: [1, SECOND_STOREFRONT] } });

    const retry = await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ active: true, [BC]: { channelIds: [1, SECOND_STOREFRONT] } });
    expect(customer(id).channel_ids).toEqual([1, SECOND_STOREFRONT]);
    expect(await signsIn(b, "half.on@x.test", "New-pass-789", SECOND_STOREFRONT)).toBe(true);
    const bridgeValues = store(b).attributeValues.where((v) => v.customer_id === id).map((v) => store(b).attributes.get(v.attribute_id)!.name);
    expect(bridgeValues).not.toContain("scim_channels_before_deactivation");
    expect(bridgeValues).not.toContain("scim_active");
  });

  it("a reactivation without a password that fails after its customer PUT keeps the password lock (forced reset) too", async () => {
    const id = await provision("half.reset@x.test");
    await b.api.patch(`/Users/${id}`, deactivate);
    expect(customer(id).force_password_reset).toBe(true);
    // As above: the customer PUT (which lifts the forced reset) lands, clearing the remembered
    // values after it does not, and the request fails.
    b.emulator.faults.add({ method: "DELETE", path: "/v3/customers/attribute-values", skip: 1, status: 503, count: 10 });
    const first = await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }]);
    b.emulator.faults.clear();
    expect(first.status).toBe(503);
    expect((await b.api.get(`/Users/${id}`)).body.active).toBe(false);
    expect(customer(id)).toMatchObject({ channel_ids: [LOCKOUT], customer_group_id: parking, force_password_reset: true });

    const retry = await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }]);
    expect(retry.status).toBe(200);
    expect(customer(id)).toMatchObject({ channel_ids: null, force_password_reset: false });
  });

  it("a reactivation whose customer PUT fails changes nothing; the retry restores the channels", async () => {
    const id = await provision("half.put@x.test");
    await b.api.patch(`/Users/${id}`, deactivate);
    b.emulator.faults.add({ method: "PUT", path: "/v3/customers", status: 503, count: 10 });
    const first = await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    b.emulator.faults.clear();
    expect(first.status).toBe(503);
    expect(customer(id).channel_ids).toEqual([LOCKOUT]);
    expect((await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"))).status).toBe(200);
    expect(customer(id).channel_ids).toBeNull();
    expect(await signsIn(b, "half.put@x.test", "New-pass-789")).toBe(true);
  });

  it("a deactivation that fails half-way (channels remembered, customer PUT failed) is finished by the retry", async () => {
    const id = await provision("half.off@x.test", { [BC]: { channelIds: [SECOND_STOREFRONT] } }, SECOND_STOREFRONT);
    b.emulator.faults.add({ method: "PUT", path: "/v3/customers", status: 503, count: 10 });
    const first = await b.api.patch(`/Users/${id}`, deactivate);
    b.emulator.faults.clear();
    expect(first.status).toBe(503);
    expect(customer(id).channel_ids).toEqual([SECOND_STOREFRONT]);
    const retry = await b.api.patch(`/Users/${id}`, deactivate);
    expect(retry.status).toBe(200);
    expect(retry.body[BC].channelIds).toEqual([SECOND_STOREFRONT]);
    expect(customer(id).channel_ids).toEqual([LOCKOUT]);
    await shopperResetsPassword(b, id, "Reset-pass-456");
    expect(await signsIn(b, "half.off@x.test", "Reset-pass-456", SECOND_STOREFRONT)).toBe(false);
    await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    expect(customer(id).channel_ids).toEqual([SECOND_STOREFRONT]);
  });

  it("a deactivation that fails after the lockout (flag not recorded) keeps the original channels remembered through the retry", async () => {
    const id = await provision("half.flag@x.test", { [BC]: { channelIds: [1, SECOND_STOREFRONT] } });
    // The first attribute-value PUT (the remembered channels) and the customer PUT go through; the flag's does not.
    b.emulator.faults.add({ method: "PUT", path: "/v3/customers/attribute-values", skip: 1, status: 503, count: 10 });
    const first = await b.api.patch(`/Users/${id}`, deactivate);
    b.emulator.faults.clear();
    expect(first.status).toBe(503);
    expect(customer(id).channel_ids).toEqual([LOCKOUT]);
    expect((await b.api.get(`/Users/${id}`)).body).toMatchObject({ active: true, [BC]: { channelIds: [1, SECOND_STOREFRONT] } });

    const retry = await b.api.patch(`/Users/${id}`, deactivate);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ active: false, [BC]: { channelIds: [1, SECOND_STOREFRONT] } });
    expect(customer(id).channel_ids).toEqual([LOCKOUT]);
    await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    expect(customer(id).channel_ids).toEqual([1, SECOND_STOREFRONT]);
  });
});

describe("with SCIM_LOCKOUT_CHANNEL_ID and SCIM_DELETE_MODE=deactivate", () => {
  const b = useBridge({ SCIM_LOCKOUT_CHANNEL_ID: String(LOCKOUT), SCIM_DELETE_MODE: "deactivate" }, { prepare: createChannels });

  it("DELETE locks the customer out like a deactivation", async () => {
    const created = await b.api.post("/Users", newUser("deleted@x.test", { password: "Old-pass-123" }));
    const id = Number(created.body.id);
    expect((await b.api.delete(`/Users/${id}`)).status).toBe(204);
    expect(store(b).customers.get(id)!.channel_ids).toEqual([LOCKOUT]);
    await shopperResetsPassword(b, id, "Reset-pass-456");
    expect(await signsIn(b, "deleted@x.test", "Reset-pass-456")).toBe(false);
    expect((await b.api.get(`/Users/${id}`)).body).toMatchObject({ active: false, [BC]: { channelIds: null } });
  });
});
