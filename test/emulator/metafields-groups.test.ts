import { describe, expect, it } from "vitest";
import { STORE, useEmulator, V3_TYPE } from "./helpers.js";

const { emu, call } = useEmulator();

function customers(n: number): number[] {
  const store = emu().store(STORE);
  return Array.from({ length: n }, (_, i) => store.customers.insert({ email: `m${i}@x.co`, first_name: "A", last_name: "B" }).id);
}

const mf = (resourceId: number, key: string, extra: Record<string, unknown> = {}) => ({
  resource_id: resourceId,
  namespace: "scim",
  key,
  value: `v-${key}`,
  permission_set: "app_only",
  ...extra,
});

describe("customer metafields (batch)", () => {
  it("creates with resource_id, filters by key/namespace, updates by id and deletes by a body of ids", async () => {
    const [a, b] = customers(2) as [number, number];
    const created = await call("POST", "/v3/customers/metafields", { body: [mf(a, "externalId"), mf(b, "externalId"), mf(b, "other", { namespace: "misc" })] });
    expect(created.status).toBe(200);
    expect(created.body.errors).toEqual([]);
    expect(created.body.meta).toEqual({ total: 3, success: 3, failed: 0 });
    expect(created.body.data[0]).toMatchObject({ id: 1, resource_type: "customer", resource_id: a, key: "externalId", description: "" });
    expect(created.body.data[0].date_created).toMatch(/\+00:00$/);

    const keys = async (q: string): Promise<number[]> => (await call("GET", `/v3/customers/metafields?${q}`)).body.data.map((m: { id: number }) => m.id);
    expect(await keys("key=externalId")).toEqual([1, 2]);
    expect(await keys("key:in=other,nope")).toEqual([3]);
    expect(await keys("namespace=misc")).toEqual([3]);
    expect(await keys("namespace:in=scim,misc&limit=2")).toEqual([1, 2]);
    expect((await call("GET", "/v3/customers/metafields?resource_id=1")).status).toBe(422);

    const updated = await call("PUT", "/v3/customers/metafields", { body: [{ id: 2, value: "changed" }] });
    expect(updated.body.data[0]).toMatchObject({ id: 2, value: "changed", key: "externalId" });

    const deleted = await call("DELETE", "/v3/customers/metafields", { body: [1, 3] });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ data: [1, 3], errors: [], meta: { total: 2, success: 2, failed: 0 } });
    expect(emu().store(STORE).metafields.all().map((m) => m.id)).toEqual([2]);
  });

  it("reports partial success with 422: good items written, failures listed by index", async () => {
    const [a] = customers(1) as [number];
    emu().store(STORE).metafields.insert({ namespace: "scim", key: "taken", value: "x", resource_id: a });
    const reply = await call("POST", "/v3/customers/metafields", {
      body: [mf(a, "fresh"), mf(a, "taken"), mf(999, "orphan"), mf(a, "bad", { permission_set: "everyone" })],
    });
    expect(reply.status).toBe(422);
    expect(reply.body.data.map((m: { key: string }) => m.key)).toEqual(["fresh"]);
    expect(reply.body.meta).toEqual({ total: 4, success: 1, failed: 3 });
    expect(reply.body.errors).toHaveLength(1);
    expect(reply.body.errors[0]).toMatchObject({ status: 422, type: V3_TYPE });
    expect(Object.keys(reply.body.errors[0].errors)).toEqual(["1", "2", "3"]);
    const del = await call("DELETE", "/v3/customers/metafields", { body: [77] });
    expect(del.status).toBe(422);
    expect(del.body.meta).toEqual({ total: 1, success: 0, failed: 1 });
    expect((await call("DELETE", "/v3/customers/metafields", { body: { ids: [1] } })).status).toBe(400);
  });
});

