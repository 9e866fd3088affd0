import { describe, expect, it } from "vitest";
import { useEmulator, V3_TYPE } from "./helpers.js";

const { call } = useEmulator();

const lockout = { name: "scim-lockout", type: "storefront", platform: "custom", status: "inactive" };

describe("channels", () => {
  it("always lists the default storefront, channel 1", async () => {
    const list = await call("GET", "/v3/channels");
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ id: 1, type: "storefront", platform: "bigcommerce", status: "active", is_enabled: true });
    expect(list.body.meta.pagination).toMatchObject({ total: 1, count: 1, current_page: 1, total_pages: 1 });
    expect((await call("GET", "/v3/channels/1")).body.data.id).toBe(1);
  });

  it("creates a channel and reads it back, in the list and by id", async () => {
    const created = await call("POST", "/v3/channels", { body: lockout });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ data: expect.objectContaining({ id: 2, name: "scim-lockout", status: "inactive", is_enabled: false, external_id: "" }), meta: {} });
    expect((await call("GET", "/v3/channels/2")).body.data).toEqual(created.body.data);
    expect((await call("GET", "/v3/channels")).body.data.map((c: { id: number }) => c.id)).toEqual([1, 2]);
  });

  it("filters by type, platform, status and availability; refuses unknown filters", async () => {
    await call("POST", "/v3/channels", { body: lockout });
    await call("POST", "/v3/channels", { body: { name: "eBay", type: "marketplace", platform: "ebay" } });
    const ids = async (query: string) => (await call("GET", `/v3/channels?${query}`)).body.data.map((c: { id: number }) => c.id);
    expect(await ids("type:in=marketplace")).toEqual([3]);
    expect(await ids("platform:in=custom,bigcommerce")).toEqual([1, 2]);
    expect(await ids("status:in=inactive")).toEqual([2]);
    expect(await ids("available=true")).toEqual([1, 2, 3]);
    expect(await ids("limit=1&page=2")).toEqual([2]);
    const bad = await call("GET", "/v3/channels?name=x");
    expect(bad.status).toBe(422);
    expect(bad.body.title).toBe("The filter(s): name are not valid filter parameter(s).");
  });

  it("answers 404 for an unknown channel", async () => {
    const missing = await call("GET", "/v3/channels/99");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ status: 404, title: "Not found", type: V3_TYPE, errors: {} });
  });

  it.each([
    [{ type: "storefront", platform: "custom" }, 422, /JSON data is missing or invalid/],
    [{ name: "has space", type: "storefront", platform: "custom" }, 422, /latin alphabet letters/],
    [{ name: "x", type: "marketplace", platform: "bigcommerce" }, 422, /type \[marketplace\] with platform \[bigcommerce\]/],
    [{ name: "x", type: "storefront", platform: "custom", status: "deleted" }, 422, /status \[deleted\]/],
  ])("refuses an invalid channel %j", async (body, status, title) => {
    const reply = await call("POST", "/v3/channels", { body });
    expect(reply.status).toBe(status);
    expect(reply.body.title).toMatch(title);
    expect((await call("GET", "/v3/channels")).body.data).toHaveLength(1);
  });

  it("refuses a second channel with the same name, platform and type (409)", async () => {
    await call("POST", "/v3/channels", { body: lockout });
    const again = await call("POST", "/v3/channels", { body: lockout });
    expect(again.status).toBe(409);
    expect(again.body.title).toMatch(/Channel already exists/);
  });
});

describe("customer settings per channel", () => {
  it("channel 1 allows global logins by default, a new channel does not; PUT changes it", async () => {
    expect((await call("GET", "/v3/customers/settings/channels/1")).body.data.allow_global_logins).toBe(true);
    await call("POST", "/v3/channels", { body: lockout });
    expect((await call("GET", "/v3/customers/settings/channels/2")).body.data.allow_global_logins).toBe(false);
    const put = await call("PUT", "/v3/customers/settings/channels/2", { body: { allow_global_logins: true } });
    expect(put.body.data.allow_global_logins).toBe(true);
    expect((await call("GET", "/v3/customers/settings/channels/2")).body.data.allow_global_logins).toBe(true);
  });

  it("settings of a channel that does not exist are 404, for GET and PUT", async () => {
    expect((await call("GET", "/v3/customers/settings/channels/5")).status).toBe(404);
    expect((await call("PUT", "/v3/customers/settings/channels/5", { body: { allow_global_logins: false } })).status).toBe(404);
  });
});

describe("customer channel_ids and validate-credentials", () => {
  const validate = async (email: string, password: string, channelId?: number) =>
    (await call("POST", "/v3/customers/validate-credentials", { body: { email, password, ...(channelId === undefined ? {} : { channel_id: channelId }) } })).body;

  it("refuses channel_ids naming a channel that does not exist", async () => {
    const reply = await call("POST", "/v3/customers", { body: [{ email: "a@x.test", first_name: "A", last_name: "B", channel_ids: [1, 7] }] });
    expect(reply.status).toBe(422);
    expect(reply.body.errors["0.channel_ids"]).toMatch(/7/);
  });

  it("global customers sign in where global logins are allowed; restricted ones only on their channels", async () => {
    await call("POST", "/v3/channels", { body: lockout }); // 2: no global logins
    await call("POST", "/v3/channels", { body: { name: "wholesale", type: "storefront", platform: "custom" } }); // 3
    await call("PUT", "/v3/customers/settings/channels/3", { body: { allow_global_logins: true } });
    await call("POST", "/v3/customers", {
      body: [
        { email: "global@x.test", first_name: "G", last_name: "L", authentication: { new_password: "password1" } },
        { email: "locked@x.test", first_name: "L", last_name: "K", channel_ids: [2], authentication: { new_password: "password1" } },
        { email: "both@x.test", first_name: "B", last_name: "O", channel_ids: [1, 2], authentication: { new_password: "password1" } },
      ],
    });
    expect(await validate("global@x.test", "password1")).toEqual({ is_valid: true, customer_id: 1 });
    expect((await validate("global@x.test", "password1", 3)).is_valid).toBe(true);
    expect((await validate("global@x.test", "password1", 2)).is_valid).toBe(false);
    expect((await validate("locked@x.test", "password1")).is_valid).toBe(false);
    expect((await validate("locked@x.test", "password1", 3)).is_valid).toBe(false);
    expect((await validate("locked@x.test", "password1", 2)).is_valid).toBe(true);
    expect((await validate("both@x.test", "password1", 1)).is_valid).toBe(true);
    expect((await validate("both@x.test", "password1", 3)).is_valid).toBe(false);
    // Moving a customer's access is immediate.
    await call("PUT", "/v3/customers", { body: [{ id: 1, channel_ids: [2] }] });
    expect((await validate("global@x.test", "password1")).is_valid).toBe(false);
    // Turning global logins off on channel 3 shuts out global customers there.
    await call("PUT", "/v3/customers/settings/channels/3", { body: { allow_global_logins: false } });
    await call("PUT", "/v3/customers", { body: [{ id: 1, channel_ids: null }] });
    expect((await validate("global@x.test", "password1", 3)).is_valid).toBe(false);
  });

  it("a channel that does not exist accepts nobody", async () => {
    await call("POST", "/v3/customers", { body: [{ email: "g@x.test", first_name: "G", last_name: "L", authentication: { new_password: "password1" } }] });
    await call("PUT", "/v3/customers/settings/channels/1", { body: { allow_global_logins: true } });
    expect(await validate("g@x.test", "password1", 42)).toEqual({ is_valid: false, customer_id: null });
  });
});
