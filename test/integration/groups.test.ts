import { beforeAll, describe, expect, it } from "vitest";
import { countCalls, newUser, store, useBridge, withBridge } from "./helpers.js";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const users: string[] = [];
const b = useBridge();
beforeAll(async () => {
  for (let i = 1; i <= 6; i++) users.push((await b.api.post("/Users", newUser(`member${i}@x.test`))).body.id);
});

const groupOf = (id: string) => store(b).customers.get(Number(id))!.customer_group_id;
let n = 0;
async function group(members: string[] = [], name = `Team ${++n}`) {
  const res = await b.api.post("/Groups", { schemas: [GROUP], displayName: name, members: members.map((value) => ({ value })) });
  expect(res.status).toBe(201);
  return res.body as { id: string; displayName: string; members: { value: string }[] };
}

describe("/Groups over BigCommerce customer groups", () => {
  it("creates a customer group, with its members, and reads it back", async () => {
    const g = await group([users[0]!, users[1]!], "Wholesale");
    expect(g).toMatchObject({ displayName: "Wholesale", schemas: [GROUP] });
    expect(g.members.map((m) => m.value).sort()).toEqual([users[0], users[1]].sort());
    expect(store(b).groups.get(Number(g.id))!.name).toBe("Wholesale");
    expect(groupOf(users[0]!)).toBe(Number(g.id));
    const read = await b.api.get(`/Groups/${g.id}`);
    expect(read.status).toBe(200);
    expect(read.body.members).toHaveLength(2);
    const user = await b.api.get(`/Users/${users[0]}`);
    expect(user.body.groups).toEqual([expect.objectContaining({ value: g.id, display: "Wholesale" })]);
  });

  it("a duplicate displayName (any case) is 409 uniqueness", async () => {
    await group([], "Retail");
    const res = await b.api.post("/Groups", { schemas: [GROUP], displayName: "RETAIL" });
    expect(res.status).toBe(409);
    expect(res.body.scimType).toBe("uniqueness");
  });

  it("filter displayName eq is case-insensitive; excludedAttributes=members costs no member lookup", async () => {
    const g = await group([users[2]!], "Gold Tier");
    const { result, calls } = await countCalls(b, () => b.api.get(`/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "gold tier"')}`));
    expect(result.body.totalResults).toBe(1);
    expect(result.body.Resources[0].id).toBe(g.id);
    expect(result.body.Resources[0].members).toBeUndefined();
    expect(calls).toEqual(["GET /v2/customer_groups"]);
    const { result: one, calls: oneCalls } = await countCalls(b, () => b.api.get(`/Groups/${g.id}?excludedAttributes=members`));
    expect(one.body.members).toBeUndefined();
    expect(oneCalls).toEqual([`GET /v2/customer_groups/${g.id}`]);
    expect((await b.api.get(`/Groups?filter=${encodeURIComponent('displayName eq "nope"')}`)).body.totalResults).toBe(0);
  });

  it("Okta push: remove members[value eq] + add members in one PATCH, answered 204", async () => {
    const g = await group([users[0]!, users[1]!]);
    const res = await b.api.patch(`/Groups/${g.id}`, [
      { op: "remove", path: `members[value eq "${users[0]}"]` },
      { op: "add", path: "members", value: [{ value: users[3], display: "member4@x.test" }] },
    ]);
    expect(res.status).toBe(204);
    // users[0] is still in Wholesale (first test): it falls back there (group precedence).
    expect(groupOf(users[0]!)).not.toBe(Number(g.id));
    expect((await b.api.get(`/Groups/${g.id}`)).body.members.map((m: { value: string }) => m.value)).not.toContain(users[0]);
    expect(groupOf(users[1]!)).toBe(Number(g.id));
    expect(groupOf(users[3]!)).toBe(Number(g.id));
  });

  it("removing a value that names no user changes nothing and answers 204 (docs/groups.md)", async () => {
    const own = (await b.api.post("/Users", newUser("remove-unknown@x.test"))).body.id as string;
    const g = await group([own]);
    const res = await b.api.patch(`/Groups/${g.id}`, [{ op: "remove", path: "members", value: [{ value: "987654" }] }]);
    expect(res.status).toBe(204);
    expect((await b.api.get(`/Groups/${g.id}`)).body.members.map((m: { value: string }) => m.value)).toEqual([own]);
    expect(groupOf(own)).toBe(Number(g.id));
  });

  it("a group's externalId is not kept (docs/groups.md: no BigCommerce field for it)", async () => {
    const res = await b.api.post("/Groups", { schemas: [GROUP], displayName: "With external id", externalId: "ext-42" });
    expect(res.status).toBe(201);
    expect(res.body.externalId).toBeUndefined();
    expect((await b.api.get(`/Groups/${res.body.id}`)).body.externalId).toBeUndefined();
  });

  it("Okta rename with id in a no-path replace", async () => {
    const g = await group();
    const res = await b.api.patch(`/Groups/${g.id}`, [{ op: "replace", value: { id: g.id, displayName: "Renamed Team" } }]);
    expect(res.status).toBe(204);
    expect(store(b).groups.get(Number(g.id))!.name).toBe("Renamed Team");
  });

  it("Entra: Add with a value array and $ref null; Remove with a value array", async () => {
    const g = await group();
    await b.api.patch(`/Groups/${g.id}`, [{ op: "Add", path: "members", value: [{ $ref: null, value: users[4] }, { $ref: null, value: users[5] }] }]);
    expect(groupOf(users[4]!)).toBe(Number(g.id));
    expect(groupOf(users[5]!)).toBe(Number(g.id));
    await b.api.patch(`/Groups/${g.id}`, [{ op: "Remove", path: "members", value: [{ $ref: null, value: users[4] }] }]);
    expect(groupOf(users[4]!)).toBe(0);
    expect(groupOf(users[5]!)).toBe(Number(g.id));
  });

  it("replace members sets exactly that list; remove without a value clears all", async () => {
    const g = await group([users[0]!, users[1]!]);
    await b.api.patch(`/Groups/${g.id}`, [{ op: "replace", path: "members", value: [{ value: users[2] }] }]);
    expect((await b.api.get(`/Groups/${g.id}`)).body.members.map((m: { value: string }) => m.value)).toEqual([users[2]]);
    await b.api.patch(`/Groups/${g.id}`, [{ op: "remove", path: "members" }]);
    expect((await b.api.get(`/Groups/${g.id}`)).body.members).toEqual([]);
  });

  it("add then remove of the same member in one PATCH leaves it out", async () => {
    const g = await group();
    await b.api.patch(`/Groups/${g.id}`, [
      { op: "add", path: "members", value: [{ value: users[1] }] },
      { op: "remove", path: `members[value eq "${users[1]}"]` },
    ]);
    expect(groupOf(users[1]!)).not.toBe(Number(g.id));
  });

  it("joining a group moves the customer out of its previous one; a stale remove does not touch it", async () => {
    const a = await group([users[0]!]);
    const c = await group();
    await b.api.patch(`/Groups/${c.id}`, [{ op: "add", path: "members", value: [{ value: users[0] }] }]);
    expect(groupOf(users[0]!)).toBe(Number(c.id));
    await b.api.patch(`/Groups/${a.id}`, [{ op: "remove", path: `members[value eq "${users[0]}"]` }]);
    expect(groupOf(users[0]!)).toBe(Number(c.id));
  });

  it("PUT replaces name and members (Okta AIW)", async () => {
    const g = await group([users[0]!, users[1]!]);
    const res = await b.api.put(`/Groups/${g.id}`, { schemas: [GROUP], id: g.id, displayName: "Put Team", members: [{ value: users[1] }, { value: users[2] }] });
    expect(res.status).toBe(200);
    expect(res.body.displayName).toBe("Put Team");
    expect(res.body.members.map((m: { value: string }) => m.value).sort()).toEqual([users[1], users[2]].sort());
    expect(groupOf(users[0]!)).not.toBe(Number(g.id));
  });

  it("member values that are not customers are refused, naming them, and nothing of the PATCH is applied", async () => {
    const g = await group();
    const before = groupOf(users[5]!);
    const garbage = await b.api.patch(`/Groups/${g.id}`, [{ op: "add", path: "members", value: [{ value: "string id 1" }, { value: users[5] }] }]);
    expect(garbage.status).toBe(400);
    expect(garbage.body.scimType).toBe("invalidValue");
    expect(garbage.body.detail).toContain('"string id 1"');
    const unknown = await b.api.patch(`/Groups/${g.id}`, [
      { op: "replace", path: "displayName", value: "Never renamed" },
      { op: "add", path: "members", value: [{ value: "999999" }, { value: users[5] }] },
    ]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.scimType).toBe("invalidValue");
    expect(unknown.body.detail).toContain("999999");
    expect(unknown.body.detail).not.toContain(users[5]);
    expect(groupOf(users[5]!)).toBe(before);
    expect(store(b).groups.get(Number(g.id))!.name).toBe(g.displayName);
    // Removing someone who is no customer has nothing to undo: still 204.
    expect((await b.api.patch(`/Groups/${g.id}`, [{ op: "remove", path: "members", value: [{ value: "999999" }] }])).status).toBe(204);
  });

  it("DELETE removes the group, leaves its customers without a group, then 404", async () => {
    // A user in this group alone (one in other groups too falls back to them: group-precedence.test.ts).
    const only = (await b.api.post("/Users", newUser("member-of-deleted@x.test"))).body.id as string;
    const g = await group([only]);
    expect((await b.api.delete(`/Groups/${g.id}`)).status).toBe(204);
    expect(store(b).groups.get(Number(g.id))).toBeUndefined();
    expect(groupOf(only)).toBe(0);
    expect(store(b).customers.get(Number(only))).toBeDefined();
    expect((await b.api.get(`/Groups/${g.id}`)).status).toBe(404);
    expect((await b.api.delete(`/Groups/${g.id}`)).status).toBe(404);
  });

  it.each([
    ["no displayName", { schemas: [GROUP] }],
    ["an empty displayName", { schemas: [GROUP], displayName: "  " }],
  ])("POST with %s is 400", async (_name, body) => {
    const res = await b.api.post("/Groups", body);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
  });

  it("paginates groups", async () => {
    const all = await b.api.get("/Groups?startIndex=1&count=100&excludedAttributes=members");
    const page = await b.api.get("/Groups?startIndex=2&count=2&excludedAttributes=members");
    expect(page.body.totalResults).toBe(all.body.totalResults);
    expect(page.body.Resources.map((g: { id: string }) => g.id)).toEqual(all.body.Resources.slice(1, 3).map((g: { id: string }) => g.id));
  });
});

