import { describe, expect, it } from "vitest";
import { countCalls, createUser, newUser, store, useBridge, withBridge } from "./helpers.js";

/**
 * Group writes never answer success for something they did not write (issue 7): upstream
 * failures fail the request, and only references to users name customers.
 */
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const b = useBridge();

const groupOf = (id: string | number) => store(b).customers.get(Number(id))!.customer_group_id;
let n = 0;
const user = async () => (await createUser(b.api, `integrity${++n}@x.test`)).id;
async function group(name = `Integrity ${++n}`, members: unknown[] = []) {
  const res = await b.api.post("/Groups", { schemas: [GROUP], displayName: name, members });
  expect(res.status).toBe(201);
  return res.body as { id: string; displayName: string; members: { value: string }[] };
}

describe("item 1: membership on upstream errors", () => {
  it("PATCH add member while customer reads fail answers 503 and the retry writes it", async () => {
    const u = await user();
    const g = await group();
    b.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 503, count: 3 });
    const res = await b.api.patch(`/Groups/${g.id}`, [{ op: "add", path: "members", value: [{ value: u }] }]);
    b.emulator.faults.clear();
    expect(res.status).toBe(503);
    expect(groupOf(u)).not.toBe(Number(g.id));
    const retry = await b.api.patch(`/Groups/${g.id}`, [{ op: "add", path: "members", value: [{ value: u }] }]);
    expect(retry.status).toBe(204);
    expect(groupOf(u)).toBe(Number(g.id));
  });

  it("a member that is no customer of the store is refused (400 naming it) and nothing of the PATCH is applied", async () => {
    const u = await user();
    const g = await group();
    const { result: res, calls } = await countCalls(b, () =>
      b.api.patch(`/Groups/${g.id}`, [
        { op: "replace", path: "displayName", value: `Not renamed ${n}` },
        { op: "add", path: "members", value: [{ value: u }, { value: "999999" }, { value: "999998" }] },
      ]),
    );
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
    expect(res.body.detail).toContain("999998, 999999");
    expect(groupOf(u)).not.toBe(Number(g.id));
    expect(store(b).groups.get(Number(g.id))!.name).toBe(g.displayName);
    expect(calls.filter((c) => !c.startsWith("GET "))).toEqual([]);
    // The same on POST: no group is created.
    const post = await b.api.post("/Groups", { schemas: [GROUP], displayName: `Never made ${n}`, members: [{ value: "999999" }] });
    expect(post.status).toBe(400);
    expect(store(b).groups.all().some((x) => x.name === `Never made ${n}`)).toBe(false);
  });
});

describe("item 2: typed member references", () => {
  it("a member of type Group is refused and moves nobody", async () => {
    const victim = await user();
    const g = await group();
    const before = groupOf(victim);
    const res = await b.api.patch(`/Groups/${g.id}`, [{ op: "add", path: "members", value: [{ value: victim, type: "Group" }] }]);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
    expect(groupOf(victim)).toBe(before);
  });

  it("a $ref to /Groups/{id} is refused, on PATCH, PUT and POST", async () => {
    const victim = await user();
    const g = await group();
    const ref = { value: victim, $ref: `${b.url}/scim/v2/Groups/${victim}` };
    expect((await b.api.patch(`/Groups/${g.id}`, [{ op: "add", path: "members", value: [ref] }])).status).toBe(400);
    expect((await b.api.put(`/Groups/${g.id}`, { schemas: [GROUP], displayName: "Typed put", members: [ref] })).status).toBe(400);
    const post = await b.api.post("/Groups", { schemas: [GROUP], displayName: "Typed post", members: [ref] });
    expect(post.status).toBe(400);
    expect(post.body.scimType).toBe("invalidValue");
    expect(groupOf(victim)).toBe(0);
    expect(store(b).groups.all().some((x) => x.name === "Typed post")).toBe(false);
  });

  it("type User and a Users $ref (absolute or relative), or neither, name a customer", async () => {
    const [a, c, d] = [await user(), await user(), await user()];
    const g = await group();
    const res = await b.api.patch(`/Groups/${g.id}`, [
      {
        op: "add",
        path: "members",
        value: [{ value: a, type: "User" }, { value: c, $ref: `${b.url}/scim/v2/Users/${c}` }, { $ref: `Users/${d}` }],
      },
    ]);
    expect(res.status).toBe(204);
    expect([groupOf(a), groupOf(c), groupOf(d)]).toEqual([Number(g.id), Number(g.id), Number(g.id)]);
  });
});

describe("item 5: a retried POST /Groups converges", () => {
  it("after a 503 while adding members, the IdP's retry gets 201 with every member, not 409", async () => {
    const [a, c] = [await user(), await user()];
    const body = { schemas: [GROUP], displayName: "Retried Create", members: [{ value: a }, { value: c }] };
    b.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 503, count: 3 });
    const first = await b.api.post("/Groups", body);
    b.emulator.faults.clear();
    expect(first.status).toBe(503);
    const retry = await b.api.post("/Groups", body);
    expect(retry.status).toBe(201);
    expect(retry.body.members.map((m: { value: string }) => m.value).sort()).toEqual([a, c].sort());
    expect(store(b).groups.all().filter((g) => g.name === "Retried Create")).toHaveLength(1);
    // A later create of the same name is a real duplicate again.
    expect((await b.api.post("/Groups", body)).status).toBe(409);
  });
});

