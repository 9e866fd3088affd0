import { describe, expect, it, vi } from "vitest";
import { api, countCalls, newUser, startBridge, store, withBridge, type Api, type RunningBridge } from "./helpers.js";

/**
 * A customer's stored values (remembered memberships, the group a parked customer returns to)
 * may name a group that no longer exists: deleted in the control panel, or through SCIM before
 * deletes took the members out. BigCommerce resets only the customer group. A User's `groups`,
 * a Group's members and a `groups.value` filter name no such group (the IdP would follow a
 * dangling reference), at no BigCommerce call of their own; a later membership write drops the
 * id from the value it writes anyway.
 */
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PARKING = 1;

async function makeGroup(a: Api, name: string): Promise<string> {
  const res = await a.post("/Groups", { schemas: [GROUP], displayName: name });
  expect(res.status).toBe(201);
  return res.body.id as string;
}
const add = (a: Api, group: string, user: string) => a.patch(`/Groups/${group}`, [{ op: "add", path: "members", value: [{ value: user }] }]);
const groupsShown = async (a: Api, id: string) => (((await a.get(`/Users/${id}`)).body.groups ?? []) as { value: string }[]).map((g) => g.value);
const byGroup = (id: string) => `/Users?filter=${encodeURIComponent(`groups.value eq "${id}"`)}`;
const writes = (calls: string[]) => calls.filter((c) => !c.startsWith("GET "));

/** A second bridge on the same store: a restart after the groups were deleted. */
async function restarted(first: RunningBridge, work: (second: RunningBridge & { api: Api }) => Promise<void>): Promise<void> {
  const second = await startBridge({ SCIM_DEACTIVATED_GROUP_ID: String(PARKING) }, {}, { emulator: first.emulator });
  try {
    await work({ ...second, api: api(second) });
  } finally {
    await second.close();
  }
}

describe("groups deleted outside SCIM, named by stored values", () => {
  it("a restarted bridge reports none of them, without a call of its own; a membership write drops them from the value it writes", async () => {
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: String(PARKING) }, async (first) => {
      const s = store(first);
      s.groups.insert({ name: "Deactivated" });
      const [gone, kept, joined] = [await makeGroup(first.api, "Gone"), await makeGroup(first.api, "Kept"), await makeGroup(first.api, "Joined later")];
      const make = async (email: string) => (await first.api.post("/Users", newUser(email))).body.id as string;
      const [multi, parked] = [await make("gone.multi@x.test"), await make("gone.parked@x.test")];
      await add(first.api, gone, multi);
      await add(first.api, kept, multi);
      await add(first.api, gone, parked);
      expect((await first.api.patch(`/Users/${parked}`, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
      const memberships = s.attributes.all().find((a) => a.name === "scim_groups")!.id;
      const stored = () => s.attributeValues.find(Number(multi), memberships)?.attribute_value;
      expect(stored()).toBe(`${gone},${kept}`);

      s.deleteGroup(Number(gone)); // in the control panel
      // The running bridge learns it from its next listing (the IdP's import, or its minute's refresh).
      expect((await first.api.get("/Groups?excludedAttributes=members")).status).toBe(200);
      expect(await groupsShown(first.api, multi)).toEqual([kept]);

      await restarted(first, async (second) => {
        const read = await countCalls(second, () => second.api.get(`/Users/${multi}`));
        expect(read.result.body.groups.map((g: { value: string }) => g.value)).toEqual([kept]);
        expect(read.calls).toEqual(["GET /v3/customers"]);
        // Parked, returning to the deleted group: a member of the parking group only.
        expect(await groupsShown(second.api, parked)).toEqual([String(PARKING)]);
        expect((await second.api.get(`/Groups/${kept}`)).body.members.map((m: { value: string }) => m.value)).toEqual([multi]);
        expect((await second.api.get(`/Groups/${gone}`)).status).toBe(404);

        // The filter on the deleted group: the customer group lookup only, no listing of stored values.
        const none = await countCalls(second, () => second.api.get(byGroup(gone)));
        expect(none.result.body.totalResults).toBe(0);
        expect(none.calls).toEqual(["GET /v3/customers"]);
        const some = await second.api.get(byGroup(kept));
        expect(some.body.Resources.map((u: { id: string }) => u.id)).toEqual([multi]);

        // A write that leaves the memberships as they are does not rewrite them for the dead id alone.
        const echo = await countCalls(second, () => add(second.api, kept, multi));
        expect(echo.result.status).toBe(204);
        expect(writes(echo.calls)).toEqual([]);
        expect(stored()).toBe(`${gone},${kept}`);
        // A membership write drops it from the value it writes anyway: one attribute value, as before.
        const join = await countCalls(second, () => add(second.api, joined, multi));
        expect(join.result.status).toBe(204);
        expect(stored()).toBe(`${kept},${joined}`);
        expect(writes(join.calls).sort()).toEqual(["PUT /v3/customers", "PUT /v3/customers/attribute-values"]);
        expect(await groupsShown(second.api, multi)).toEqual([joined, kept]);
      });
    });
  });

  it("a group newer than every group listed is shown until one listing, started at once, says it is gone", async () => {
    await withBridge({ SCIM_DEACTIVATED_GROUP_ID: String(PARKING) }, async (first) => {
      const s = store(first);
      s.groups.insert({ name: "Deactivated" });
      const [kept, newest] = [await makeGroup(first.api, "Kept"), await makeGroup(first.api, "Newest")];
      const u = (await first.api.post("/Users", newUser("newest.gone@x.test"))).body.id as string;
      await add(first.api, newest, u);
      await add(first.api, kept, u);
      s.deleteGroup(Number(newest));

      await restarted(first, async (second) => {
        const groupListings = () => second.emulator.requests.filter((r) => r.method === "GET" && r.path.endsWith("/v2/customer_groups")).length;
        second.emulator.clearRequests();
        // Its id is above every group the bridge listed: it may be a group created since.
        expect(await groupsShown(second.api, u)).toEqual([kept, newest]);
        await vi.waitFor(() => expect(groupListings()).toBe(1));
        await vi.waitFor(async () => expect(await groupsShown(second.api, u)).toEqual([kept]));
        const again = await countCalls(second, () => second.api.get(`/Users/${u}`));
        expect(again.calls).toEqual(["GET /v3/customers"]);
        expect((await second.api.get(byGroup(newest))).body.totalResults).toBe(0);
      });
    });
  });
});
