import { describe, expect, it } from "vitest";
import { BC, countCalls, newUser, store, withBridge, type Api, type RunningBridge } from "./helpers.js";

/**
 * The deactivated group (SCIM_DEACTIVATED_GROUP_ID) is the bridge's state, never a group a write
 * moves a user to. A parked user reads with that group as its customerGroupId, and Okta echoes the
 * user as read in its PUT: the first reactivation PUT returns the user to its group, and the same
 * PUT retried (its first answer lost) must not park the now active user again. Activation alone
 * decides parking; a write naming the parking group changes nothing about the group.
 */
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PARKING = 1;
/** The first reactivation PUT's BigCommerce calls, as many as before the parking group was read as an echo. */
const FIRST_REACTIVATION_CALLS = [
  "GET /v2/customer_groups/2",
  "DELETE /v3/customers/attribute-values",
  "PUT /v3/customers",
  "DELETE /v3/customers/attribute-values",
];

async function makeGroup(a: Api, name: string): Promise<string> {
  const res = await a.post("/Groups", { schemas: [GROUP], displayName: name });
  expect(res.status).toBe(201);
  return res.body.id as string;
}
const add = (a: Api, group: string, user: string) => a.patch(`/Groups/${group}`, [{ op: "add", path: "members", value: [{ value: user }] }]);
const writes = (calls: string[]) => calls.filter((c) => !c.startsWith("GET "));
const groupIdOf = (body: Record<string, unknown>) => (body[BC] as { customerGroupId: number }).customerGroupId;

async function withParking(work: (own: RunningBridge & { api: Api }, groupOf: (id: string) => number) => Promise<void>): Promise<void> {
  await withBridge({ SCIM_DEACTIVATED_GROUP_ID: String(PARKING) }, async (own) => {
    store(own).groups.insert({ name: "Deactivated" });
    await work(own, (id) => store(own).customers.get(Number(id))!.customer_group_id);
  });
}

describe("Okta's PUT echo of a parked user (one SCIM group)", () => {
  it("reactivates into its group; the same PUT retried leaves the active user there, writing nothing", async () => {
    await withParking(async (own, groupOf) => {
      const gold = await makeGroup(own.api, "Gold");
      const u = (await own.api.post("/Users", newUser("echo.single@x.test"))).body.id as string;
      await add(own.api, gold, u);
      const read = async () => (await own.api.get(`/Users/${u}`)).body as Record<string, unknown>;

      expect((await own.api.put(`/Users/${u}`, { ...(await read()), active: false })).status).toBe(200);
      expect(groupOf(u)).toBe(PARKING);
      const asRead = await read();
      expect(groupIdOf(asRead)).toBe(PARKING);

      const first = await countCalls(own, () => own.api.put(`/Users/${u}`, { ...asRead, active: true }));
      expect(first.result.status).toBe(200);
      expect(groupOf(u)).toBe(Number(gold));
      expect(groupIdOf(first.result.body)).toBe(Number(gold));
      expect(first.calls).toEqual(FIRST_REACTIVATION_CALLS);

      const retried = await countCalls(own, () => own.api.put(`/Users/${u}`, { ...asRead, active: true }));
      expect(retried.result.status).toBe(200);
      expect(groupOf(u)).toBe(Number(gold));
      expect(groupIdOf(retried.result.body)).toBe(Number(gold));
      expect(((retried.result.body.groups as { value: string }[]).map((g) => g.value))).toEqual([gold]);
      expect(writes(retried.calls)).toEqual([]);
      expect((await own.api.get(`/Groups/${gold}`)).body.members.map((m: { value: string }) => m.value)).toEqual([u]);
    });
  });

  it("a deactivation PUT that echoes an old parked state still remembers the user's group", async () => {
    await withParking(async (own, groupOf) => {
      const gold = await makeGroup(own.api, "Gold");
      const u = (await own.api.post("/Users", newUser("echo.deactivate@x.test"))).body.id as string;
      await add(own.api, gold, u);
      const asRead = (await own.api.get(`/Users/${u}`)).body as Record<string, unknown>;
      const stale = { ...asRead, active: false, [BC]: { ...(asRead[BC] as object), customerGroupId: PARKING } };
      expect((await own.api.put(`/Users/${u}`, stale)).status).toBe(200);
      expect(groupOf(u)).toBe(PARKING);
      expect((await own.api.put(`/Users/${u}`, { ...stale, active: true })).status).toBe(200);
      expect(groupOf(u)).toBe(Number(gold));
    });
  });
});