describe("groups: what must not happen", () => {
  it("a PUT without members keeps the members", async () => {
    const g = await group([users[4]!, users[5]!]);
    const res = await b.api.put(`/Groups/${g.id}`, { schemas: [GROUP], displayName: "Renamed Only" });
    expect(res.status).toBe(200);
    expect(groupOf(users[4]!)).toBe(Number(g.id));
    expect(groupOf(users[5]!)).toBe(Number(g.id));
  });

  it("listing groups with members costs one call for the groups, one per 250 members, one per 250 users in several groups", async () => {
    const { result, calls } = await countCalls(b, () => b.api.get("/Groups?startIndex=1&count=100"));
    expect(result.body.totalResults).toBeGreaterThan(5);
    // The users in several groups (this file's tests leave some) are read by id, 50 per call.
    expect(calls).toEqual(["GET /v2/customer_groups", "GET /v3/customers", "GET /v3/customers/attribute-values", "GET /v3/customers"]);
  });

  it("the store's default group cannot be deleted through SCIM", async () => {
    const def = store(b).groups.insert({ name: "Default Shoppers", is_default: true });
    const res = await b.api.delete(`/Groups/${def.id}`);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("mutability");
    expect(store(b).groups.get(def.id)).toBeDefined();
    store(b).groups.delete(def.id);
  });
});

