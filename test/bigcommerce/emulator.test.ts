/**
 * The client against the in-memory emulator over real HTTP: every endpoint, the write batcher's
 * coalescing and reconciliation, and fault paths.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CustomerGroupId, CustomerId, NonEmpty } from "../../src/bigcommerce/api.js";
import { createBigCommerceClient, type BigCommerceClientHandle } from "../../src/bigcommerce/client.js";
import { endpointCap } from "../../src/bigcommerce/concurrency.js";
import { ConflictError, NotFoundError, ValidationFailedError } from "../../src/bigcommerce/errors.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { track } from "./helpers/track.js";

const STORE = "store1";
const TOKEN = "emulator-token";
let emulator: RunningEmulator;
let client: BigCommerceClientHandle;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, accessToken: TOKEN, rateQuota: 100_000, rateWindowMs: 30_000 });
});
afterAll(async () => {
  await emulator.close();
});

function newClient(): BigCommerceClientHandle {
  client = createBigCommerceClient({ apiUrl: emulator.url, storeHash: STORE, accessToken: TOKEN, requestTimeoutMs: 5000 });
  return client;
}

afterEach(async () => {
  await client?.close();
  emulator.reset();
  emulator.setOptions({ partialBatchWrites: false });
});

const customersPath = `/stores/${STORE}/v3/customers`;
const calls = (method: string, path = customersPath) => emulator.requests.filter((r) => r.method === method && r.path === path);
const person = (i: number | string) => ({ email: `user${i}@example.com`, first_name: `First${i}`, last_name: `Last${i}` });

describe("every endpoint through the client", () => {
  it("customers: create, list, update, delete", async () => {
    const c = newClient();
    const created = await c.customers.create({ ...person(1), company: "Acme", phone: "+1 555" });
    expect(created).toMatchObject({ email: "user1@example.com", company: "Acme", channel_ids: null });
    const byEmail = await c.customers.list({ "email:in": ["USER1@example.com"] });
    expect(byEmail.data.map((x) => x.id)).toEqual([created.id]);
    expect(byEmail.pagination).toMatchObject({ total: 1, count: 1, current_page: 1 });
    const id = created.id as CustomerId;
    const updated = await c.customers.update({ id, first_name: "Renamed", channel_ids: [1] });
    expect(updated).toMatchObject({ id, first_name: "Renamed", channel_ids: [1] });
    await c.customers.delete([id]);
    expect((await c.customers.list({ "id:in": [id] })).data).toEqual([]);
    await expect(c.customers.update({ id, first_name: "Ghost" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("customers: a password change is never echoed and a field error names the field", async () => {
    const c = newClient();
    const created = await c.customers.create(person(2));
    const updated = await c.customers.update({ id: created.id as CustomerId, authentication: { new_password: "Secret123" } });
    expect(JSON.stringify(updated)).not.toContain("Secret123");
    const error = await c.customers.create({ ...person(3), first_name: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).fields.map((f) => f.field)).toContain("first_name");
  });

  it("customers: a refused password names the field but never appears in the error", async () => {
    const c = newClient();
    const error = await c.customers
      .create({ ...person(9), authentication: { new_password: "weakpassword" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).fields.map((f) => f.field)).toEqual(["authentication.new_password"]);
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain("weakpassword");
  });

  it("counts upstream calls (stats() and onCall) for callers that budget them", async () => {
    const seen: string[] = [];
    client = createBigCommerceClient({
      apiUrl: emulator.url,
      storeHash: STORE,
      accessToken: TOKEN,
      onCall: (r) => seen.push(`${r.method} ${r.endpoint} ${r.status}`),
    });
    await client.customers.list({ "email:in": ["nobody@example.com"] });
    await client.customerGroups.get(77 as CustomerGroupId);
    expect(seen).toEqual(["GET /v3/customers 200", "GET /v2/customer_groups/{id} 404"]);
    expect(client.stats()).toMatchObject({
      calls: 2,
      byEndpoint: { "GET /v3/customers": 1, "GET /v2/customer_groups/{id}": 1 },
      retries: 0,
    });
    expect(client.governorState()).toMatchObject({ learned: true, quota: 100_000 });
  });

  it("attributes and attribute values", async () => {
    const c = newClient();
    const [title, age] = await c.attributes.create([
      { name: "title", type: "string" },
      { name: "age", type: "number" },
    ]);
    expect(title?.type).toBe("string");
    expect((await c.attributes.list()).map((a) => a.name)).toEqual(["title", "age"]);
    const customer = await c.customers.create(person(4));
    const values = await c.attributeValues.upsert([
      { attribute_id: title?.id as number, customer_id: customer.id as CustomerId, value: "Dr" },
      { attribute_id: age?.id as number, customer_id: customer.id as CustomerId, value: "42" },
    ]);
    expect(values.map((v) => v.attribute_value).sort()).toEqual(["42", "Dr"]);
    const withAttributes = await c.customers.list({ "id:in": [customer.id as CustomerId], include: ["attributes"] });
    expect(withAttributes.data[0]?.attributes).toHaveLength(2);
    await c.attributeValues.delete([values[0]?.id as number]);
    const after = await c.customers.list({ "id:in": [customer.id as CustomerId], include: ["attributes"] });
    expect(after.data[0]?.attributes).toHaveLength(1);
  });

  it("metafields", async () => {
    const c = newClient();
    const customer = await c.customers.create(person(5));
    const resource_id = customer.id as CustomerId;
    const [mf] = await c.metafields.create([{ resource_id, namespace: "scim", key: "externalId", value: "ext-1", permission_set: "app_only" }]);
    expect(mf).toMatchObject({ key: "externalId", value: "ext-1", resource_id });
    const listed = await c.metafields.list({ namespace: "scim", key: "externalId" });
    expect(listed.data.map((m) => m.id)).toEqual([mf?.id]);
    const [changed] = await c.metafields.update([{ id: mf?.id as number, resource_id, value: "ext-2" }]);
    expect(changed?.value).toBe("ext-2");
    await expect(
      c.metafields.create([{ resource_id, namespace: "scim", key: "externalId", value: "again", permission_set: "app_only" }]),
    ).rejects.toBeInstanceOf(ConflictError);
    await c.metafields.delete([mf?.id as number]);
    expect((await c.metafields.list({ namespace: "scim" })).data).toEqual([]);
  });

  it("V2 customer groups", async () => {
    const c = newClient();
    expect(await c.customerGroups.list({})).toEqual([]); // 204 No Content
    const gold = await c.customerGroups.create({ name: "Gold" });
    expect(gold).toMatchObject({ name: "Gold", is_default: false });
    const id = gold.id as CustomerGroupId;
    expect(await c.customerGroups.get(id)).toMatchObject({ id, name: "Gold" });
    expect(await c.customerGroups.update(id, { name: "Platinum" })).toMatchObject({ name: "Platinum" });
    expect((await c.customerGroups.list({ name: "Platinum" })).map((g) => g.id)).toEqual([id]);
    expect(await c.customerGroups.count()).toBe(1);
    await expect(c.customerGroups.create({ name: "platinum" })).rejects.toBeInstanceOf(ConflictError);
    await c.customerGroups.delete(id);
    expect(await c.customerGroups.get(id)).toBeNull();
  });

  it("retries reads through injected 503s", async () => {
    const c = newClient();
    emulator.faults.add({ method: "GET", path: "/v3/customers", status: 503, count: 2 });
    await expect(c.customers.list({})).resolves.toMatchObject({ data: [] });
    expect(calls("GET").map((r) => r.status)).toEqual([503, 503, 200]);
  });
});

describe("write batcher", () => {
  it("25 concurrent creates → exactly 3 POSTs, each caller gets its own customer", async () => {
    const c = newClient();
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => c.customers.create(person(i))));
    results.forEach((customer, i) => expect(customer.email).toBe(`user${i}@example.com`));
    expect(new Set(results.map((r) => r.id)).size).toBe(25);
    expect(calls("POST")).toHaveLength(3);
    expect(emulator.store(STORE).customers.all()).toHaveLength(25);
  });

  it("a duplicate in the middle of a batch → that caller gets ConflictError, the others succeed", async () => {
    const c = newClient();
    emulator.store(STORE).customers.insert({ email: "user3@example.com", first_name: "Someone", last_name: "Else" });
    const settled = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => c.customers.create(person(i))));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
    const conflict = (settled[2] as PromiseRejectedResult).reason as ConflictError;
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict.email).toBe("user3@example.com");
    expect(calls("POST").map((r) => r.status)).toEqual([422, 200]);
    expect(calls("GET")).toHaveLength(1);
    expect(emulator.store(STORE).customers.all()).toHaveLength(5);
  });

  it("the same, when the store writes the valid items of a failing batch", async () => {
    const c = newClient();
    emulator.setOptions({ partialBatchWrites: true });
    emulator.store(STORE).customers.insert({ email: "user3@example.com", first_name: "Someone", last_name: "Else" });
    const settled = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => c.customers.create(person(i))));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(emulator.store(STORE).customers.all()).toHaveLength(5);
    expect(calls("POST")).toHaveLength(1); // the re-read found the four written: nothing re-sent
  });

  it("a dropped response on POST → creates succeed via the re-read, with no duplicates", async () => {
    const c = newClient();
    emulator.faults.add({ method: "POST", path: "/v3/customers", dropResponse: true, count: 1 });
    const results = await Promise.all([1, 2, 3].map((i) => c.customers.create(person(i))));
    expect(results.map((r) => r.email)).toEqual(["user1@example.com", "user2@example.com", "user3@example.com"]);
    const stored = emulator.store(STORE).customers.all();
    expect(stored).toHaveLength(3);
    expect(stored.map((s) => s.id).sort()).toEqual(results.map((r) => r.id).sort());
    expect(calls("POST")).toHaveLength(1);
    expect(calls("POST")[0]?.dropped).toBe(true);
    expect(calls("GET")).toHaveLength(1);
  });

  it("a dropped response on PUT → the update is settled by the re-read, not re-sent", async () => {
    const c = newClient();
    const created = await c.customers.create(person(7));
    emulator.faults.add({ method: "PUT", path: "/v3/customers", dropResponse: true, count: 1 });
    const updated = await c.customers.update({ id: created.id as CustomerId, last_name: "Changed" });
    expect(updated.last_name).toBe("Changed");
    expect(calls("PUT")).toHaveLength(1);
  });

  it("concurrent updates to the same id are serialised, in call order", async () => {
    const c = newClient();
    const created = await c.customers.create(person(8));
    const id = created.id as CustomerId;
    emulator.clearRequests();
    const names = ["a", "b", "c", "d", "e"];
    const results = await Promise.all(names.map((first_name) => c.customers.update({ id, first_name })));
    expect(results.map((r) => r.first_name)).toEqual(names);
    expect(emulator.store(STORE).customers.get(id)?.first_name).toBe("e");
    const puts = calls("PUT");
    expect(puts).toHaveLength(5);
    for (let i = 1; i < puts.length; i += 1) {
      const previous = puts[i - 1];
      expect(puts[i]?.at).toBeGreaterThanOrEqual((previous?.at ?? 0) + (previous?.durationMs ?? 0));
    }
    expect(puts.every((p) => p.status === 200)).toBe(true);
  });

  it("30 updates of distinct customers stay within 3 concurrent PUTs (no 429 from the cap)", async () => {
    const c = newClient();
    emulator.setOptions({ latencyMs: 20 });
    const created = await Promise.all(Array.from({ length: 30 }, (_, i) => c.customers.create(person(`u${i}`))));
    emulator.clearRequests();
    await Promise.all(created.map((x) => c.customers.update({ id: x.id as CustomerId, company: "Co" })));
    emulator.setOptions({ latencyMs: 0 });
    expect(calls("PUT").map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it("delete sends exactly the ids", async () => {
    const c = newClient();
    const [a, b, keep] = await Promise.all([1, 2, 3].map((i) => c.customers.create(person(i))));
    const ids = [b?.id, a?.id] as unknown as NonEmpty<CustomerId>;
    await c.customers.delete(ids);
    const deletes = calls("DELETE");
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.rawQuery).toBe(`id:in=${b?.id},${a?.id}`);
    expect(emulator.store(STORE).customers.all().map((x) => x.id)).toEqual([keep?.id]);
  });
});

describe("bounded waiting against a slow store", () => {
  it("sends no create after its caller's bound, and answers every caller by the bound or at the end of its one exchange", async () => {
    // Fake time for the client: its bounds pass only when the test says so, however slowly the
    // machine runs. The store is real: it writes each POST at once and answers 3 s later.
    const clock = new FakeClock();
    const t0 = clock.now();
    const maxWaitMs = 800;
    const c = createBigCommerceClient({ apiUrl: emulator.url, storeHash: STORE, accessToken: TOKEN, requestTimeoutMs: 20_000, maxWaitMs, batchWindowMs: 0, clock });
    client = c;
    const step = async () => {
      await clock.advance(0);
      await new Promise((r) => setTimeout(r, 5));
    };
    // The quota is learnt first, so the creates are not held behind a probe.
    const warm = track(c.customers.list({ limit: 1 }));
    while (!warm.settled) await step();
    emulator.faults.add({ method: "POST", path: customersPath, delayAfterHandlingMs: 3000 });
    const results = Array.from({ length: 150 }, (_, i) => track(c.customers.create(person(`slow${i}`))));
    const stored = () => emulator.store(STORE).customers.count();
    // As many batches of 10 in flight as the endpoint's concurrency cap allows (concurrency.ts),
    // written by the store, their answers pending.
    const postsAtBound = endpointCap("POST", "v3", "/customers").limit;
    while (stored() < 10 * postsAtBound) await step();
    await clock.advance(maxWaitMs);
    while (!results.every((r) => r.settled)) await step();
    // No create was sent after the bound, and nobody needed a moment of (fake) time past it.
    expect(calls("POST")).toHaveLength(postsAtBound);
    expect(clock.now() - t0).toBe(maxWaitMs);
    const ok = results.filter((r) => r.error === undefined);
    expect(ok).toHaveLength(10 * postsAtBound);
    // The store was slow, not the quota short: 503 (BC_BUDGET_SPENT), not 429 (BC_RATE_LIMITED).
    for (const r of results) if (r.error !== undefined) expect(r.error).toMatchObject({ code: "BC_BUDGET_SPENT" });
    // Nothing was written for the callers that were refused.
    expect(stored()).toBe(ok.length);
  });
});