describe("customerGroupId naming the parking group", () => {
  const toParking = [{ op: "replace", path: `${BC}:customerGroupId`, value: PARKING }];

  it("PATCH of an active user: 200, nothing written, the user stays in its group", async () => {
    await withParking(async (own, groupOf) => {
      const gold = await makeGroup(own.api, "Gold");
      const [single, none] = [
        (await own.api.post("/Users", newUser("patch.single@x.test"))).body.id as string,
        (await own.api.post("/Users", newUser("patch.none@x.test"))).body.id as string,
      ];
      await add(own.api, gold, single);
      for (const [id, group] of [[single, Number(gold)], [none, 0]] as const) {
        const { result, calls } = await countCalls(own, () => own.api.patch(`/Users/${id}`, toParking));
        expect(result.status, id).toBe(200);
        expect(groupIdOf(result.body)).toBe(group);
        expect(result.body.active).toBe(true);
        expect(groupOf(id)).toBe(group);
        expect(writes(calls)).toEqual([]);
      }
    });
  });

  it("PATCH of a parked user keeps the group it returns to", async () => {
    await withParking(async (own, groupOf) => {
      const gold = await makeGroup(own.api, "Gold");
      const u = (await own.api.post("/Users", newUser("patch.parked@x.test"))).body.id as string;
      await add(own.api, gold, u);
      expect((await own.api.patch(`/Users/${u}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
      const { result, calls } = await countCalls(own, () => own.api.patch(`/Users/${u}`, toParking));
      expect(result.status).toBe(200);
      expect(writes(calls)).toEqual([]);
      expect((await own.api.patch(`/Users/${u}`, [{ op: "replace", path: "active", value: true }])).status).toBe(200);
      expect(groupOf(u)).toBe(Number(gold));
    });
  });

  it("PUT of an active user in two SCIM groups is no direct group write: 200, memberships kept", async () => {
    await withParking(async (own, groupOf) => {
      const [p, q] = [await makeGroup(own.api, "P"), await makeGroup(own.api, "Q")];
      const u = (await own.api.post("/Users", newUser("put.multi@x.test"))).body.id as string;
      await add(own.api, p, u);
      await add(own.api, q, u);
      const effective = groupOf(u);
      const asRead = (await own.api.get(`/Users/${u}`)).body as Record<string, unknown>;
      const { result, calls } = await countCalls(own, () => own.api.put(`/Users/${u}`, { ...asRead, [BC]: { ...(asRead[BC] as object), customerGroupId: PARKING } }));
      expect(result.status).toBe(200);
      expect(groupOf(u)).toBe(effective);
      expect(writes(calls)).toEqual([]);
      // Another group is still refused for such a user (group-precedence.test.ts).
      const other = await own.api.put(`/Users/${u}`, { ...asRead, [BC]: { ...(asRead[BC] as object), customerGroupId: Number(p === String(effective) ? q : p) } });
      expect(other.status).toBe(400);
      expect(other.body.scimType).toBe("mutability");
    });
  });

  it("POST is refused (400 invalidValue) before anything is written, active or not", async () => {
    await withParking(async (own) => {
      for (const active of [true, false]) {
        const email = `post.parking.${String(active)}@x.test`;
        const { result, calls } = await countCalls(own, () => own.api.post("/Users", newUser(email, { active, [BC]: { customerGroupId: PARKING } })));
        expect(result.status, String(active)).toBe(400);
        expect(result.body.scimType).toBe("invalidValue");
        expect(result.body.detail).toMatch(/SCIM_DEACTIVATED_GROUP_ID/);
        expect(writes(calls)).toEqual([]);
        expect(store(own).customers.all().some((c) => c.email === email)).toBe(false);
      }
    });
  });

  it("without SCIM_DEACTIVATED_GROUP_ID the same group id is an ordinary group", async () => {
    await withBridge({}, async (own) => {
      const first = await makeGroup(own.api, "First");
      expect(first).toBe(String(PARKING));
      const u = (await own.api.post("/Users", newUser("no.parking@x.test", { [BC]: { customerGroupId: Number(first) } })));
      expect(u.status).toBe(201);
      expect(groupIdOf(u.body)).toBe(Number(first));
    });
  });
});

describe("membership writes to the parking group through /Groups", () => {
  const refused = (res: { status: number; body: Record<string, unknown> }, label: string) => {
    expect(res.status, label).toBe(400);
    expect(res.body.scimType, label).toBe("mutability");
    expect(res.body.detail, label).toMatch(/SCIM_DEACTIVATED_GROUP_ID/);
  };

  it("PATCH add, remove, replace and PUT with members: 400 mutability, nothing written, nobody parked or unparked", async () => {
    await withParking(async (own, groupOf) => {
      const parking = String(PARKING);
      const gold = await makeGroup(own.api, "Gold");
      const [active, parked] = [
        (await own.api.post("/Users", newUser("parking.active@x.test"))).body.id as string,
        (await own.api.post("/Users", newUser("parking.parked@x.test"))).body.id as string,
      ];
      await add(own.api, gold, parked);
      expect((await own.api.patch(`/Users/${parked}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
      expect(groupOf(parked)).toBe(PARKING);
      const before = (await own.api.get(`/Groups/${parking}`)).body as Record<string, unknown>;

      const attempts: [string, () => Promise<{ status: number; body: Record<string, unknown> }>][] = [
        ["add", () => add(own.api, parking, active)],
        ["remove", () => own.api.patch(`/Groups/${parking}`, [{ op: "remove", path: `members[value eq "${parked}"]`, value: undefined }])],
        ["remove all", () => own.api.patch(`/Groups/${parking}`, [{ op: "remove", path: "members" }])],
        ["replace", () => own.api.patch(`/Groups/${parking}`, [{ op: "replace", path: "members", value: [{ value: active }] }])],
        ["rename and add", () => own.api.patch(`/Groups/${parking}`, [{ op: "replace", path: "displayName", value: "Renamed" }, { op: "add", path: "members", value: [{ value: active }] }])],
        ["PUT", () => own.api.put(`/Groups/${parking}`, { schemas: [GROUP], displayName: "Deactivated", members: [{ value: active }] })],
        ["PUT empty", () => own.api.put(`/Groups/${parking}`, { schemas: [GROUP], displayName: "Deactivated", members: [] })],
      ];
      for (const [label, attempt] of attempts) {
        const { result, calls } = await countCalls(own, attempt);
        refused(result, label);
        expect(writes(calls), label).toEqual([]);
      }
      expect(groupOf(active)).toBe(0);
      expect(groupOf(parked)).toBe(PARKING);
      expect((await own.api.get(`/Users/${active}`)).body.active).toBe(true);
      expect((await own.api.get(`/Groups/${parking}`)).body).toEqual(before);
      // Only `active` unparks: reactivation still returns the user to its group.
      expect((await own.api.patch(`/Users/${parked}`, [{ op: "replace", path: "active", value: true }])).status).toBe(200);
      expect(groupOf(parked)).toBe(Number(gold));
    });
  });

  it("a rename alone (PATCH, or PUT without members) is allowed: the bridge knows the group by id", async () => {
    await withParking(async (own, groupOf) => {
      const parking = String(PARKING);
      const u = (await own.api.post("/Users", newUser("parking.rename@x.test"))).body.id as string;
      expect((await own.api.patch(`/Users/${u}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
      expect((await own.api.patch(`/Groups/${parking}`, [{ op: "replace", path: "displayName", value: "Parked" }])).status).toBe(204);
      const put = await own.api.put(`/Groups/${parking}`, { schemas: [GROUP], displayName: "Parked again" });
      expect(put.status).toBe(200);
      expect(put.body.displayName).toBe("Parked again");
      expect(put.body.members.map((m: { value: string }) => m.value)).toEqual([u]);
      expect(groupOf(u)).toBe(PARKING);
      expect((await own.api.patch(`/Users/${u}`, [{ op: "replace", path: "active", value: true }])).status).toBe(200);
      expect(groupOf(u)).toBe(0);
    });
  });

  it("a PUT renaming it with its members as listed (Okta's and Entra's full resource) is allowed; a list that differs is refused", async () => {
    await withParking(async (own, groupOf) => {
      const parking = String(PARKING);
      const make = async (email: string) => (await own.api.post("/Users", newUser(email))).body.id as string;
      const [first, second, active] = [await make("parking.put.one@x.test"), await make("parking.put.two@x.test"), await make("parking.put.active@x.test")];
      for (const id of [first, second]) expect((await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
      const asRead = (await own.api.get(`/Groups/${parking}`)).body as { members: { value: string }[] } & Record<string, unknown>;
      expect(asRead.members.map((m) => m.value)).toEqual([first, second]);

      // Members that differ, with a rename: refused before any write, the name kept.
      const refusals: [string, unknown[]][] = [
        ["one left out", [asRead.members[0]]],
        ["one more", [...asRead.members, { value: active }]],
        ["one swapped", [asRead.members[0], { value: active }]],
      ];
      for (const [label, members] of refusals) {
        const { result, calls } = await countCalls(own, () => own.api.put(`/Groups/${parking}`, { ...asRead, displayName: "Renamed", members }));
        refused(result, label);
        expect(writes(calls), label).toEqual([]);
      }
      expect(store(own).groups.get(PARKING)!.name).toBe("Deactivated");

      // The members as read (objects as listed, in another order, or bare values): the rename alone.
      const echoes: [string, unknown[]][] = [
        ["as read", asRead.members],
        ["reordered", [...asRead.members].reverse()],
        ["values", [{ value: second }, { value: first }, { value: first }]],
      ];
      for (const [index, [label, members]] of echoes.entries()) {
        const name = `Parked ${index}`;
        const { result, calls } = await countCalls(own, () => own.api.put(`/Groups/${parking}`, { ...asRead, displayName: name, members }));
        expect(result.status, label).toBe(200);
        expect(result.body.displayName, label).toBe(name);
        expect(result.body.members.map((m: { value: string }) => m.value), label).toEqual([first, second]);
        expect(writes(calls), label).toEqual([`PUT /v2/customer_groups/${PARKING}`]);
        // The members are read once, for the comparison, and that read answers the PUT.
        expect(calls.filter((c) => c === "GET /v3/customers/attribute-values"), label).toHaveLength(1);
        expect(calls.filter((c) => c === "GET /v3/customers"), label).toHaveLength(1);
        expect(store(own).groups.get(PARKING)!.name, label).toBe(name);
      }
      expect([groupOf(first), groupOf(second), groupOf(active)]).toEqual([PARKING, PARKING, 0]);
      // Still parked, and `active` still returns them.
      expect((await own.api.patch(`/Users/${first}`, [{ op: "replace", path: "active", value: true }])).status).toBe(200);
      expect(groupOf(first)).toBe(0);
    });
  });

  it("DELETE stays refused, naming the setting", async () => {
    await withParking(async (own) => {
      const { result, calls } = await countCalls(own, () => own.api.delete(`/Groups/${PARKING}`));
      refused(result, "delete");
      expect(writes(calls)).toEqual([]);
    });
  });
});
