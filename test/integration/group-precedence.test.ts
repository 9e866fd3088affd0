import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { api, BC, countCalls, createUser, newUser, startBridge, store, useBridge, withBridge, type Api } from "./helpers.js";

/**
 * Issue 18, item 3: a user in several SCIM groups gets the customer group the mapping file's
 * `groupPrecedence` ranks first, whatever the push order; every group it is in still lists it;
 * removing the effective group falls back to the next one; removing the last leaves group 0.
 */
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

function mappingFile(document: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "precedence-")), "mapping.json");
  writeFileSync(path, JSON.stringify(document));
  return path;
}

async function makeGroup(a: Api, name: string): Promise<string> {
  const res = await a.post("/Groups", { schemas: [GROUP], displayName: name });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const add = (a: Api, group: string, user: string) => a.patch(`/Groups/${group}`, [{ op: "add", path: "members", value: [{ value: user }] }]);
const remove = (a: Api, group: string, user: string) => a.patch(`/Groups/${group}`, [{ op: "remove", path: `members[value eq "${user}"]` }]);
const memberIds = async (a: Api, group: string) => ((await a.get(`/Groups/${group}`)).body.members as { value: string }[]).map((m) => m.value).sort();

describe("with groupPrecedence [Wholesale, Retail]", () => {
  const precedenceFile = mappingFile({ groupPrecedence: ["wholesale", "Retail"] });
  const b = useBridge({ SCIM_MAPPING_FILE: precedenceFile });
  const groupOf = (id: string) => store(b).customers.get(Number(id))!.customer_group_id;
  let n = 0;
  const user = async () => (await createUser(b.api, `precedence${++n}@x.test`)).id;

  it("the push order does not change the outcome, and both groups list the user", async () => {
    const wholesale = await makeGroup(b.api, "Wholesale");
    const retail = await makeGroup(b.api, "Retail");
    const [first, second] = [await user(), await user()];
    // Opposite orders, one PATCH per membership as Okta and Entra push them.
    expect((await add(b.api, retail, first)).status).toBe(204);
    expect((await add(b.api, wholesale, first)).status).toBe(204);
    expect((await add(b.api, wholesale, second)).status).toBe(204);
    expect((await add(b.api, retail, second)).status).toBe(204);
    expect(groupOf(first)).toBe(Number(wholesale));
    expect(groupOf(second)).toBe(Number(wholesale));

    expect(await memberIds(b.api, wholesale)).toEqual([first, second].sort());
    expect(await memberIds(b.api, retail)).toEqual([first, second].sort());
    for (const filter of [`members[value eq "${first}"]`, `members.value eq "${second}"`]) {
      const found = await b.api.get(`/Groups?filter=${encodeURIComponent(filter)}&excludedAttributes=members`);
      expect(found.body.Resources.map((g: { id: string }) => g.id).sort(), filter).toEqual([wholesale, retail].sort());
      expect(found.body.Resources[0].members).toBeUndefined();
    }
    const entra = await b.api.get(`/Groups?filter=${encodeURIComponent(`id eq "${retail}" and members eq "${first}"`)}&excludedAttributes=members`);
    expect(entra.body.totalResults).toBe(1);
    const shown = (await b.api.get(`/Users/${first}`)).body.groups as { value: string; display: string }[];
    expect(shown.map((g) => g.value).sort()).toEqual([wholesale, retail].sort());
    expect(shown.find((g) => g.value === retail)?.display).toBe("Retail");

    // A /Users filter on groups finds the users of a group that is not their customer group too.
    for (const filter of [`groups.value eq "${retail}"`, `groups[value eq "${retail}"]`]) {
      const users = await b.api.get(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(users.body.Resources.map((u: { id: string }) => u.id).sort(), filter).toEqual([first, second].sort());
    }

    // The IdP's re-push of a membership it already pushed changes nothing.
    expect((await add(b.api, retail, first)).status).toBe(204);
    expect(groupOf(first)).toBe(Number(wholesale));
  });

  it("a listed group beats an unlisted one; removing the effective group falls back; the last removal leaves group 0", async () => {
    const wholesale = (await b.api.get(`/Groups?filter=${encodeURIComponent('displayName eq "Wholesale"')}`)).body.Resources[0].id as string;
    const retail = (await b.api.get(`/Groups?filter=${encodeURIComponent('displayName eq "Retail"')}`)).body.Resources[0].id as string;
    const other = await makeGroup(b.api, "Other");
    const u = await user();
    await add(b.api, retail, u);
    await add(b.api, other, u);
    expect(groupOf(u)).toBe(Number(retail));
    await add(b.api, wholesale, u);
    expect(groupOf(u)).toBe(Number(wholesale));

    expect((await remove(b.api, wholesale, u)).status).toBe(204);
    expect(groupOf(u)).toBe(Number(retail));
    expect(await memberIds(b.api, wholesale)).not.toContain(u);
    expect(await memberIds(b.api, other)).toContain(u);

    // Entra's Remove with a value array.
    await b.api.patch(`/Groups/${retail}`, [{ op: "Remove", path: "members", value: [{ value: u }] }]);
    expect(groupOf(u)).toBe(Number(other));
    await remove(b.api, other, u);
    expect(groupOf(u)).toBe(0);
    expect((await b.api.get(`/Users/${u}`)).body.groups).toBeUndefined();
    expect(await memberIds(b.api, other)).not.toContain(u);
  });

  it("a PUT that leaves the user out of the effective group falls back to the next one", async () => {
    const wholesale = (await b.api.get(`/Groups?filter=${encodeURIComponent('displayName eq "Wholesale"')}`)).body.Resources[0].id as string;
    const retail = (await b.api.get(`/Groups?filter=${encodeURIComponent('displayName eq "Retail"')}`)).body.Resources[0].id as string;
    const [u, stays] = [await user(), await user()];
    await add(b.api, wholesale, u);
    await add(b.api, retail, u);
    const before = await memberIds(b.api, wholesale);
    const put = await b.api.put(`/Groups/${wholesale}`, {
      schemas: [GROUP],
      displayName: "Wholesale",
      members: [...before.filter((id) => id !== u), stays].map((value) => ({ value })),
    });
    expect(put.status).toBe(200);
    expect(groupOf(u)).toBe(Number(retail));
    expect(groupOf(stays)).toBe(Number(wholesale));
    expect(await memberIds(b.api, retail)).toContain(u);
  });

  it("memberships live in the store: a second bridge (a restart, another replica) sees them and falls back right", async () => {
    const wholesale = (await b.api.get(`/Groups?filter=${encodeURIComponent('displayName eq "Wholesale"')}`)).body.Resources[0].id as string;
    const retail = (await b.api.get(`/Groups?filter=${encodeURIComponent('displayName eq "Retail"')}`)).body.Resources[0].id as string;
    const u = await user();
    await add(b.api, wholesale, u);
    await add(b.api, retail, u);
    const other = await startBridge({ SCIM_MAPPING_FILE: precedenceFile }, {}, { emulator: b.emulator });
    try {
      const a = api(other);
      expect(await memberIds(a, retail)).toContain(u);
      expect((await remove(a, wholesale, u)).status).toBe(204);
      expect(groupOf(u)).toBe(Number(retail));
    } finally {
      await other.close();
    }
  });
});

describe("without a precedence list", () => {
  const b = useBridge();
  const groupOf = (id: string) => store(b).customers.get(Number(id))!.customer_group_id;

  it("the most recent membership wins, and removing it falls back to the one before", async () => {
    const [a, c, d] = [await makeGroup(b.api, "A"), await makeGroup(b.api, "C"), await makeGroup(b.api, "D")];
    const u = (await createUser(b.api, "recent@x.test")).id;
    for (const g of [a, c, d]) await add(b.api, g, u);
    expect(groupOf(u)).toBe(Number(d));
    expect(await memberIds(b.api, a)).toEqual([u]);
    await remove(b.api, d, u);
    expect(groupOf(u)).toBe(Number(c));
    // Removing a group that is not the effective one moves nobody.
    await remove(b.api, a, u);
    expect(groupOf(u)).toBe(Number(c));
    await remove(b.api, c, u);
    expect(groupOf(u)).toBe(0);
  });

  it("a group deleted since it was joined is skipped by the fallback", async () => {
    const [a, c, d] = [await makeGroup(b.api, "Kept"), await makeGroup(b.api, "Deleted later"), await makeGroup(b.api, "Last")];
    const u = (await createUser(b.api, "fallback@x.test")).id;
    for (const g of [a, c, d]) await add(b.api, g, u);
    expect((await b.api.delete(`/Groups/${c}`)).status).toBe(204);
    expect((await remove(b.api, d, u)).status).toBe(204);
    expect(groupOf(u)).toBe(Number(a));
  });
});

describe("with the deactivated group (SCIM_DEACTIVATED_GROUP_ID)", () => {
  it("reactivation restores the effective group of the memberships the IdP changed meanwhile", async () => {
    await withBridge(
      { SCIM_DEACTIVATED_GROUP_ID: "1", SCIM_MAPPING_FILE: mappingFile({ groupPrecedence: ["Wholesale", "Retail"] }) },
      async (own) => {
        store(own).groups.insert({ name: "Deactivated" });
        const groupOf = (id: string) => store(own).customers.get(Number(id))!.customer_group_id;
        const wholesale = await makeGroup(own.api, "Wholesale");
        const retail = await makeGroup(own.api, "Retail");
        const u = (await own.api.post("/Users", newUser("parked.one@x.test"))).body.id as string;
        const v = (await own.api.post("/Users", newUser("parked.two@x.test"))).body.id as string;
        for (const id of [u, v]) {
          await add(own.api, retail, id);
          await add(own.api, wholesale, id);
          expect((await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
          expect(groupOf(id)).toBe(1);
        }
        // While parked: u leaves its effective group; v leaves Retail and rejoins it.
        expect((await remove(own.api, wholesale, u)).status).toBe(204);
        await remove(own.api, retail, v);
        await add(own.api, retail, v);
        expect(groupOf(u)).toBe(1);
        expect(await memberIds(own.api, retail)).toEqual([u, v].sort());
        for (const id of [u, v]) expect((await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }])).status).toBe(200);
        expect(groupOf(u)).toBe(Number(retail));
        expect(groupOf(v)).toBe(Number(wholesale));
      },
    );
  });
});

describe("a parked user is a member of the groups it returns to", () => {
  it("alone in one group or in several: the Group, its member filters, the user's groups and a /Users groups filter agree", async () => {
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, async (own) => {
      store(own).groups.insert({ name: "Deactivated" });
      const solo = await makeGroup(own.api, "Solo");
      const other = await makeGroup(own.api, "Elsewhere");
      const make = async (email: string) => (await own.api.post("/Users", newUser(email))).body.id as string;
      const [alone, multi, active] = [await make("parked.alone@x.test"), await make("parked.multi@x.test"), await make("still.active@x.test")];
      await add(own.api, solo, alone);
      await add(own.api, other, multi);
      await add(own.api, solo, multi);
      await add(own.api, solo, active);
      for (const id of [alone, multi]) {
        expect((await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
        expect(store(own).customers.get(Number(id))!.customer_group_id).toBe(1);
      }
      const members = [alone, multi, active].sort();

      expect(await memberIds(own.api, solo)).toEqual(members);
      const shown = async (id: string) => ((await own.api.get(`/Users/${id}`)).body.groups as { value: string }[]).map((g) => g.value).sort();
      expect(await shown(alone)).toEqual(["1", solo].sort());
      expect(await shown(multi)).toEqual(["1", solo, other].sort());
      const groupsNaming = await own.api.get(`/Groups?filter=${encodeURIComponent(`members[value eq "${alone}"]`)}&excludedAttributes=members`);
      expect(groupsNaming.body.Resources.map((g: { id: string }) => g.id).sort()).toEqual(["1", solo].sort());
      const entra = await own.api.get(`/Groups?filter=${encodeURIComponent(`id eq "${solo}" and members eq "${alone}"`)}&excludedAttributes=members`);
      expect(entra.body.totalResults).toBe(1);

      for (const filter of [`groups.value eq "${solo}"`, `groups[value eq "${solo}"]`]) {
        const { result, calls } = await countCalls(own, () => own.api.get(`/Users?filter=${encodeURIComponent(filter)}`));
        expect(result.body.Resources.map((u: { id: string }) => u.id).sort(), filter).toEqual(members);
        // The customer group listing, one attribute-values listing (memberships and return groups
        // together) and one id:in read of the customers it found: as for users in several groups.
        expect(calls.sort(), filter).toEqual(["GET /v3/customers", "GET /v3/customers", "GET /v3/customers/attribute-values"]);
      }
      const inactive = await own.api.get(`/Users?filter=${encodeURIComponent(`groups.value eq "${solo}" and active eq false`)}`);
      expect(inactive.body.Resources.map((u: { id: string }) => u.id).sort()).toEqual([alone, multi].sort());
      // The parking group lists them too, as their customer group.
      const parked = await own.api.get(`/Users?filter=${encodeURIComponent('groups.value eq "1"')}`);
      expect(parked.body.Resources.map((u: { id: string }) => u.id).sort()).toEqual([alone, multi].sort());

      // Back from parking, the same memberships, and no longer in the parking group.
      expect((await own.api.patch(`/Users/${alone}`, [{ op: "replace", path: "active", value: true }])).status).toBe(200);
      expect(await shown(alone)).toEqual([solo]);
      expect(await memberIds(own.api, solo)).toEqual(members);
    });
  });
});

describe("writing customerGroupId directly", () => {
  const b = useBridge();
  const groupOf = (id: string) => store(b).customers.get(Number(id))!.customer_group_id;
  const setGroup = (id: string, group: string | number) => b.api.patch(`/Users/${id}`, [{ op: "replace", path: `${BC}:customerGroupId`, value: Number(group) }]);

  it("is refused (400 mutability, nothing changed) for a user in several groups, unless it names the effective group", async () => {
    const [x, y, z] = [await makeGroup(b.api, "X"), await makeGroup(b.api, "Y"), await makeGroup(b.api, "Z")];
    const u = (await createUser(b.api, "direct.multi@x.test")).id;
    await add(b.api, x, u);
    await add(b.api, y, u);
    expect(groupOf(u)).toBe(Number(y));
    const memberships = store(b).attributes.all().find((a) => a.name === "scim_groups")!.id;
    const stored = () => store(b).attributeValues.find(Number(u), memberships)?.attribute_value;
    const before = stored();

    for (const attempt of [
      () => setGroup(u, z),
      () => setGroup(u, x),
      () => setGroup(u, 0),
      () => b.api.patch(`/Users/${u}`, [{ op: "remove", path: BC }]),
    ]) {
      const refused = await attempt();
      expect(refused.status).toBe(400);
      expect(refused.body.scimType).toBe("mutability");
      expect(refused.body.detail).toMatch(/customerGroupId.*\/Groups/);
      expect(groupOf(u)).toBe(Number(y));
      expect(stored()).toBe(before);
    }
    // The effective group itself, or a PUT of the user as shown, changes nothing and is fine.
    expect((await setGroup(u, y)).status).toBe(200);
    const shown = (await b.api.get(`/Users/${u}`)).body;
    expect((await b.api.put(`/Users/${u}`, shown)).status).toBe(200);
    // A later removal still falls back to the right group.
    expect((await remove(b.api, y, u)).status).toBe(204);
    expect(groupOf(u)).toBe(Number(x));
    expect(((await b.api.get(`/Users/${u}`)).body.groups as { value: string }[]).map((g) => g.value)).toEqual([x]);
  });

  it("moves a user in one group: its old group no longer lists it, the new one does", async () => {
    const [from, to] = [await makeGroup(b.api, "From"), await makeGroup(b.api, "To")];
    const u = (await createUser(b.api, "direct.single@x.test")).id;
    await add(b.api, from, u);
    const moved = await setGroup(u, to);
    expect(moved.status).toBe(200);
    expect(groupOf(u)).toBe(Number(to));
    expect((moved.body.groups as { value: string }[]).map((g) => g.value)).toEqual([to]);
    expect(await memberIds(b.api, from)).toEqual([]);
    expect(await memberIds(b.api, to)).toEqual([u]);
    const found = await b.api.get(`/Users?filter=${encodeURIComponent(`groups.value eq "${from}"`)}`);
    expect(found.body.totalResults).toBe(0);
  });

  it("is refused for a parked user in several groups; a parked user in one group returns to the group written", async () => {
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, async (own) => {
      store(own).groups.insert({ name: "Deactivated" });
      const [p, q, r] = [await makeGroup(own.api, "P"), await makeGroup(own.api, "Q"), await makeGroup(own.api, "R")];
      const make = async (email: string) => (await own.api.post("/Users", newUser(email))).body.id as string;
      const [multi, single] = [await make("parked.direct.multi@x.test"), await make("parked.direct.single@x.test")];
      await add(own.api, p, multi);
      await add(own.api, q, multi);
      await add(own.api, p, single);
      for (const id of [multi, single]) expect((await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
      const write = (id: string, group: string) => own.api.patch(`/Users/${id}`, [{ op: "replace", path: `${BC}:customerGroupId`, value: Number(group) }]);

      const refused = await write(multi, r);
      expect(refused.status).toBe(400);
      expect(refused.body.scimType).toBe("mutability");
      expect((await write(single, r)).status).toBe(200);
      expect(await memberIds(own.api, p)).toEqual([multi]);
      expect(await memberIds(own.api, r)).toEqual([single]);
      for (const id of [multi, single]) expect((await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }])).status).toBe(200);
      expect(store(own).customers.get(Number(multi))!.customer_group_id).toBe(Number(q));
      expect(store(own).customers.get(Number(single))!.customer_group_id).toBe(Number(r));
    });
  });
});

