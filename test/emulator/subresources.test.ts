import { describe, expect, it } from "vitest";
import { STORE, useEmulator } from "./helpers.js";

const { emu, call } = useEmulator();

describe("/v3/customers/attributes", () => {
  it("creates, lists with filters, renames and deletes (cascading to values)", async () => {
    const created = await call("POST", "/v3/customers/attributes", {
      body: [
        { name: "Date Joined", type: "date" },
        { name: "Tier", type: "string" },
      ],
    });
    expect(created.status).toBe(200);
    expect(created.body.data[0]).toMatchObject({ id: 1, name: "Date Joined", type: "date" });
    const ids = async (q: string): Promise<number[]> => (await call("GET", `/v3/customers/attributes?${q}`)).body.data.map((a: { id: number }) => a.id);
    expect(await ids("name=Tier")).toEqual([2]);
    expect(await ids("name:like=join")).toEqual([1]);
    expect(await ids("type=date")).toEqual([1]);
    const bad = await call("GET", "/v3/customers/attributes?name:in=Tier");
    expect(bad.status).toBe(422);
    expect(bad.body.title).toBe("The filter(s): name:in are not valid filter parameter(s).");

    const renamed = await call("PUT", "/v3/customers/attributes", { body: [{ id: 2, name: "Level" }] });
    expect(renamed.body.data[0]).toMatchObject({ id: 2, name: "Level", type: "string" });

    const store = emu().store(STORE);
    const c = store.customers.insert({ email: "a@x.co", first_name: "A", last_name: "B" });
    store.attributeValues.insert({ attribute_id: 2, customer_id: c.id, attribute_value: "gold" });
    expect((await call("DELETE", "/v3/customers/attributes?id:in=2")).status).toBe(204);
    expect(store.attributes.all().map((a) => a.id)).toEqual([1]);
    expect(store.attributeValues.count()).toBe(0);
  });

  it("keeps the type immutable", async () => {
    emu().store(STORE).attributes.insert({ name: "Tier", type: "string" });
    const reply = await call("PUT", "/v3/customers/attributes", { body: [{ id: 1, name: "Tier", type: "number" }] });
    expect(reply.status).toBe(422);
    expect(reply.body.errors).toHaveProperty("0.type");
    expect(emu().store(STORE).attributes.get(1)?.type).toBe("string");
  });

  it("caps a store at 50 attributes", async () => {
    const store = emu().store(STORE);
    for (let i = 0; i < 49; i++) store.attributes.insert({ name: `a${i}`, type: "string" });
    expect((await call("POST", "/v3/customers/attributes", { body: [{ name: "fiftieth", type: "string" }] })).status).toBe(200);
    const over = await call("POST", "/v3/customers/attributes", { body: [{ name: "fifty-first", type: "string" }] });
    expect(over.status).toBe(422);
    expect(store.attributes.count()).toBe(50);
  });

  it("rejects an unknown type and a missing name", async () => {
    const reply = await call("POST", "/v3/customers/attributes", { body: [{ name: "X", type: "bool" }, { type: "string" }] });
    expect(reply.status).toBe(422);
    expect(Object.keys(reply.body.errors).sort()).toEqual(["0.type", "1.name"]);
  });
});

