import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { FaultRule } from "../../src/emulator/faults.js";
import { countCalls, createUser, newUser, store, STORE_HASH, useBridge, withBridge } from "./helpers.js";

/**
 * Issue 18 item 2: with `addresses.types` in the mapping file, SCIM addresses of those types are
 * BigCommerce customer addresses the bridge owns (one per type, remembered in the customer's
 * `scim_addresses` attribute). BigCommerce's stored addresses are the judge.
 */
const dir = mkdtempSync(join(tmpdir(), "scim-addresses-"));
const mappingFile = join(dir, "mapping.json");
writeFileSync(mappingFile, JSON.stringify({ addresses: { types: ["work", "home"] } }));

const b = useBridge({ SCIM_MAPPING_FILE: mappingFile });

const WORK = {
  type: "work",
  streetAddress: "1 Main Street\nSuite 200",
  locality: "Austin",
  region: "TX",
  postalCode: "78701",
  country: "US",
};
const HOME = { type: "home", streetAddress: "9 Elm Road", locality: "Leeds", postalCode: "LS1 4AP", country: "GB" };

let n = 0;
const email = () => `addr${++n}@x.test`;
const addressesOf = (id: string | number) => store(b).addresses.where((a) => a.customer_id === Number(id));
const shopperAddress = (id: string | number) =>
  store(b).addresses.insert({
    customer_id: Number(id),
    first_name: "Shop",
    last_name: "Per",
    address1: "5 Checkout Lane",
    city: "Denver",
    country_code: "US",
    state_or_province: "Colorado",
    postal_code: "80202",
  });

