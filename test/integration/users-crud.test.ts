import { describe, expect, it, vi } from "vitest";
import { BC, CORE, countCalls, ENT, newUser, store, STORE_HASH, useBridge } from "./helpers.js";

const b = useBridge({ SCIM_DEFAULT_CHANNEL_IDS: "1" });

describe("POST /Users", () => {
  it("creates a customer in one BigCommerce call and answers 201 with the user and a Location", async () => {
    const { result: res, calls } = await countCalls(b, () =>
      b.api.post("/Users", newUser("create.one@x.test", { phoneNumbers: [{ value: "+1 555 0100", type: "work" }], [ENT]: { organization: "Acme", department: "Sales" }, title: "Buyer" })),
    );
    expect(res.status).toBe(201);
    expect(res.headers["content-type"]).toMatch(/application\/scim\+json/);
    expect(res.headers.location).toBe(res.body.meta.location);
    expect(calls).toEqual(["POST /v3/customers"]);
    expect(res.body).toMatchObject({
      userName: "create.one@x.test",
      name: { givenName: "Given", familyName: "Family", formatted: "Given Family" },
      displayName: "Given Family",
      active: true,
      title: "Buyer",
      phoneNumbers: [{ value: "+1 555 0100", type: "work", primary: true }],
      [ENT]: { organization: "Acme", department: "Sales" },
      [BC]: { channelIds: [1], customerGroupId: 0 },
    });
    const c = store(b).customers.get(Number(res.body.id))!;
    expect(c).toMatchObject({ email: "create.one@x.test", first_name: "Given", last_name: "Family", company: "Acme", phone: "+1 555 0100", channel_ids: [1] });
  });

  it("keeps externalId with one more call (the lookup index) and finds it in two", async () => {
    const { result: res, calls } = await countCalls(b, () => b.api.post("/Users", newUser("ext.user@x.test", { externalId: "00u-okta-1" })));
    expect(res.status).toBe(201);
    expect(res.body.externalId).toBe("00u-okta-1");
    // The index entry is written behind the answer (in shared batches); lookups here see it at once.
    expect(calls.filter((c) => c !== "POST /v3/customers/metafields")).toEqual(["POST /v3/customers"]);
    await vi.waitFor(() => expect(b.emulator.requests.some((r) => r.method === "POST" && r.path.endsWith("/metafields"))).toBe(true));
    const { result: found, calls: lookup } = await countCalls(b, () => b.api.get(`/Users?filter=${encodeURIComponent('externalId eq "00u-okta-1"')}`));
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].id).toBe(res.body.id);
    expect(lookup).toEqual(["GET /v3/customers/metafields", "GET /v3/customers"]);
    const miss = await b.api.get(`/Users?filter=${encodeURIComponent('externalId eq "00U-OKTA-1"')}`);
    expect(miss.body.totalResults).toBe(0); // externalId is caseExact
  });

  it("never returns or logs the password, and sets it on the customer", async () => {
    const res = await b.api.post("/Users", newUser("pw.user@x.test", { password: "Sup3r-secret!" }));
    expect(res.status).toBe(201);
    expect(JSON.stringify(res.body)).not.toContain("Sup3r-secret!");
    expect(res.body.password).toBeUndefined();
    expect(store(b).customers.checkPassword(Number(res.body.id), "Sup3r-secret!")).toBe(true);
  });

  it("answers 409 uniqueness for an email that exists in any case", async () => {
    await b.api.post("/Users", newUser("dup@x.test"));
    const res = await b.api.post("/Users", newUser("DUP@x.test"));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "409", scimType: "uniqueness" });
  });

  it.each([
    ["no userName", { schemas: [CORE], name: { givenName: "a" } }, /userName/],
    ["a userName that is not an email", newUser("not-an-email"), /email/],
    ["a userName over 250 characters", newUser(`${"a".repeat(245)}@x.test`), /userName/],
    ["a givenName over 100 characters", newUser("long.name@x.test", { name: { givenName: "g".repeat(101), familyName: "f" } }), /name.givenName/],
    ["a phone over 50 characters", newUser("long.phone@x.test", { phoneNumbers: [{ value: "9".repeat(51) }] }), /phoneNumbers/],
    ["an empty channelIds", newUser("chan@x.test", { [BC]: { channelIds: [] } }), /channelIds/],
    ["active that is not a boolean", newUser("bool@x.test", { active: "maybe" }), /active/],
  ])("answers 400 invalidValue for %s before any BigCommerce call", async (_name, body, detail) => {
    const { result: res, calls } = await countCalls(b, () => b.api.post("/Users", body));
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
    expect(res.body.detail).toMatch(detail);
    expect(calls).toEqual([]);
  });

  it("derives first and last name when the IdP sends none", async () => {
    const res = await b.api.post("/Users", { schemas: [CORE], userName: "jane.doe@x.test" });
    expect(res.status).toBe(201);
    expect(res.body.name).toMatchObject({ givenName: "jane", familyName: "doe" });
  });

  it("answers malformed JSON with 400 invalidSyntax as SCIM JSON", async () => {
    const res = await (await import("supertest")).default(`${b.url}/scim/v2`).post("/Users").set(b.auth).set("Content-Type", "application/scim+json").send('{"userName": ');
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toMatch(/application\/scim\+json/);
    expect(res.body).toMatchObject({ status: "400", scimType: "invalidSyntax" });
  });

  it("answers an oversized body with 413 as SCIM JSON", async () => {
    const res = await b.api.post("/Users", newUser("big@x.test", { notes: "x".repeat(1_100_000) }));
    expect(res.status).toBe(413);
    expect(res.body.status).toBe("413");
  });
});