describe("/v3/customers/attribute-values", () => {
  it("upserts with `value` and lists with `attribute_value`", async () => {
    const store = emu().store(STORE);
    const c1 = store.customers.insert({ email: "a@x.co", first_name: "A", last_name: "B" });
    const c2 = store.customers.insert({ email: "b@x.co", first_name: "A", last_name: "B" });
    const tier = store.attributes.insert({ name: "Tier", type: "string" });
    const age = store.attributes.insert({ name: "Age", type: "number" });
    const put = await call("PUT", "/v3/customers/attribute-values", {
      body: [
        { attribute_id: tier.id, customer_id: c1.id, value: "gold" },
        { attribute_id: age.id, customer_id: c2.id, value: "10" },
      ],
    });
    expect(put.status).toBe(200);
    expect(put.body.data[0]).toMatchObject({ attribute_id: tier.id, attribute_value: "gold", customer_id: c1.id });
    expect(put.body.data[0]).not.toHaveProperty("value");
    const again = await call("PUT", "/v3/customers/attribute-values", { body: [{ attribute_id: tier.id, customer_id: c1.id, value: "" }] });
    expect(again.body.data[0].id).toBe(put.body.data[0].id);
    expect(store.attributeValues.count()).toBe(2);

    const list = await call("GET", `/v3/customers/attribute-values?customer_id:in=${c1.id}`);
    expect(list.body.data).toEqual([expect.objectContaining({ attribute_value: "", customer_id: c1.id })]);
    expect(list.body.data[0]).not.toHaveProperty("value");
    expect((await call("GET", `/v3/customers/attribute-values?attribute_id:in=${age.id}`)).body.data).toHaveLength(1);
    expect((await call("DELETE", `/v3/customers/attribute-values?id:in=${put.body.data[1].id}`)).status).toBe(204);
    expect(store.attributeValues.count()).toBe(1);
  });

  it("validates length, type, references and the 10-item limit", async () => {
    const store = emu().store(STORE);
    const c = store.customers.insert({ email: "a@x.co", first_name: "A", last_name: "B" });
    const age = store.attributes.insert({ name: "Age", type: "number" });
    const reply = await call("PUT", "/v3/customers/attribute-values", {
      body: [
        { attribute_id: age.id, customer_id: c.id, value: "ten" },
        { attribute_id: 99, customer_id: c.id, value: "1" },
        { attribute_id: age.id, customer_id: 99, value: "1" },
        { attribute_id: age.id, customer_id: c.id, value: "1".repeat(256) },
      ],
    });
    expect(reply.status).toBe(422);
    expect(Object.keys(reply.body.errors).sort()).toEqual(["0.value", "1.attribute_id", "2.customer_id", "3.attribute_id", "3.value"]);
    const many = Array.from({ length: 11 }, () => ({ attribute_id: age.id, customer_id: c.id, value: "1" }));
    expect((await call("PUT", "/v3/customers/attribute-values", { body: many })).status).toBe(413);
    expect(store.attributeValues.count()).toBe(0);
  });
});

describe("/v3/customers/addresses", () => {
  const address = (customerId: number, extra: Record<string, unknown> = {}) => ({
    customer_id: customerId,
    first_name: "John",
    last_name: "Doe",
    address1: "111 E West Street",
    city: "Akron",
    state_or_province: "Ohio",
    postal_code: "44325",
    country_code: "US",
    ...extra,
  });

  it("creates, omits duplicates from data, lists with filters, updates and deletes", async () => {
    const c = emu().store(STORE).customers.insert({ email: "a@x.co", first_name: "A", last_name: "B" });
    const created = await call("POST", "/v3/customers/addresses", { body: [address(c.id), address(c.id, { city: "Dayton" })] });
    expect(created.status).toBe(200);
    expect(created.body.data).toHaveLength(2);
    expect(created.body.data[0]).toMatchObject({ id: 1, country: "United States", address_type: "residential", address2: "", company: "" });
    const dup = await call("POST", "/v3/customers/addresses", { body: [address(c.id), address(c.id, { city: "Canton" })] });
    expect(dup.status).toBe(200);
    expect(dup.body.data.map((a: { city: string }) => a.city)).toEqual(["Canton"]);
    const allDup = await call("POST", "/v3/customers/addresses", { body: [address(c.id)] });
    expect(allDup.status).toBe(200);
    expect(allDup.body).toEqual({});

    const list = await call("GET", `/v3/customers/addresses?customer_id:in=${c.id}&limit=2`);
    expect(list.body.meta.pagination).toMatchObject({ total: 3, count: 2, total_pages: 2 });
    expect((await call("GET", "/v3/customers/addresses?name:in=John%20Doe&id:in=2")).body.data).toHaveLength(1);

    const updated = await call("PUT", "/v3/customers/addresses", { body: [{ id: 2, city: "Toledo" }] });
    expect(updated.body.data[0]).toMatchObject({ id: 2, city: "Toledo", first_name: "John" });
    const becomesDup = await call("PUT", "/v3/customers/addresses", { body: [{ id: 2, city: "Akron" }] });
    expect(becomesDup.status).toBe(200);
    expect(emu().store(STORE).addresses.get(2)?.city).toBe("Toledo");

    expect((await call("DELETE", "/v3/customers/addresses?id:in=1,2")).status).toBe(204);
    expect(emu().store(STORE).addresses.count()).toBe(1);
  });

  it("validates required fields, the customer and the country", async () => {
    const c = emu().store(STORE).customers.insert({ email: "a@x.co", first_name: "A", last_name: "B" });
    const reply = await call("POST", "/v3/customers/addresses", {
      body: [{ customer_id: c.id, first_name: "J" }, address(99), address(c.id, { country_code: "XX" })],
    });
    expect(reply.status).toBe(422);
    expect(reply.body.errors).toHaveProperty("0.city");
    expect(reply.body.errors).toHaveProperty("1.customer_id");
    expect(reply.body.errors).toHaveProperty("2.country_code");
    expect((await call("PUT", "/v3/customers/addresses", { body: [{ id: 42, city: "X" }] })).body.errors).toEqual({ "0.id": "invalid address ID" });
  });
});

