import { describe, expect, it } from "vitest";
import { person, STORE, useEmulator, V3_TYPE } from "./helpers.js";

const { emu, call } = useEmulator();

describe("POST /v3/customers", () => {
  it("creates in request order with the captured defaults and store_credit_amounts", async () => {
    const reply = await call("POST", "/v3/customers", {
      body: [
        { email: "bobby.bob@bobberton.co", first_name: "Bobby", last_name: "Bob" },
        { email: "Nina.Ni@nina.co", first_name: "Nina", last_name: "Ni" },
      ],
    });
    expect(reply.status).toBe(200);
    expect(reply.body.meta).toEqual({});
    expect(reply.body.data.map((c: { email: string }) => c.email)).toEqual(["bobby.bob@bobberton.co", "Nina.Ni@nina.co"]);
    const [bobby] = reply.body.data;
    expect(bobby).toEqual({
      id: 1,
      authentication: { force_password_reset: false },
      company: "",
      customer_group_id: 0,
      email: "bobby.bob@bobberton.co",
      first_name: "Bobby",
      last_name: "Bob",
      notes: "",
      phone: "",
      registration_ip_address: "",
      tax_exempt_category: "",
      date_created: bobby.date_created,
      date_modified: bobby.date_created,
      accepts_product_review_abandoned_cart_emails: false,
      store_credit_amounts: [{ amount: 0 }],
      origin_channel_id: 1,
      channel_ids: null,
    });
  });

  it("stores the password hashed, never returns it, and returns force_password_reset", async () => {
    const reply = await call("POST", "/v3/customers", {
      body: [person(1, { authentication: { new_password: "Secret123", force_password_reset: true } })],
    });
    expect(reply.status).toBe(200);
    expect(reply.text).not.toContain("Secret123");
    expect(reply.body.data[0].authentication).toEqual({ force_password_reset: true });
    const store = emu().store(STORE);
    expect(store.customers.checkPassword(1, "Secret123")).toBe(true);
    expect(JSON.stringify(store.customers.get(1))).not.toContain("Secret123");
  });

  it("rejects a non-array body, an empty array and more than 10 items (413)", async () => {
    expect((await call("POST", "/v3/customers", { body: person(1) })).status).toBe(422);
    expect((await call("POST", "/v3/customers", { body: [] })).status).toBe(422);
    const big = await call("POST", "/v3/customers", { body: Array.from({ length: 11 }, (_, i) => person(i)) });
    expect(big.status).toBe(413);
    expect(big.body).toEqual({
      status: 413,
      title: "The request payload is too large. The maximum number of items allowed in the array is 10.",
      type: V3_TYPE,
      errors: {},
    });
    expect(emu().store(STORE).customers.count()).toBe(0);
  });

  it("answers 422 keyed <index>.<field> for missing fields and length limits, writing nothing", async () => {
    const reply = await call("POST", "/v3/customers", {
      body: [person(1), { email: "x@y.co", first_name: "" }, person(3, { email: `${"a".repeat(245)}@x.com`, phone: "1".repeat(51) })],
    });
    expect(reply.status).toBe(422);
    expect(reply.body.title).toBe("Create customers failed.");
    expect(Object.keys(reply.body.errors).sort()).toEqual(["1.first_name", "1.last_name", "2.email", "2.phone"]);
    expect(emu().store(STORE).customers.count()).toBe(0);
  });

  it("answers items that are not objects or have wrong JSON types with 'JSON data is missing or invalid'", async () => {
    const reply = await call("POST", "/v3/customers", { body: [42] });
    expect(reply.status).toBe(422);
    expect(reply.body.title).toBe("JSON data is missing or invalid");
    const typed = await call("POST", "/v3/customers", { body: [person(1, { first_name: 7 })] });
    expect(typed.body).toMatchObject({ status: 422, title: "JSON data is missing or invalid", errors: { first_name: "error.expected.jsstring" } });
  });

  it("answers a duplicate email (any case) with the captured .customer_create body and writes nothing", async () => {
    emu().store(STORE).customers.insert({ email: "sally@smithers.org", first_name: "Sally", last_name: "Smithers" });
    const reply = await call("POST", "/v3/customers", {
      body: [person(1), { email: "Sally@Smithers.org", first_name: "S", last_name: "S" }],
    });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({
      status: 422,
      title: "Create customers failed.",
      type: V3_TYPE,
      errors: { ".customer_create": "Error creating customers: email Sally@Smithers.org already in use" },
    });
    expect(emu().store(STORE).customers.count()).toBe(1);
  });

  it("rejects duplicates inside one batch", async () => {
    const reply = await call("POST", "/v3/customers", { body: [person(1), person(1, { first_name: "Other" })] });
    expect(reply.status).toBe(422);
    expect(reply.body.errors[".customer_create"]).toContain("user1@example.com");
    expect(emu().store(STORE).customers.count()).toBe(0);
  });

  it("writes the valid items of a failing batch when partialBatchWrites is on", async () => {
    emu().setOptions({ partialBatchWrites: true });
    emu().store(STORE).customers.insert({ email: "taken@x.co", first_name: "T", last_name: "T" });
    const reply = await call("POST", "/v3/customers", { body: [person(1), { email: "TAKEN@x.co", first_name: "A", last_name: "B" }, person(3)] });
    expect(reply.status).toBe(422);
    expect(emu().store(STORE).customers.all().map((c) => c.email)).toEqual(["taken@x.co", "user1@example.com", "user3@example.com"]);
  });

  it("rejects channel_ids: [] and an unknown customer group; accepts null channel_ids", async () => {
    const empty = await call("POST", "/v3/customers", { body: [person(1, { channel_ids: [] })] });
    expect(empty.status).toBe(422);
    expect(empty.body.errors["0.channel_ids"]).toBeDefined();
    expect((await call("POST", "/v3/customers", { body: [person(1, { customer_group_id: 9 })] })).body.errors).toHaveProperty("0.customer_group_id");
    emu().store(STORE).channels.insert({ name: "second", type: "storefront", platform: "custom" });
    const ok = await call("POST", "/v3/customers", { body: [person(1, { channel_ids: null }), person(2, { channel_ids: [1, 2] })] });
    expect(ok.body.data.map((c: { channel_ids: unknown }) => c.channel_ids)).toEqual([null, [1, 2]]);
  });

  it("puts new customers into the is_default group", async () => {
    const group = emu().store(STORE).groups.insert({ name: "Retail", is_default: true });
    const reply = await call("POST", "/v3/customers", { body: [person(1)] });
    expect(reply.body.data[0].customer_group_id).toBe(group.id);
  });

  it("creates inline addresses and attribute values (definitions must exist, at most 10)", async () => {
    const attribute = emu().store(STORE).attributes.insert({ name: "Tier", type: "string" });
    const address = { first_name: "A", last_name: "B", address1: "1 Main", city: "Austin", country_code: "US", state_or_province: "Texas", postal_code: "78759" };
    const reply = await call("POST", "/v3/customers", {
      body: [person(1, { addresses: [address], attributes: [{ attribute_id: attribute.id, attribute_value: "gold" }] })],
    });
    expect(reply.status).toBe(200);
    const store = emu().store(STORE);
    expect(store.addresses.all()).toHaveLength(1);
    expect(store.attributeValues.all()[0]).toMatchObject({ attribute_id: attribute.id, attribute_value: "gold", customer_id: 1 });
    const unknown = await call("POST", "/v3/customers", { body: [person(2, { attributes: [{ attribute_id: 99, attribute_value: "x" }] })] });
    expect(unknown.body.errors).toHaveProperty("0.attributes.0.attribute_id");
    const eleven = Array.from({ length: 11 }, () => address);
    expect((await call("POST", "/v3/customers", { body: [person(3, { addresses: eleven })] })).body.errors).toHaveProperty("0.addresses");
    const noState = await call("POST", "/v3/customers", { body: [person(4, { addresses: [{ ...address, state_or_province: "TX" }] })] });
    expect(noState.body.errors).toHaveProperty("0.addresses.0.state_or_province");
  });

  it("enforces the password policy (switchable)", async () => {
    const weak = await call("POST", "/v3/customers", { body: [person(1, { authentication: { new_password: "short" } })] });
    expect(weak.body.errors).toHaveProperty("0.authentication.new_password");
    emu().setOptions({ passwordPolicy: false });
    expect((await call("POST", "/v3/customers", { body: [person(1, { authentication: { new_password: "short" } })] })).status).toBe(200);
    emu().setOptions({ passwordPolicy: true });
  });
});