describe("GET /Users/{id}", () => {
  it("reads a user in exactly one BigCommerce call", async () => {
    const created = await b.api.post("/Users", newUser("read.one@x.test", { externalId: "e-read" }));
    const { result: res, calls } = await countCalls(b, () => b.api.get(`/Users/${created.body.id}`));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: created.body.id, userName: "read.one@x.test", externalId: "e-read" });
    expect(res.body.meta).toMatchObject({ resourceType: "User", location: `${b.url}/scim/v2/Users/${created.body.id}` });
    expect(res.body.meta.version).toMatch(/^".+"$/);
    // (countCalls lets the create's index entry, written behind, land first)
    expect(calls).toEqual(["GET /v3/customers"]);
  });

  it.each(["999999", "0", "007", "abc", "1.5", "-3", "99999999999", "010101001010101011001010101011", 'a"b'])(
    "answers 404 for id %s (malformed ids without asking BigCommerce)",
    async (id) => {
      const { result: res, calls } = await countCalls(b, () => b.api.get(`/Users/${encodeURIComponent(id)}`));
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "404" });
      expect(res.body.detail).toBeTruthy();
      expect(calls.length).toBeLessThanOrEqual(id === "999999" ? 1 : 0);
    },
  );
});

describe("PUT /Users/{id}", () => {
  it("replaces mapped attributes, ignores echoed read-only ones, and keeps what SCIM does not carry", async () => {
    const created = await b.api.post("/Users", newUser("put.user@x.test", { phoneNumbers: [{ value: "123" }], title: "T" }));
    const id = Number(created.body.id);
    store(b).addresses.insert({ customer_id: id, first_name: "a", last_name: "b", address1: "1 Main", city: "Austin", country_code: "US", state_or_province: "Texas", postal_code: "78701" });
    const echo = { ...created.body, name: { givenName: "New", familyName: "Name" }, groups: [{ value: "77" }], meta: { ...created.body.meta, version: "W/\"x\"" } };
    delete echo.phoneNumbers;
    const res = await b.api.put(`/Users/${id}`, echo);
    expect(res.status).toBe(200);
    expect(res.body.name).toMatchObject({ givenName: "New", familyName: "Name" });
    expect(res.body.phoneNumbers).toBeUndefined();
    expect(res.body.title).toBe("T");
    expect(res.body.active).toBe(true);
    expect(store(b).customers.get(id)).toMatchObject({ first_name: "New", phone: "" });
    expect(store(b).addresses.where((a) => a.customer_id === id)).toHaveLength(1);
  });

  it("does not change active when the PUT leaves it out, and deactivates when it says false (Okta AIW)", async () => {
    const created = await b.api.post("/Users", newUser("put.active@x.test"));
    const body = { ...created.body };
    delete body.active;
    expect((await b.api.put(`/Users/${created.body.id}`, body)).body.active).toBe(true);
    const off = await b.api.put(`/Users/${created.body.id}`, { ...created.body, active: false });
    expect(off.body.active).toBe(false);
  });

  it("keeps the BigCommerce extension when the PUT leaves it out (docs/identity-providers.md, Okta)", async () => {
    const created = await b.api.post("/Users", newUser("put.extension@x.test", { [BC]: { channelIds: [1] } }));
    expect(created.status).toBe(201);
    const body = { ...created.body };
    delete body[BC];
    const res = await b.api.put(`/Users/${created.body.id}`, { ...body, name: { givenName: "Other", familyName: "Family" } });
    expect(res.status).toBe(200);
    expect(res.body[BC]).toMatchObject({ channelIds: [1] });
    expect(store(b).customers.get(Number(created.body.id))).toMatchObject({ first_name: "Other", channel_ids: [1] });
  });

  it("answers 404 for an unknown id and 400 without userName", async () => {
    expect((await b.api.put("/Users/987654", newUser("nobody@x.test"))).status).toBe(404);
    const created = await b.api.post("/Users", newUser("put.nouser@x.test"));
    const res = await b.api.put(`/Users/${created.body.id}`, { schemas: [], name: { givenName: "x" } });
    expect(res.status).toBe(400);
  });
});

