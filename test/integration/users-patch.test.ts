import { describe, expect, it } from "vitest";
import { BC, countCalls, createUser, ENT, store, useBridge } from "./helpers.js";

const b = useBridge();

let n = 0;
const user = (extra: Record<string, unknown> = {}) => createUser(b.api, `patch${++n}@x.test`, extra);

describe("PATCH /Users/{id}: IdP quirks", () => {
  it("Entra default deactivation: capitalised op, string boolean", async () => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "Replace", path: "active", value: "False" }]);
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
  });

  it("Okta deactivation: no-path replace", async () => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", value: { active: false } }]);
    expect(res.body.active).toBe(false);
  });

  it("no-path replace whose keys are dotted or URN-prefixed paths (aadOptscim062020)", async () => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [
      { op: "replace", value: { "name.givenName": "Ann", "name.familyName": "Lee", [`${ENT}:department`]: "Ops", [`${ENT}:employeeNumber`]: "E7" } },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.name).toMatchObject({ givenName: "Ann", familyName: "Lee" });
    expect(res.body[ENT]).toMatchObject({ department: "Ops", employeeNumber: "E7" });
    expect(store(b).customers.get(Number(u.id))).toMatchObject({ first_name: "Ann", last_name: "Lee" });
  });

  it("filtered path creates the element when none matches (Entra's work email / mobile phone)", async () => {
    const u = await user({ emails: [] });
    const res = await b.api.patch(`/Users/${u.id}`, [
      { op: "Add", path: 'phoneNumbers[type eq "mobile"].value', value: "+44 20 7946 0000" },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.phoneNumbers[0].value).toBe("+44 20 7946 0000");
    expect(store(b).customers.get(Number(u.id))!.phone).toBe("+44 20 7946 0000");
  });

  it("changing only the work email changes the customer's email and userName", async () => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "Replace", path: 'emails[type eq "work"].value', value: `moved${n}@x.test` }]);
    expect(res.status).toBe(200);
    expect(res.body.userName).toBe(`moved${n}@x.test`);
    expect(store(b).customers.get(Number(u.id))!.email).toBe(`moved${n}@x.test`);
  });

  it("userName replace; a taken email is 409 and nothing changes", async () => {
    const a = await user();
    const other = await user();
    const ok = await b.api.patch(`/Users/${a.id}`, [{ op: "replace", path: "userName", value: `renamed${n}@x.test` }]);
    expect(ok.body.userName).toBe(`renamed${n}@x.test`);
    const clash = await b.api.patch(`/Users/${a.id}`, [{ op: "replace", path: "userName", value: String(other.userName).toUpperCase() }]);
    expect(clash.status).toBe(409);
    expect(clash.body.scimType).toBe("uniqueness");
    expect(store(b).customers.get(Number(a.id))!.email).toBe(`renamed${n}@x.test`);
  });

  it.each([
    ["a bare string", "m1", "m1"],
    ["an object", { value: "m2" }, "m2"],
    ["a one-element array", [{ value: "m3" }], "m3"],
  ])("manager as %s", async (_name, value, expected) => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "add", path: `${ENT}:manager`, value }]);
    expect(res.status).toBe(200);
    expect(res.body[ENT].manager.value).toBe(expected);
  });

  it('manager.value path, then "" and null remove it', async () => {
    const u = await user();
    await b.api.patch(`/Users/${u.id}`, [{ op: "add", path: `${ENT}:manager.value`, value: "boss" }]);
    expect((await b.api.get(`/Users/${u.id}`)).body[ENT].manager.value).toBe("boss");
    const cleared = await b.api.patch(`/Users/${u.id}`, [{ op: "Replace", path: `${ENT}:manager`, value: "" }]);
    expect(cleared.body[ENT]?.manager).toBeUndefined();
    await b.api.patch(`/Users/${u.id}`, [{ op: "add", path: `${ENT}:manager`, value: "boss2" }]);
    const nulled = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: `${ENT}:manager`, value: null }]);
    expect(nulled.body[ENT]?.manager).toBeUndefined();
  });

  it('"" and null remove an attribute (Entra null-update test)', async () => {
    const u = await user({ title: "Boss", [ENT]: { department: "D" } });
    const a = await b.api.patch(`/Users/${u.id}`, [{ op: "Replace", path: "title", value: "" }]);
    expect(a.body.title).toBeUndefined();
    const c = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: `${ENT}:department`, value: null }]);
    expect(c.body[ENT]?.department).toBeUndefined();
  });

  it("costs one read and one write; a no-op costs only the read and answers 200", async () => {
    const u = await user();
    const { result: res, calls } = await countCalls(b, () => b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: "name.givenName", value: "Zed" }]));
    expect(res.status).toBe(200);
    expect(calls).toEqual(["GET /v3/customers", "PUT /v3/customers"]);
    const { result: noop, calls: noopCalls } = await countCalls(b, () => b.api.patch(`/Users/${u.id}`, [{ op: "replace", value: { active: true } }]));
    expect(noop.status).toBe(200);
    expect(noop.body.id).toBe(u.id);
    expect(noopCalls).toEqual(["GET /v3/customers"]);
  });

  it("sub-resource writes cost one call each; an attribute-only change needs no customer write", async () => {
    const u = await user();
    const { calls } = await countCalls(b, () => b.api.patch(`/Users/${u.id}`, [{ op: "add", path: "title", value: "Lead" }]));
    expect(calls).toEqual(["GET /v3/customers", "PUT /v3/customers/attribute-values"]);
    const { calls: both } = await countCalls(b, () => b.api.patch(`/Users/${u.id}`, [{ op: "replace", value: { title: "Head", "name.givenName": "Q" } }]));
    // The customer PUT (the write BigCommerce can still refuse) goes before the attribute values.
    expect(both).toEqual(["GET /v3/customers", "PUT /v3/customers", "PUT /v3/customers/attribute-values"]);
  });

  it("applies all operations or none: one bad op leaves the customer untouched", async () => {
    const u = await user();
    const { result: res, calls } = await countCalls(b, () =>
      b.api.patch(`/Users/${u.id}`, [
        { op: "replace", path: "name.givenName", value: "Changed" },
        { op: "replace", path: "name.familyName", value: "f".repeat(101) },
      ]),
    );
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
    expect(calls).toEqual(["GET /v3/customers"]);
    expect(store(b).customers.get(Number(u.id))!.first_name).toBe("Given");
  });

  it.each([
    [[{ op: "frobnicate", path: "title", value: "x" }], "invalidSyntax"],
    [[{ op: "remove" }], "noTarget"],
    [[{ op: "add", value: "not an object" }], "invalidValue"],
    [[], "invalidValue"],
  ])("rejects malformed operations %j with %s", async (ops, scimType) => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, ops);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe(scimType);
  });

  it("ignores unknown attributes and unknown schema extensions (never a 400)", async () => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [
      { op: "add", path: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge", value: "x" },
      { op: "replace", value: { preferredLanguage: "en", "name.givenName": "Kept" } },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.name.givenName).toBe("Kept");
  });

  it("sets channel ids and the customer group through the BigCommerce extension", async () => {
    const g = store(b).groups.insert({ name: "Wholesale" });
    expect(store(b).channels.insert({ name: "second", type: "storefront", platform: "custom" }).id).toBe(2);
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: `${BC}:channelIds`, value: [1, 2] }, { op: "replace", path: `${BC}:customerGroupId`, value: g.id }]);
    expect(res.status).toBe(200);
    expect(store(b).customers.get(Number(u.id))).toMatchObject({ channel_ids: [1, 2], customer_group_id: g.id });
    expect(res.body[BC]).toMatchObject({ channelIds: [1, 2], customerGroupId: g.id });
  });

  it("password replace (Okta password sync) sets the storefront password and is never echoed", async () => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", value: { password: "N3w-pass-word" } }]);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain("N3w-pass-word");
    expect(store(b).customers.checkPassword(Number(u.id), "N3w-pass-word")).toBe(true);
  });

  it("answers 404 for an unknown user", async () => {
    expect((await b.api.patch("/Users/424242", [{ op: "replace", value: { active: false } }])).status).toBe(404);
  });
});