describe("PUT /v3/customers", () => {
  it("updates only the sent fields, bumps date_modified and keeps date_created", async () => {
    let clock = Date.parse("2023-02-01T05:06:55Z");
    emu().setOptions({ now: () => new Date(clock) });
    await call("POST", "/v3/customers", { body: [{ email: "sally@smithers.org", first_name: "Sally", last_name: "Smithers", phone: "123" }] });
    clock = Date.parse("2023-02-01T05:36:53Z");
    const reply = await call("PUT", "/v3/customers", { body: [{ id: 1, first_name: "Sal" }] });
    expect(reply.status).toBe(200);
    expect(reply.body.data[0]).toMatchObject({
      id: 1,
      first_name: "Sal",
      phone: "123",
      date_created: "2023-02-01T05:06:55Z",
      date_modified: "2023-02-01T05:36:53Z",
      store_credit_amounts: [{ amount: 0 }],
    });
    emu().setOptions({ now: () => new Date() });
  });

  it("answers the captured 422 for an unknown or missing id", async () => {
    const reply = await call("PUT", "/v3/customers", { body: [{ id: 99, first_name: "X" }] });
    expect(reply.body).toEqual({ status: 422, title: "Update customers failed.", type: V3_TYPE, errors: { "0.id": "invalid customer ID" } });
    expect((await call("PUT", "/v3/customers", { body: [{ first_name: "X" }] })).body.errors).toEqual({ "0.id": "invalid customer ID" });
  });

  it("answers the captured 'JSON data is missing or invalid' for non-object items", async () => {
    const reply = await call("PUT", "/v3/customers", { body: [42] });
    expect(reply.body).toEqual({ status: 422, title: "JSON data is missing or invalid", type: V3_TYPE, errors: { id: "error.path.missing" } });
  });

  it("rejects addresses, attributes and origin_channel_id (switchable to ignoring them)", async () => {
    emu().store(STORE).customers.insert({ email: "a@x.co", first_name: "A", last_name: "B" });
    const reply = await call("PUT", "/v3/customers", { body: [{ id: 1, origin_channel_id: 2, addresses: [], attributes: [] }] });
    expect(reply.status).toBe(422);
    expect(Object.keys(reply.body.errors).sort()).toEqual(["0.addresses", "0.attributes", "0.origin_channel_id"]);
    emu().setOptions({ putReadOnlyFields: "ignore" });
    const ignored = await call("PUT", "/v3/customers", { body: [{ id: 1, origin_channel_id: 2, first_name: "Z" }] });
    expect(ignored.body.data[0]).toMatchObject({ origin_channel_id: 1, first_name: "Z" });
    emu().setOptions({ putReadOnlyFields: "reject" });
  });

  it("rejects an email held by another customer (any case) but allows changing one's own case and swaps", async () => {
    const store = emu().store(STORE);
    store.customers.insert({ email: "a@x.co", first_name: "A", last_name: "A" });
    store.customers.insert({ email: "b@x.co", first_name: "B", last_name: "B" });
    const taken = await call("PUT", "/v3/customers", { body: [{ id: 2, email: "A@X.co" }] });
    expect(taken.status).toBe(422);
    expect(taken.body.title).toBe("Update customers failed.");
    expect(taken.body.errors["0.email"]).toContain("already in use");
    expect((await call("PUT", "/v3/customers", { body: [{ id: 1, email: "A@x.co" }] })).status).toBe(200);
    const swap = await call("PUT", "/v3/customers", { body: [{ id: 1, email: "b@x.co" }, { id: 2, email: "a@x.co" }] });
    expect(swap.status).toBe(200);
    expect(store.customers.get(1)?.email).toBe("b@x.co");
  });

  it("is all-or-nothing: one bad item leaves every customer untouched", async () => {
    emu().store(STORE).customers.insert({ email: "a@x.co", first_name: "A", last_name: "A" });
    const reply = await call("PUT", "/v3/customers", { body: [{ id: 1, first_name: "Changed" }, { id: 5, first_name: "X" }] });
    expect(reply.body.errors).toEqual({ "1.id": "invalid customer ID" });
    expect(emu().store(STORE).customers.get(1)?.first_name).toBe("A");
  });

  it("rejects channel_ids: [], over 10 items, and sets a new password", async () => {
    emu().store(STORE).customers.insert({ email: "a@x.co", first_name: "A", last_name: "A" });
    expect((await call("PUT", "/v3/customers", { body: [{ id: 1, channel_ids: [] }] })).status).toBe(422);
    expect((await call("PUT", "/v3/customers", { body: Array.from({ length: 11 }, () => ({ id: 1 })) })).status).toBe(413);
    await call("PUT", "/v3/customers", { body: [{ id: 1, authentication: { new_password: "NewPass123" } }] });
    expect(emu().store(STORE).customers.checkPassword(1, "NewPass123")).toBe(true);
  });
});