describe("customer metafields (per customer)", () => {
  it("creates, reads, updates and deletes, with 409 on a duplicate namespace+key", async () => {
    const [a] = customers(1) as [number];
    const body = { namespace: "scim", key: "externalId", value: "ext-1", permission_set: "app_only" };
    const created = await call("POST", `/v3/customers/${a}/metafields`, { body });
    expect(created.status).toBe(200);
    expect(created.body.data[0]).toMatchObject({ resource_id: a, value: "ext-1" });
    const dup = await call("POST", `/v3/customers/${a}/metafields`, { body });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ status: 409, type: V3_TYPE });
    const id = created.body.data[0].id as number;
    expect((await call("GET", `/v3/customers/${a}/metafields/${id}`)).body.data.value).toBe("ext-1");
    expect((await call("GET", `/v3/customers/${a}/metafields?key=externalId`)).body.data).toHaveLength(1);
    expect((await call("PUT", `/v3/customers/${a}/metafields/${id}`, { body: { value: "ext-2" } })).body.data[0].value).toBe("ext-2");
    expect((await call("DELETE", `/v3/customers/${a}/metafields/${id}`)).status).toBe(204);
    expect((await call("GET", `/v3/customers/${a}/metafields/${id}`)).status).toBe(404);
    expect((await call("GET", "/v3/customers/999/metafields")).status).toBe(404);
  });
});

describe("V2 /customer_groups", () => {
  it("answers an empty list with 204 and no body, and count 0", async () => {
    const reply = await call("GET", "/v2/customer_groups");
    expect(reply.status).toBe(204);
    expect(reply.text).toBe("");
    expect((await call("GET", "/v2/customer_groups/count")).body).toEqual({ count: 0 });
  });

  it("creates, lists as a bare array with filters, reads, updates and counts", async () => {
    const created = await call("POST", "/v2/customer_groups", { body: { name: "Wholesale", is_default: true } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ id: 1, name: "Wholesale", is_default: true, category_access: { type: "all" }, discount_rules: [] });
    expect(created.body.date_created).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    await call("POST", "/v2/customer_groups", { body: { name: "Retail", is_default: true } });
    const list = await call("GET", "/v2/customer_groups");
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((g: { is_default: boolean }) => g.is_default)).toEqual([false, true]);
    expect((await call("GET", "/v2/customer_groups?name=Retail")).body.map((g: { id: number }) => g.id)).toEqual([2]);
    expect((await call("GET", "/v2/customer_groups?name:like=sale")).body.map((g: { id: number }) => g.id)).toEqual([1]);
    expect((await call("GET", "/v2/customer_groups?is_default=true")).body.map((g: { id: number }) => g.id)).toEqual([2]);
    expect((await call("GET", "/v2/customer_groups?page=2&limit=1")).body.map((g: { id: number }) => g.id)).toEqual([2]);
    expect((await call("GET", "/v2/customer_groups?page=3&limit=1")).status).toBe(204);
    expect((await call("GET", "/v2/customer_groups/1")).body.name).toBe("Wholesale");
    expect((await call("PUT", "/v2/customer_groups/1", { body: { name: "Trade" } })).body.name).toBe("Trade");
    expect((await call("GET", "/v2/customer_groups/count")).body).toEqual({ count: 2 });
  });

  it("answers 404 in the V2 array shape, 400 without a name and 409 for a taken name", async () => {
    const missing = await call("GET", "/v2/customer_groups/42");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual([{ status: 404, message: "The requested resource was not found." }]);
    const noName = await call("POST", "/v2/customer_groups", { body: {} });
    expect(noName.status).toBe(400);
    expect(noName.body[0].status).toBe(400);
    await call("POST", "/v2/customer_groups", { body: { name: "VIP" } });
    const taken = await call("POST", "/v2/customer_groups", { body: { name: "vip" } });
    expect(taken.status).toBe(409);
    expect(Array.isArray(taken.body)).toBe(true);
  });

  it("deletes a group and unassigns its members", async () => {
    const store = emu().store(STORE);
    const group = store.groups.insert({ name: "VIP" });
    const member = store.customers.insert({ email: "a@x.co", first_name: "A", last_name: "B", customer_group_id: group.id });
    expect((await call("DELETE", `/v2/customer_groups/${group.id}`)).status).toBe(204);
    expect(store.customers.get(member.id)?.customer_group_id).toBe(0);
    expect((await call("DELETE", `/v2/customer_groups/${group.id}`)).status).toBe(404);
  });
});
