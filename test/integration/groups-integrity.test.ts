import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, newUser, startBridge, store, type RunningBridge } from "./helpers.js";

/**
 * Group writes never answer success for something they did not write (issue 7): upstream
 * failures fail the request, and only references to users name customers.
 */
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
let b: RunningBridge;
let s: ReturnType<typeof api>;
beforeAll(async () => {
  b = await startBridge();
  s = api(b);
});
afterAll(() => b.close());

const groupOf = (id: string | number) => store(b).customers.get(Number(id))!.customer_group_id;
let n = 0;
async function user() {
  const res = await s.post("/Users", newUser(`integrity${++n}@x.test`));
  expect(res.status).toBe(201);
  return res.body.id as string;
}
async function group(name = `Integrity ${++n}`, members: unknown[] = []) {
  const res = await s.post("/Groups", { schemas: [GROUP], displayName: name, members });
  expect(res.status).toBe(201);
  return res.body as { id: string; members: { value: string }[] };
}

describe("item 1: membership on upstream errors", () => {
  it("PATCH add member while customer reads fail answers 503 and the retry writes it", async () => {
    const u = await user();
    const g = await group();
    b.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 503, count: 3 });
    const res = await s.patch(`/Groups/${g.id}`, [{ op: "add", path: "members", value: [{ value: u }] }]);
    b.emulator.faults.clear();
    expect(res.status).toBe(503);
    expect(groupOf(u)).not.toBe(Number(g.id));
    const retry = await s.patch(`/Groups/${g.id}`, [{ op: "add", path: "members", value: [{ value: u }] }]);
    expect(retry.status).toBe(204);
    expect(groupOf(u)).toBe(Number(g.id));
  });

  it("a member that is no customer of the store is still skipped", async () => {
    const g = await group();
    const res = await s.patch(`/Groups/${g.id}`, [{ op: "add", path: "members", value: [{ value: "999999" }] }]);
    expect(res.status).toBe(204);
  });
});

describe("item 2: typed member references", () => {
  it("a member of type Group is refused and moves nobody", async () => {
    const victim = await user();
    const g = await group();
    const before = groupOf(victim);
    const res = await s.patch(`/Groups/${g.id}`, [{ op: "add", path: "members", value: [{ value: victim, type: "Group" }] }]);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
    expect(groupOf(victim)).toBe(before);
  });

  it("a $ref to /Groups/{id} is refused, on PATCH, PUT and POST", async () => {
    const victim = await user();
    const g = await group();
    const ref = { value: victim, $ref: `${b.url}/scim/v2/Groups/${victim}` };
    expect((await s.patch(`/Groups/${g.id}`, [{ op: "add", path: "members", value: [ref] }])).status).toBe(400);
    expect((await s.put(`/Groups/${g.id}`, { schemas: [GROUP], displayName: "Typed put", members: [ref] })).status).toBe(400);
    const post = await s.post("/Groups", { schemas: [GROUP], displayName: "Typed post", members: [ref] });
    expect(post.status).toBe(400);
    expect(post.body.scimType).toBe("invalidValue");
    expect(groupOf(victim)).toBe(0);
    expect(store(b).groups.all().some((x) => x.name === "Typed post")).toBe(false);
  });

  it("type User and a Users $ref (absolute or relative), or neither, name a customer", async () => {
    const [a, c, d] = [await user(), await user(), await user()];
    const g = await group();
    const res = await s.patch(`/Groups/${g.id}`, [
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