describe("concurrent writes to one user", () => {
  it("never lose an update: ten PATCHes of different attributes all land", async () => {
    const u = await user();
    const ops = [
      { op: "replace", path: "title", value: "T" },
      { op: "replace", path: "name.givenName", value: "G2" },
      { op: "replace", path: "name.familyName", value: "F2" },
      { op: "replace", path: `${ENT}:department`, value: "D" },
      { op: "replace", path: `${ENT}:employeeNumber`, value: "E" },
      { op: "replace", path: "phoneNumbers", value: [{ value: "555", type: "work" }] },
      { op: "replace", path: `${ENT}:organization`, value: "Org" },
      { op: "replace", path: "externalId", value: "X1" },
      { op: "replace", path: `${ENT}:manager`, value: "M" },
      { op: "replace", path: `${BC}:notes`, value: "N" },
    ];
    const results = await Promise.all(ops.map((op) => b.api.patch(`/Users/${u.id}`, [op])));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const final = (await b.api.get(`/Users/${u.id}`)).body;
    expect(final).toMatchObject({
      title: "T",
      externalId: "X1",
      name: { givenName: "G2", familyName: "F2" },
      phoneNumbers: [{ value: "555" }],
      [ENT]: { department: "D", employeeNumber: "E", organization: "Org", manager: { value: "M" } },
      [BC]: { notes: "N" },
    });
  });
});

describe("RFC 7644 details", () => {
  it("fully qualified core attribute names in PATCH paths, filters and attributes (§3.10)", async () => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName", value: "Qualified" }]);
    expect(res.body.name.givenName).toBe("Qualified");
    const found = await b.api.get(`/Users?filter=${encodeURIComponent(`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "${String(u.userName)}"`)}&attributes=urn:ietf:params:scim:schemas:core:2.0:User:userName`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].userName).toBe(u.userName);
    expect(found.body.Resources[0].name).toBeUndefined();
  });

  it("adding a new primary email demotes the old one, and the customer's email follows", async () => {
    const u = await user();
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "add", path: "emails", value: [{ value: `primary${n}@x.test`, type: "work", primary: true }] }]);
    expect(res.status).toBe(200);
    expect(res.body.userName).toBe(`primary${n}@x.test`);
    expect(store(b).customers.get(Number(u.id))!.email).toBe(`primary${n}@x.test`);
  });
});
