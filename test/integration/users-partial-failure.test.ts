import { beforeAll, describe, expect, it } from "vitest";
import { BC, newUser, store, useBridge, withBridge } from "./helpers.js";

/**
 * A write that fails half-way (BigCommerce down for the customer PUT) must be finished by the
 * IdP's retry of the same request: the retry sees the state the first attempt left behind.
 */
let parking: number;
let gold: number;
let platinum: number;
const b = useBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" });
beforeAll(async () => {
  parking = store(b).groups.insert({ name: "Deactivated" }).id;
  gold = store(b).groups.insert({ name: "Gold" }).id;
  platinum = store(b).groups.insert({ name: "Platinum" }).id;
  expect(parking).toBe(1);
});

const failCustomerPut = () => b.emulator.faults.add({ method: "PUT", path: "/v3/customers", status: 503, count: 10 });

async function goldUser(email: string, extra: Record<string, unknown> = {}) {
  const res = await b.api.post("/Users", newUser(email, { password: "Known-pass-1", [BC]: { customerGroupId: gold }, ...extra }));
  expect(res.status).toBe(201);
  return Number(res.body.id);
}

describe("half-done writes are finished by the IdP's retry", () => {
  it("deactivation: the retry locks the customer and parks it, remembering Gold", async () => {
    const id = await goldUser("half.off@x.test");
    failCustomerPut();
    const first = await b.api.patch(`/Users/${id}`, [{ op: "Replace", path: "active", value: "False" }]);
    b.emulator.faults.clear();
    expect(first.status).toBe(503);
    const retry = await b.api.patch(`/Users/${id}`, [{ op: "Replace", path: "active", value: "False" }]);
    expect(retry.status).toBe(200);
    expect(retry.body.active).toBe(false);
    const c = store(b).customers.get(id)!;
    expect(store(b).customers.checkPassword(id, "Known-pass-1")).toBe(false);
    expect(c.force_password_reset).toBe(true);
    expect(c.customer_group_id).toBe(parking);
    await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }]);
    expect(store(b).customers.get(id)!.customer_group_id).toBe(gold);
  });

  it("reactivation: the retry restores the remembered group", async () => {
    const id = await goldUser("half.on@x.test");
    await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }]);
    failCustomerPut();
    expect((await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }])).status).toBe(503);
    b.emulator.faults.clear();
    const retry = await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }]);
    expect(retry.body.active).toBe(true);
    expect(store(b).customers.get(id)!.customer_group_id).toBe(gold);
  });

  it("externalId change: the new value is findable after the retry", async () => {
    const id = await goldUser("half.ext@x.test", { externalId: "old-ext" });
    failCustomerPut();
    const first = await b.api.patch(`/Users/${id}`, [{ op: "replace", value: { externalId: "new-ext", "name.familyName": "Changed" } }]);
    b.emulator.faults.clear();
    expect(first.status).toBe(503);
    expect((await b.api.patch(`/Users/${id}`, [{ op: "replace", value: { externalId: "new-ext", "name.familyName": "Changed" } }])).status).toBe(200);
    const found = await b.api.get(`/Users?filter=${encodeURIComponent('externalId eq "new-ext"')}`);
    expect(found.body.Resources.map((u: { id: string }) => u.id)).toEqual([String(id)]);
    const old = await b.api.get(`/Users?filter=${encodeURIComponent('externalId eq "old-ext"')}`);
    expect(old.body.totalResults).toBe(0);
  });

  it("a group change asked for a deactivated user is where reactivation puts it", async () => {
    const id = await goldUser("parked.move@x.test");
    await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }]);
    await b.api.patch(`/Users/${id}`, [{ op: "replace", path: `${BC}:customerGroupId`, value: platinum }]);
    expect(store(b).customers.get(id)!.customer_group_id).toBe(parking);
    await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }]);
    expect(store(b).customers.get(id)!.customer_group_id).toBe(platinum);
  });

  it("a user created inactive joins the store's default group when reactivated", async () => {
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, async (own) => {
      store(own).groups.insert({ name: "Deactivated" });
      const retail = store(own).groups.insert({ name: "Retail", is_default: true }).id;
      await own.api.get("/Groups?excludedAttributes=members"); // the bridge learns the store's groups, as its refresh would
      const created = await own.api.post("/Users", newUser("born.parked@x.test", { active: false }));
      expect(store(own).customers.get(Number(created.body.id))!.customer_group_id).toBe(1);
      await own.api.patch(`/Users/${created.body.id}`, [{ op: "replace", path: "active", value: true }]);
      expect(store(own).customers.get(Number(created.body.id))!.customer_group_id).toBe(retail);
    });
  });
});
