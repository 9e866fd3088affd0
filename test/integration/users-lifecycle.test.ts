import { describe, expect, it } from "vitest";
import { countCalls, newUser, store, withBridge } from "./helpers.js";

describe("deactivation and reactivation", () => {
  it("keeps the customer and its data, locks the old password, and reactivates the same id", async () => {
    await withBridge({}, async (b) => {
      const created = await b.api.post("/Users", newUser("life@x.test", { password: "Old-pass-123" }));
      const id = Number(created.body.id);
      store(b).addresses.insert({ customer_id: id, first_name: "a", last_name: "b", address1: "1 Main", city: "Austin", country_code: "US", state_or_province: "Texas", postal_code: "78701" });
      const off = await b.api.patch(`/Users/${id}`, [{ op: "replace", value: { active: false } }]);
      expect(off.body.active).toBe(false);
      const c = store(b).customers.get(id)!;
      expect(c.force_password_reset).toBe(true);
      expect(store(b).customers.checkPassword(id, "Old-pass-123")).toBe(false);
      expect(store(b).addresses.where((a) => a.customer_id === id)).toHaveLength(1);

      const read = await b.api.get(`/Users/${id}`);
      expect(read.status).toBe(200);
      expect(read.body.active).toBe(false);
      const filtered = await b.api.get(`/Users?filter=${encodeURIComponent("active eq false")}`);
      expect(filtered.body.Resources.map((u: { id: string }) => u.id)).toContain(String(id));

      const on = await b.api.patch(`/Users/${id}`, [{ op: "Replace", path: "active", value: "True" }]);
      expect(on.body).toMatchObject({ id: String(id), active: true });
      expect((await b.api.get(`/Users/${id}`)).body.active).toBe(true);
    });
  });

  it("optionally parks deactivated customers in a group and restores the previous group", async () => {
    // Groups of a fresh emulator store are numbered from 1: "Deactivated" is 1, "VIP" is 2.
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, async (b) => {
      const deactivatedGroup = store(b).groups.insert({ name: "Deactivated" }).id;
      const vipGroup = store(b).groups.insert({ name: "VIP" }).id;
      expect(deactivatedGroup).toBe(1);
      const created = await b.api.post("/Users", newUser("parked@x.test", { "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer": { customerGroupId: vipGroup } }));
      const id = Number(created.body.id);
      expect(store(b).customers.get(id)!.customer_group_id).toBe(vipGroup);
      await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }]);
      expect(store(b).customers.get(id)!.customer_group_id).toBe(deactivatedGroup);
      await b.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }]);
      expect(store(b).customers.get(id)!.customer_group_id).toBe(vipGroup);
    });
  });

  it("SCIM_DELETE_MODE=deactivate: DELETE keeps the customer, inactive", async () => {
    await withBridge({ SCIM_DELETE_MODE: "deactivate" }, async (b) => {
      const created = await b.api.post("/Users", newUser("soft@x.test"));
      const { result, calls } = await countCalls(b, () => b.api.delete(`/Users/${created.body.id}`));
      expect(result.status).toBe(204);
      expect(calls).not.toContain("DELETE /v3/customers");
      expect(store(b).customers.get(Number(created.body.id))).toBeDefined();
      expect((await b.api.get(`/Users/${created.body.id}`)).body.active).toBe(false);
    });
  });

  it("creating a user with active=false creates it locked", async () => {
    await withBridge({}, async (b) => {
      const created = await b.api.post("/Users", newUser("born.off@x.test", { active: false, password: "Known-pass-1" }));
      expect(created.body.active).toBe(false);
      expect(store(b).customers.checkPassword(Number(created.body.id), "Known-pass-1")).toBe(false);
    });
  });
});

