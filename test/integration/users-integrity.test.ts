import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, BC, newUser, startBridge, store, type RunningBridge } from "./helpers.js";

/** User writes do what was asked, all of it, or nothing (issue 7). */
let b: RunningBridge;
let s: ReturnType<typeof api>;
beforeAll(async () => {
  b = await startBridge();
  s = api(b);
});
afterAll(() => b.close());

let n = 0;
async function user(extra: Record<string, unknown> = {}) {
  const email = `ui${++n}@x.test`;
  const res = await s.post("/Users", newUser(email, extra));
  expect(res.status).toBe(201);
  return { id: res.body.id as string, email };
}

describe("item 11: an explicit userName always wins over emails", () => {
  it("PUT asserting the current userName with another email keeps the userName", async () => {
    const u = await user();
    const res = await s.put(`/Users/${u.id}`, newUser(u.email, { emails: [{ value: "other.address@x.test", type: "work", primary: true }] }));
    expect(res.status).toBe(200);
    expect(res.body.userName).toBe(u.email);
    expect(store(b).customers.get(Number(u.id))!.email).toBe(u.email);
  });

  it("a PATCH naming userName keeps it; a PATCH of the email alone moves it", async () => {
    const u = await user();
    const named = await s.patch(`/Users/${u.id}`, [
      { op: "replace", path: "userName", value: u.email },
      { op: "replace", path: 'emails[type eq "work"].value', value: "named.other@x.test" },
    ]);
    expect(named.body.userName).toBe(u.email);
    const moved = await s.patch(`/Users/${u.id}`, [{ op: "replace", path: 'emails[type eq "work"].value', value: `moved.${u.email}` }]);
    expect(moved.status).toBe(200);
    expect(moved.body.userName).toBe(`moved.${u.email}`);
  });
});

describe("item 4: reactivation when the remembered group was deleted", () => {
  it("the user returns to the store's default group instead of failing on customerGroupId", async () => {
    const own = await startBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" });
    try {
      const t = api(own);
      store(own).groups.insert({ name: "Deactivated" });
      const seasonal = store(own).groups.insert({ name: "Seasonal" }).id;
      const created = await t.post("/Users", newUser("seasonal@x.test", { [BC]: { customerGroupId: seasonal } }));
      const id = created.body.id as string;
      expect((await t.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
      expect((await t.delete(`/Groups/${seasonal}`)).status).toBe(204);
      const back = await t.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }]);
      expect(back.status).toBe(200);
      expect(back.body.active).toBe(true);
      expect(store(own).customers.get(Number(id))!.customer_group_id).toBe(0);
      expect((await t.get(`/Users/${id}`)).body.active).toBe(true);
    } finally {
      await own.close();
    }
  });
});