describe("DELETE /Users/{id}", () => {
  it("deletes the customer (a read to answer 404 honestly, then one delete with exactly that id)", async () => {
    const created = await b.api.post("/Users", newUser("del.user@x.test"));
    const { result: res, calls } = await countCalls(b, () => b.api.delete(`/Users/${created.body.id}`));
    expect(res.status).toBe(204);
    expect(calls).toEqual(["GET /v3/customers", "DELETE /v3/customers"]);
    const del = b.emulator.requests.find((r) => r.method === "DELETE")!;
    expect(del.rawQuery).toBe(`id:in=${created.body.id}`);
    expect(store(b).customers.get(Number(created.body.id))).toBeUndefined();
    expect((await b.api.get(`/Users/${created.body.id}`)).status).toBe(404);
    expect((await b.api.delete(`/Users/${created.body.id}`)).status).toBe(404);
  });
});

describe("bursts of creates", () => {
  // How many creates share a batch depends on when the 25 requests reach the bridge, which a busy
  // machine decides; that sharing is proven with a fake clock in test/bigcommerce/batcher.test.ts.
  // Here only what holds under any scheduling: the emulator refuses a batch of more than 10
  // (as BigCommerce does), so every POST answered 2xx carried at most 10, and 25 creates need
  // at least 3 of them. (The metafield batch limit is not checked by the emulator.)
  it("share customer POSTs and externalId index writes in batches of up to 10", async () => {
    b.emulator.setOptions({ latencyMs: 50 });
    b.emulator.clearRequests();
    const result = await Promise.all(Array.from({ length: 25 }, (_, i) => b.api.post("/Users", newUser(`burst${i}@x.test`, { externalId: `burst-${i}` }))));
    // The externalId index entries are written behind the answers (a lane may hold the last ones
    // for the IdP's next request): count the calls once they have landed.
    await b.bridge.settled();
    b.emulator.setOptions({ latencyMs: 0 });
    const calls = b.upstreamCalls().map((c) => ({ ...c, path: c.path.replace(`/stores/${STORE_HASH}`, "") }));
    expect(result.map((r) => r.status)).toEqual(Array(25).fill(201));
    expect(new Set(result.map((r) => r.body.id)).size).toBe(25);
    const posts = calls.filter((c) => c.method === "POST" && c.path === "/v3/customers");
    const indexWrites = calls.filter((c) => c.method === "POST" && c.path === "/v3/customers/metafields");
    expect(posts.map((c) => c.status).filter((st) => st >= 300)).toEqual([]);
    expect(indexWrites.map((c) => c.status).filter((st) => st >= 300)).toEqual([]);
    expect(posts.length).toBeGreaterThanOrEqual(3);
    expect(posts.length).toBeLessThanOrEqual(25);
    expect(indexWrites.length).toBeGreaterThanOrEqual(1);
    expect(indexWrites.length).toBeLessThanOrEqual(25);
    for (let i = 0; i < 25; i += 8) {
      const found = await b.api.get(`/Users?filter=${encodeURIComponent(`externalId eq "burst-${i}"`)}`);
      expect(found.body.Resources[0].userName).toBe(`burst${i}@x.test`);
    }
  });
});