describe("groups and deactivated users (SCIM_DEACTIVATED_GROUP_ID)", () => {
  it("membership changes of a parked user change where reactivation puts it; the parking group cannot be deleted", async () => {
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, async (own) => {
      const st = own.emulator.store("teststore");
      st.groups.insert({ name: "Deactivated" });
      const gold = st.groups.insert({ name: "Gold" }).id;
      const plat = st.groups.insert({ name: "Platinum" }).id;
      const u = (await own.api.post("/Users", newUser("parked.member@x.test", { "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer": { customerGroupId: gold } }))).body.id;
      await own.api.patch(`/Users/${u}`, [{ op: "replace", path: "active", value: false }]);
      expect(st.customers.get(Number(u))!.customer_group_id).toBe(1);
      // Removed from Gold while deactivated: stays parked, and will not come back to Gold.
      expect((await own.api.patch(`/Groups/${gold}`, [{ op: "remove", path: `members[value eq "${u}"]` }])).status).toBe(204);
      expect(st.customers.get(Number(u))!.customer_group_id).toBe(1);
      // Added to Platinum while deactivated: reactivation puts it there.
      await own.api.patch(`/Groups/${plat}`, [{ op: "add", path: "members", value: [{ value: u }] }]);
      expect(st.customers.get(Number(u))!.customer_group_id).toBe(1);
      await own.api.patch(`/Users/${u}`, [{ op: "replace", path: "active", value: true }]);
      expect(st.customers.get(Number(u))!.customer_group_id).toBe(plat);
      const del = await own.api.delete("/Groups/1");
      expect(del.status).toBe(400);
      expect(st.groups.get(1)).toBeDefined();
    });
  });
});

describe("stores whose plan has no customer groups", () => {
  it("list no groups (connection tests pass) and refuse group writes with 501", async () => {
    await withBridge({}, async (own) => {
      own.emulator.faults.add({ path: /^\/v2\/customer_groups/, status: 403, body: [{ status: 403, message: "You don't have a required scope to access the endpoint" }] });
      const list = await own.api.get("/Groups?startIndex=1&count=100");
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ totalResults: 0, Resources: [] });
      const created = await own.api.post("/Groups", { schemas: [GROUP], displayName: "X" });
      expect(created.status).toBe(501);
      expect(created.body.detail).toMatch(/not available/);
      expect((await own.api.get("/Groups/5")).status).toBe(404);
    });
  });
});