describe("SCIM addresses become the bridge's own BigCommerce addresses", () => {
  it("creates them with the user: lines split, region code translated, names from the user", async () => {
    const u = await createUser(b.api, email(), { addresses: [WORK, HOME] });
    const stored = addressesOf(u.id);
    expect(stored).toHaveLength(2);
    expect(stored.find((a) => a.city === "Austin")).toMatchObject({
      first_name: "Given",
      last_name: "Family",
      address1: "1 Main Street",
      address2: "Suite 200",
      state_or_province: "Texas",
      postal_code: "78701",
      country_code: "US",
      address_type: "commercial",
    });
    expect(stored.find((a) => a.city === "Leeds")).toMatchObject({ address1: "9 Elm Road", country_code: "GB", state_or_province: "", address_type: "residential" });
    const shown = (await b.api.get(`/Users/${u.id}`)).body.addresses;
    expect(shown).toEqual([
      expect.objectContaining({ type: "work", streetAddress: "1 Main Street\nSuite 200", locality: "Austin", region: "Texas", postalCode: "78701", country: "US", primary: true }),
      expect.objectContaining({ type: "home", streetAddress: "9 Elm Road", locality: "Leeds", country: "GB", primary: false }),
    ]);
    expect(u.addresses).toEqual(shown);
  });

  it("costs a create two calls more (the address POST and the ledger's attribute-value PUT), and a PATCH of one sub-attribute one (the address PUT)", async () => {
    const created = await countCalls(b, () => b.api.post("/Users", newUser(email(), { addresses: [WORK] })));
    expect(created.result.status).toBe(201);
    expect(created.calls.filter((c) => !c.startsWith("GET")).sort()).toEqual(["POST /v3/customers", "POST /v3/customers/addresses", "PUT /v3/customers/attribute-values"]);
    const patched = await countCalls(b, () =>
      b.api.patch(`/Users/${created.result.body.id}`, [{ op: "replace", path: 'addresses[type eq "work"].postalCode', value: "78705" }]),
    );
    expect(patched.result.status).toBe(200);
    // The ledger is unchanged (same id): only the address PUT writes.
    expect(patched.calls.filter((c) => !c.startsWith("GET"))).toEqual(["PUT /v3/customers/addresses"]);
  });

  it("PATCH of one sub-attribute updates that address in place (same BigCommerce id), and leaves the shopper's alone", async () => {
    const u = await createUser(b.api, email(), { addresses: [WORK] });
    const shopper = shopperAddress(u.id);
    const [work] = addressesOf(u.id).filter((a) => a.id !== shopper.id);
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: 'addresses[type eq "work"].locality', value: "Dallas" }]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(store(b).addresses.get(work!.id)).toMatchObject({ city: "Dallas", address1: "1 Main Street", state_or_province: "Texas" });
    expect(store(b).addresses.get(shopper.id)).toEqual(shopper);
    expect(addressesOf(u.id)).toHaveLength(2);
    // GET shows only the bridge's address.
    const shown = (await b.api.get(`/Users/${u.id}`)).body.addresses as { locality: string }[];
    expect(shown.map((a) => a.locality)).toEqual(["Dallas"]);
  });

  it("Entra's forms: no-path replace with filtered keys, and the whole list", async () => {
    const u = await createUser(b.api, email());
    expect(addressesOf(u.id)).toHaveLength(0);
    const add = await b.api.patch(`/Users/${u.id}`, [
      {
        op: "Add",
        value: {
          'addresses[type eq "work"].streetAddress': "7 Bay St",
          'addresses[type eq "work"].locality': "Toronto",
          'addresses[type eq "work"].region': "ON",
          'addresses[type eq "work"].postalCode': "M5J 2T3",
          'addresses[type eq "work"].country': "CA",
        },
      },
    ]);
    expect(add.status, JSON.stringify(add.body)).toBe(200);
    const [created] = addressesOf(u.id);
    expect(created).toMatchObject({ address1: "7 Bay St", city: "Toronto", state_or_province: "Ontario", country_code: "CA" });
    const whole = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: "addresses", value: [{ ...WORK, streetAddress: "8 Bay St", locality: "Toronto", region: "Ontario", postalCode: "M5J 2T3", country: "CA" }] }]);
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(addressesOf(u.id)).toEqual([expect.objectContaining({ id: created!.id, address1: "8 Bay St", address2: "" })]);
    // No path, the attribute as a key, added again: the new work address is the one kept, in place.
    const again = await b.api.patch(`/Users/${u.id}`, [{ op: "add", value: { addresses: [{ ...WORK, streetAddress: "9 Bay St", locality: "Toronto", region: "Ontario", postalCode: "M5J 2T3", country: "CA" }] } }]);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(addressesOf(u.id)).toEqual([expect.objectContaining({ id: created!.id, address1: "9 Bay St" })]);
  });

  it("remove deletes only the bridge's address; a PUT without addresses removes the bridge's, never the shopper's", async () => {
    const u = await createUser(b.api, email(), { addresses: [WORK, HOME] });
    const shopper = shopperAddress(u.id);
    const removed = await b.api.patch(`/Users/${u.id}`, [{ op: "remove", path: 'addresses[type eq "home"]' }]);
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(addressesOf(u.id).map((a) => a.city).sort()).toEqual(["Austin", "Denver"]);
    const put = await b.api.put(`/Users/${u.id}`, newUser(u.userName));
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(addressesOf(u.id)).toEqual([shopper]);
    expect(put.body.addresses).toBeUndefined();
    // Removing the whole attribute with nothing of the bridge's left deletes nothing.
    const again = await b.api.patch(`/Users/${u.id}`, [{ op: "remove", path: "addresses" }]);
    expect(again.status).toBe(200);
    expect(addressesOf(u.id)).toEqual([shopper]);
  });

  it("a PUT with the same address changes nothing; a changed one is updated in place; a rename follows", async () => {
    const u = await createUser(b.api, email(), { addresses: [WORK] });
    const [before] = addressesOf(u.id);
    const same = await countCalls(b, () => b.api.put(`/Users/${u.id}`, newUser(u.userName, { addresses: [WORK] })));
    expect(same.result.status).toBe(200);
    expect(same.calls.filter((c) => !c.startsWith("GET"))).toEqual([]);
    const renamed = await b.api.put(`/Users/${u.id}`, { ...newUser(u.userName, { addresses: [{ ...WORK, postalCode: "78702" }] }), name: { givenName: "New", familyName: "Name" } });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(addressesOf(u.id)).toEqual([expect.objectContaining({ id: before!.id, postal_code: "78702", first_name: "New", last_name: "Name" })]);
  });

  it("a shopper who deletes the bridge's address gets a new one on the next write; the ledger is not fooled by a shopper address", async () => {
    const u = await createUser(b.api, email(), { addresses: [WORK] });
    const [own] = addressesOf(u.id);
    store(b).addresses.delete(own!.id);
    const shopper = shopperAddress(u.id);
    expect((await b.api.get(`/Users/${u.id}`)).body.addresses).toBeUndefined();
    const res = await b.api.put(`/Users/${u.id}`, newUser(u.userName, { addresses: [WORK] }));
    expect(res.status).toBe(200);
    const now = addressesOf(u.id);
    expect(now).toHaveLength(2);
    expect(now.find((a) => a.id === shopper.id)).toEqual(shopper);
  });
});

