import { describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { BC, newUser, signsIn, store, STORE_HASH, useBridge } from "./helpers.js";

/**
 * Second reading of the (de)activation write path after the merges of issues 7, 8 and 13:
 * states that a failed request whose undo also failed leaves behind, and what the IdP's next
 * request does with them. Channel 2 is the lockout channel, group 1 the parking group.
 */
const LOCKOUT = 2;
const SECOND_STOREFRONT = 3;

function prepare(emulator: RunningEmulator): { parking: number; gold: number } {
  const s = emulator.store(STORE_HASH);
  s.channels.insert({ name: "scim-lockout", type: "storefront", platform: "custom", status: "inactive" });
  s.channels.insert({ name: "wholesale", type: "storefront", platform: "custom", status: "active" });
  s.settings.setChannel(SECOND_STOREFRONT, { ...s.settings.channel(SECOND_STOREFRONT), allow_global_logins: true });
  return { parking: s.groups.insert({ name: "Deactivated" }).id, gold: s.groups.insert({ name: "Gold" }).id };
}

const deactivate = [{ op: "replace", path: "active", value: false }];
const reactivateWith = (password: string) => [{ op: "replace", value: { active: true, password } }];

describe("half-done (de)activations with lockout and parking group", () => {
  let gold = 0;
  const b = useBridge({ SCIM_LOCKOUT_CHANNEL_ID: String(LOCKOUT), SCIM_DEACTIVATED_GROUP_ID: "1" }, {
    prepare: (emulator) => {
      const groups = prepare(emulator);
      expect(groups.parking).toBe(1);
      gold = groups.gold;
    },
  });

  const customer = (id: number) => store(b).customers.get(id)!;
  const bridgeValues = (id: number) =>
    Object.fromEntries(
      store(b)
        .attributeValues.where((v) => v.customer_id === id && v.attribute_value !== "")
        .map((v) => [store(b).attributes.get(v.attribute_id)!.name, v.attribute_value]),
    );

  /** A deactivation whose flag write fails and whose undo fails too: parked and locked out, flag not recorded. */
  async function halfDeactivated(email: string): Promise<number> {
    const created = await b.api.post("/Users", newUser(email, { password: "Old-pass-123", [BC]: { customerGroupId: gold, channelIds: [1, SECOND_STOREFRONT] } }));
    expect(created.status).toBe(201);
    const id = Number(created.body.id);
    b.emulator.faults.add({ method: "PUT", path: "/v3/customers/attribute-values", skip: 1, status: 503, count: 10 });
    const first = await b.api.patch(`/Users/${id}`, deactivate);
    b.emulator.faults.clear();
    expect(first.status).toBe(503);
    expect(customer(id)).toMatchObject({ customer_group_id: 1, channel_ids: [LOCKOUT] });
    expect(bridgeValues(id).scim_active).toBeUndefined();
    return id;
  }

  it("the IdP reactivating instead of retrying gets the group back as well as the channels", async () => {
    const id = await halfDeactivated("half.then.on@x.test");
    const on = await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ active: true, [BC]: { customerGroupId: gold, channelIds: [1, SECOND_STOREFRONT] } });
    expect(customer(id)).toMatchObject({ customer_group_id: gold, channel_ids: [1, SECOND_STOREFRONT] });
    expect(await signsIn(b, "half.then.on@x.test", "New-pass-789", SECOND_STOREFRONT)).toBe(true);
    expect(bridgeValues(id)).not.toHaveProperty("scim_group_before_deactivation");
    expect(bridgeValues(id)).not.toHaveProperty("scim_channels_before_deactivation");
  });

  it("a half-done deactivated user removed from its group by the IdP is not put back into it on reactivation", async () => {
    const id = await halfDeactivated("half.then.removed@x.test");
    const removed = await b.api.patch(`/Groups/${gold}`, [{ op: "remove", path: `members[value eq "${id}"]` }]);
    expect(removed.status).toBe(204);
    expect((await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"))).status).toBe(200);
    expect(customer(id).customer_group_id).not.toBe(gold);
    const group = await b.api.get(`/Groups/${gold}`);
    expect((group.body.members ?? []).map((m: { value: string }) => m.value)).not.toContain(String(id));
  });

  it("a half-done deactivated user added to another group by the IdP goes there on reactivation, not back to its old group", async () => {
    const id = await halfDeactivated("half.then.moved@x.test");
    const silver = Number((await b.api.post("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Silver" })).body.id);
    expect((await b.api.patch(`/Groups/${silver}`, [{ op: "add", path: "members", value: [{ value: String(id) }] }])).status).toBe(204);
    expect((await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"))).status).toBe(200);
    expect(customer(id).customer_group_id).toBe(silver);
  });

  it("an Okta PUT (active true) after a half-done deactivation unparks the user", async () => {
    const id = await halfDeactivated("half.then.put@x.test");
    const put = await b.api.put(`/Users/${id}`, newUser("half.then.put@x.test"));
    expect(put.status).toBe(200);
    expect(customer(id).customer_group_id).toBe(gold);
    expect(customer(id).channel_ids).toEqual([1, SECOND_STOREFRONT]);
    expect(bridgeValues(id)).not.toHaveProperty("scim_group_before_deactivation");
  });
});

describe("a failed reactivation whose undo fails never leaves an inactive user able to sign in", () => {
  let gold = 0;
  const b = useBridge({ SCIM_LOCKOUT_CHANNEL_ID: String(LOCKOUT), SCIM_DEACTIVATED_GROUP_ID: "1" }, {
    prepare: (emulator) => {
      gold = prepare(emulator).gold;
    },
  });

  const customer = (id: number) => store(b).customers.get(id)!;

  async function deactivated(email: string): Promise<number> {
    const created = await b.api.post("/Users", newUser(email, { password: "Old-pass-123", [BC]: { customerGroupId: gold, channelIds: [1, SECOND_STOREFRONT] } }));
    expect(created.status).toBe(201);
    const id = Number(created.body.id);
    expect((await b.api.patch(`/Users/${id}`, deactivate)).status).toBe(200);
    return id;
  }

  /** What RFC 7644 and issue 13 both need: whenever SCIM says inactive, BigCommerce refuses the sign-in. */
  async function expectInactiveOnlyWhenLocked(id: number, email: string, password: string): Promise<void> {
    const read = await b.api.get(`/Users/${id}`);
    expect(read.status).toBe(200);
    if (read.body.active === false) {
      expect(customer(id).channel_ids).toEqual([LOCKOUT]);
      expect(await signsIn(b, email, password, SECOND_STOREFRONT)).toBe(false);
    }
  }

  it.each([
    ["every attribute-value delete fails", 0],
    ["the deletes after the unlocking customer PUT fail", 1],
  ])("%s, and so does the re-lock", async (_what, deletesLetThrough) => {
    const email = `undo.fails.${deletesLetThrough}@x.test`;
    const id = await deactivated(email);
    b.emulator.faults.add({ method: "DELETE", path: "/v3/customers/attribute-values", skip: deletesLetThrough, status: 503, count: 10 });
    // The first customer PUT (the reactivation's) goes through; the undo's re-lock does not.
    b.emulator.faults.add({ method: "PUT", path: "/v3/customers", skip: 1, status: 503, count: 10 });
    const first = await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    b.emulator.faults.clear();
    expect(first.status).toBe(503);
    await expectInactiveOnlyWhenLocked(id, email, "New-pass-789");

    const retry = await b.api.patch(`/Users/${id}`, reactivateWith("New-pass-789"));
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ active: true, [BC]: { customerGroupId: gold, channelIds: [1, SECOND_STOREFRONT] } });
    expect(customer(id)).toMatchObject({ customer_group_id: gold, channel_ids: [1, SECOND_STOREFRONT] });
    expect(await signsIn(b, email, "New-pass-789", SECOND_STOREFRONT)).toBe(true);
  });
});