describe("settings and validate-credentials", () => {
  it("reads and partially updates global and channel settings", async () => {
    const get = await call("GET", "/v3/customers/settings");
    expect(get.body).toEqual({
      data: {
        privacy_settings: { ask_shopper_for_tracking_consent: false, policy_url: "", ask_shopper_for_tracking_consent_on_checkout: false },
        customer_group_settings: { guest_customer_group_id: 0, default_customer_group_id: 0 },
      },
      meta: {},
    });
    const put = await call("PUT", "/v3/customers/settings", { body: { privacy_settings: { policy_url: "https://x.test/p" } } });
    expect(put.body.data.privacy_settings).toMatchObject({ policy_url: "https://x.test/p", ask_shopper_for_tracking_consent: false });
    expect((await call("GET", "/v3/customers/settings/channels/1")).body.data.allow_global_logins).toBe(true);
    expect((await call("POST", "/v3/channels", { body: { name: "Second", type: "storefront", platform: "custom" } })).body.data.id).toBe(2);
    expect((await call("GET", "/v3/customers/settings/channels/2")).body.data.allow_global_logins).toBe(false);
    const channel = await call("PUT", "/v3/customers/settings/channels/2", { body: { allow_global_logins: true } });
    expect(channel.body.data.allow_global_logins).toBe(true);
  });

  it("validates credentials against the stored password and channel access", async () => {
    await call("POST", "/v3/channels", { body: { name: "Second", type: "storefront", platform: "custom" } });
    await call("POST", "/v3/customers", {
      body: [
        { email: "Foo@bar.com", first_name: "F", last_name: "B", authentication: { new_password: "password1" } },
        { email: "chan@bar.com", first_name: "C", last_name: "B", channel_ids: [2], authentication: { new_password: "password1" } },
      ],
    });
    const ok = await call("POST", "/v3/customers/validate-credentials", { body: { email: "foo@bar.com", password: "password1" } });
    expect(ok.body).toEqual({ is_valid: true, customer_id: 1 });
    const wrong = await call("POST", "/v3/customers/validate-credentials", { body: { email: "foo@bar.com", password: "nope" } });
    expect(wrong.body).toEqual({ is_valid: false, customer_id: null });
    expect((await call("POST", "/v3/customers/validate-credentials", { body: { email: "chan@bar.com", password: "password1" } })).body.is_valid).toBe(false);
    expect((await call("POST", "/v3/customers/validate-credentials", { body: { email: "chan@bar.com", password: "password1", channel_id: 2 } })).body.is_valid).toBe(true);
    expect((await call("POST", "/v3/customers/validate-credentials", { body: { email: "foo@bar.com" } })).status).toBe(422);
  });
});