describe("an address BigCommerce would refuse is a 400 naming the attribute, and nothing is written", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["bad country", { ...WORK, country: "XY" }, /addresses\[type eq "work"\]\.country/],
    ["missing city", { ...WORK, locality: undefined }, /addresses\[type eq "work"\]\.locality/],
    ["state required", { ...WORK, region: undefined }, /addresses\[type eq "work"\]\.region/],
    ["untranslatable state code", { ...WORK, region: "ZZ" }, /addresses\[type eq "work"\]\.region/],
    ["missing street", { ...WORK, streetAddress: " " }, /addresses\[type eq "work"\]\.streetAddress/],
    ["postal code required", { ...WORK, postalCode: "" }, /addresses\[type eq "work"\]\.postalCode/],
  ];
  for (const [what, address, names] of cases) {
    it(`${what}: POST creates no customer`, async () => {
      const mail = email();
      const res = await b.api.post("/Users", newUser(mail, { addresses: [address] }));
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe("invalidValue");
      expect(res.body.detail).toMatch(names);
      expect(store(b).customers.where((c) => c.email === mail)).toHaveLength(0);
    });
  }

  it("a PATCH that makes the address impossible changes none of the user's fields or addresses", async () => {
    const u = await createUser(b.api, email(), { addresses: [WORK], title: "Before" });
    const before = (await b.api.get(`/Users/${u.id}`)).body;
    const storedBefore = addressesOf(u.id);
    const calls = await countCalls(b, () =>
      b.api.patch(`/Users/${u.id}`, [
        { op: "replace", path: "title", value: "After" },
        { op: "replace", path: "name.familyName", value: "Changed" },
        { op: "replace", path: 'addresses[type eq "work"].country', value: "Narnia" },
      ]),
    );
    expect(calls.result.status).toBe(400);
    expect(calls.result.body.detail).toMatch(/addresses\[type eq "work"\]\.country/);
    expect(calls.calls.filter((c) => !c.startsWith("GET"))).toEqual([]);
    expect((await b.api.get(`/Users/${u.id}`)).body).toEqual(before);
    expect(addressesOf(u.id)).toEqual(storedBefore);
  });

  it("BigCommerce failing the address write undoes the customer's other changes", async () => {
    const u = await createUser(b.api, email(), { addresses: [WORK], title: "Before" });
    const { meta: _m, ...before } = (await b.api.get(`/Users/${u.id}`)).body;
    const storedBefore = addressesOf(u.id);
    for (const fault of [
      { method: "PUT", path: "/v3/customers/addresses", status: 503, count: 1 },
      { method: "PUT", path: "/v3/customers/attribute-values", status: 503, count: 1 },
    ] satisfies FaultRule[]) {
      b.emulator.faults.add(fault);
      const res = await b.api.patch(`/Users/${u.id}`, [
        { op: "replace", path: "title", value: "After" },
        { op: "replace", path: "name.familyName", value: "Changed" },
        { op: "replace", path: 'addresses[type eq "work"].locality', value: "Houston" },
      ]);
      b.emulator.faults.clear();
      expect(res.status).toBe(503);
      const { meta: _m2, ...after } = (await b.api.get(`/Users/${u.id}`)).body;
      expect(after).toEqual(before);
      expect(addressesOf(u.id)).toEqual(storedBefore);
    }
  });

  it("an address create whose answer is lost is found by content and taken back with the rest", async () => {
    const u = await createUser(b.api, email(), { addresses: [WORK], title: "Before" });
    const storedBefore = addressesOf(u.id);
    b.emulator.faults.add({ method: "POST", path: "/v3/customers/addresses", dropResponse: true, count: 1 });
    const res = await b.api.patch(`/Users/${u.id}`, [
      { op: "replace", path: "title", value: "After" },
      { op: "add", path: "addresses", value: [HOME] },
    ]);
    b.emulator.faults.clear();
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(addressesOf(u.id)).toEqual(storedBefore);
    expect((await b.api.get(`/Users/${u.id}`)).body.title).toBe("Before");
  });

  it("a failed address create on POST leaves no customer behind", async () => {
    const mail = email();
    b.emulator.faults.add({ method: "POST", path: "/v3/customers/addresses", status: 503, count: 1 });
    const res = await b.api.post("/Users", newUser(mail, { addresses: [WORK] }));
    b.emulator.faults.clear();
    expect(res.status).toBe(503);
    expect(store(b).customers.where((c) => c.email === mail)).toHaveLength(0);
    expect(store(b).addresses.where((a) => a.city === "Austin" && a.first_name === "Given" && !store(b).customers.has(a.customer_id))).toHaveLength(0);
  });
});

