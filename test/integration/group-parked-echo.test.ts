import { describe, expect, it } from "vitest";
import { BC, countCalls, newUser, store, withBridge, type Api } from "./helpers.js";

/**
 * A parked user in several groups as the IdPs' own flows meet it (second review of "a parked user
 * is a member of the group it returns to"): Okta's GET-merge-PUT echoes `customerGroupId` as read,
 * which is the deactivated group while parked; the `groups.value` filter's one attribute-values
 * listing pages past 250 values and never reads a failure as "no members".
 */
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PARKING = { SCIM_DEACTIVATED_GROUP_ID: "1" };

async function makeGroup(a: Api, name: string): Promise<string> {
  const res = await a.post("/Groups", { schemas: [GROUP], displayName: name });
  expect(res.status).toBe(201);
  return res.body.id as string;
}
const add = (a: Api, group: string, user: string) => a.patch(`/Groups/${group}`, [{ op: "add", path: "members", value: [{ value: user }] }]);
const byGroup = (group: string | number) => `/Users?filter=${encodeURIComponent(`groups.value eq "${group}"`)}`;

describe("Okta (App Integration Wizard): every change is a PUT of the user as read", () => {
  it("deactivates, updates while parked and reactivates a user in two groups; a stale echo changes nothing", async () => {
    await withBridge(PARKING, async (own) => {
      store(own).groups.insert({ name: "Deactivated" });
      const groupOf = (id: string) => store(own).customers.get(Number(id))!.customer_group_id;
      const [p, q] = [await makeGroup(own.api, "P"), await makeGroup(own.api, "Q")];
      const u = (await own.api.post("/Users", newUser("aiw.multi@x.test"))).body.id as string;
      await add(own.api, p, u);
      await add(own.api, q, u);
      const effective = groupOf(u);
      const read = async () => (await own.api.get(`/Users/${u}`)).body as Record<string, unknown>;

      expect((await own.api.put(`/Users/${u}`, { ...(await read()), active: false })).status).toBe(200);
      expect(groupOf(u)).toBe(1);
      const parked = await read();
      const renamed = await own.api.put(`/Users/${u}`, { ...parked, name: { givenName: "New", familyName: "Name" } });
      expect(renamed.status).toBe(200);
      expect(groupOf(u)).toBe(1);
      expect(((renamed.body.groups as { value: string }[]).map((g) => g.value)).sort()).toEqual(["1", p, q].sort());

      const asRead = await read();
      expect((await own.api.put(`/Users/${u}`, { ...asRead, active: true })).status).toBe(200);
      expect(groupOf(u)).toBe(effective);
      // The same PUT again (a retry whose first answer was lost) echoes the parked state: the
      // deactivated group is no group a write moves a user to, so nothing changes (no refusal
      // of a group the IdP never meant to write, which it would retry for ever).
      const retried = await own.api.put(`/Users/${u}`, { ...asRead, active: true });
      expect(retried.status).toBe(200);
      expect((retried.body[BC] as { customerGroupId: number }).customerGroupId).toBe(effective);
      expect(groupOf(u)).toBe(effective);
      expect(((retried.body.groups as { value: string }[]).map((g) => g.value)).sort()).toEqual([p, q].sort());
    });
  });
});

describe("the groups.value filter's attribute-values listing", () => {
  it("pages past 250 values of memberships and return groups together", async () => {
    await withBridge(PARKING, async (own) => {
      const s = store(own);
      s.groups.insert({ name: "Deactivated" });
      const [g, h] = [Number(await makeGroup(own.api, "G")), Number(await makeGroup(own.api, "H"))];
      const seed = (await own.api.post("/Users", newUser("seed@x.test"))).body.id as string;
      await add(own.api, String(g), seed);
      await add(own.api, String(h), seed);
      expect((await own.api.patch(`/Users/${seed}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
      const attribute = (name: string) => s.attributes.all().find((a) => a.name === name)!.id;
      const [active, returnsTo, memberships] = [attribute("scim_active"), attribute("scim_group_before_deactivation"), attribute("scim_groups")];
      const expected = [Number(seed)];
      for (let i = 0; i < 200; i++) {
        const c = s.customers.insert({ email: `parked${i}@x.test`, first_name: "P", last_name: "K", customer_group_id: 1 });
        s.attributeValues.insert({ attribute_id: active, customer_id: c.id, attribute_value: "false" });
        s.attributeValues.insert({ attribute_id: returnsTo, customer_id: c.id, attribute_value: String(i % 2 ? g : h) });
        if (i % 2) expected.push(c.id);
      }
      for (let i = 0; i < 200; i++) {
        const c = s.customers.insert({ email: `multi${i}@x.test`, first_name: "M", last_name: "G", customer_group_id: h });
        s.attributeValues.insert({ attribute_id: memberships, customer_id: c.id, attribute_value: `${g},${h}` });
        expected.push(c.id);
      }
      const { result, calls } = await countCalls(own, () => own.api.get(`${byGroup(g)}&count=250&attributes=id`));
      expect(result.status).toBe(200);
      expect(result.body.totalResults).toBe(expected.length);
      // 402 values: two pages of the one listing.
      expect(calls.filter((c) => c === "GET /v3/customers/attribute-values")).toHaveLength(2);
      const rest = await own.api.get(`${byGroup(g)}&count=250&startIndex=251&attributes=id`);
      const ids = [...result.body.Resources, ...rest.body.Resources].map((u: { id: string }) => Number(u.id));
      expect(ids.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    });
  });

  it("answers an error, never an empty list, when the listing fails", async () => {
    await withBridge(PARKING, async (own) => {
      store(own).groups.insert({ name: "Deactivated" });
      const p = await makeGroup(own.api, "P");
      const u = (await own.api.post("/Users", newUser("listing.fails@x.test"))).body.id as string;
      await add(own.api, p, u);
      for (const status of [500, 403]) {
        const fault = own.emulator.faults.add({ method: "GET", path: "/v3/customers/attribute-values", status, body: { status, title: "failed" } });
        const res = await own.api.get(byGroup(p));
        own.emulator.faults.remove(fault);
        expect(res.status, String(status)).toBeGreaterThanOrEqual(500);
        expect(res.body.Resources).toBeUndefined();
      }
      expect((await own.api.get(byGroup(p))).body.totalResults).toBe(1);
    });
  });
});
