/**
 * Call counts of small concurrent bursts (issue 9), read from the emulator's request log: reads,
 * lookups, creates and attribute writes that arrive together share calls, also (especially)
 * when the store's quota is spent and they have to wait for it; every caller still gets only
 * its own result. Counts are bounds that hold however the burst and the window reset interleave;
 * nothing here measures time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CustomerId } from "../../src/bigcommerce/api.js";
import { createBigCommerceClient, type BigCommerceClientHandle } from "../../src/bigcommerce/client.js";
import { InvalidQueryError } from "../../src/bigcommerce/errors.js";
import { MAX_VALUES } from "../../src/bigcommerce/merged-reads.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";

const STORE = "merged";
const TOKEN = "emulator-token";
const customersPath = `/stores/${STORE}/v3/customers`;
let emulator: RunningEmulator;
let client: BigCommerceClientHandle | undefined;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, accessToken: TOKEN, rateQuota: 100_000, rateWindowMs: 30_000 });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  emulator.reset();
  emulator.setOptions({ rateQuota: 100_000, rateWindowMs: 30_000 });
});

function newClient(): BigCommerceClientHandle {
  client = createBigCommerceClient({ apiUrl: emulator.url, storeHash: STORE, accessToken: TOKEN, requestTimeoutMs: 5000, maxWaitMs: 20_000 });
  return client;
}

function seed(count: number): { id: CustomerId; email: string }[] {
  const store = emulator.store(STORE);
  return Array.from({ length: count }, (_, i) => {
    const row = store.customers.insert({ email: `Seed${i}@Example.test`, first_name: "S", last_name: `${i}` });
    return { id: row.id as CustomerId, email: row.email };
  });
}

/** Spends the window's whole budget, so the next calls must wait for the window to reset. */
async function spendQuota(c: BigCommerceClientHandle, quota: number): Promise<void> {
  emulator.setOptions({ rateQuota: quota, rateWindowMs: 1500 });
  for (let i = 0; i < quota; i++) await c.customers.list({ limit: 1 });
  expect(c.governorState().left).toBe(0);
  emulator.clearRequests();
}

const gets = () => emulator.requests.filter((r) => r.method === "GET" && r.path === customersPath);

describe("merged reads", () => {
  it("20 concurrent userName lookups under quota pressure share at most 2 calls, each answered with its own customer", async () => {
    const c = newClient();
    const users = seed(20);
    await spendQuota(c, 3);
    const answers = await Promise.all(users.map((u, i) => c.customers.findByEmails(i % 2 ? [u.email, u.email.toLowerCase()] : [u.email.toLowerCase()])));
    expect(answers.map((found) => found.map((x) => x.id))).toEqual(users.map((u) => [u.id]));
    expect(answers.every((found) => found.every((x) => Array.isArray(x.attributes)))).toBe(true);
    expect(gets().length).toBeLessThanOrEqual(2);
    expect(gets().every((r) => r.status === 200 && r.query["email:in"] !== undefined)).toBe(true);
  });

  it("an email no customer has gets an empty answer from the shared call; a comma is refused before any call", async () => {
    const c = newClient();
    const [user] = seed(1);
    const [hit, miss] = await Promise.all([c.customers.findByEmails([user!.email]), c.customers.findByEmails(["nobody@example.test"])]);
    expect(hit.map((x) => x.id)).toEqual([user!.id]);
    expect(miss).toEqual([]);
    expect(gets()).toHaveLength(1);
    emulator.clearRequests();
    await expect(c.customers.findByEmails(["a@x.test,b@x.test"])).rejects.toBeInstanceOf(InvalidQueryError);
    expect(emulator.requests).toHaveLength(0);
  });

  it("20 concurrent reads by id under quota pressure share at most 2 id:in calls; an unknown id reads as undefined", async () => {
    const c = newClient();
    const users = seed(20);
    await spendQuota(c, 3);
    const [unknown, ...found] = await Promise.all([c.customers.get(999_999 as CustomerId), ...users.map((u) => c.customers.get(u.id))]);
    expect(unknown).toBeUndefined();
    expect(found.map((x) => x?.id)).toEqual(users.map((u) => u.id));
    expect(gets().length).toBeLessThanOrEqual(2);
  });

  it("bounds one call's list: more lookups than fit go out in several calls, none over the bound", async () => {
    const c = newClient();
    const users = seed(MAX_VALUES + 30);
    const answers = await Promise.all(users.map((u) => c.customers.findByEmails([u.email])));
    expect(answers.map((found) => found[0]?.id)).toEqual(users.map((u) => u.id));
    expect(gets().length).toBeGreaterThanOrEqual(2);
    for (const r of gets()) expect(r.query["email:in"]!.split(",").length).toBeLessThanOrEqual(MAX_VALUES);
  });
});