describe("deleting a group (DELETE /Groups/{id})", () => {
  it("takes every member out first: the effective group falls back by precedence, parked users return to the next group", async () => {
    await withBridge(
      { SCIM_DEACTIVATED_GROUP_ID: "1", SCIM_MAPPING_FILE: mappingFile({ groupPrecedence: ["Alpha", "Beta"] }) },
      async (own) => {
        store(own).groups.insert({ name: "Deactivated" });
        const groupOf = (id: string) => store(own).customers.get(Number(id))!.customer_group_id;
        const alpha = await makeGroup(own.api, "Alpha");
        const beta = await makeGroup(own.api, "Beta");
        const make = async (email: string) => (await own.api.post("/Users", newUser(email))).body.id as string;
        const [u, parked, alone, parkedAlone] = [await make("del.u@x.test"), await make("del.parked@x.test"), await make("del.alone@x.test"), await make("del.parked.alone@x.test")];
        for (const id of [u, parked]) {
          await add(own.api, beta, id);
          await add(own.api, alpha, id);
          expect(groupOf(id)).toBe(Number(alpha));
        }
        await add(own.api, alpha, alone);
        await add(own.api, alpha, parkedAlone);
        for (const id of [parked, parkedAlone]) {
          expect((await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
          expect(groupOf(id)).toBe(1);
        }

        expect((await own.api.delete(`/Groups/${alpha}`)).status).toBe(204);
        expect((await own.api.get(`/Groups/${alpha}`)).status).toBe(404);
        expect(groupOf(u)).toBe(Number(beta));
        expect(groupOf(alone)).toBe(0);
        const groups = (await own.api.get(`/Users/${u}`)).body.groups as { value: string }[];
        expect(groups.map((g) => g.value)).toEqual([beta]);
        expect((await own.api.get(`/Users/${alone}`)).body.groups).toBeUndefined();
        expect(await memberIds(own.api, beta)).toEqual([u, parked].sort());

        // The parked users stay parked, and come back in the next group (or in none).
        expect(groupOf(parked)).toBe(1);
        for (const id of [parked, parkedAlone]) expect((await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }])).status).toBe(200);
        expect(groupOf(parked)).toBe(Number(beta));
        expect(groupOf(parkedAlone)).toBe(0);
        expect(((await own.api.get(`/Users/${parked}`)).body.groups as { value: string }[]).map((g) => g.value)).toEqual([beta]);
      },
    );
  });

  it("a failed member move leaves the group and the members not yet moved; the IdP's retry finishes the delete", async () => {
    await withBridge({ SCIM_MAPPING_FILE: mappingFile({ groupPrecedence: ["Gamma", "Delta"] }) }, async (own) => {
      const groupOf = (id: string) => store(own).customers.get(Number(id))!.customer_group_id;
      const gamma = await makeGroup(own.api, "Gamma");
      const delta = await makeGroup(own.api, "Delta");
      const u = (await createUser(own.api, "del.retry@x.test")).id;
      await add(own.api, delta, u);
      await add(own.api, gamma, u);
      own.emulator.faults.add({ method: "PUT", path: "/v3/customers", status: 503, count: 3 });
      const failed = await own.api.delete(`/Groups/${gamma}`);
      own.emulator.faults.clear();
      expect(failed.status).toBe(503);
      expect(store(own).groups.get(Number(gamma))).toBeDefined();
      expect(groupOf(u)).toBe(Number(gamma));
      expect(await memberIds(own.api, gamma)).toEqual([u]);

      expect((await own.api.delete(`/Groups/${gamma}`)).status).toBe(204);
      expect(groupOf(u)).toBe(Number(delta));
      expect(await memberIds(own.api, delta)).toEqual([u]);
    });
  });

  it("is refused (413, nothing changed) when more than 500 members need a move; members of the group alone do not count", async () => {
    await withBridge({}, async (own) => {
      const s = store(own);
      const big = await makeGroup(own.api, "Big");
      const other = await makeGroup(own.api, "Other");
      const memberships = s.attributes.all().find((a) => a.name === "scim_groups")!.id;
      const seed = (prefix: string, count: number) =>
        Array.from({ length: count }, (_, i) => s.customers.insert({ email: `${prefix}${i}@x.test`, first_name: "M", last_name: "G", customer_group_id: Number(big) }).id);
      // 600 shoppers in Big alone: the delete leaves them in no group, as before.
      seed("alone", 600);
      const multi = seed("multi", 501);
      for (const id of multi) s.attributeValues.insert({ customer_id: id, attribute_id: memberships, attribute_value: `${other},${big}` });

      const refused = await own.api.delete(`/Groups/${big}`);
      expect(refused.status).toBe(413);
      expect(refused.body.detail).toMatch(/501 members/);
      expect(s.groups.get(Number(big))).toBeDefined();
      expect(multi.every((id) => s.customers.get(id)!.customer_group_id === Number(big))).toBe(true);
      expect(s.attributeValues.find(multi[0]!, memberships)?.attribute_value).toBe(`${other},${big}`);

      // Within the bound once the IdP has removed one of them.
      expect((await remove(own.api, big, String(multi[0]))).status).toBe(204);
      expect((await own.api.delete(`/Groups/${big}`)).status).toBe(204);
      expect(multi.every((id) => s.customers.get(id)!.customer_group_id === Number(other))).toBe(true);
      expect(s.customers.where((c) => c.customer_group_id === Number(big))).toHaveLength(0);
    });
  });

  it("finds the members to move in one attribute-values listing; a stale return group on a member of another group is left alone, with no write", async () => {
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, async (own) => {
      const s = store(own);
      s.groups.insert({ name: "Deactivated" });
      const groupOf = (id: string) => s.customers.get(Number(id))!.customer_group_id;
      const [doomed, kept] = [await makeGroup(own.api, "Doomed"), await makeGroup(own.api, "Kept")];
      const make = async (email: string) => (await own.api.post("/Users", newUser(email))).body.id as string;
      const [multi, parked, stale, alone] = [await make("one.multi@x.test"), await make("one.parked@x.test"), await make("one.stale@x.test"), await make("one.alone@x.test")];
      await add(own.api, kept, multi);
      await add(own.api, doomed, multi);
      await add(own.api, doomed, parked);
      await add(own.api, kept, stale);
      await add(own.api, doomed, alone);
      expect((await own.api.patch(`/Users/${parked}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
      // A return group left behind by an earlier reactivation (its clean-up lost): the customer
      // is in Kept alone, active, and no member of Doomed.
      const returnGroup = s.attributes.all().find((a) => a.name === "scim_group_before_deactivation")!.id;
      s.attributeValues.insert({ customer_id: Number(stale), attribute_id: returnGroup, attribute_value: doomed });
      const staleBefore = structuredClone(s.customers.get(Number(stale)));
      expect(await memberIds(own.api, doomed)).toEqual([multi, parked, alone].sort());

      const { result, calls } = await countCalls(own, () => own.api.delete(`/Groups/${doomed}`));
      expect(result.status).toBe(204);
      // The group, one listing of both stored values (memberships and return groups), one id:in
      // read of the customers it names: no listing of the parked customers of their own.
      expect(calls.filter((c) => c.startsWith("GET ")).sort()).toEqual([`GET /v2/customer_groups/${doomed}`, "GET /v3/customers", "GET /v3/customers/attribute-values"]);
      // Writes for the two members only: Multi's memberships and group, Parked's return group.
      const items = (method: string, path: string) =>
        own.emulator.requests.filter((r) => r.method === method && r.path.endsWith(path) && r.status < 300).reduce((n, r) => n + (r.items ?? 0), 0);
      expect(items("PUT", "/v3/customers/attribute-values")).toBe(2);
      expect(items("PUT", "/v3/customers")).toBe(1);
      expect(calls.filter((c) => !c.startsWith("GET ") && !c.startsWith("PUT ")).sort()).toEqual([`DELETE /v2/customer_groups/${doomed}`]);
      expect(groupOf(multi)).toBe(Number(kept));
      expect(groupOf(alone)).toBe(0);
      expect(groupOf(parked)).toBe(1);
      expect(s.customers.get(Number(stale))).toEqual(staleBefore);
      expect(s.attributeValues.find(Number(stale), returnGroup)?.attribute_value).toBe(doomed);
      // The value left behind names a group the bridge deleted: neither its groups nor the filter report it.
      expect(((await own.api.get(`/Users/${stale}`)).body.groups as { value: string }[]).map((g) => g.value)).toEqual([kept]);
      const filtered = await countCalls(own, () => own.api.get(`/Users?filter=${encodeURIComponent(`groups.value eq "${doomed}"`)}`));
      expect(filtered.result.body.totalResults).toBe(0);
      expect(filtered.calls).toEqual(["GET /v3/customers"]);
      expect(((await own.api.get(`/Users/${multi}`)).body.groups as { value: string }[]).map((g) => g.value)).toEqual([kept]);
      expect((await own.api.patch(`/Users/${parked}`, [{ op: "replace", path: "active", value: true }])).status).toBe(200);
      expect(groupOf(parked)).toBe(0);
    });
  });
});
