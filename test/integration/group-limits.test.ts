import { describe, expect, it } from "vitest";
import { countCalls, store, useBridge } from "./helpers.js";

/**
 * Issue 19, item 7: a Group request is bounded so that it fits the IdP's request window at the
 * store's default quota; larger ones are refused before any BigCommerce call; and the retry of a
 * large request that failed half-way does only what is left.
 */
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIMIT = 500;
const b = useBridge();

async function group(name: string): Promise<string> {
  const res = await b.api.post("/Groups", { schemas: [GROUP], displayName: name });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const ids = (count: number, from = 100_000) => Array.from({ length: count }, (_, i) => ({ value: String(from + i) }));

describe("the bound on members per Group request", () => {
  it("is advertised in /ServiceProviderConfig", async () => {
    const res = await b.api.get("/ServiceProviderConfig");
    expect(res.status).toBe(200);
    expect(res.body.patch).toEqual({ supported: true, maxGroupMembersPerRequest: LIMIT });
  });

  it("refuses a larger PATCH, PUT or POST up front: 413 saying the bound and what to do, no BigCommerce call", async () => {
    const g = await group("Too many");
    const { result: patch, calls } = await countCalls(b, () => b.api.patch(`/Groups/${g}`, [{ op: "add", path: "members", value: ids(20_000) }]));
    expect(patch.status).toBe(413);
    expect(patch.body.detail).toContain(`at most ${LIMIT}`);
    expect(patch.body.detail).toContain("several PATCH requests");
    expect(calls).toEqual([]);
    // Spread over operations, the total counts.
    const spread = await b.api.patch(`/Groups/${g}`, [
      { op: "add", path: "members", value: ids(300) },
      { op: "remove", path: "members", value: ids(300, 200_000) },
    ]);
    expect(spread.status).toBe(413);
    const put = await b.api.put(`/Groups/${g}`, { schemas: [GROUP], displayName: "Too many", members: ids(LIMIT + 1) });
    expect(put.status).toBe(413);
    const post = await b.api.post("/Groups", { schemas: [GROUP], displayName: "Too many at once", members: ids(LIMIT + 1) });
    expect(post.status).toBe(413);
    expect(store(b).groups.all().some((x) => x.name === "Too many at once")).toBe(false);
  });

  it("a retried large PATCH does only what the failed attempt left: fewer reads, no write for members already in", async () => {
    const members = Array.from({ length: 300 }, (_, i) => ({ value: String(store(b).customers.insert({ email: `bulk${i}@x.test`, first_name: "B", last_name: "K" }).id) }));
    const g = await group("Bulk");
    const body = [{ op: "add", path: "members", value: members }];
    /** The upstream work of one send: customers read by id, customers written, calls. */
    const send = async () => {
      b.emulator.clearRequests();
      const res = await b.api.patch(`/Groups/${g}`, body);
      const log = b.emulator.requests.filter((r) => r.path.endsWith("/v3/customers"));
      const readById = log.filter((r) => r.method === "GET" && r.query["id:in"]).reduce((sum, r) => sum + r.query["id:in"]!.split(",").length, 0);
      const written = log.filter((r) => r.method === "PUT" && r.status === 200).reduce((sum, r) => sum + (r.items ?? 0), 0);
      return { status: res.status, readById, written, calls: b.emulator.requests.length };
    };
    // Customer PUTs are refused after the first 10 batches (422 is not retried): the request
    // fails with part of the work done.
    b.emulator.faults.add({ method: "PUT", path: "/v3/customers", status: 422, skip: 10 });
    const first = await send();
    b.emulator.faults.clear();
    expect(first.status).not.toBe(204);
    const inGroup = () => store(b).customers.all().filter((c) => c.customer_group_id === Number(g)).length;
    const done = inGroup();
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(300);
    expect(first.readById).toBeGreaterThanOrEqual(300);

    const retry = await send();
    expect(retry.status).toBe(204);
    expect(inGroup()).toBe(300);
    // The members already in come from the group's listing (250 a call): neither read by id nor written.
    expect(retry.written).toBe(300 - done);
    expect(retry.readById).toBe(300 - done);
    expect(retry.calls).toBeLessThan(first.calls);

    // A third send finds everything done: it lists the group and writes nothing.
    const again = await send();
    expect(again.status).toBe(204);
    expect(again).toMatchObject({ written: 0, readById: 0 });
    expect(b.emulator.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });
});