describe("late-bound batches", () => {
  it("25 concurrent creates under quota pressure go out in full batches (at most 3 POSTs), each caller getting its own customer", async () => {
    const c = newClient();
    await spendQuota(c, 3);
    const created = await Promise.all(
      Array.from({ length: 25 }, (_, i) => c.customers.create({ email: `late${i}@example.test`, first_name: "L", last_name: `${i}` })),
    );
    expect(created.map((x) => x.email)).toEqual(Array.from({ length: 25 }, (_, i) => `late${i}@example.test`));
    const posts = emulator.requests.filter((r) => r.method === "POST" && r.path === customersPath);
    expect(posts.length).toBeLessThanOrEqual(3);
    expect(emulator.requests.filter((r) => r.status === 429)).toHaveLength(0);
  });

  it("20 concurrent attribute-value upserts share at most 2 PUTs, each caller getting its own value", async () => {
    const c = newClient();
    const users = seed(20);
    const attribute = emulator.store(STORE).attributes.insert({ name: "scim_title", type: "string" });
    await spendQuota(c, 3);
    const written = await Promise.all(
      users.map((u, i) => c.attributeValues.upsertOne({ attribute_id: attribute!.id, customer_id: u.id, value: `v${i}` })),
    );
    expect(written.map((w) => [w.customer_id, w.attribute_value])).toEqual(users.map((u, i) => [u.id, `v${i}`]));
    const puts = emulator.requests.filter((r) => r.method === "PUT" && r.path === `${customersPath}/attribute-values`);
    expect(puts.length).toBeLessThanOrEqual(2);
  });

  it("20 concurrent address creates, updates and deletes share at most 2 calls each; a duplicate is undefined and its neighbours written", async () => {
    const c = newClient();
    const users = seed(20);
    const address = (i: number) => ({
      first_name: "A",
      last_name: `${i}`,
      address1: `${i} Main Street`,
      address2: "",
      city: "Austin",
      state_or_province: "Texas",
      postal_code: "78701",
      country_code: "US",
    });
    const shopper = emulator.store(STORE).addresses.insert({ customer_id: users[0]!.id, ...address(0) });
    await spendQuota(c, 3);
    const created = await Promise.all(users.map((u, i) => c.addresses.createOne({ customer_id: u.id, ...address(i) })));
    // The first duplicates the shopper's address: BigCommerce writes nothing and leaves it out.
    expect(created[0]).toBeUndefined();
    expect(created.slice(1).map((a) => [a?.customer_id, a?.address1])).toEqual(users.slice(1).map((u, i) => [u.id, `${i + 1} Main Street`]));
    const calls = (method: string) => emulator.requests.filter((r) => r.method === method && r.path === `${customersPath}/addresses`);
    expect(calls("POST").length).toBeLessThanOrEqual(2);
    const ids = created.slice(1).map((a) => a!.id);
    await spendQuota(c, 3);
    const updated = await Promise.all(ids.map((id, i) => c.addresses.updateOne({ id, city: `City ${i}` })));
    expect(updated.map((a) => [a?.id, a?.city])).toEqual(ids.map((id, i) => [id, `City ${i}`]));
    expect(calls("PUT").length).toBeLessThanOrEqual(2);
    await spendQuota(c, 3);
    await Promise.all(ids.map((id) => c.addresses.deleteOne(id)));
    expect(calls("DELETE").length).toBeLessThanOrEqual(2);
    expect(emulator.store(STORE).addresses.all()).toEqual([shopper]);
  });

  it("a lone read on an idle client leaves as one call of its own", async () => {
    const c = newClient();
    const [user] = seed(1);
    expect((await c.customers.get(user!.id))?.email).toBe(user!.email);
    expect(gets().map((r) => r.query["id:in"])).toEqual([String(user!.id)]);
  });
});
