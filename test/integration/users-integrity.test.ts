import { describe, expect, it } from "vitest";
import { BC, createUser, newUser, store, useBridge, withBridge } from "./helpers.js";

/** User writes do what was asked, all of it, or nothing (issue 7). */
const b = useBridge();

let n = 0;
async function user(extra: Record<string, unknown> = {}) {
  const email = `ui${++n}@x.test`;
  return { id: (await createUser(b.api, email, extra)).id, email };
}

describe("item 11: an explicit userName always wins over emails", () => {
  it("PUT asserting the current userName with another email keeps the userName", async () => {
    const u = await user();
    const res = await b.api.put(`/Users/${u.id}`, newUser(u.email, { emails: [{ value: "other.address@x.test", type: "work", primary: true }] }));
    expect(res.status).toBe(200);
    expect(res.body.userName).toBe(u.email);
    expect(store(b).customers.get(Number(u.id))!.email).toBe(u.email);
  });

  it("a PATCH naming userName keeps it; a PATCH of the email alone moves it", async () => {
    const u = await user();
    const named = await b.api.patch(`/Users/${u.id}`, [
      { op: "replace", path: "userName", value: u.email },
      { op: "replace", path: 'emails[type eq "work"].value', value: "named.other@x.test" },
    ]);
    expect(named.body.userName).toBe(u.email);
    const moved = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: 'emails[type eq "work"].value', value: `moved.${u.email}` }]);
    expect(moved.status).toBe(200);
    expect(moved.body.userName).toBe(`moved.${u.email}`);
  });
});

describe("item 4: reactivation when the remembered group was deleted", () => {
  it("the user returns to the store's default group instead of failing on customerGroupId", async () => {
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, async (own) => {
      store(own).groups.insert({ name: "Deactivated" });
      const seasonal = store(own).groups.insert({ name: "Seasonal" }).id;
      const created = await own.api.post("/Users", newUser("seasonal@x.test", { [BC]: { customerGroupId: seasonal } }));
      const id = created.body.id as string;
      expect((await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
      expect((await own.api.delete(`/Groups/${seasonal}`)).status).toBe(204);
      const back = await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }]);
      expect(back.status).toBe(200);
      expect(back.body.active).toBe(true);
      expect(store(own).customers.get(Number(id))!.customer_group_id).toBe(0);
      expect((await own.api.get(`/Users/${id}`)).body.active).toBe(true);
      // A group the IdP names for a deactivated user (remembered for later) must exist too.
      await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }]);
      const unknown = await own.api.patch(`/Users/${id}`, [{ op: "replace", path: `${BC}:customerGroupId`, value: 4242 }]);
      expect(unknown.status).toBe(400);
      expect(unknown.body.scimType).toBe("invalidValue");
    });
  });
});

describe("item 6: the phone number keeps its type", () => {
  it("a mobile-only phone reads back as mobile, and replace phoneNumbers[type eq \"mobile\"].value changes it", async () => {
    const u = await user({ phoneNumbers: [{ value: "+1 555 0101", type: "mobile" }] });
    const read = await b.api.get(`/Users/${u.id}`);
    expect(read.body.phoneNumbers).toEqual([{ value: "+1 555 0101", type: "mobile", primary: true }]);
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: 'phoneNumbers[type eq "mobile"].value', value: "+1 555 0202" }]);
    expect(res.status).toBe(200);
    expect(res.body.phoneNumbers).toEqual([{ value: "+1 555 0202", type: "mobile", primary: true }]);
    expect(store(b).customers.get(Number(u.id))!.phone).toBe("+1 555 0202");
    const filtered = await b.api.get(`/Users?filter=${encodeURIComponent(`phoneNumbers[type eq "mobile"] and userName eq "${u.email}"`)}`);
    expect(filtered.body.totalResults).toBe(1);
  });

  it("Entra's add of a mobile to a user without a phone stores it as mobile", async () => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "Add", path: 'phoneNumbers[type eq "mobile"].value', value: "+44 20 7946 0000" }]);
    expect(res.body.phoneNumbers).toEqual([{ value: "+44 20 7946 0000", type: "mobile", primary: true }]);
  });
});

describe("item 10: PATCH remove means unassigned, or is refused", () => {
  it("remove active is refused and changes nothing", async () => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "remove", path: "active" }]);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("mutability");
    expect((await b.api.get(`/Users/${u.id}`)).body.active).toBe(true);
  });

  it("remove of acceptsProductReviewAbandonedCartEmails sets BigCommerce's unassigned value (false)", async () => {
    const u = await user({ [BC]: { acceptsProductReviewAbandonedCartEmails: true } });
    expect(store(b).customers.get(Number(u.id))!.accepts_product_review_abandoned_cart_emails).toBe(true);
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "remove", path: `${BC}:acceptsProductReviewAbandonedCartEmails` }]);
    expect(res.status).toBe(200);
    expect(store(b).customers.get(Number(u.id))!.accepts_product_review_abandoned_cart_emails).toBe(false);
  });

  it("remove of notes and taxExemptCategory reads back unassigned, not \"\"", async () => {
    const u = await user({ [BC]: { notes: "VIP", taxExemptCategory: "B" } });
    const res = await b.api.patch(`/Users/${u.id}`, [
      { op: "remove", path: `${BC}:notes` },
      { op: "remove", path: `${BC}:taxExemptCategory` },
    ]);
    expect(res.status).toBe(200);
    expect(res.body[BC]).not.toHaveProperty("notes");
    expect(res.body[BC]).not.toHaveProperty("taxExemptCategory");
    expect(store(b).customers.get(Number(u.id))!.notes).toBe("");
  });

  it("remove of the whole BigCommerce extension unassigns its settable values", async () => {
    const u = await user({ [BC]: { notes: "VIP", channelIds: [1], acceptsProductReviewAbandonedCartEmails: true } });
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "remove", path: BC }]);
    expect(res.status).toBe(200);
    const c = store(b).customers.get(Number(u.id))!;
    expect([c.notes, c.channel_ids, c.accepts_product_review_abandoned_cart_emails]).toEqual(["", null, false]);
  });
});