describe("item 7: /Groups filters on members", () => {
  it("members.value eq, members[value eq] and Entra's id eq … and members eq match groups with that member", async () => {
    const m = await user();
    const g = await group(`Filtered ${n}`, [{ value: m }]);
    await group(`Other ${n}`);
    for (const filter of [`members.value eq "${m}"`, `members[value eq "${m}"]`, `id eq "${g.id}" and members eq "${m}"`]) {
      const res = await b.api.get(`/Groups?filter=${encodeURIComponent(filter)}&excludedAttributes=members`);
      expect(res.status, filter).toBe(200);
      expect(res.body.Resources.map((x: { id: string }) => x.id), filter).toEqual([g.id]);
      expect(res.body.Resources[0].members, filter).toBeUndefined();
    }
    const none = await b.api.get(`/Groups?filter=${encodeURIComponent(`id eq "${g.id}" and members eq "999999"`)}`);
    expect(none.body.totalResults).toBe(0);
  });
});

describe("item 9: replacing members cancels the pending return of parked users", () => {
  it("a parked user removed by a replaced member list is not put back on reactivation", async () => {
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, async (own) => {
      store(own).groups.insert({ name: "Deactivated" });
      const team = (await own.api.post("/Groups", { schemas: [GROUP], displayName: "Team" })).body.id as string;
      const [kept, parked, parkedToo] = await Promise.all(
        ["kept", "parked", "parked.too"].map(async (name) => (await own.api.post("/Users", newUser(`${name}@x.test`))).body.id as string),
      );
      await own.api.patch(`/Groups/${team}`, [{ op: "add", path: "members", value: [{ value: kept }, { value: parked }, { value: parkedToo }] }]);
      for (const id of [parked, parkedToo]) await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }]);
      expect(store(own).customers.get(Number(parked))!.customer_group_id).toBe(1);
      // PUT with a member list, and PATCH replace, both replace the members.
      expect((await own.api.put(`/Groups/${team}`, { schemas: [GROUP], displayName: "Team", members: [{ value: kept }, { value: parkedToo }] })).status).toBe(200);
      expect((await own.api.patch(`/Groups/${team}`, [{ op: "replace", path: "members", value: [{ value: kept }] }])).status).toBe(204);
      for (const id of [parked, parkedToo]) await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }]);
      expect(store(own).customers.get(Number(parked))!.customer_group_id).toBe(0);
      expect(store(own).customers.get(Number(parkedToo))!.customer_group_id).toBe(0);
      expect(store(own).customers.get(Number(kept))!.customer_group_id).toBe(Number(team));
    });
  });
});

describe("replacing members counts each parked user once", () => {
  it("a member list that removes 260 parked users is within the bound (each is one move) and cancels every return", async () => {
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, async (own) => {
      const s = store(own);
      s.groups.insert({ name: "Deactivated" });
      const team = (await own.api.post("/Groups", { schemas: [GROUP], displayName: "Team" })).body.id as string;
      const attribute = (name: string) => s.attributes.all().find((a) => a.name === name)!.id;
      const [active, returnsTo] = [attribute("scim_active"), attribute("scim_group_before_deactivation")];
      // Deactivated users parked in group 1 who return to Team on reactivation.
      const parked = Array.from({ length: 260 }, (_, i) => {
        const id = s.customers.insert({ email: `parked${i}@x.test`, first_name: "P", last_name: "K", customer_group_id: 1 }).id;
        s.attributeValues.insert({ customer_id: id, attribute_id: active, attribute_value: "false" });
        s.attributeValues.insert({ customer_id: id, attribute_id: returnsTo, attribute_value: team });
        return id;
      });
      const res = await own.api.put(`/Groups/${team}`, { schemas: [GROUP], displayName: "Team", members: [] });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      for (const id of parked) expect(s.attributeValues.find(id, returnsTo)?.attribute_value ?? "0").toBe("0");
    });
  });
});

describe("a failed group write leaves the group's name as it was", () => {
  it("PATCH rename + add member while customer reads fail: 503 and the name is unchanged", async () => {
    const u = await user();
    const g = await group(`Before ${n}`);
    const before = store(b).groups.get(Number(g.id))!.name;
    b.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 503, count: 3 });
    const res = await b.api.patch(`/Groups/${g.id}`, [
      { op: "replace", path: "displayName", value: `After ${n}` },
      { op: "add", path: "members", value: [{ value: u }] },
    ]);
    b.emulator.faults.clear();
    expect(res.status).toBe(503);
    expect(store(b).groups.get(Number(g.id))!.name).toBe(before);
    expect(groupOf(u)).not.toBe(Number(g.id));
  });

  it("PUT rename + member list while a member move fails: 503 and the name is unchanged", async () => {
    const u = await user();
    const g = await group(`Put before ${n}`);
    const before = store(b).groups.get(Number(g.id))!.name;
    b.emulator.faults.add({ method: "PUT", path: "/v3/customers", status: 503, count: 3 });
    const res = await b.api.put(`/Groups/${g.id}`, { schemas: [GROUP], displayName: `Put after ${n}`, members: [{ value: u }] });
    b.emulator.faults.clear();
    expect(res.status).toBe(503);
    expect(store(b).groups.get(Number(g.id))!.name).toBe(before);
  });
});