describe("what the mapping does not list", () => {
  it("an address of an unlisted type is not stored (and is reported as unmapped)", async () => {
    const u = await createUser(b.api, email(), { addresses: [{ ...HOME, type: "other" }] });
    expect(addressesOf(u.id)).toHaveLength(0);
    expect(u.addresses).toBeUndefined();
  });

  it("without addresses.types, addresses are accepted and not stored (one warning per name), and /Schemas does not advertise them", async () => {
    const lines: string[] = [];
    await withBridge({ LOG_LEVEL: "warn" }, async (own) => {
      const res = await own.api.post("/Users", newUser("plain@x.test", { addresses: [WORK] }));
      expect(res.status).toBe(201);
      expect((await own.api.post("/Users", newUser("plain2@x.test", { addresses: [HOME] }))).status).toBe(201);
      const warnings = lines.map((l) => JSON.parse(l) as { attribute?: string; msg: string }).filter((l) => l.attribute === "addresses");
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toMatch(/nothing .*maps/);
      expect(own.emulator.store(STORE_HASH).addresses.where((a) => a.customer_id === Number(res.body.id))).toHaveLength(0);
      expect(res.body.addresses).toBeUndefined();
      const core = (await own.api.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")).body.attributes.map((a: { name: string }) => a.name);
      expect(core).not.toContain("addresses");
    }, { logLines: lines });
  });

  it("/Schemas advertises addresses with the mapped types", async () => {
    const core = (await b.api.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")).body;
    const addresses = core.attributes.find((a: { name: string }) => a.name === "addresses");
    expect(addresses).toBeDefined();
    expect(addresses.description).toMatch(/work, home/);
    expect(addresses.subAttributes.find((s: { name: string }) => s.name === "type").canonicalValues).toEqual(["work", "home"]);
    const settable = (addresses.subAttributes as { name: string; mutability: string }[]).filter((x) => x.mutability === "readWrite").map((x) => x.name);
    expect(settable.sort()).toEqual(["country", "locality", "postalCode", "region", "streetAddress", "type"]);
  });
});