describe("DELETE /v3/customers", () => {
  it("deletes the listed ids with 204, ignoring unknown ids", async () => {
    const store = emu().store(STORE);
    for (let i = 1; i <= 3; i++) store.customers.insert({ email: `u${i}@x.co`, first_name: "A", last_name: "B" });
    const reply = await call("DELETE", "/v3/customers?id:in=1,3,99");
    expect(reply.status).toBe(204);
    expect(reply.text).toBe("");
    expect(store.customers.all().map((c) => c.id)).toEqual([2]);
  });

  it("deletes nothing without id:in (204) and refuses other filters or malformed ids", async () => {
    const store = emu().store(STORE);
    store.customers.insert({ email: "u@x.co", first_name: "A", last_name: "B" });
    expect((await call("DELETE", "/v3/customers")).status).toBe(204);
    expect((await call("DELETE", "/v3/customers?email:in=u@x.co")).status).toBe(422);
    expect((await call("DELETE", "/v3/customers?id:in=1,x")).status).toBe(422);
    expect(store.customers.count()).toBe(1);
  });

  it("cascades to addresses, attribute values and metafields", async () => {
    const store = emu().store(STORE);
    const keep = store.customers.insert({ email: "keep@x.co", first_name: "K", last_name: "K" });
    const gone = store.customers.insert({ email: "gone@x.co", first_name: "G", last_name: "G" });
    const attribute = store.attributes.insert({ name: "Tier", type: "string" });
    for (const c of [keep, gone]) {
      store.addresses.insert({ customer_id: c.id, first_name: "A", last_name: "B", address1: "1", city: "C", country_code: "GB", postal_code: "N1" });
      store.attributeValues.insert({ attribute_id: attribute.id, customer_id: c.id, attribute_value: "x" });
      store.metafields.insert({ namespace: "scim", key: "externalId", value: "e", resource_id: c.id });
    }
    await call("DELETE", `/v3/customers?id:in=${gone.id}`);
    expect(store.addresses.all().map((a) => a.customer_id)).toEqual([keep.id]);
    expect(store.attributeValues.all().map((v) => v.customer_id)).toEqual([keep.id]);
    expect(store.metafields.all().map((m) => m.resource_id)).toEqual([keep.id]);
    expect(store.attributes.count()).toBe(1);
  });

  it("never serves V2 DELETE /customers", async () => {
    emu().store(STORE).customers.insert({ email: "u@x.co", first_name: "A", last_name: "B" });
    const reply = await call("DELETE", "/v2/customers");
    expect(reply.status).toBe(405);
    expect(Array.isArray(reply.body)).toBe(true);
    expect(emu().store(STORE).customers.count()).toBe(1);
  });
});
