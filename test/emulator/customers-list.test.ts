import { describe, expect, it } from "vitest";
import { useEmulator, V3_TYPE, STORE } from "./helpers.js";

const { emu, call } = useEmulator();

function seed(count: number): void {
  const store = emu().store(STORE);
  for (let i = 1; i <= count; i++) {
    store.customers.insert({ email: `user${i}@example.com`, first_name: `First${i}`, last_name: `Last${i}` });
  }
}

describe("GET /v3/customers", () => {
  it("answers an empty store with an empty page that still reports one page", async () => {
    const reply = await call("GET", "/v3/customers");
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual([]);
    expect(reply.body.meta.pagination).toEqual({
      total: 0,
      count: 0,
      per_page: 50,
      current_page: 1,
      total_pages: 1,
      links: { current: "?limit=50&page=1" },
    });
  });

  it("lists in id order with the captured customer shape (no store credit without include)", async () => {
    seed(3);
    const reply = await call("GET", "/v3/customers");
    expect(reply.body.data.map((c: { id: number }) => c.id)).toEqual([1, 2, 3]);
    expect(Object.keys(reply.body.data[0])).toEqual([
      "id",
      "authentication",
      "company",
      "customer_group_id",
      "email",
      "first_name",
      "last_name",
      "notes",
      "phone",
      "registration_ip_address",
      "tax_exempt_category",
      "date_created",
      "date_modified",
      "accepts_product_review_abandoned_cart_emails",
      "origin_channel_id",
      "channel_ids",
    ]);
    expect(reply.body.data[0]).toMatchObject({ company: "", channel_ids: null, origin_channel_id: 1, customer_group_id: 0 });
    expect(reply.body.data[0].date_created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("paginates with default 50, links only where pages exist, echoing the request's params", async () => {
    seed(120);
    const first = await call("GET", "/v3/customers?sort=last_name:asc");
    expect(first.body.data).toHaveLength(50);
    expect(first.body.meta.pagination).toMatchObject({ total: 120, count: 50, per_page: 50, current_page: 1, total_pages: 3 });
    expect(first.body.meta.pagination.links).toEqual({
      current: "?sort=last_name:asc&limit=50&page=1",
      next: "?sort=last_name:asc&limit=50&page=2",
    });
    const last = await call("GET", "/v3/customers?page=3&limit=50");
    expect(last.body.data).toHaveLength(20);
    expect(last.body.meta.pagination.links).toEqual({ previous: "?limit=50&page=2", current: "?limit=50&page=3" });
    expect(last.body.meta.cursor_pagination).toBeUndefined();
    const beyond = await call("GET", "/v3/customers?page=30&limit=50");
    expect(beyond.status).toBe(200);
    expect(beyond.body.data).toEqual([]);
    expect(beyond.body.meta.pagination.links.previous).toBe("?limit=50&page=29");
  });

  it("accepts limit 250 and rejects 251 (switchable to 413 or clamping)", async () => {
    seed(260);
    expect((await call("GET", "/v3/customers?limit=250")).body.data).toHaveLength(250);
    const over = await call("GET", "/v3/customers?limit=251");
    expect(over.status).toBe(422);
    expect(over.body.type).toBe(V3_TYPE);
    emu().setOptions({ limitOverMax: "413" });
    expect((await call("GET", "/v3/customers?limit=251")).status).toBe(413);
    emu().setOptions({ limitOverMax: "clamp" });
    const clamped = await call("GET", "/v3/customers?limit=251");
    expect(clamped.body.data).toHaveLength(250);
    expect(clamped.body.meta.pagination.per_page).toBe(250);
    emu().setOptions({ limitOverMax: "422" });
  });

  it("filters by id:in and answers 200 with no data for unknown ids", async () => {
    seed(5);
    const reply = await call("GET", "/v3/customers?id:in=2,4,99");
    expect(reply.body.data.map((c: { id: number }) => c.id)).toEqual([2, 4]);
    const none = await call("GET", "/v3/customers?id:in=77");
    expect(none.status).toBe(200);
    expect(none.body.data).toEqual([]);
  });

  it("answers the captured 422 bodies for an unknown filter and a non-integer id:in", async () => {
    const unknown = await call("GET", "/v3/customers?foo=bar");
    expect(unknown.status).toBe(422);
    expect(unknown.body).toEqual({
      status: 422,
      title: "The filter(s): foo are not valid filter parameter(s).",
      type: V3_TYPE,
      errors: {},
    });
    const bad = await call("GET", "/v3/customers?id:in=hello");
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({
      status: 422,
      title: 'Query parameter "id:in" value may contain only integer values. For input string: "hello".',
      type: V3_TYPE,
      errors: {},
    });
    expect((await call("GET", "/v3/customers?customer_group_id:in=x")).status).toBe(422);
  });

  it("matches email:in case-insensitively, keeping the stored case (switchable)", async () => {
    emu().store(STORE).customers.insert({ email: "Nina.Ni@nina.co", first_name: "Nina", last_name: "Ni" });
    const reply = await call("GET", `/v3/customers?email:in=${encodeURIComponent("nina.ni@NINA.co")}`);
    expect(reply.body.data).toHaveLength(1);
    expect(reply.body.data[0].email).toBe("Nina.Ni@nina.co");
    emu().setOptions({ emailFilterCaseSensitive: true });
    expect((await call("GET", "/v3/customers?email:in=nina.ni@nina.co")).body.data).toHaveLength(0);
    emu().setOptions({ emailFilterCaseSensitive: false });
  });

  it("treats a literal + as a space, so an unencoded plus address does not match", async () => {
    emu().store(STORE).customers.insert({ email: "a+b@example.com", first_name: "A", last_name: "B" });
    expect((await call("GET", "/v3/customers?email:in=a+b@example.com")).body.data).toHaveLength(0);
    expect((await call("GET", "/v3/customers?email:in=a%2Bb@example.com")).body.data).toHaveLength(1);
  });

  it("filters by name:in, name:like, company:in, customer_group_id:in, phone:in and registration_ip_address:in", async () => {
    const store = emu().store(STORE);
    const group = store.groups.insert({ name: "Wholesale" });
    store.customers.insert({ email: "s@x.co", first_name: "Sherlock", last_name: "Holmes", company: "Baker", phone: "555" });
    store.customers.insert({ email: "j@x.co", first_name: "James", last_name: "Moriarty", customer_group_id: group.id, registration_ip_address: "10.0.0.1" });
    store.customers.insert({ email: "w@x.co", first_name: "John", last_name: "Watson", company: "Army" });
    const ids = async (q: string): Promise<number[]> => (await call("GET", `/v3/customers?${q}`)).body.data.map((c: { id: number }) => c.id);
    expect(await ids("name:in=James%20Moriarty")).toEqual([2]);
    expect(await ids("name:in=James+Moriarty,John%20Watson")).toEqual([2, 3]);
    expect(await ids("name:like=moriarty,sherlock")).toEqual([1, 2]);
    expect(await ids("company:in=army,Baker")).toEqual([1, 3]);
    expect(await ids(`customer_group_id:in=${group.id}`)).toEqual([2]);
    expect(await ids("phone:in=555")).toEqual([1]);
    expect(await ids("registration_ip_address:in=10.0.0.1")).toEqual([2]);
  });

  it("filters by date_created and date_modified with :min and :max", async () => {
    const store = emu().store(STORE);
    store.customers.insert({ email: "a@x.co", first_name: "A", last_name: "A", date_created: "2024-05-13T10:00:00Z", date_modified: "2024-06-01T00:00:00Z" });
    store.customers.insert({ email: "b@x.co", first_name: "B", last_name: "B", date_created: "2024-05-14T09:34:00Z", date_modified: "2024-06-02T00:00:00Z" });
    store.customers.insert({ email: "c@x.co", first_name: "C", last_name: "C", date_created: "2024-05-15T23:59:59Z", date_modified: "2024-06-03T00:00:00Z" });
    const ids = async (q: string): Promise<number[]> => (await call("GET", `/v3/customers?${q}`)).body.data.map((c: { id: number }) => c.id);
    expect(await ids("date_created=2024-05-14")).toEqual([2]);
    expect(await ids("date_created=2024-05-14T09:34:00")).toEqual([2]);
    expect(await ids("date_created:min=2024-05-14")).toEqual([2, 3]);
    expect(await ids("date_created:max=2024-05-14T09:34:00")).toEqual([1, 2]);
    expect(await ids("date_modified:min=2024-06-02&date_modified:max=2024-06-02T12:00:00")).toEqual([2]);
    expect(await ids(`date_created:min=${Date.parse("2024-05-15T00:00:00Z") / 1000}`)).toEqual([3]);
    expect((await call("GET", "/v3/customers?date_created:min=yesterday")).status).toBe(422);
  });

  it("sorts by last_name and dates, ties by id", async () => {
    const store = emu().store(STORE);
    store.customers.insert({ email: "a@x.co", first_name: "A", last_name: "zed", date_created: "2024-01-03T00:00:00Z" });
    store.customers.insert({ email: "b@x.co", first_name: "B", last_name: "Alpha", date_created: "2024-01-01T00:00:00Z" });
    store.customers.insert({ email: "c@x.co", first_name: "C", last_name: "Mid", date_created: "2024-01-02T00:00:00Z" });
    const ids = async (q: string): Promise<number[]> => (await call("GET", `/v3/customers?${q}`)).body.data.map((c: { id: number }) => c.id);
    expect(await ids("sort=last_name:asc")).toEqual([2, 3, 1]);
    expect(await ids("sort=last_name:desc")).toEqual([1, 3, 2]);
    expect(await ids("sort=date_created:asc")).toEqual([2, 3, 1]);
    expect(await ids("sort=date_created:desc")).toEqual([1, 3, 2]);
    expect((await call("GET", "/v3/customers?sort=email:asc")).status).toBe(422);
  });

  it("includes addresses, store credit, attributes and form fields only when asked", async () => {
    const store = emu().store(STORE);
    const c = store.customers.insert({ email: "a@x.co", first_name: "A", last_name: "B", form_fields: [{ name: "size", value: "L" }] });
    store.addresses.insert({ customer_id: c.id, first_name: "A", last_name: "B", address1: "1 Main", city: "Austin", country_code: "US", state_or_province: "Texas", postal_code: "78759" });
    const attribute = store.attributes.insert({ name: "Age", type: "number" });
    store.attributeValues.insert({ attribute_id: attribute.id, customer_id: c.id, attribute_value: "42" });
    const plain = (await call("GET", "/v3/customers")).body.data[0];
    expect(plain.addresses).toBeUndefined();
    expect(plain.store_credit_amounts).toBeUndefined();
    expect(plain.attributes).toBeUndefined();
    const full = (await call("GET", "/v3/customers?include=addresses,storecredit,attributes,formfields")).body.data[0];
    expect(full.store_credit_amounts).toEqual([{ amount: 0 }]);
    expect(full.addresses[0]).toMatchObject({ customer_id: c.id, city: "Austin", country: "United States", country_code: "US" });
    expect(full.attributes[0]).toMatchObject({ attribute_id: attribute.id, attribute_value: "42", customer_id: c.id });
    expect(full.form_fields).toEqual([{ name: "size", value: "L", customer_id: c.id }]);
    expect((await call("GET", "/v3/customers?include=orders")).status).toBe(422);
  });

  it("serves cursor pagination: both envelopes on the first page, cursors after that", async () => {
    seed(5);
    const first = await call("GET", "/v3/customers?limit=2");
    expect(first.body.meta.pagination).toBeDefined();
    const cursor = first.body.meta.cursor_pagination;
    expect(cursor).toMatchObject({ count: 2, per_page: 2 });
    expect(JSON.parse(Buffer.from(cursor.end_cursor, "base64").toString())).toEqual({ id: 2 });
    const next = await call("GET", `/v3/customers?limit=2&after=${cursor.end_cursor}`);
    expect(next.body.data.map((c: { id: number }) => c.id)).toEqual([3, 4]);
    expect(next.body.meta.pagination).toBeUndefined();
    expect(next.body.meta.cursor_pagination.links.previous).toContain("before=");
    const back = await call("GET", `/v3/customers?limit=2&before=${next.body.meta.cursor_pagination.start_cursor}`);
    expect(back.body.data.map((c: { id: number }) => c.id)).toEqual([1, 2]);
    expect((await call("GET", "/v3/customers?after=!!!")).status).toBe(422);
  });
});
